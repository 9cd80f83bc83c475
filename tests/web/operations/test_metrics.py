"""/metrics: the desk's figures from its database, for a scraper that bears the token."""
from datetime import timedelta

import pytest
import time_machine
from prometheus_client.parser import text_string_to_metric_families

from helpdesk import create_app
from helpdesk.extensions import db
from helpdesk.models import (
    HeldMessage,
    HeldReason,
    MailReceipt,
    OutboxMessage,
    OutboxState,
    TicketStatus,
)
from helpdesk.services.operations import heartbeats
from tests.conftest import SECRET_KEY
from tests.fixtures.factories import make_ticket

TOKEN = "scrape-token-5be1c0"


@pytest.fixture
def scraper(app, client):
    app.config["METRICS_TOKEN"] = TOKEN
    return client


def _scrape(client, now=None) -> dict[tuple[str, tuple], float]:
    """Every sample of a successful scrape, by name and labels."""
    with time_machine.travel(now, tick=False) if now else _nothing():
        response = client.get("/metrics", headers={"Authorization": f"Bearer {TOKEN}"})
    assert response.status_code == 200, response.text
    return {(sample.name, tuple(sorted(sample.labels.items()))): sample.value
            for family in text_string_to_metric_families(response.text)
            for sample in family.samples}


class _nothing:
    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False


def test_without_a_token_configured_there_is_no_metrics_page(client):
    response = client.get("/metrics", headers={"Authorization": "Bearer anything"})
    assert response.status_code == 404
    assert "Set-Cookie" not in response.headers


@pytest.mark.parametrize("authorization", [None, "Bearer wrong", f"Basic {TOKEN}", TOKEN,
                                           f"Bearer {TOKEN}x"])
def test_a_missing_or_wrong_token_is_refused(scraper, authorization):
    headers = {"Authorization": authorization} if authorization else {}
    response = scraper.get("/metrics", headers=headers)
    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"].startswith("Bearer")
    assert TOKEN not in response.text
    assert "Set-Cookie" not in response.headers


def test_the_right_token_gets_the_metrics_without_a_session_cookie(scraper):
    response = scraper.get("/metrics", headers={"Authorization": f"Bearer {TOKEN}"})
    assert response.status_code == 200
    assert response.content_type.startswith("text/plain")
    assert "Set-Cookie" not in response.headers
    for family in ("helpdesk_mail_ingested_total counter", "helpdesk_mail_held_total counter",
                   "helpdesk_outbox_sent_total counter", "helpdesk_outbox_failed_total counter",
                   "helpdesk_outbox_retries_total counter", "helpdesk_sla_due_soon gauge",
                   "helpdesk_sla_breached gauge", "helpdesk_job_last_duration_seconds gauge",
                   "helpdesk_request_duration_seconds histogram",
                   "helpdesk_health_problems gauge"):
        assert f"\n# TYPE {family}\n" in response.text, family


def _receipt(now, key: str) -> MailReceipt:
    return MailReceipt(dedupe_key=key, fingerprint=key, received_at=now, mailbox="INBOX")


def _held(now, reason: HeldReason, resolved: bool = False) -> HeldMessage:
    return HeldMessage(reason=reason, received_at=now, resolved_at=now if resolved else None)


def _outbox(now, state: OutboxState, attempts: int) -> OutboxMessage:
    return OutboxMessage(kind="reply", to_address="eva@acme.example", subject="Re: export",
                         body_text="Fixed.", smtp_message_id=f"<{state}-{attempts}@desk>",
                         state=state, attempts=attempts, next_attempt_at=now, created_at=now)


def test_mail_figures_count_what_the_database_holds(scraper, now):
    db.session.add_all([_receipt(now, f"<{n}@acme.example>") for n in range(3)])
    db.session.add_all([_held(now, HeldReason.UNKNOWN_SENDER),
                        _held(now, HeldReason.UNKNOWN_SENDER, resolved=True),
                        _held(now, HeldReason.BOUNCE)])
    db.session.commit()
    samples = _scrape(scraper)
    assert samples["helpdesk_mail_ingested_total", ()] == 3
    assert samples["helpdesk_mail_held_total", (("reason", "unknown sender"),)] == 2
    assert samples["helpdesk_mail_held_total", (("reason", "bounce"),)] == 1
    assert samples["helpdesk_mail_held_total", (("reason", "unparsable"),)] == 0
    assert samples["helpdesk_mail_held_waiting", (("reason", "unknown sender"),)] == 1


def test_ingestion_latency_is_a_histogram_of_the_last_hours_mail(scraper, now):
    def stored(key: str, waited_seconds: float, ago: timedelta = timedelta(0)) -> MailReceipt:
        receipt = _receipt(now - ago - timedelta(seconds=waited_seconds), key)
        receipt.stored_at = now - ago
        return receipt

    db.session.add_all([stored("<a@x>", 0.4), stored("<b@x>", 3), stored("<c@x>", 40),
                        stored("<d@x>", 7200),  # found in the mailbox two hours late
                        stored("<e@x>", 2, ago=timedelta(hours=2)),  # outside the hour
                        _receipt(now, "<f@x>")])  # stored before the desk kept the moment
    db.session.commit()
    samples = _scrape(scraper, now)
    bucket = "helpdesk_mail_ingestion_latency_seconds_bucket"
    assert [samples[bucket, (("le", le),)] for le in ("1", "5", "60", "3600", "+Inf")] \
        == [1, 2, 3, 3, 4]
    assert samples["helpdesk_mail_ingestion_latency_seconds_count", ()] == 4
    assert samples["helpdesk_mail_ingestion_latency_seconds_sum", ()] == pytest.approx(7243.4)


def test_outbox_figures_count_sent_failed_and_retried_mail(scraper, now):
    db.session.add_all([
        _outbox(now, OutboxState.SENT, 1), _outbox(now, OutboxState.SENT, 3),  # 2 retries
        _outbox(now - timedelta(minutes=10), OutboxState.PENDING, 2),  # failed twice: 2 retries
        _outbox(now, OutboxState.PENDING, 0),
        _outbox(now, OutboxState.FAILED, 8),  # 7 retries, then given up
        _outbox(now, OutboxState.HELD_BACK, 0)])
    db.session.commit()
    samples = _scrape(scraper, now)
    assert samples["helpdesk_outbox_sent_total", ()] == 2
    assert samples["helpdesk_outbox_failed_total", ()] == 1
    assert samples["helpdesk_outbox_retries_total", ()] == 11
    assert samples["helpdesk_outbox_waiting", ()] == 2
    assert samples["helpdesk_outbox_oldest_waiting_age_seconds", ()] == 600


def test_sla_figures_count_open_tickets_by_their_stored_due_moments(scraper, now):
    def ticket(due_soon_at, response_due_at, status=TicketStatus.OPEN):
        made = make_ticket(now=now - timedelta(hours=2))
        made.due_soon_at, made.response_due_at, made.status = due_soon_at, response_due_at, status
        db.session.commit()

    hour = timedelta(hours=1)
    ticket(now + hour, now + 2 * hour)  # on time
    ticket(now - hour, now + hour)  # due soon
    ticket(now - 2 * hour, now - hour)  # breached
    ticket(now - 3 * hour, now - 2 * hour)  # breached
    ticket(now - 2 * hour, now - hour, TicketStatus.WAITING)  # the clock is paused
    ticket(now - hour, now + hour, TicketStatus.RESOLVED)
    samples = _scrape(scraper, now)
    assert samples["helpdesk_sla_due_soon", ()] == 1
    assert samples["helpdesk_sla_breached", ()] == 2


def test_job_figures_come_from_each_jobs_heartbeat(scraper, now):
    heartbeats.claim(["sla-sweep", "outbox-send"], "worker-1:42", now, timedelta(seconds=60))
    heartbeats.pass_started("sla-sweep", now - timedelta(seconds=5))
    heartbeats.pass_finished("sla-sweep", now - timedelta(seconds=5),
                             now - timedelta(seconds=5) + timedelta(milliseconds=1250))
    heartbeats.release(["outbox-send"], "worker-1:42", now)
    samples = _scrape(scraper, now)
    assert samples["helpdesk_job_last_duration_seconds", (("job", "sla-sweep"),)] == 1.25
    assert samples["helpdesk_job_runs_total", (("job", "sla-sweep"),)] == 1
    assert samples["helpdesk_job_live", (("job", "sla-sweep"),)] == 1
    assert samples["helpdesk_job_live", (("job", "outbox-send"),)] == 0
    assert ("helpdesk_job_last_duration_seconds", (("job", "outbox-send"),)) not in samples
    # No backup yet and outbox-send without a worker.
    assert samples["helpdesk_health_problems", ()] == 2


def test_request_latency_is_labelled_by_route_not_by_address(scraper, app):
    for ticket_id in (101, 202):
        scraper.get(f"/portal/tickets/{ticket_id}")
    scraper.get("/no/such/page")
    samples = _scrape(scraper)
    counts = {labels: value for (name, labels), value in samples.items()
              if name == "helpdesk_request_duration_seconds_count"}
    endpoint = app.url_map.bind("desk.example").match("/portal/tickets/101")[0]
    assert counts[(("endpoint", endpoint),)] == 2
    assert counts[(("endpoint", "(none)"),)] == 1
    assert not any("101" in value for labels in counts for _, value in labels)


def test_each_app_counts_its_own_requests(scraper, tmp_path, app):
    scraper.get("/healthz")
    other = create_app({"TESTING": True, "SECRET_KEY": SECRET_KEY, "METRICS_TOKEN": TOKEN,
                        "SQLALCHEMY_DATABASE_URI": app.config["SQLALCHEMY_DATABASE_URI"],
                        "BLOB_STORE": str(tmp_path / "other"), "SERVER_NAME": "desk.example"})
    with other.app_context():
        samples = _scrape(other.test_client())
        db.session.remove()
    assert ("helpdesk_request_duration_seconds_count",
            (("endpoint", "operations.healthz"),)) not in samples
    assert _scrape(scraper)["helpdesk_request_duration_seconds_count",
                            (("endpoint", "operations.healthz"),)] == 1
