"""The outbox worker against a real SMTP server on loopback: what arrives, and what goes wrong."""
import os
import sqlite3
import subprocess
import sys
import threading
import time
import uuid
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa

from helpdesk import ROOT
from helpdesk.adapters.storage import blob_store
from helpdesk.domain.mail.parse import parse_email
from helpdesk.domain.mail.threads import ticket_number_from_message_ids
from helpdesk.extensions import db
from helpdesk.models import Attachment, Category, Channel, OutboxMessage, OutboxState, Ticket
from helpdesk.services import Refusal
from helpdesk.services.mail_out import outbox
from helpdesk.services.mail_out.sender import (
    LeaseHeartbeat,
    claim_lease,
    claim_next,
    send_due_mail,
)
from helpdesk.services.notifications import customer_mail
from helpdesk.services.tickets import desk, lifecycle
from tests.conftest import SECRET_KEY, sign_in
from tests.fixtures.factories import make_contact, make_organisation, make_staff
from tests.fixtures.smtp import use_mail_settings

MONDAY_TEN = datetime(2026, 11, 30, 9, 0, tzinfo=UTC)  # 10:00 in Amsterdam


def _open_ticket(contact, subject="Export fails", at=MONDAY_TEN, category=Category.BUG):
    ticket, _ = lifecycle.open_ticket(
        raised_by=contact, subject=subject, category=category, channel=Channel.EMAIL,
        body_text="It breaks", received_at=at, now=at,
        message_id=f"{uuid.uuid4().hex}@customer.example")
    return ticket


def _acknowledged(contact, subject="Export fails", at=MONDAY_TEN):
    ticket = _open_ticket(contact, subject, at)
    mail = customer_mail.queue_acknowledgement(ticket, at)
    db.session.commit()
    return ticket, mail


def _plain_mail(contact, at, **overrides) -> OutboxMessage:
    fields = {"to_address": contact.email, "kind": "reply", "subject": "Hello",
              "body_text": "Hello", "now": at, "automatic": False}
    mail = outbox.queue_mail(**{**fields, **overrides})
    db.session.commit()
    return mail


def _message_ids(server) -> list[str]:
    """The Message-ID of every arrival (a long one is folded onto its own line)."""
    return [a.message["Message-ID"].strip() for a in server.arrivals]


def _row(mail_id: int) -> OutboxMessage:
    db.session.expire_all()
    return db.session.get(OutboxMessage, mail_id)


def test_acknowledgement_arrives_threaded_in_dutch_with_the_due_moment_in_words(app, smtp_server):
    contact = make_contact(language="nl")
    ticket, mail = _acknowledged(contact)
    first_message_id = ticket.messages[0].message_id

    report = send_due_mail(MONDAY_TEN)

    assert report.sent == 1
    [arrival] = smtp_server.arrivals
    assert arrival.mail_from == "support@desk.example"
    assert arrival.rcpt_tos == [contact.email]
    received = arrival.message
    assert received["Subject"] == f"[#{ticket.number}] Export fails"
    assert received["Message-ID"].strip() == f"<{mail.smtp_message_id}>"
    assert received["In-Reply-To"] == f"<{first_message_id}>"
    assert received["References"] == f"<{first_message_id}>"
    assert received["Auto-Submitted"] == "auto-replied"
    assert received["Content-Language"] == "nl"
    text = received.get_body(("plain",)).get_content()
    html = received.get_body(("html",)).get_content()
    for body in (text, html):
        assert "uiterlijk dinsdag 1 december 10:00" in body
        assert "de stappen die tot de bug leidden" in body
    assert f"ticket #{ticket.number} (Bug)" in text
    assert "We zijn nu open, tot 17:00." in text
    row = _row(mail.id)
    assert row.state == OutboxState.SENT and row.sent_at == MONDAY_TEN and row.attempts == 1


def test_english_contact_gets_the_acknowledgement_in_english(app, smtp_server):
    _acknowledged(make_contact(language="en"))
    send_due_mail(MONDAY_TEN)
    received = smtp_server.arrivals[0].message
    assert received["Content-Language"] == "en"
    assert "by Tuesday 1 December 10:00" in received.get_body(("plain",)).get_content()
    assert "by Tuesday 1 December 10:00" in received.get_body(("html",)).get_content()


def test_the_desk_signs_and_sends_mail_under_its_name_in_the_readers_language(
        app, smtp_server):
    _acknowledged(make_contact(language="nl"))
    _acknowledged(make_contact(language="en"))
    send_due_mail(MONDAY_TEN)
    dutch, english = (arrival.message for arrival in smtp_server.arrivals)
    assert dutch["From"] == "Servicedesk <support@desk.example>"
    assert english["From"] == "Service desk <support@desk.example>"
    assert "Servicedesk · telefoon" in dutch.get_body(("plain",)).get_content()
    assert "Service desk · phone" in english.get_body(("html",)).get_content()


def test_agent_reply_arrives_with_its_attachment_threaded_and_not_auto_submitted(
        app, smtp_server):
    contact = make_contact()
    ticket = _open_ticket(contact)
    later = MONDAY_TEN + timedelta(hours=1)
    message = lifecycle.reply(ticket, make_staff(), "Fixed, see the log.", later)
    content = b"line 1\nline 2\n"
    path, digest = blob_store().put(content)
    db.session.add(Attachment(message_id=message.id, filename="export log.txt",
                              content_type="text/plain", size=len(content), sha256=digest,
                              storage_path=path))
    mail = customer_mail.queue_reply(ticket, message, later)
    db.session.commit()

    send_due_mail(later)

    received = smtp_server.arrivals[0].message
    assert received["Message-ID"].strip() == f"<{message.message_id}>"
    assert "Auto-Submitted" not in received
    assert "Fixed, see the log." in received.get_body(("plain",)).get_content()
    [attachment] = received.iter_attachments()
    assert attachment.get_filename() == "export log.txt"
    assert attachment.get_content().encode() == content
    assert _row(mail.id).state == OutboxState.SENT


def test_resolved_notice_is_marked_auto_generated(app, smtp_server):
    ticket = _open_ticket(make_contact(language="en"))
    customer_mail.queue_resolved_notice(ticket, MONDAY_TEN)
    db.session.commit()
    send_due_mail(MONDAY_TEN)
    received = smtp_server.arrivals[0].message
    assert received["Auto-Submitted"] == "auto-generated"
    assert "reopen the ticket" in received.get_body(("plain",)).get_content()


def test_mail_waits_while_the_server_is_down_and_goes_once_when_it_is_back(app, smtp_server):
    contact = make_contact()
    mails = [_plain_mail(contact, MONDAY_TEN, subject=f"Mail {n}") for n in range(3)]
    smtp_server.stop()

    first = send_due_mail(MONDAY_TEN)
    second = send_due_mail(MONDAY_TEN + timedelta(minutes=1))

    # Each run tries one mail, finds no server and stops: the others keep their attempts.
    assert first.retrying == 1 and first.sent == 0 and "cannot connect" in first.connection_error
    assert second.retrying == 1
    assert sorted(_row(m.id).attempts for m in mails) == [0, 1, 1]
    assert all(_row(m.id).state == OutboxState.PENDING for m in mails)

    smtp_server.start()
    back = send_due_mail(MONDAY_TEN + timedelta(minutes=10))
    again = send_due_mail(MONDAY_TEN + timedelta(hours=1))

    assert back.sent == 3 and again.sent == 0
    assert sorted(_message_ids(smtp_server)) == sorted(f"<{m.smtp_message_id}>" for m in mails)
    assert all(_row(m.id).state == OutboxState.SENT for m in mails)


def test_a_451_is_retried_once_after_the_backoff(app, smtp_server):
    mail = _plain_mail(make_contact(), MONDAY_TEN)
    smtp_server.answer_next("DATA", "451 4.3.0 Try again later")

    send_due_mail(MONDAY_TEN)
    row = _row(mail.id)
    assert row.state == OutboxState.PENDING and row.attempts == 1
    assert row.last_error == "451 4.3.0 Try again later"
    assert row.next_attempt_at == MONDAY_TEN + timedelta(seconds=60)

    assert send_due_mail(MONDAY_TEN + timedelta(seconds=59)).sent == 0
    assert send_due_mail(MONDAY_TEN + timedelta(seconds=60)).sent == 1
    row = _row(mail.id)
    assert row.state == OutboxState.SENT and row.attempts == 2 and row.last_error is None
    assert len(smtp_server.arrivals) == 1


def test_temporary_failures_back_off_exponentially_and_give_up_at_the_maximum(app, smtp_server):
    app.config["OUTBOX_MAX_ATTEMPTS"] = 3
    mail = _plain_mail(make_contact(), MONDAY_TEN)
    for _ in range(3):
        smtp_server.answer_next("RCPT", "452 4.2.2 Mailbox full")
    moment = MONDAY_TEN
    delays = []
    for _ in range(3):
        send_due_mail(moment)
        row = _row(mail.id)
        delays.append(row.next_attempt_at - moment)
        moment = row.next_attempt_at
    assert delays[:2] == [timedelta(minutes=1), timedelta(minutes=2)]
    row = _row(mail.id)
    assert row.state == OutboxState.FAILED and row.attempts == 3
    assert row.last_error.startswith("452")
    assert smtp_server.arrivals == []


def test_a_550_fails_the_mail_at_once_and_agents_see_it_on_the_ticket(app, client, smtp_server):
    ticket, mail = _acknowledged(make_contact())
    smtp_server.answer_next("RCPT", "550 5.1.1 No such user")

    report = send_due_mail(MONDAY_TEN)

    assert report.failed == 1
    row = _row(mail.id)
    assert row.state == OutboxState.FAILED and row.attempts == 1
    assert outbox.outbox_problems(ticket) == [row]
    assert send_due_mail(MONDAY_TEN + timedelta(days=1)).sent == 0
    sign_in(client, make_staff())
    page = client.get(f"/desk/tickets/{ticket.number}").get_data(as_text=True)
    assert 'id="outbox-problems"' in page
    assert "550 5.1.1 No such user" in page
    assert "Failed" in page


def test_a_ticket_without_mail_problems_shows_no_problem_list(app, client, smtp_server):
    ticket, _ = _acknowledged(make_contact())
    send_due_mail(MONDAY_TEN)
    sign_in(client, make_staff())
    page = client.get(f"/desk/tickets/{ticket.number}").get_data(as_text=True)
    assert 'id="outbox-problems"' not in page


def _run_workers(app, count: int, now: datetime) -> list:
    reports, errors = [], []

    def work():
        try:
            with app.app_context():
                reports.append(send_due_mail(now))
        except Exception as error:  # surfaced by the assertion below
            errors.append(error)

    workers = [threading.Thread(target=work) for _ in range(count)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(60)
    assert errors == []
    return reports


def test_two_workers_at_once_send_each_mail_once(app, smtp_server):
    contact = make_contact()
    queued = [_plain_mail(contact, MONDAY_TEN, subject=f"Mail {n}").smtp_message_id
              for n in range(20)]
    db.session.remove()  # the workers use their own sessions

    reports = _run_workers(app, 2, MONDAY_TEN)

    assert sum(r.sent for r in reports) == 20
    assert sorted(_message_ids(smtp_server)) == sorted(f"<{i}>" for i in queued)


def test_the_loop_brake_holds_across_two_workers(app, smtp_server):
    contact = make_contact()
    for n in range(12):
        _plain_mail(contact, MONDAY_TEN, kind="resolved", subject=f"Mail {n}", automatic=True)
    db.session.remove()

    reports = _run_workers(app, 2, MONDAY_TEN)

    # A mail another worker is sending counts as sent, so the two never pass the limit together.
    assert 1 <= len(smtp_server.arrivals) <= 5
    assert sum(r.sent + r.held_back for r in reports) == 12


class _RowLock:
    """A write lock on one outbox row from another connection, as a stuck transaction holds."""

    def __init__(self, url: str, row_id: int):
        self.url, self.row_id = url, row_id
        self._connection = None

    def acquire(self) -> None:
        if self.url.startswith("sqlite"):
            self._connection = sqlite3.connect(self.url.removeprefix("sqlite:///"),
                                               isolation_level=None, check_same_thread=False)
            self._connection.execute("BEGIN IMMEDIATE")
        else:
            self._connection = sa.create_engine(self.url).connect()
            self._connection.execute(
                sa.text("SELECT id FROM outbox_message WHERE id = :id FOR UPDATE"),
                {"id": self.row_id})

    def release(self) -> None:
        if self._connection is not None:
            self._connection.rollback()
            self._connection.close()


def test_a_crash_after_the_server_accepted_sends_one_duplicate_with_the_same_message_id(
        app, smtp_server):
    now = datetime.now(UTC)  # the worker below runs as `flask outbox send`, on the real clock
    mail = _plain_mail(make_contact(), now)
    url = app.config["SQLALCHEMY_DATABASE_URI"]
    lock = _RowLock(url, mail.id)
    # Once the server has the message, the worker cannot mark it sent: then it dies.
    smtp_server.handler.on_accept = lambda arrival: lock.acquire()
    env = {**os.environ, "FLASK_APP": "app.py", "HELPDESK_SQLALCHEMY_DATABASE_URI": url,
           "HELPDESK_SECRET_KEY": SECRET_KEY, "HELPDESK_BLOB_STORE": app.config["BLOB_STORE"],
           "HELPDESK_MAIL_SERVER": "127.0.0.1", "HELPDESK_MAIL_PORT": str(smtp_server.port),
           "HELPDESK_MAIL_SECURITY": "none",
           "HELPDESK_MAIL_DEFAULT_SENDER": "support@desk.example"}
    worker = subprocess.Popen([sys.executable, "-m", "flask", "outbox", "send"], cwd=ROOT,
                              env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 30
        while not smtp_server.arrivals and time.monotonic() < deadline:
            time.sleep(0.05)
        time.sleep(0.3)  # the worker has its 250 and waits for the row
        worker.kill()
        worker.wait(10)
    finally:
        lock.release()
    smtp_server.handler.on_accept = None
    row = _row(mail.id)
    assert len(smtp_server.arrivals) == 1
    assert row.state == OutboxState.PENDING and row.claimed_until > now

    assert send_due_mail(row.claimed_until - timedelta(seconds=1)).sent == 0  # still leased
    assert send_due_mail(row.claimed_until).sent == 1  # the lease ran out: sent again
    assert send_due_mail(now + claim_lease() * 3).sent == 0

    assert _message_ids(smtp_server) == [f"<{mail.smtp_message_id}>"] * 2
    assert _row(mail.id).state == OutboxState.SENT


def test_a_dead_senders_row_is_claimed_again_within_a_minute(app):
    mail = _plain_mail(make_contact(), MONDAY_TEN)
    assert claim_next(MONDAY_TEN).id == mail.id  # and then its sender dies
    lease = claim_lease()

    assert lease <= timedelta(minutes=1)
    assert claim_next(MONDAY_TEN + lease - timedelta(seconds=1)) is None
    assert claim_next(MONDAY_TEN + lease).id == mail.id


def _within_seconds(condition, seconds: float = 10) -> bool:
    deadline = time.monotonic() + seconds
    while not condition() and time.monotonic() < deadline:
        time.sleep(0.02)
    return condition()


def test_a_lease_renewed_by_the_heartbeat_is_not_taken_over(app):
    app.config["OUTBOX_LEASE_SECONDS"] = 0.3
    mail = _plain_mail(make_contact(), MONDAY_TEN)
    held_until = claim_next(MONDAY_TEN).claimed_until
    lease = claim_lease()
    renewed_at = held_until - timedelta(seconds=0.1)

    with LeaseHeartbeat(mail.id, held_until, lambda: renewed_at) as heartbeat:
        assert _within_seconds(lambda: heartbeat.held_until != held_until)

    assert heartbeat.held_until == renewed_at + lease
    assert claim_next(held_until) is None
    assert claim_next(heartbeat.held_until).id == mail.id


def test_a_lease_another_sender_took_over_is_not_renewed(app, caplog):
    app.config["OUTBOX_LEASE_SECONDS"] = 0.3
    mail = _plain_mail(make_contact(), MONDAY_TEN)
    held_until = claim_next(MONDAY_TEN).claimed_until
    taken_over = claim_next(held_until)

    with LeaseHeartbeat(mail.id, held_until, lambda: held_until) as heartbeat:
        assert _within_seconds(lambda: "the lease was lost to another sender" in caplog.text)

    assert heartbeat.held_until == held_until
    assert _row(mail.id).claimed_until == taken_over.claimed_until


def test_a_live_sender_keeps_its_lease_through_a_long_smtp_conversation(app, smtp_server):
    app.config["OUTBOX_LEASE_SECONDS"] = 0.6
    mail = _plain_mail(make_contact(), datetime.now(UTC))
    taken_over = []

    def slow_server(arrival):
        time.sleep(2)  # three leases long, with the message not yet accepted
        with app.app_context():
            taken_over.append(claim_next(datetime.now(UTC)))

    smtp_server.handler.on_accept = slow_server
    assert send_due_mail(datetime.now(UTC)).sent == 1
    smtp_server.handler.on_accept = None

    assert taken_over == [None]
    assert len(smtp_server.arrivals) == 1
    assert _row(mail.id).state == OutboxState.SENT


def test_a_long_batch_leases_each_row_from_its_own_moment(app, smtp_server):
    app.config["OUTBOX_LEASE_SECONDS"] = 1
    contact = make_contact()
    start = datetime.now(UTC)
    first, second = (_plain_mail(contact, start, subject=f"Mail {n}") for n in range(2))
    leased = []

    def slow_server(arrival):
        time.sleep(1.5)
        with app.app_context():
            row = db.session.scalar(sa.select(OutboxMessage).filter_by(
                subject=arrival.message["Subject"]))
            leased.append(row.claimed_until > datetime.now(UTC))

    smtp_server.handler.on_accept = slow_server
    assert send_due_mail(start).sent == 2
    smtp_server.handler.on_accept = None

    # The second row, claimed 1.5 s into the batch, is leased and stamped from then.
    assert leased == [True, True]
    assert _row(first.id).sent_at == start
    assert _row(second.id).sent_at >= start + timedelta(seconds=1)


def test_an_encoded_crlf_bcc_in_the_subject_reaches_only_the_contact(app, smtp_server):
    contact = make_contact()
    inbound = parse_email(
        f"From: {contact.email}\r\nTo: support@desk.example\r\nMessage-ID: <x@customer>\r\n"
        "Subject: =?utf-8?q?Export=0D=0ABcc=3A_evil=40example=2Ecom?=\r\n\r\nIt breaks\r\n"
        .encode())
    ticket, _ = _acknowledged(contact, subject=inbound.subject)
    # A row written with a raw CR LF (by any code path) is cleaned again when it is sent.
    _plain_mail(contact, MONDAY_TEN, subject="Hello\r\nBcc: evil@example.com",
                headers={"References": "<a@b>\r\nBcc: evil@example.com"})

    assert send_due_mail(MONDAY_TEN).sent == 2

    for arrival in smtp_server.arrivals:
        assert arrival.rcpt_tos == [contact.email]
        assert "Bcc" not in arrival.message
        assert "\n" not in arrival.message["Subject"]
    assert smtp_server.arrivals[0].message["Subject"] == (
        f"[#{ticket.number}] Export Bcc: evil@example.com")


def test_a_forged_token_does_not_thread(app, smtp_server):
    ticket, _ = _acknowledged(make_contact())
    send_due_mail(MONDAY_TEN)
    [ours] = _message_ids(smtp_server)
    secret = customer_mail.message_id_secret()
    assert ticket_number_from_message_ids([ours], secret) == ticket.number
    forged = ours.replace(f"hd.{ticket.number}.", f"hd.{ticket.number + 1}.")
    assert ticket_number_from_message_ids([forged], secret) is None
    assert ticket_number_from_message_ids([ours], b"someone else's key") is None


def test_the_loop_brake_holds_when_an_auto_responder_answers_every_mail(app, smtp_server):
    responder = make_contact(language="en")
    answers = []
    smtp_server.handler.on_accept = lambda arrival: answers.append(arrival.message["Subject"])
    _acknowledged(responder, subject="Printer")
    # A responder that drops our tag and headers: every answer is a new ticket to acknowledge.
    for minute in range(30):
        moment = MONDAY_TEN + timedelta(minutes=minute)
        send_due_mail(moment)
        while answers:
            original = answers.pop(0).partition("] ")[2]
            _acknowledged(responder, subject=f"Out of office: {original}", at=moment)

    assert len(smtp_server.arrivals) == 5
    [held] = db.session.scalars(
        sa.select(OutboxMessage).where(OutboxMessage.state == OutboxState.HELD_BACK)).all()
    assert held.to_address == responder.email
    assert "loop brake" in held.last_error
    assert outbox.outbox_problems(db.session.get(Ticket, held.ticket_id)) == [held]

    # An hour on, the recipient's count has dropped and automatic mail goes again.
    smtp_server.handler.on_accept = None
    later = MONDAY_TEN + timedelta(minutes=65)
    _acknowledged(responder, subject="New question", at=later)
    assert send_due_mail(later).sent == 1


def test_person_to_person_mail_is_never_held_back(app, smtp_server):
    contact = make_contact()
    for n in range(8):
        _plain_mail(contact, MONDAY_TEN, subject=f"Reply {n}", automatic=False)
    assert send_due_mail(MONDAY_TEN).sent == 8


def test_starttls_against_a_server_without_it_leaves_the_mail_unsent(app, smtp_server):
    use_mail_settings(app, MAIL_SECURITY="starttls")
    mail = _plain_mail(make_contact(), MONDAY_TEN)
    report = send_due_mail(MONDAY_TEN)
    row = _row(mail.id)
    assert report.sent == 0 and smtp_server.arrivals == []
    assert row.state == OutboxState.PENDING and "STARTTLS" in row.last_error


def test_a_missing_attachment_fails_the_mail_without_sending(app, smtp_server):
    ticket = _open_ticket(make_contact())
    message = lifecycle.reply(ticket, make_staff(), "See attached.", MONDAY_TEN)
    db.session.add(Attachment(message_id=message.id, filename="gone.pdf",
                              content_type="application/pdf", size=3, sha256="0" * 64,
                              storage_path="00/" + "0" * 64))
    mail = customer_mail.queue_reply(ticket, message, MONDAY_TEN)
    db.session.commit()
    assert send_due_mail(MONDAY_TEN).failed == 1
    row = _row(mail.id)
    assert row.state == OutboxState.FAILED and row.last_error.startswith("cannot compose")
    assert smtp_server.arrivals == []


def test_an_international_domain_is_sent_as_xn_and_a_non_ascii_mailbox_fails_alone(
        app, smtp_server):
    international = _plain_mail(make_contact(email="jan@müller.example"), MONDAY_TEN)
    unsendable = _plain_mail(make_contact(email="jürgen@customer.example"), MONDAY_TEN)
    report = send_due_mail(MONDAY_TEN)
    assert report.sent == 1 and report.failed == 1
    assert smtp_server.arrivals[0].rcpt_tos == ["jan@xn--mller-kva.example"]
    assert _row(international.id).state == OutboxState.SENT
    assert "SMTPUTF8" in _row(unsendable.id).last_error


def test_mail_is_queued_only_for_registered_people_of_the_ticket(app):
    ticket = _open_ticket(make_contact())
    outsider = make_contact(organisation=make_organisation())
    with pytest.raises(Refusal, match="geen geregistreerde contactpersoon"):
        outbox.queue_mail(to_address="someone@elsewhere.example", kind="reply", subject="x",
                          body_text="x", now=MONDAY_TEN, ticket=ticket)
    with pytest.raises(Refusal):
        outbox.queue_mail(to_address=outsider.email, kind="reply", subject="x",
                          body_text="x", now=MONDAY_TEN, ticket=ticket)
    staff = make_staff()
    mail = outbox.queue_mail(to_address=staff.email.upper(), kind="due_soon", subject="x",
                             body_text="x", now=MONDAY_TEN, ticket=ticket)
    assert mail.to_address == staff.email
    assert mail.headers["Auto-Submitted"] == "auto-generated"


def test_flask_outbox_send_sends_what_is_due(app, runner, smtp_server):
    _plain_mail(make_contact(), datetime.now(UTC))
    result = runner.invoke(args=["outbox", "send"])
    assert result.exit_code == 0, result.output
    assert "Sent 1, to retry 0, failed 0, held back 0." in result.output
    assert len(smtp_server.arrivals) == 1


def test_flask_outbox_send_refuses_plaintext_to_a_remote_server(app, runner):
    use_mail_settings(app, MAIL_SECURITY="none", MAIL_SERVER="smtp.example.com")
    result = runner.invoke(args=["outbox", "send"])
    assert result.exit_code == 1
    assert "only allowed for a loopback MAIL_SERVER" in result.output


def test_flask_outbox_send_refuses_a_desk_address_that_is_not_one(app, runner):
    app.config["MAIL_DEFAULT_SENDER"] = "Service desk"
    result = runner.invoke(args=["outbox", "send"])
    assert result.exit_code == 1
    assert "MAIL_DEFAULT_SENDER must be an email address" in result.output


def test_flask_outbox_send_says_when_the_server_cannot_be_reached(app, runner, smtp_server):
    _plain_mail(make_contact(), datetime.now(UTC))
    smtp_server.stop()
    result = runner.invoke(args=["outbox", "send"])
    assert result.exit_code == 75  # a temporary failure: cron tries again
    assert result.output.startswith("Error: SMTP server unavailable: cannot connect")
    assert result.output.endswith("(sent 0, to retry 1, failed 0, held back 0)\n")
    assert result.output.count("\n") == 1


def test_the_worker_job_leaves_mail_waiting_when_no_smtp_server_is_configured(app):
    from helpdesk.services.mail_out.sender import send_job
    use_mail_settings(app, MAIL_SERVER="")
    _, mail = _acknowledged(make_contact())
    assert send_job(MONDAY_TEN) == ""
    db.session.refresh(mail)
    assert mail.state == OutboxState.PENDING and mail.attempts == 0


def test_the_worker_job_sends_due_mail_and_says_how_much(app, smtp_server):
    from helpdesk.services.mail_out.sender import send_job
    _acknowledged(make_contact())
    assert str(send_job(MONDAY_TEN)) == "1 sent"
    assert len(smtp_server.arrivals) == 1


def test_flask_outbox_send_without_a_configured_server_fails_with_one_line(app):
    use_mail_settings(app, MAIL_SERVER="")
    result = app.test_cli_runner().invoke(args=["outbox", "send"])
    assert result.exit_code != 0
    assert "outgoing mail is not configured" in result.output


def test_a_failed_mail_an_agent_sends_again_arrives_with_the_same_message_id(app, smtp_server):
    ticket, mail = _acknowledged(make_contact())
    smtp_server.answer_next("RCPT", "550 5.1.1 No such user")
    send_due_mail(MONDAY_TEN)
    assert _row(mail.id).state == OutboxState.FAILED

    later = MONDAY_TEN + timedelta(hours=2)
    desk.send_mail_again(ticket, make_staff(), mail.id, later)

    assert send_due_mail(later).sent == 1
    assert _message_ids(smtp_server) == [f"<{mail.smtp_message_id}>"]
    assert outbox.outbox_problems(ticket) == []


def test_a_mail_an_agent_releases_from_the_loop_brake_is_not_held_back_again(app, smtp_server):
    contact = make_contact()
    for n in range(6):
        _plain_mail(contact, MONDAY_TEN, subject=f"Notice {n}", automatic=True)
    assert send_due_mail(MONDAY_TEN).sent == 5
    [held] = db.session.scalars(
        sa.select(OutboxMessage).where(OutboxMessage.state == OutboxState.HELD_BACK)).all()

    outbox.send_again(held, make_staff(), MONDAY_TEN + timedelta(minutes=1))
    db.session.commit()

    assert send_due_mail(MONDAY_TEN + timedelta(minutes=1)).sent == 1
    assert _row(held.id).state == OutboxState.SENT
    assert len(smtp_server.arrivals) == 6


def test_only_mail_that_failed_or_was_held_back_can_be_sent_again(app, smtp_server):
    _, mail = _acknowledged(make_contact())
    with pytest.raises(Refusal):
        outbox.send_again(mail, make_staff(), MONDAY_TEN)
