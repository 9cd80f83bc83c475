"""Match replies to tickets: subject tags and signed Message-IDs we can verify."""

from __future__ import annotations

import hashlib
import hmac
import re
from collections.abc import Iterable

from helpdesk.domain.text import single_line

SIGNATURE_HEX_CHARS = 16
_SUBJECT_TAG = re.compile(r"\[#(\d{1,9})\]")
_UNIQUE = re.compile(r"[A-Za-z0-9_-]{1,64}")
_REPLY_PREFIXES = re.compile(r"^(?:\s*(?:re|fwd?|aw|wg|antw|doorst)\s*(?:\[\d+\])?\s*:\s*)+",
                             re.IGNORECASE)
# Printable ASCII without spaces or angle brackets, around one "@": safe to repeat in headers.
_MESSAGE_ID = re.compile(r"[!-;=?-~]{1,250}@[!-;=?-~]{1,250}", re.ASCII)
_OUR_ID = re.compile(r"^hd\.(\d{1,9})\.([A-Za-z0-9_-]{1,64})\.([0-9a-fA-F]{16})@", re.ASCII)


def ticket_number_from_subject(subject: str) -> int | None:
    """The ticket number of a "[#1234]" tag anywhere in the subject, if present."""
    match = _SUBJECT_TAG.search(subject or "")
    return int(match.group(1)) if match else None


def bare_subject(subject: str) -> str:
    """The subject without ticket tags and leading reply prefixes: a new ticket's own subject."""
    untagged = " ".join(_SUBJECT_TAG.sub(" ", subject or "").split())
    return _REPLY_PREFIXES.sub("", untagged).strip()


def _signature(ticket_number: int, unique: str, secret: bytes) -> str:
    message = f"hd.{ticket_number}.{unique}".encode("ascii")
    return hmac.new(secret, message, hashlib.sha256).hexdigest()[:SIGNATURE_HEX_CHARS]


def make_message_id(ticket_number: int, secret: bytes, domain: str, unique: str) -> str:
    """A Message-ID (without <>) carrying a signed ticket number: hd.<n>.<unique>.<sig>@domain."""
    if not _UNIQUE.fullmatch(unique):
        raise ValueError("unique must be 1-64 characters of [A-Za-z0-9_-]")
    if ticket_number < 0 or ticket_number > 999_999_999:
        raise ValueError("ticket number out of range")
    return f"hd.{ticket_number}.{unique}.{_signature(ticket_number, unique, secret)}@{domain}"


def ticket_number_from_message_ids(ids: Iterable[str], secret: bytes) -> int | None:
    """The ticket number of the first of our Message-IDs whose signature verifies."""
    for raw in ids:
        match = _OUR_ID.match((raw or "").strip().strip("<>").strip())
        if not match:
            continue
        number, unique, signature = int(match.group(1)), match.group(2), match.group(3)
        if hmac.compare_digest(signature.lower(), _signature(number, unique, secret)):
            return number
    return None


def safe_message_id(raw: str | None) -> str | None:
    """A Message-ID (without <>) that we may repeat in In-Reply-To/References, else None."""
    candidate = (raw or "").strip().removeprefix("<").removesuffix(">")
    return candidate if _MESSAGE_ID.fullmatch(candidate) else None


def clean_header_value(text: str) -> str:
    """One safe header line: the same rule as every stored subject and name."""
    return single_line(text)
