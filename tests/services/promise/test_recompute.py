"""The background recompute after a settings change: batch by batch, committed as it goes."""
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import sqlalchemy as sa

from helpdesk.extensions import db
from helpdesk.models import Category, Channel, ClosingDay, RecomputeJob, Ticket
from helpdesk.services.promise import recompute
from helpdesk.services.tickets import lifecycle
from tests.fixtures.factories import make_contact, make_staff

AMS = ZoneInfo("Europe/Amsterdam")
MONDAY = datetime(2026, 11, 30, 10, tzinfo=AMS)


def _open(minutes_later=0):
    at = MONDAY + timedelta(minutes=minutes_later)
    ticket, _ = lifecycle.open_ticket(raised_by=make_contact(), subject="x", category=Category.BUG,
                                    channel=Channel.PORTAL, body_text="x", received_at=at, now=at)
    db.session.commit()
    return ticket


def _close_tuesday_and_request():
    db.session.add(ClosingDay(day=date(2026, 12, 1), closed=True, note="Outing"))
    job = recompute.request_recompute(MONDAY)
    db.session.commit()
    return job


def _due_days():
    return [due.astimezone(AMS).day for due in db.session.scalars(
        sa.select(Ticket.response_due_at).order_by(Ticket.id))]


def test_recompute_commits_batch_by_batch_and_reports_progress(app):
    for n in range(5):
        _open(n)
    job = _close_tuesday_and_request()
    assert (job.total, job.done) == (5, 0)

    first = recompute.run_pending(MONDAY, max_batches=1, batch_size=2)
    db.session.expire_all()
    assert (first.tickets, first.finished_jobs) == (2, 0)
    assert (job.done, job.finished_at) == (2, None)
    assert _due_days() == [2, 2, 1, 1, 1]  # the first batch is committed, the rest waits

    rest = recompute.run_pending(MONDAY, max_batches=None, batch_size=2)
    db.session.expire_all()
    assert (rest.tickets, rest.finished_jobs) == (3, 1)
    assert job.done == job.total == 5 and job.finished_at == MONDAY
    assert _due_days() == [2, 2, 2, 2, 2]
    assert recompute.run_pending(MONDAY).tickets == 0


def test_tickets_owing_nothing_are_left_alone(app):
    answered = _open()
    lifecycle.reply(answered, make_staff(), "Done.", MONDAY + timedelta(hours=1))
    db.session.commit()
    _open(5)
    job = _close_tuesday_and_request()
    assert job.total == 1
    recompute.run_pending(MONDAY)
    db.session.expire_all()
    assert answered.response_due_at is None and answered.next_escalation_at is None


def test_a_recomputed_ticket_escalates_at_its_new_moments(app):
    ticket = _open()
    _close_tuesday_and_request()
    recompute.run_pending(MONDAY)
    db.session.expire_all()
    # Monday 10:00 + 18 working-day hours, Tuesday closed: Wednesday 04:00.
    assert ticket.next_escalation_at == datetime(2026, 12, 2, 4, tzinfo=AMS)


def test_tickets_opened_after_the_request_are_not_in_the_job(app):
    _open()
    job = _close_tuesday_and_request()
    _open(5)
    recompute.run_pending(MONDAY)
    db.session.expire_all()
    assert job.done == job.total == 1
    assert db.session.scalar(sa.select(sa.func.count()).select_from(RecomputeJob)) == 1
