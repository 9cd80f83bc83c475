"""Ticket references as the desk shows and mails them, read back into a number."""
from helpdesk.domain.reference import ticket_number


def test_the_references_the_desk_shows_and_mails_name_a_number():
    for text in ("123", "#123", " #123 ", "# 123", "[#123]", "Ticket #123", "ticket 123",
                 "#000123"):
        assert ticket_number(text) == 123, text


def test_anything_more_than_a_reference_is_not_one():
    for text in ("123 printer", "#12a", "", "#", "1234567890", "-123", "12 34"):
        assert ticket_number(text) is None, text


def test_a_pasted_mail_subject_names_the_ticket_of_its_tag():
    assert ticket_number("[#123] Export fails") == 123
    assert ticket_number("Re: AW: [#123] Export fails") == 123
