"""A duplicate merged after its due moment: its one customer message owes one response.

Before, the merge cancelled the duplicate's owed record, which had passed its due moment (so
it counted late, as a breach stays a breach), and opened a second record for the same message
on the target, which the reply then met late as well: one message, two late responses. The
record itself moves to the target now.
"""
from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest

from helpdesk.domain.periods import Period
from helpdesk.extensions import db
from helpdesk.models import Category, Channel, StaffRole
from helpdesk.services.promise.calendar_settings import configured_calendar
from helpdesk.services.stats import figures, rollup
from helpdesk.services.tickets import lifecycle
from tests.fixtures.factories import make_contact, make_organisation, make_staff

AMS = ZoneInfo("Europe/Amsterdam")
WEEK = Period(date(2026, 12, 7), date(2026, 12, 13))


def at(day: int, hour: int) -> datetime:
    return datetime(2026, 12, day, hour, tzinfo=AMS)


@pytest.mark.parametrize("rolled_up", [False, True], ids=["live", "rolled up"])
def test_a_duplicate_merged_after_its_due_moment_counts_one_late_response(app, rolled_up):
    acme = make_organisation(slug="acme", name="Acme")
    eva = make_contact(acme, name="Eva")
    anna = make_staff(StaffRole.AGENT, name="Anna")

    def ticket(subject, received):
        made, _ = lifecycle.open_ticket(raised_by=eva, subject=subject, category=Category.BUG,
                                      channel=Channel.EMAIL, body_text="Help",
                                      received_at=received, now=received)
        return made

    original = ticket("Printer", at(7, 10))    # Mon, due Tue 10:00
    duplicate = ticket("Printer!", at(7, 11))  # Mon, due Tue 11:00
    db.session.commit()
    lifecycle.reply(original, anna, "Looking", at(7, 12))  # on time
    lifecycle.merge(duplicate, original, anna, at(9, 10))  # Wed: the duplicate's due passed
    lifecycle.reply(original, anna, "Both fixed", at(9, 12))  # answers the duplicate, late
    db.session.commit()
    if rolled_up:
        assert rollup.refresh(at(20, 10), configured_calendar().timezone) > 0
    totals = figures.dashboard(figures.StatsFilter(WEEK), at(20, 10), configured_calendar()).totals
    assert totals.received == 2
    assert totals.responses == figures.Outcomes(on_time=1, late=1)  # two messages, two answers
    assert totals.first_responses == figures.Outcomes(on_time=1, late=1)  # the breach stays
    listed, count = figures.organisation_tickets(acme.id, WEEK, configured_calendar().timezone,
                                               10)
    assert count == 2
    assert sorted(row.number for row in listed) == sorted([original.number, duplicate.number])
    assert next(row for row in listed if row.number == original.number).promise_seconds == 7200
