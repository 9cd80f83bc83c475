"""Recognise mail written by a machine (auto-replies, lists, bounces): held, never answered."""

from __future__ import annotations

import re
from email.message import Message

AUTOMATIC_REPLY = "automatic reply"
BOUNCE = "bounce"

_AUTO_PRECEDENCE = frozenset({"bulk", "junk", "list", "auto_reply"})
_DAEMON_LOCAL_PARTS = frozenset({"mailer-daemon", "postmaster"})
_ADDR = re.compile(r"<([^<>]*)>|([^\s<>,;\"]+@[^\s<>,;\"]+)")


def raw_header_values(msg: Message, name: str) -> list[str]:
    """All values of a header as raw strings, never raising on malformed content."""
    wanted = name.lower()
    values: list[str] = []
    for key, value in msg.raw_items():
        if key.lower() == wanted:
            values.append(str(value).strip())
    return values


def _first(msg: Message, name: str) -> str | None:
    values = raw_header_values(msg, name)
    return values[0] if values else None


def _local_parts(value: str) -> list[str]:
    """Local parts of the addresses (or bare words) in a From/Sender value, lower-cased."""
    found = [m.group(1) or m.group(2) for m in _ADDR.finditer(value)]
    if not found and value.strip():
        found = [value.strip()]
    return [addr.rsplit("@", 1)[0].strip().strip('"').lower() for addr in found if addr]


def _report_type(msg: Message) -> str | None:
    """The report-type of a multipart/report message, lower-cased, or None."""
    try:
        if msg.get_content_type() != "multipart/report":
            return None
        return str(msg.get_param("report-type", "") or "").strip().lower()
    except Exception:  # a broken Content-Type is simply not a report
        return None


def automatic_mail_reason(msg: Message) -> str | None:
    """Why this mail is automatic ("bounce (...)" or "automatic reply (...)"), or None."""
    report = _report_type(msg)
    if report == "delivery-status":
        return f"{BOUNCE} (delivery status report)"
    for name in ("From", "Sender"):
        for value in raw_header_values(msg, name):
            for local in _local_parts(value):
                if local in _DAEMON_LOCAL_PARTS:
                    return f"{BOUNCE} ({name} {local})"
    auto_submitted = (_first(msg, "Auto-Submitted") or "").split(";")[0].strip().lower()
    if auto_submitted and auto_submitted != "no":
        return f"{AUTOMATIC_REPLY} (Auto-Submitted: {auto_submitted})"
    if _first(msg, "X-Auto-Response-Suppress") is not None:
        return f"{AUTOMATIC_REPLY} (X-Auto-Response-Suppress)"
    precedence = (_first(msg, "Precedence") or "").strip().lower()
    if precedence in _AUTO_PRECEDENCE:
        return f"{AUTOMATIC_REPLY} (Precedence: {precedence})"
    if _first(msg, "List-Id") is not None:
        return f"{AUTOMATIC_REPLY} (List-Id)"
    for name in ("X-Autoreply", "X-Autorespond"):
        if _first(msg, name) is not None:
            return f"{AUTOMATIC_REPLY} ({name})"
    return_path = _first(msg, "Return-Path")
    if return_path is not None and re.fullmatch(r"<\s*>", return_path.strip()):
        return f"{AUTOMATIC_REPLY} (empty Return-Path)"
    if report:
        return f"{AUTOMATIC_REPLY} (report: {report})"
    return None
