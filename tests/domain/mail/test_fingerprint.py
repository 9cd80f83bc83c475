"""The content fingerprint ignores what transit adds and nothing the author wrote."""
from helpdesk.domain.mail.fingerprint import content_fingerprint

MAIL = (b"From: ann@customer.example\r\nSubject: Export fails\r\n"
        b"Message-ID: <one@customer.example>\r\n\r\nIt breaks.\r\n")


def test_trace_fields_added_in_transit_do_not_change_the_fingerprint():
    relayed = (b"Return-Path: <ann@customer.example>\r\nDelivered-To: sales@desk.example\r\n"
               b"Received: from mx.customer.example\r\n\tby mx.desk.example; Mon, 23 Nov 2026\r\n"
               b"Authentication-Results: mx.desk.example; dmarc=pass\r\n" + MAIL)
    assert content_fingerprint(relayed) == content_fingerprint(MAIL)


def test_a_different_body_or_header_changes_the_fingerprint():
    assert content_fingerprint(MAIL.replace(b"It breaks.", b"It works.")) != content_fingerprint(
        MAIL)
    assert content_fingerprint(MAIL.replace(b"Export", b"Import")) != content_fingerprint(MAIL)


def test_a_trace_field_name_in_the_body_is_content():
    body_says = MAIL + b"Received: from my colleague\r\n"
    assert content_fingerprint(body_says) != content_fingerprint(MAIL)
