"""Outgoing MIME: safe single-line headers, both parts, attachments; no app needed."""
from datetime import UTC, datetime
from email import message_from_bytes, policy
from email.policy import SMTP

import pytest
from hypothesis import given
from hypothesis import strategies as st

from helpdesk.domain.mail.compose import (
    OutgoingAttachment,
    OutgoingMail,
    compose,
    envelope_address,
)
from helpdesk.domain.mail.threads import clean_header_value

NOW = datetime(2026, 11, 30, 9, 0, tzinfo=UTC)


def _mail(**overrides) -> OutgoingMail:
    fields = {"from_name": "Service desk", "from_address": "support@desk.example",
              "to_address": "person@customer.example", "subject": "[#1000] Export",
              "message_id": "hd.1000.abc.0123456789abcdef@desk.example", "date": NOW,
              "body_text": "Hallo", "body_html": "<p>Hallo</p>", "language": "nl"}
    return OutgoingMail(**{**fields, **overrides})


def _wire(mail: OutgoingMail):
    """What a receiving server parses from the bytes we would send."""
    return message_from_bytes(compose(mail).as_bytes(policy=SMTP), policy=policy.default)


def test_headers_carry_our_message_id_threading_and_auto_submitted():
    received = _wire(_mail(headers={"In-Reply-To": "<a@customer.example>",
                                    "References": "<a@customer.example> <b@desk.example>",
                                    "Auto-Submitted": "auto-replied"}))
    assert received["Message-ID"] == "<hd.1000.abc.0123456789abcdef@desk.example>"
    assert received["In-Reply-To"] == "<a@customer.example>"
    assert received["References"] == "<a@customer.example> <b@desk.example>"
    assert received["Auto-Submitted"] == "auto-replied"
    assert received["X-Auto-Response-Suppress"] == "All"
    assert received["From"] == "Service desk <support@desk.example>"
    assert received["Date"] == "Mon, 30 Nov 2026 09:00:00 +0000"
    assert received["Content-Language"] == "nl"


def test_a_person_to_person_mail_has_no_auto_headers():
    received = _wire(_mail())
    assert "Auto-Submitted" not in received and "X-Auto-Response-Suppress" not in received


def test_only_the_threading_and_auto_headers_pass_from_the_row():
    received = _wire(_mail(headers={"Bcc": "evil@example.com", "Reply-To": "evil@example.com"}))
    assert "Bcc" not in received and "Reply-To" not in received


def test_text_and_html_alternative_with_an_attachment():
    report = OutgoingAttachment("verslag ü.pdf", "application/pdf", b"%PDF-1.4 data")
    odd = OutgoingAttachment("notes.txt", "multipart/mixed; boundary=x", b"plain notes")
    received = _wire(_mail(body_text="Tot ziens ë", attachments=(report, odd)))
    assert received.get_body(("plain",)).get_content().strip() == "Tot ziens ë"
    assert received.get_body(("html",)).get_content().strip() == "<p>Hallo</p>"
    parts = list(received.iter_attachments())
    assert [p.get_filename() for p in parts] == ["verslag ü.pdf", "notes.txt"]
    assert parts[0].get_content() == b"%PDF-1.4 data"
    assert parts[1].get_content_type() == "application/octet-stream"


def test_encoded_newlines_in_subject_and_threading_headers_stay_on_one_line():
    received = _wire(_mail(subject="Export\r\nBcc: evil@example.com",
                           headers={"References": "<a@x>\r\nBcc: evil@example.com"}))
    assert received["Subject"] == "Export Bcc: evil@example.com"
    assert received["References"] == "<a@x> Bcc: evil@example.com"
    assert "Bcc" not in received


def test_a_recipient_that_smuggles_a_second_address_is_refused():
    with pytest.raises(ValueError):
        compose(_mail(to_address="person@customer.example\r\nBcc: evil@example.com"))
    with pytest.raises(ValueError):
        compose(_mail(to_address="<person@customer.example>, evil@example.com"))


def test_an_international_domain_goes_in_its_ascii_form_and_a_non_ascii_mailbox_is_refused():
    assert envelope_address("jan@müller.de") == "jan@xn--mller-kva.de"
    assert _wire(_mail(to_address="jan@müller.de"))["To"] == "jan@xn--mller-kva.de"
    with pytest.raises(ValueError, match="SMTPUTF8"):
        compose(_mail(to_address="jürgen@example.de"))


@given(st.text(max_size=200), st.text(max_size=200))
def test_no_subject_or_reference_adds_a_header(subject, references):
    received = _wire(_mail(subject=subject, headers={"References": references}))
    assert sorted(received.keys()) == sorted(
        ["From", "To", "Subject", "Date", "Message-ID", "Content-Language", "MIME-Version",
         "Content-Type"] + (["References"] if clean_header_value(references) else []))
