"""Every read of personal data is recorded; the report says who saw whose data, and when."""
import json
from datetime import UTC, date, datetime

import pytest

from helpdesk.models import StaffRole
from helpdesk.services import Refusal
from helpdesk.services.privacy import access
from helpdesk.services.tickets import desk
from tests.fixtures.factories import make_contact, make_staff, make_ticket

TZ = "Europe/Amsterdam"


def _day(text: str) -> date:
    return date.fromisoformat(text)


def test_opening_a_ticket_is_a_read_of_its_raiser_and_organisation(app, now):
    ticket = make_ticket()
    other = make_ticket()
    agent = make_staff(name="Ada Agent")
    desk.open_ticket_view(ticket, agent, now)
    desk.open_ticket_view(other, agent, now)

    for whose in ({"organisation": ticket.organisation}, {"contact": ticket.raised_by}):
        assert access.accesses(first_day=_day("2026-11-30"), last_day=_day("2026-11-30"),
                               timezone=TZ, **whose) == [
            access.Access(now, "Ada Agent", StaffRole.AGENT, access.VIEWED_TICKET,
                          ticket.number)]


def test_the_report_covers_whole_days_in_the_desks_time_zone(app):
    ticket = make_ticket()
    agent = make_staff()
    # 23:30 UTC on 29 November is already 30 November in Amsterdam.
    desk.open_ticket_view(ticket, agent, datetime(2026, 11, 29, 23, 30, tzinfo=UTC))
    desk.open_ticket_view(ticket, agent, datetime(2026, 11, 30, 23, 30, tzinfo=UTC))

    found = access.accesses(first_day=_day("2026-11-30"), last_day=_day("2026-11-30"),
                            timezone=TZ, organisation=ticket.organisation)
    assert [a.at.day for a in found] == [29]


def test_a_range_that_ends_before_it_starts_is_refused(app):
    with pytest.raises(Refusal):
        access.accesses(first_day=_day("2026-12-01"), last_day=_day("2026-11-30"),
                        timezone=TZ, organisation=make_contact().organisation)


def test_flask_privacy_access_report_lists_reads_but_not_their_content(app, runner, now):
    ticket = make_ticket(subject="Salary of Jan")
    desk.open_ticket_view(ticket, make_staff(name="Ada Agent"), now)
    slug, email = ticket.organisation.slug, ticket.raised_by.email

    result = runner.invoke(args=["privacy", "access-report", "--org", slug,
                                 "--from", "2026-11-30", "--to", "2026-11-30"])
    assert result.exit_code == 0, result.output
    assert "Ada Agent (agent)  view_ticket" in result.output
    assert "Salary" not in result.output and "1 reads" in result.output

    result = runner.invoke(args=["privacy", "access-report", "--contact", email, "--json",
                                 "--from", "2026-11-01", "--to", "2026-11-30"])
    assert json.loads(result.output) == [
        {"at": "2026-11-30T09:00:00Z", "staff": "Ada Agent", "role": "agent",
         "action": "view_ticket", "ticket": ticket.number}]


def test_flask_privacy_access_report_wants_one_organisation_or_one_contact(app, runner):
    result = runner.invoke(args=["privacy", "access-report", "--from", "2026-11-01",
                                 "--to", "2026-11-30"])
    assert result.exit_code == 2 and "--org or --contact" in result.output
    result = runner.invoke(args=["privacy", "access-report", "--contact", "no@one.example",
                                 "--from", "2026-11-01", "--to", "2026-11-30"])
    assert (result.exit_code, result.output) == (1, "Error: There is no such contact.\n")
