"""Replies are matched to tickets by subject tag or a Message-ID we signed."""

from __future__ import annotations

from helpdesk.domain.mail.parse import parse_email
from helpdesk.domain.mail.threads import (
    bare_subject,
    clean_header_value,
    make_message_id,
    safe_message_id,
    ticket_number_from_message_ids,
    ticket_number_from_subject,
)

SECRET = b"test-secret"


def test_subject_tag_gives_ticket_number_through_reply_prefixes() -> None:
    assert ticket_number_from_subject("Re: Fwd: [#1234] Printer") == 1234
    assert ticket_number_from_subject("Printer [#7]") == 7
    assert ticket_number_from_subject("Printer #1234") is None


def test_bare_subject_drops_ticket_tags_and_reply_prefixes() -> None:
    assert bare_subject("Re: [#1234] Printer") == "Printer"
    assert bare_subject("AW: Antw: RE[2]: Fwd: Printer [#7] jams") == "Printer jams"
    assert bare_subject("Reorder the list") == "Reorder the list"
    assert bare_subject("Re: [#12]") == ""


def test_signed_message_id_roundtrips_to_ticket_number() -> None:
    message_id = make_message_id(1234, SECRET, "helpdesk.example", "a1b2c3")
    assert message_id.startswith("hd.1234.a1b2c3.") and message_id.endswith("@helpdesk.example")
    assert ticket_number_from_message_ids(["<other@x>", f"<{message_id}>"], SECRET) == 1234


def test_forged_or_foreign_message_id_is_rejected() -> None:
    genuine = make_message_id(1234, SECRET, "helpdesk.example", "a1b2c3")
    forged = genuine.replace("hd.1234.", "hd.1235.")
    assert ticket_number_from_message_ids([forged], SECRET) is None
    assert ticket_number_from_message_ids([genuine], b"another-secret") is None
    assert ticket_number_from_message_ids(["hd.1.x.0000000000000000@evil"], SECRET) is None


def test_clean_header_value_strips_encoded_crlf_bcc_injection() -> None:
    raw = b"From: a@x.nl\r\nSubject: =?utf-8?q?Hallo=0D=0ABcc=3A_victim=40evil=2Eexample?=\r\n\r\nx"
    subject = parse_email(raw).subject
    cleaned = clean_header_value("Re: " + "Hallo\r\nBcc: victim@evil.example")
    assert "\r" not in subject and "\n" not in subject
    assert cleaned == "Re: Hallo Bcc: victim@evil.example"
    assert clean_header_value("a\u2028b\x00c\x1b") == "a b c"


def test_safe_message_id_keeps_plain_ids_and_drops_ones_that_could_bend_a_header() -> None:
    assert safe_message_id("<abc.1@customer.example>") == "abc.1@customer.example"
    assert safe_message_id(" abc@x ") == "abc@x"
    for unsafe in ("a@b> <c@d", "a b@c", "no-at-sign", "", None, "a@b\r\nBcc: x@y", "\u00fc@x"):
        assert safe_message_id(unsafe) is None
