"""Full-text search over numbers, subjects, senders and message text, on both plans."""
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa

from helpdesk.extensions import db
from helpdesk.models import Message, Ticket
from helpdesk.services.tickets import lifecycle, search
from tests.fixtures.factories import make_contact, make_staff, make_ticket

NOW = datetime(2026, 11, 30, 9, 0, tzinfo=UTC)


@pytest.fixture(params=["selective", "broad"])
def plan(request, monkeypatch, app):
    """Every search must give the same answer on the by-id plan and the per-ticket plan."""
    if request.param == "broad":
        monkeypatch.setattr(search, "BROAD_MATCHES", 0)
    return request.param


@pytest.fixture
def found(app):
    def found(text: str) -> set[int]:
        condition = search.ticket_condition(text)
        return set(db.session.scalars(sa.select(Ticket.number).where(condition)))
    return found


@pytest.fixture
def printer(app):
    piet = make_contact(email="piet@acme.example", name="Piet")
    ticket = make_ticket(raised_by=piet, subject="Printer jammed on floor 3", now=NOW,
                         body_text="The kaboutertje in the printer ate page 12.")
    make_ticket(subject="Something else entirely", now=NOW, body_text="Nothing to see.")
    return ticket


def test_words_of_the_subject_match_as_prefixes(printer, plan, found):
    assert found("printer jam") == {printer.number}
    assert found("PRINTER") == {printer.number}


def test_message_text_and_sender_address_match(printer, plan, found):
    assert found("kabouter") == {printer.number}
    assert found("piet@acme.example") == {printer.number}
    assert found("acme") == {printer.number}


def test_every_word_must_occur(printer, plan, found):
    assert found("printer zebra") == set()


def test_a_number_finds_that_ticket(printer, plan, found):
    assert found(f"#{printer.number}") == {printer.number}
    assert found(str(printer.number)) == {printer.number}
    assert found(f"[#{printer.number}]") == {printer.number}  # as a mail subject tags it


def test_later_messages_and_agent_replies_are_searchable_too(printer, plan, found):
    lifecycle.reply(printer, make_staff(), "Replaced the toner cartridge.",
                    NOW + timedelta(hours=1))
    db.session.commit()
    assert found("toner") == {printer.number}


def test_edited_message_text_is_found_by_its_new_words_only(printer, plan, found):
    message = db.session.scalar(sa.select(Message).where(Message.ticket_id == printer.id))
    message.body_text = "Rewritten: the stapler broke."
    db.session.commit()
    assert found("stapler") == {printer.number}
    assert found("kaboutertje") == set()


def test_query_syntax_is_just_text(printer, found):
    for text in ['"', "printer*", "printer OR else", "NEAR(a b)", "a:*", "') --", "&|!"]:
        found(text)  # no error from the database's query parser
    assert search.search_terms('printer* OR "x"') == ["printer", "or", "x"]
    assert search.ticket_condition("  !!  ") is None
