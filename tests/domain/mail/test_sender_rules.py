"""Automatic mail (auto-replies, lists, bounces) is recognised, one rule per test."""

from __future__ import annotations

from email import message_from_bytes, policy

import pytest

from helpdesk.domain.mail.parse import parse_email
from helpdesk.domain.mail.sender_rules import automatic_mail_reason


def reason(headers: bytes) -> str | None:
    return automatic_mail_reason(
        message_from_bytes(headers + b"\r\n\r\nbody", policy=policy.default)
    )


def test_ordinary_mail_is_not_automatic() -> None:
    assert reason(b"From: jan@example.nl\r\nAuto-Submitted: no") is None


def test_auto_submitted_other_than_no_is_automatic() -> None:
    assert reason(b"From: a@x.nl\r\nAuto-Submitted: auto-replied") == (
        "automatic reply (Auto-Submitted: auto-replied)"
    )


def test_x_auto_response_suppress_is_automatic() -> None:
    assert reason(b"From: a@x.nl\r\nX-Auto-Response-Suppress: All") == (
        "automatic reply (X-Auto-Response-Suppress)"
    )


@pytest.mark.parametrize("value", ["bulk", "junk", "list", "auto_reply", "Bulk"])
def test_bulk_precedence_is_automatic(value: str) -> None:
    headers = b"From: a@x.nl\r\nPrecedence: " + value.encode()
    assert reason(headers) == f"automatic reply (Precedence: {value.lower()})"


def test_list_id_is_automatic() -> None:
    assert reason(b"From: a@x.nl\r\nList-Id: <news.x.nl>") == "automatic reply (List-Id)"


def test_empty_return_path_is_automatic() -> None:
    assert reason(b"Return-Path: <>\r\nFrom: a@x.nl") == "automatic reply (empty Return-Path)"


@pytest.mark.parametrize("local", ["MAILER-DAEMON", "postmaster"])
def test_daemon_sender_is_a_bounce(local: str) -> None:
    assert reason(b"From: Mail System <" + local.encode() + b"@x.nl>") == (
        f"bounce (From {local.lower()})"
    )


@pytest.mark.parametrize("name", ["X-Autoreply", "X-Autorespond"])
def test_autoreply_headers_are_automatic(name: str) -> None:
    assert reason(b"From: a@x.nl\r\n" + name.encode() + b": yes") == f"automatic reply ({name})"


def test_delivery_status_report_is_a_bounce_not_an_auto_reply() -> None:
    raw = (
        b"From: Mail Delivery <bounces@x.nl>\r\nSubject: Undelivered\r\n"
        b"Content-Type: multipart/report; report-type=delivery-status; boundary=B\r\n\r\n"
        b"--B\r\nContent-Type: text/plain\r\n\r\nCould not deliver.\r\n"
        b"--B\r\nContent-Type: message/delivery-status\r\n\r\nStatus: 5.1.1\r\n--B--\r\n"
    )
    assert parse_email(raw).auto_submitted_reason == "bounce (delivery status report)"


def test_read_receipt_report_is_automatic() -> None:
    headers = (
        b"From: a@x.nl\r\nContent-Type: multipart/report; report-type=disposition-notification"
    )
    assert reason(headers) == "automatic reply (report: disposition-notification)"
