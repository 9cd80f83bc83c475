"""`flask sla ...` and `flask worker`: due moments as sla.md prints them, and the jobs."""
from datetime import UTC, date, datetime, timedelta

import pytest
import sqlalchemy as sa

from helpdesk.extensions import db
from helpdesk.models import Category, ClosingDay, OutboxMessage, RecomputeJob, StaffRole, Ticket
from helpdesk.services.promise import recompute
from tests.fixtures.factories import make_staff, make_ticket


def _fails_with_one_line(result, text):
    assert result.exit_code != 0
    assert "Traceback" not in result.output
    lines = [line for line in result.output.splitlines() if line.strip()]
    assert len(lines) == 1 and text in lines[0], result.output


# The examples table of sla.md, through the command.
@pytest.mark.parametrize(("received", "category", "due"), [
    ("2026-11-30T10:00:00+01:00", "bug", "2026-12-01T10:00:00+01:00"),
    ("2026-12-04T16:30:00+01:00", "question", "2026-12-07T16:30:00+01:00"),
    ("2026-12-05T11:00:00+01:00", "bug", "2026-12-08T09:00:00+01:00"),
    ("2026-11-30T20:00:00+01:00", "wish", "2026-12-02T09:00:00+01:00"),
    ("2026-11-24T08:15:00+01:00", "bug", "2026-11-25T09:00:00+01:00"),
    ("2026-11-30T16:59:59+01:00", "bug", "2026-12-01T16:59:59+01:00"),
    ("2026-11-30T17:00:00+01:00", "bug", "2026-12-02T09:00:00+01:00"),
    ("2026-12-24T14:00:00+01:00", "outage", "2026-12-28T14:00:00+01:00"),
    ("2026-12-05T03:00:00+01:00", "calamity", "2026-12-05T04:00:00+01:00"),
])
def test_sla_due_prints_each_spec_example(runner, received, category, due):
    result = runner.invoke(args=["sla", "due", received, "--category", category])
    assert result.exit_code == 0, result.output
    assert result.output == due + "\n"


def test_sla_due_takes_z_and_answers_in_local_summer_time(runner):
    result = runner.invoke(args=["sla", "due", "2026-06-01T08:00:00Z", "--category", "BUG"])
    assert result.output == "2026-06-02T10:00:00+02:00\n"


def test_sla_due_counts_a_question_when_no_category_is_given(runner):
    result = runner.invoke(args=["sla", "due", "2026-12-04T16:30:00+01:00"])
    assert result.output == "2026-12-07T16:30:00+01:00\n"


def test_sla_due_uses_the_calendar_configured_in_the_database(runner):
    db.session.add(ClosingDay(day=date(2026, 12, 1), closed=True, note="Outing"))
    db.session.commit()
    result = runner.invoke(args=["sla", "due", "2026-11-30T10:00:00+01:00", "--category", "bug"])
    assert result.output == "2026-12-02T10:00:00+01:00\n"


@pytest.mark.parametrize(("received", "text"), [
    ("2026-11-30T10:00:00", "with an offset or Z"),
    ("yesterday", "not an ISO 8601 moment"),
    ("2026-02-30T10:00:00Z", "not an ISO 8601 moment"),
])
def test_sla_due_refuses_a_bad_moment_in_one_line(runner, received, text):
    _fails_with_one_line(runner.invoke(args=["sla", "due", received]), text)


def test_sla_due_refuses_an_unknown_category_in_one_line(runner):
    result = runner.invoke(args=["sla", "due", "2026-11-30T10:00:00Z", "--category", "gossip"])
    _fails_with_one_line(result, "Unknown category 'gossip'")


def _long_overdue_ticket():
    """A ticket whose due-soon and due moments both passed, whatever today's date."""
    now = datetime.now(UTC)
    return make_ticket(now=now, received_at=now - timedelta(days=12), category=Category.BUG)


def test_worker_once_runs_the_sweep_and_the_recompute_and_exits(runner):
    make_staff(StaffRole.AGENT)
    make_staff(StaffRole.MANAGER)
    ticket_id = _long_overdue_ticket().id
    recompute.request_recompute(datetime.now(UTC))
    db.session.commit()
    result = runner.invoke(args=["worker", "--once"])
    assert result.exit_code == 0, result.output
    # Days overdue: recorded as breached, reported in the managers' summary of late breaches.
    assert "sla-sweep: 0 escalations on 1 tickets, 1 late breaches in one summary" \
        in result.output
    assert "calendar-recompute: 1 tickets recomputed, 1 jobs finished" in result.output
    assert db.session.get(Ticket, ticket_id).breached
    assert {m.kind for m in db.session.scalars(sa.select(OutboxMessage))} == {"late_breaches"}
    assert db.session.scalar(sa.select(RecomputeJob)).finished_at is not None


def test_sla_sweep_is_one_pass_of_the_sweep_job(runner):
    make_staff(StaffRole.MANAGER)
    _long_overdue_ticket()
    assert "0 escalations on 1 tickets, 1 late breaches" in runner.invoke(
        args=["sla", "sweep"]).output
    assert "0 escalations on 0 tickets" in runner.invoke(args=["sla", "sweep"]).output


def test_sla_recompute_finishes_the_pending_jobs(runner):
    _long_overdue_ticket()
    recompute.request_recompute(datetime.now(UTC))
    db.session.commit()
    result = runner.invoke(args=["sla", "recompute"])
    assert result.exit_code == 0 and "1 tickets recomputed, 1 jobs finished" in result.output
