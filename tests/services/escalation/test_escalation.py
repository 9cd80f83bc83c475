"""The escalation sweep and calamity alerts: each event and each mail exactly once."""
import threading
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa
from sqlalchemy import event

from helpdesk.extensions import db
from helpdesk.models import (
    Category,
    Channel,
    OutboxMessage,
    ResponseRecord,
    StaffRole,
    TicketEvent,
)
from helpdesk.services.escalation import sweep
from helpdesk.services.tickets import lifecycle
from tests.fixtures.factories import make_contact, make_staff

AMS = ZoneInfo("Europe/Amsterdam")


def local(*args) -> datetime:
    return datetime(*args, tzinfo=AMS)


RECEIVED = local(2026, 11, 30, 10)  # Monday
DUE_SOON = local(2026, 12, 1, 4)  # 18 of 24 working-day hours
DUE = local(2026, 12, 1, 10)


@pytest.fixture
def staff(app):
    """Two active agents, an inactive one, a manager, an inactive manager and an admin."""
    return {
        "anna": make_staff(StaffRole.AGENT, name="Anna", language="en"),
        "bram": make_staff(StaffRole.AGENT, name="Bram", language="nl"),
        "gone": make_staff(StaffRole.AGENT, name="Gone", active=False),
        "mark": make_staff(StaffRole.MANAGER, name="Mark", language="en"),
        "left": make_staff(StaffRole.MANAGER, name="Left", active=False),
        "ada": make_staff(StaffRole.ADMIN, name="Ada"),
    }


def _open(received_at=RECEIVED, category=Category.BUG, subject="Export fails", assignee=None):
    ticket, _ = lifecycle.open_ticket(
        raised_by=make_contact(), subject=subject, category=category, channel=Channel.EMAIL,
        body_text="Steps: export", received_at=received_at, now=received_at)
    if assignee is not None:
        lifecycle.assign(ticket, assignee, assignee, received_at)
    db.session.commit()
    return ticket


def _events(ticket, *actions):
    query = sa.select(TicketEvent).filter_by(ticket_id=ticket.id).order_by(TicketEvent.id)
    if actions:
        query = query.where(TicketEvent.action.in_(actions))
    return db.session.scalars(query).all()


def _mails(ticket=None, kind=None):
    query = sa.select(OutboxMessage).order_by(OutboxMessage.id)
    if ticket is not None:
        query = query.filter_by(ticket_id=ticket.id)
    if kind is not None:
        query = query.filter_by(kind=kind)
    return db.session.scalars(query).all()


def _recipients(mails):
    return sorted(mail.to_address for mail in mails)


def _record(ticket):
    return db.session.scalar(sa.select(ResponseRecord).filter_by(ticket_id=ticket.id))


def _sweep(at):
    result = sweep.sweep(at)
    db.session.expire_all()
    return result


def test_nothing_escalates_before_the_due_soon_moment(staff):
    _open()
    result = _sweep(DUE_SOON - timedelta(seconds=1))
    assert (result.tickets, result.escalations) == (0, 0)
    assert _mails() == []


def test_due_soon_warns_every_active_agent_of_an_unassigned_ticket_once(staff):
    ticket = _open()
    assert _sweep(DUE_SOON).escalations == 1
    [warning] = _events(ticket, "due_soon")
    assert warning.once_key == f"due_soon:{ticket.id}:{_record(ticket).id}"
    assert warning.at == DUE_SOON and warning.actor_staff_id is None
    assert _recipients(_mails(ticket, "due_soon")) == sorted(
        [staff["anna"].email, staff["bram"].email])
    assert ticket.due_soon and not ticket.breached
    assert ticket.next_escalation_at == DUE

    rerun = _sweep(DUE_SOON + timedelta(hours=1))
    assert (rerun.tickets, rerun.escalations) == (0, 0)
    assert len(_events(ticket, "due_soon")) == 1 and len(_mails(ticket)) == 2


def test_due_soon_warns_only_the_assignee(staff):
    ticket = _open(assignee=staff["bram"])
    _sweep(DUE_SOON)
    assert _recipients(_mails(ticket, "due_soon")) == [staff["bram"].email]


def test_due_soon_for_an_inactive_assignee_warns_every_active_agent(staff):
    ticket = _open(assignee=staff["gone"])
    _sweep(DUE_SOON)
    assert _recipients(_mails(ticket, "due_soon")) == sorted(
        [staff["anna"].email, staff["bram"].email])


def test_breach_notifies_active_managers_and_admins_once_and_flags_the_ticket(staff):
    ticket = _open(assignee=staff["anna"])
    _sweep(DUE_SOON)
    assert _sweep(DUE - timedelta(seconds=1)).escalations == 0
    assert _sweep(DUE).escalations == 1
    [breach] = _events(ticket, "breached")
    assert breach.once_key == f"breach:{ticket.id}:{_record(ticket).id}"
    assert _recipients(_mails(ticket, "breach")) == sorted(
        [staff["mark"].email, staff["ada"].email])
    assert ticket.breached and _record(ticket).breached
    assert ticket.next_escalation_at is None

    assert _sweep(DUE + timedelta(days=1)).escalations == 0
    assert len(_mails(ticket)) == 3  # a due-soon mail to Anna, breach mails to Mark and Ada


def test_a_late_sweep_takes_both_steps_but_warns_of_nothing_already_overdue(staff):
    ticket = _open(assignee=staff["anna"])
    result = _sweep(DUE + timedelta(minutes=30))
    assert (result.tickets, result.escalations) == (1, 1)
    events = _events(ticket, "due_soon", "breached")
    assert [(e.action, e.after) for e in events] == [("due_soon", "superseded"),
                                                     ("breached", None)]
    assert _mails(ticket, "due_soon") == [] and len(_mails(ticket, "breach")) == 2
    assert ticket.due_soon and ticket.breached and ticket.next_escalation_at is None


def test_a_due_soon_warning_found_late_still_goes_out_while_it_is_true(staff):
    """The worker was down since Friday: at 09:00 on Monday the warning (04:00) is late but
    true, the response (10:00) is not due yet."""
    friday = local(2026, 12, 4, 10)
    ticket = _open(received_at=friday, assignee=staff["anna"])
    result = _sweep(local(2026, 12, 7, 9))
    assert result.escalations == 1 and len(_mails(ticket, "due_soon")) == 1


def test_after_an_outage_long_past_breaches_come_in_one_summary(staff):
    opened = [_open(received_at=RECEIVED + timedelta(minutes=n), subject=f"Export {n}")
              for n in range(3)]
    fresh = _open(received_at=RECEIVED + timedelta(hours=6), subject="Recent")
    # Fresh is due at 16:00; the others breached at 10:00-10:02 and are found at 16:30.
    result = _sweep(local(2026, 12, 1, 16, 30))
    assert result.escalations == 1 and len(result.late) == 3
    assert len(_mails(fresh, "breach")) == 2
    assert all(_mails(ticket) == [] for ticket in opened)
    summaries = _mails(kind="late_breaches")
    assert _recipients(summaries) == sorted([staff["mark"].email, staff["ada"].email])
    english = next(m for m in summaries if m.language == "en")
    assert english.subject == "3 responses overdue, found late"
    for ticket in opened:
        assert f"#{ticket.number} {ticket.subject}" in english.body_text
    assert "Recent" not in english.body_text
    # The queue opens in the mail's language, even before its reader signs in.
    assert "/desk/?breached=1&lang=en" in english.body_text
    # The breaches count as ever, and say why no mail of their own went out.
    assert all(t.breached and _record(t).breached for t in opened)
    assert [e.after for e in _events(opened[0], "breached")] == ["late"]
    # A rerun neither mails again nor summarises again.
    assert _sweep(local(2026, 12, 1, 17)).late == []
    assert len(_mails(kind="late_breaches")) == 2


def test_the_late_limit_is_a_setting(app, staff):
    app.config["ESCALATION_LATE_MINUTES"] = 600
    ticket = _open()
    _sweep(DUE + timedelta(hours=6))
    assert len(_mails(ticket, "breach")) == 2 and _mails(kind="late_breaches") == []


def test_an_answered_ticket_is_not_swept(staff):
    ticket = _open()
    lifecycle.reply(ticket, staff["anna"], "Fixed.", RECEIVED + timedelta(hours=1))
    db.session.commit()
    assert sweep.due_ticket_ids(DUE + timedelta(days=1)) == []
    assert _sweep(DUE + timedelta(days=1)).tickets == 0


def test_notification_speaks_the_recipients_language_and_links_the_ticket(staff):
    ticket = _open(subject="Export <b>fails</b>\r\nBcc: x@evil.example")
    _sweep(DUE_SOON)
    english, dutch = sorted(_mails(ticket, "due_soon"), key=lambda m: m.language)
    assert english.to_address == staff["anna"].email
    assert english.subject == (f"[#{ticket.number}] Due soon: Export <b>fails</b> "
                               "Bcc: x@evil.example")
    assert dutch.language == "nl" and dutch.subject.startswith(f"[#{ticket.number}] Bijna ")
    # The linked page speaks the mail's language, also to a reader not signed in yet.
    link = f"http://127.0.0.1:5000/desk/tickets/{ticket.number}?lang=en"
    assert link in english.body_text and f'href="{link}"' in english.body_html
    assert f"/desk/tickets/{ticket.number}?lang=nl" in dutch.body_text
    assert "Export &lt;b&gt;fails&lt;/b&gt;" in english.body_html
    assert english.headers == {"Auto-Submitted": "auto-generated"}
    assert not english.automatic  # staff notifications are never held by the loop brake


def test_a_failing_ticket_is_rolled_back_and_the_sweep_continues(staff):
    broken = _open(assignee=make_staff(StaffRole.AGENT, language="xx"))
    fine = _open(received_at=RECEIVED + timedelta(minutes=1), assignee=staff["anna"])
    result = _sweep(DUE_SOON + timedelta(minutes=1))
    assert (result.tickets, result.failed) == (1, 1)
    assert _events(broken, "due_soon") == [] and _mails(broken) == []
    assert broken.next_escalation_at == DUE_SOON  # tried again next time
    assert len(_events(fine, "due_soon")) == 1


def test_a_conflict_with_another_worker_rolls_back_and_the_next_sweep_moves_on(staff):
    ticket = _open(assignee=staff["anna"])
    once_key = f"due_soon:{ticket.id}:{_record(ticket).id}"
    fired = []

    def other_worker_commits_first(session, flush_context, instances):
        # Between our check and our insert, another worker records the same escalation.
        if not fired:
            fired.append(True)
            with db.engine.begin() as connection:
                connection.execute(sa.insert(TicketEvent).values(
                    ticket_id=ticket.id, action="due_soon", at=DUE_SOON, once_key=once_key))

    event.listen(db.session, "before_flush", other_worker_commits_first)
    try:
        result = _sweep(DUE_SOON)
    finally:
        event.remove(db.session, "before_flush", other_worker_commits_first)
    assert (result.conflicts, result.failed, result.escalations) == (1, 0, 0)
    assert _mails(ticket) == []  # our mails went with our rolled-back transaction
    assert len(_events(ticket, "due_soon")) == 1

    healed = _sweep(DUE_SOON + timedelta(minutes=1))
    assert (healed.tickets, healed.escalations) == (1, 0)
    assert ticket.due_soon and ticket.next_escalation_at == DUE
    assert _mails(ticket) == []


def test_two_sweeps_at_once_notify_each_escalation_once(app, staff):
    opened = [_open(received_at=RECEIVED + timedelta(minutes=n),
                    assignee=staff["anna"] if n % 2 else None) for n in range(30)]
    at = DUE + timedelta(hours=1)
    start = threading.Barrier(2)
    results, errors = [], []

    def worker():
        try:
            with app.app_context():
                start.wait(timeout=10)
                results.append(sweep.sweep(at))
                db.session.remove()
        except Exception as error:  # reported below; a thread cannot fail the test itself
            errors.append(error)

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert errors == [] and len(results) == 2
    # Both steps are recorded once; only the breach is news an hour after the due moment.
    assert sum(r.escalations for r in results) == len(opened)
    assert sum(r.failed for r in results) == 0
    db.session.expire_all()
    assert db.session.scalar(sa.select(sa.func.count()).select_from(TicketEvent)
                             .where(TicketEvent.once_key.is_not(None))) == 2 * len(opened)
    # Breach: Mark and Ada, for all 30.
    assert _mails(kind="due_soon") == []
    assert len(_mails(kind="breach")) == 2 * 30
    assert all(t.breached and t.next_escalation_at is None for t in opened)


# --- calamities -----------------------------------------------------------------------------

SATURDAY_NIGHT = local(2026, 12, 5, 3)


def test_calamity_at_night_alerts_every_active_agent_manager_and_admin_at_once(staff):
    ticket = _open(received_at=SATURDAY_NIGHT, category=Category.CALAMITY, subject="All down")
    [alert] = _events(ticket, "calamity_alert")
    assert alert.once_key == f"calamity:{ticket.id}:{_record(ticket).id}"
    mails = _mails(ticket, "calamity")
    assert _recipients(mails) == sorted(
        [staff["anna"].email, staff["bram"].email, staff["mark"].email, staff["ada"].email])
    assert all(m.created_at == SATURDAY_NIGHT for m in mails)
    english = next(m for m in mails if m.to_address == staff["anna"].email)
    assert english.subject == f"[#{ticket.number}] Calamity: All down"


def test_calamity_alert_is_part_of_the_opening_transaction(staff):
    lifecycle.open_ticket(raised_by=make_contact(), subject="All down", category=Category.CALAMITY,
                        channel=Channel.PHONE, body_text="x", received_at=SATURDAY_NIGHT,
                        now=SATURDAY_NIGHT)
    db.session.rollback()
    assert _mails() == [] and db.session.scalars(sa.select(TicketEvent)).all() == []


def test_unanswered_calamity_renotifies_managers_and_admins_after_15_minutes_then_breaches(
        staff):
    ticket = _open(received_at=SATURDAY_NIGHT, category=Category.CALAMITY)
    assert _sweep(SATURDAY_NIGHT + timedelta(minutes=14, seconds=59)).escalations == 0
    assert _sweep(SATURDAY_NIGHT + timedelta(minutes=15)).escalations == 1
    renotify = _mails(ticket, "calamity_renotify")
    assert _recipients(renotify) == sorted([staff["mark"].email, staff["ada"].email])
    assert all("no response for 15 min:" in mail.body_text or "al 15 min geen antwoord" in
               mail.body_text for mail in renotify)
    assert ticket.next_escalation_at == SATURDAY_NIGHT + timedelta(hours=1)
    assert _sweep(SATURDAY_NIGHT + timedelta(minutes=30)).escalations == 0

    assert _sweep(SATURDAY_NIGHT + timedelta(hours=1)).escalations == 1
    assert _recipients(_mails(ticket, "breach")) == sorted(
        [staff["mark"].email, staff["ada"].email])
    assert ticket.breached and not ticket.due_soon
    assert _sweep(SATURDAY_NIGHT + timedelta(hours=2)).escalations == 0
    assert len(_mails(ticket, "calamity_renotify")) == 2


def test_calamity_answered_within_15_minutes_is_not_renotified(staff):
    ticket = _open(received_at=SATURDAY_NIGHT, category=Category.CALAMITY)
    lifecycle.reply(ticket, staff["anna"], "On it.", SATURDAY_NIGHT + timedelta(minutes=10))
    db.session.commit()
    assert _sweep(SATURDAY_NIGHT + timedelta(hours=2)).tickets == 0
    assert _mails(ticket, "calamity_renotify") == []


def test_calamity_logged_late_renotifies_at_the_first_sweep(staff):
    """A call logged 20 minutes after it came in: the re-notification is already due."""
    ticket, _ = lifecycle.open_ticket(
        raised_by=make_contact(), subject="All down", category=Category.CALAMITY,
        channel=Channel.PHONE, body_text="x", received_at=SATURDAY_NIGHT,
        now=SATURDAY_NIGHT + timedelta(minutes=20))
    db.session.commit()
    assert len(_mails(ticket, "calamity")) == 4
    assert _sweep(SATURDAY_NIGHT + timedelta(minutes=20)).escalations == 1
    assert len(_mails(ticket, "calamity_renotify")) == 2


def test_recategorising_as_calamity_alerts_everyone_once(staff):
    ticket = _open()
    agent = staff["anna"]
    lifecycle.set_category(ticket, Category.CALAMITY, agent, RECEIVED + timedelta(minutes=5))
    lifecycle.set_category(ticket, Category.BUG, agent, RECEIVED + timedelta(minutes=6))
    lifecycle.set_category(ticket, Category.CALAMITY, agent, RECEIVED + timedelta(minutes=7))
    db.session.commit()
    assert len(_events(ticket, "calamity_alert")) == 1
    assert len(_mails(ticket, "calamity")) == 4


def test_a_sweep_takes_at_most_a_batch_and_asks_for_the_next_round(staff):
    opened = [_open(subject=f"Backlog {n}") for n in range(5)]
    swept = []
    for _ in range(3):
        result = sweep.sweep(DUE + timedelta(minutes=1), batch_size=2)
        swept.append((result.tickets, result.more))
    assert swept == [(2, True), (2, True), (1, False)]
    assert all(len(_events(ticket, "breached")) == 1 for ticket in opened)
    assert sweep.sweep(DUE + timedelta(minutes=2), batch_size=2).more is False
