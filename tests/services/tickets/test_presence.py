"""Who else has a ticket open, or is writing a reply to it."""
from datetime import UTC, datetime, timedelta

import sqlalchemy as sa

from helpdesk.extensions import db
from helpdesk.models import TicketPresence
from helpdesk.services.tickets import presence
from tests.fixtures.factories import make_staff, make_ticket

NOW = datetime(2026, 11, 30, 9, 0, tzinfo=UTC)
WINDOW = timedelta(seconds=45)


def test_colleagues_seen_recently_are_shown_and_the_viewer_is_not(app):
    ticket = make_ticket(now=NOW)
    me, anna, bert = make_staff(), make_staff(name="Anna"), make_staff(name="Bert")
    presence.touch(ticket, me, NOW)
    presence.touch(ticket, anna, NOW - timedelta(seconds=10))
    presence.touch(ticket, bert, NOW - timedelta(minutes=5))
    db.session.commit()
    assert [row.staff.name for row in presence.others_on(ticket, me, NOW, WINDOW)] == ["Anna"]


def test_a_draft_marks_the_colleague_as_replying_until_it_is_gone(app):
    ticket, me, anna = make_ticket(now=NOW), make_staff(), make_staff(name="Anna")
    presence.touch(ticket, anna, NOW, replying=True)
    presence.touch(ticket, anna, NOW + timedelta(seconds=5))  # a page check-in keeps the state
    db.session.commit()
    [row] = presence.others_on(ticket, me, NOW + timedelta(seconds=5), WINDOW)
    assert presence.is_replying(row, NOW + timedelta(seconds=5), WINDOW)
    presence.touch(ticket, anna, NOW + timedelta(seconds=10), replying=False)
    db.session.commit()
    [row] = presence.others_on(ticket, me, NOW + timedelta(seconds=10), WINDOW)
    assert not presence.is_replying(row, NOW + timedelta(seconds=10), WINDOW)


def test_one_row_per_person_and_ticket_however_often_they_check_in(app):
    ticket, anna = make_ticket(now=NOW), make_staff()
    for seconds in range(5):
        presence.touch(ticket, anna, NOW + timedelta(seconds=seconds))
    db.session.commit()
    assert db.session.scalar(sa.select(sa.func.count()).select_from(TicketPresence)) == 1
