"""Composition of mail to customers: language, promise in words, threading headers."""
from datetime import UTC, datetime, timedelta

from helpdesk.domain.mail.threads import ticket_number_from_message_ids
from helpdesk.extensions import db
from helpdesk.models import Category, Channel
from helpdesk.services.notifications import customer_mail
from helpdesk.services.tickets import lifecycle
from tests.fixtures.factories import make_contact, make_staff

MONDAY_TEN = datetime(2026, 11, 30, 9, 0, tzinfo=UTC)  # 10:00 in Amsterdam


def _ticket(contact, category=Category.BUG, details=None, message_id="abc@customer.example"):
    ticket, _ = lifecycle.open_ticket(
        raised_by=contact, subject="Export\r\nBcc: evil@example.com", category=category,
        channel=Channel.EMAIL, body_text="It breaks", received_at=MONDAY_TEN, now=MONDAY_TEN,
        details=details, message_id=message_id)
    return ticket


def test_acknowledgement_in_dutch_names_number_due_moment_and_asks_for_steps(app):
    ticket = _ticket(make_contact(language="nl"))
    mail = customer_mail.queue_acknowledgement(ticket, MONDAY_TEN)
    assert mail.to_address == ticket.raised_by.email
    assert mail.subject == f"[#{ticket.number}] Export Bcc: evil@example.com"
    assert f"ticket #{ticket.number} (Bug)" in mail.body_text
    assert "uiterlijk dinsdag 1 december 10:00" in mail.body_text
    assert "We zijn nu open, tot 17:00." in mail.body_text
    assert "de stappen die tot de bug leidden" in mail.body_text
    assert mail.headers["Auto-Submitted"] == "auto-replied"
    assert mail.headers["In-Reply-To"] == "<abc@customer.example>"


def test_acknowledgement_in_english_without_steps_request_when_steps_were_given(app):
    ticket = _ticket(make_contact(language="en"), details={"steps": "1. open 2. click"})
    mail = customer_mail.queue_acknowledgement(ticket, MONDAY_TEN)
    assert "by Tuesday 1 December 10:00" in mail.body_text
    assert "steps that led to the bug" not in mail.body_text


def test_an_acknowledgement_sent_late_promises_no_moment_already_past(app):
    """Mail that waited out a mailbox outage: its due moment passed before it was read."""
    ticket = _ticket(make_contact(language="en"))
    mail = customer_mail.queue_acknowledgement(ticket, MONDAY_TEN + timedelta(days=3))
    assert f"ticket #{ticket.number} (Bug)" in mail.body_text
    assert "You will have our response by" not in mail.body_text
    assert "as soon as we can" in mail.body_text


def test_calamity_acknowledgement_says_it_was_escalated(app):
    ticket = _ticket(make_contact(language="en"), category=Category.CALAMITY)
    mail = customer_mail.queue_acknowledgement(ticket, MONDAY_TEN)
    assert "escalated to all our staff" in mail.body_text


def test_reply_carries_a_signed_message_id_that_threads_back_to_the_ticket(app):
    ticket = _ticket(make_contact())
    agent = make_staff()
    later = MONDAY_TEN + timedelta(hours=1)
    message = lifecycle.reply(ticket, agent, "Fixed tonight.", later)
    mail = customer_mail.queue_reply(ticket, message, later)
    db.session.commit()
    assert message.message_id == mail.smtp_message_id
    assert "Auto-Submitted" not in mail.headers
    assert mail.headers["References"].startswith("<abc@customer.example>")
    secret = customer_mail.message_id_secret()
    assert ticket_number_from_message_ids([mail.smtp_message_id], secret) == ticket.number
    assert ticket_number_from_message_ids([mail.smtp_message_id], b"other") is None


def test_not_super_user_notice_in_dutch_names_the_super_users_once_per_interval(app):
    ann = make_contact(name="Ann Admin", email="ann@customer.example")
    cees = make_contact(ann.organisation, is_super_user=False, language="nl")
    notice = customer_mail.queue_not_super_user_notice(
        cees, MONDAY_TEN, subject="Printer\r\nBcc: x@evil.example", in_reply_to="m1@cust")
    assert notice.subject == "Uw bericht is niet als ticket geregistreerd"
    assert f"alleen de super-users van {ann.organisation.name}" in notice.body_text
    assert "Ann Admin <ann@customer.example>" in notice.body_text
    assert '"Printer Bcc: x@evil.example"' in notice.body_text  # one line, never a header
    assert notice.headers == {"Auto-Submitted": "auto-replied", "In-Reply-To": "<m1@cust>",
                              "References": "<m1@cust>"}
    db.session.commit()
    later = MONDAY_TEN + app.config["NOT_SUPER_USER_NOTICE_INTERVAL"]
    assert customer_mail.queue_not_super_user_notice(
        cees, later - timedelta(minutes=1), subject="Again", in_reply_to=None) is None
    assert customer_mail.queue_not_super_user_notice(
        cees, later + timedelta(minutes=1), subject="Again", in_reply_to=None) is not None


def test_not_super_user_notice_without_super_users_points_to_the_phone(app):
    cees = make_contact(is_super_user=False, language="en")
    notice = customer_mail.queue_not_super_user_notice(cees, MONDAY_TEN, subject="Printer",
                                                       in_reply_to=None)
    assert "no super-users registered yet" in notice.body_text
    assert app.config["PHONE_NUMBER"] in notice.body_text
    assert "In-Reply-To" not in notice.headers


def test_inbound_message_ids_that_are_not_plain_are_left_out_of_the_threading_headers(app):
    ticket = _ticket(make_contact(), message_id="a@b> <evil@example.com")
    mail = customer_mail.queue_acknowledgement(ticket, MONDAY_TEN)
    assert "In-Reply-To" not in mail.headers and "References" not in mail.headers
