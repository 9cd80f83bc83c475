"""Turn the raw bytes of an inbound email into a ParsedEmail, whatever state the bytes are in."""

from __future__ import annotations

import hashlib
import mimetypes
import re
from dataclasses import dataclass
from datetime import datetime
from email import policy
from email.message import Message
from email.parser import BytesParser
from email.utils import parsedate_to_datetime

from helpdesk.domain.mail.charset import collapse_whitespace, decode_bytes, has_surrogate, scrub
from helpdesk.domain.mail.headers import PARSING_POLICY, header_text, message_ids, single_sender
from helpdesk.domain.mail.headers import addresses as header_addresses
from helpdesk.domain.mail.large_parts import Detached, detach_large_parts
from helpdesk.domain.mail.parts import Leaf, filename_of, leaves, payload_bytes, safe_filename
from helpdesk.domain.mail.quotes import split_quoted
from helpdesk.domain.mail.safe_html import html_to_text, sanitise_html
from helpdesk.domain.mail.sender_rules import automatic_mail_reason, raw_header_values

__all__ = ["ParsedAttachment", "ParsedEmail", "parse_email", "split_quoted"]

DEFAULT_MAX_ATTACHMENT_BYTES = 25 * 1024 * 1024
OLE2_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_HEADER_LINE = re.compile(rb"^[\x21-\x39\x3b-\x7e]+[ \t]*:")
_OBS_NAME = re.compile(rb"(?m)^([\x21-\x39\x3b-\x7e]+)[ \t]+:")
_RECIPIENT_HEADERS = ("To", "Cc", "Delivered-To", "X-Original-To")


@dataclass(frozen=True)
class ParsedAttachment:
    """One attachment or inline part, content included."""

    filename: str
    content_type: str
    content: bytes
    size: int
    sha256: str
    content_id: str | None = None
    inline: bool = False


@dataclass(frozen=True)
class ParsedEmail:
    """What ingestion needs from one inbound message; parse_error set when it is unusable."""

    message_id: str | None = None
    in_reply_to: str | None = None
    references: tuple[str, ...] = ()
    from_address: str | None = None
    from_name: str = ""
    from_problem: str | None = None
    to_addresses: tuple[str, ...] = ()
    subject: str = ""
    date_header: datetime | None = None
    body_text: str = ""
    body_html_sanitised: str | None = None
    attachments: tuple[ParsedAttachment, ...] = ()
    oversized_attachments: tuple[str, ...] = ()
    auto_submitted_reason: str | None = None
    authentication_results: tuple[str, ...] = ()
    parse_error: str | None = None


def strip_preamble(data: bytes) -> bytes:
    """Drop a BOM, an mbox "From " line and junk lines before the first header line."""
    data = data.removeprefix(b"\xef\xbb\xbf")
    pos = 0
    for _ in range(50):
        end = data.find(b"\n", pos)
        line = data[pos : len(data) if end < 0 else end].rstrip(b"\r")
        if _HEADER_LINE.match(line):
            return _repair_header_block(data[pos:])
        if end < 0:
            break
        pos = end + 1
    return data


def _repair_header_block(data: bytes) -> bytes:
    """Fix obsolete "Name  : value" lines and continuation lines that lost their indent."""
    split = re.search(rb"\r?\n\r?\n", data)
    head_end = split.start() if split else len(data)
    lines = _OBS_NAME.sub(rb"\1:", data[:head_end]).split(b"\n")
    last_header = max((i for i, ln in enumerate(lines) if _HEADER_LINE.match(ln)), default=0)
    for i in range(1, last_header):
        if lines[i][:1] not in (b" ", b"\t") and not _HEADER_LINE.match(lines[i]):
            lines[i] = b" " + lines[i]  # a broken fold: later lines are headers again
    return b"\n".join(lines) + data[head_end:]


def _declared_charsets(msg: Message) -> tuple[str, ...]:
    """Charsets declared by the first parts: our hints for raw 8-bit header bytes, if any."""
    if not any(has_surrogate(value) for _, value in msg.raw_items()):
        return ()  # all headers are ASCII (or RFC 2047 words): no hint needed
    # Spam reports wrap the original mail; its charset is the only hint for the copied headers.
    found = [leaf.charset for leaf in leaves(msg, limit=20, into_messages=True) if leaf.charset]
    return tuple(dict.fromkeys(found))


def _headers(msg: Message, fields: dict) -> None:
    """Fill the header-derived fields."""
    charset = _declared_charsets(msg)
    ids = raw_header_values(msg, "Message-ID")
    fields["message_id"] = (message_ids(ids[0]) or (None,))[0] if ids else None
    replies = raw_header_values(msg, "In-Reply-To")
    fields["in_reply_to"] = (message_ids(replies[0]) or (None,))[0] if replies else None
    fields["references"] = message_ids(" ".join(raw_header_values(msg, "References")))
    address, name, problem = single_sender(msg, charset)
    fields.update(from_address=address, from_name=name, from_problem=problem)
    fields["to_addresses"] = header_addresses(msg, _RECIPIENT_HEADERS, charset)
    subjects = header_text(msg, "Subject", charset)
    fields["subject"] = collapse_whitespace(subjects[0]) if subjects else ""
    fields["authentication_results"] = tuple(
        collapse_whitespace(v) for v in header_text(msg, "Authentication-Results")
    )
    fields["auto_submitted_reason"] = automatic_mail_reason(msg)
    dates = raw_header_values(msg, "Date")
    try:
        fields["date_header"] = parsedate_to_datetime(dates[0]) if dates else None
    except (TypeError, ValueError, IndexError, OverflowError):
        fields["date_header"] = None


def _attachment(leaf: Leaf, index: int, content: bytes) -> ParsedAttachment:
    name = filename_of(leaf.part)
    if not name:
        ext = ".eml" if leaf.content_type == "message/rfc822" else None
        ext = ext or mimetypes.guess_extension(leaf.content_type, strict=False) or ".bin"
        name = f"part-{index}{ext}"
    cid = (raw_header_values(leaf.part, "Content-ID") or [""])[0].strip().strip("<>").strip()
    inline = leaf.disposition == "inline" or (bool(cid) and leaf.disposition != "attachment")
    return ParsedAttachment(
        filename=safe_filename(name),
        content_type=leaf.content_type,
        content=content,
        size=len(content),
        sha256=hashlib.sha256(content).hexdigest(),
        content_id=scrub(cid) or None,
        inline=inline,
    )


def _body(msg: Message, fields: dict, max_attachment_bytes: int, detached: Detached) -> None:
    """Fill body_text, body_html_sanitised, attachments and oversized_attachments."""
    plain: list[str] = []
    html: str | None = None
    attachments: list[ParsedAttachment] = []
    oversized: list[str] = []
    for index, leaf in enumerate(leaves(msg), start=1):
        content = payload_bytes(leaf.part)
        content = detached.pop(content, content) if detached else content
        if leaf.is_body_text and (leaf.content_type != "text/html" or html is None):
            text = decode_bytes(content, leaf.charset)
            if leaf.content_type == "text/html":
                html = text
            else:
                plain.append(text)
            continue
        if len(content) > max_attachment_bytes:
            oversized.append(safe_filename(filename_of(leaf.part) or f"part-{index}"))
            continue
        attachments.append(_attachment(leaf, index, content))
    text = "\n\n".join(p.strip("\r\n") for p in plain if p.strip())
    if html is not None:
        fields["body_html_sanitised"] = sanitise_html(html)
        if not text.strip():
            text = html_to_text(html)
    fields["body_text"] = scrub(text.replace("\r\n", "\n"))
    fields["attachments"] = tuple(attachments)
    fields["oversized_attachments"] = tuple(oversized)


def _parse_into(data: bytes, max_attachment_bytes: int, fields: dict, mail_policy,
                detached: Detached) -> None:
    msg = BytesParser(policy=mail_policy).parsebytes(data)
    if not msg.keys():
        fields["parse_error"] = "no header fields found"
        fields["body_text"] = scrub(decode_bytes(data[:100_000]))
        return
    _headers(msg, fields)
    _body(msg, fields, max_attachment_bytes, dict(detached))


def parse_email(
    raw: bytes, *, max_attachment_bytes: int = DEFAULT_MAX_ATTACHMENT_BYTES
) -> ParsedEmail:
    """Parse inbound mail bytes; never raises, sets parse_error instead."""
    if not isinstance(raw, bytes | bytearray | memoryview):
        return ParsedEmail(parse_error="input is not bytes")
    data = bytes(raw)
    if data.startswith(OLE2_MAGIC[:4]):
        return ParsedEmail(parse_error="not an RFC 5322 message (Outlook .msg)")
    if not data or data.isspace():
        return ParsedEmail(parse_error="empty message")
    data, detached = detach_large_parts(data)
    fields: dict = {}
    error: Exception | None = None
    # policy.default first; compat32 is more forgiving where policy.default's parser raises.
    for mail_policy in (PARSING_POLICY, policy.compat32):
        attempt: dict = {}
        try:
            _parse_into(strip_preamble(data), max_attachment_bytes, attempt, mail_policy,
                        detached)
            return ParsedEmail(**attempt)
        except Exception as exc:  # the contract is to never raise
            error = error or exc
            if len(attempt) > len(fields):
                fields = attempt
    fields["parse_error"] = f"unparsable: {type(error).__name__}: {scrub(str(error))[:200]}"
    return ParsedEmail(**fields)
