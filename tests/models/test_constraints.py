"""The database refuses duplicates that would confuse people or threading."""
import pytest
import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from helpdesk.extensions import db
from helpdesk.models import Ticket
from tests.fixtures.factories import make_contact, make_organisation, make_ticket


def test_organisation_slug_is_unique(app):
    make_organisation(slug="acme")
    with pytest.raises(IntegrityError):
        make_organisation(slug="acme")
    db.session.rollback()


def test_contact_email_is_unique_across_organisations(app):
    make_contact(email="eva@acme.example")
    with pytest.raises(IntegrityError):
        make_contact(email="eva@acme.example")
    db.session.rollback()


def test_ticket_number_is_unique(app):
    ticket = make_ticket()
    contact = ticket.raised_by
    duplicate = Ticket(number=ticket.number, subject="x", category=ticket.category,
                       channel=ticket.channel, organisation_id=contact.organisation_id,
                       raised_by_id=contact.id, created_at=ticket.created_at,
                       updated_at=ticket.created_at, details={})
    db.session.add(duplicate)
    with pytest.raises(IntegrityError):
        db.session.commit()
    db.session.rollback()


def test_ticket_numbers_count_up_from_1000(app):
    contact = make_contact()
    numbers = [make_ticket(raised_by=contact).number for _ in range(3)]
    assert numbers == [1000, 1001, 1002]


def test_a_category_outside_the_enum_is_refused_by_the_database(app):
    ticket = make_ticket()
    with pytest.raises(IntegrityError):
        db.session.execute(sa.text("UPDATE ticket SET category = 'spam' WHERE id = :id"),
                           {"id": ticket.id})
        db.session.commit()
    db.session.rollback()


def test_naive_datetimes_are_refused(app):
    from datetime import datetime
    ticket = make_ticket()
    ticket.updated_at = datetime(2026, 1, 1, 12, 0)
    with pytest.raises(Exception, match="naive datetime"):
        db.session.commit()
    db.session.rollback()
