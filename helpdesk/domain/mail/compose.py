"""Outgoing mail as MIME: one clean line per header, text with an HTML alternative, attachments."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime
from email.errors import HeaderParseError
from email.headerregistry import Address
from email.message import EmailMessage
from email.policy import SMTP
from email.utils import format_datetime

from helpdesk.domain.mail.threads import clean_header_value

# Only these headers travel from an outbox row to the wire; any other key is ignored.
PASSED_HEADERS = ("In-Reply-To", "References", "Auto-Submitted")
_MIME_TOKEN = re.compile(r"[A-Za-z0-9][A-Za-z0-9!#$&^_.+-]{0,63}")


@dataclass(frozen=True)
class OutgoingAttachment:
    filename: str
    content_type: str
    content: bytes


@dataclass(frozen=True)
class OutgoingMail:
    from_name: str
    from_address: str
    to_address: str
    subject: str
    message_id: str  # without the angle brackets
    date: datetime
    body_text: str
    body_html: str | None = None
    language: str = ""
    headers: dict = field(default_factory=dict)
    attachments: tuple[OutgoingAttachment, ...] = ()


def _content_type(value: str) -> tuple[str, str]:
    """The attachment's type if it is a plain one, else application/octet-stream."""
    maintype, _, subtype = (value or "").strip().lower().partition("/")
    if (_MIME_TOKEN.fullmatch(maintype) and _MIME_TOKEN.fullmatch(subtype)
            and maintype not in ("multipart", "message")):
        return maintype, subtype
    return "application", "octet-stream"


def envelope_address(addr_spec: str) -> str:
    """The address as SMTP carries it: ASCII, an international domain in its xn-- form."""
    local, at, domain = clean_header_value(addr_spec).rpartition("@")
    try:
        ascii_domain = domain.encode("idna").decode("ascii")
        local.encode("ascii")
    except UnicodeError as error:
        raise ValueError(f"cannot send to {addr_spec!r} without SMTPUTF8") from error
    return f"{local}{at}{ascii_domain}"


def _address(name: str, addr_spec: str) -> Address:
    """One mailbox, or ValueError: an address never carries a second one along."""
    try:
        return Address(clean_header_value(name), addr_spec=envelope_address(addr_spec))
    except HeaderParseError as error:
        raise ValueError(f"not a single address: {addr_spec!r}") from error


def compose(mail: OutgoingMail) -> EmailMessage:
    """The message to send; raises ValueError rather than emit an unsafe header."""
    message = EmailMessage(policy=SMTP)
    message["From"] = _address(mail.from_name, mail.from_address)
    message["To"] = _address("", mail.to_address)
    message["Subject"] = clean_header_value(mail.subject)
    message["Date"] = format_datetime(mail.date)
    message["Message-ID"] = f"<{clean_header_value(mail.message_id).strip('<>')}>"
    for name in PASSED_HEADERS:
        value = clean_header_value(str(mail.headers.get(name) or ""))
        if value:
            message[name] = value
    if "Auto-Submitted" in message:
        # Asks Exchange and Outlook not to answer automatic mail with automatic replies.
        message["X-Auto-Response-Suppress"] = "All"
    message.set_content(mail.body_text)
    if mail.body_html:
        message.add_alternative(mail.body_html, subtype="html")
    for attachment in mail.attachments:
        maintype, subtype = _content_type(attachment.content_type)
        message.add_attachment(attachment.content, maintype=maintype, subtype=subtype,
                               filename=clean_header_value(attachment.filename) or "attachment")
    if clean_header_value(mail.language):
        # Last: setting the content moves earlier Content-* headers into the body parts.
        message["Content-Language"] = clean_header_value(mail.language)
    return message
