"""Walk the MIME tree of a message defensively: leaves, payloads and attachment names."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass
from email import policy
from email.message import Message

from helpdesk.domain.mail.charset import decode_bytes, decode_words, recover_raw_header, scrub

MAX_DEPTH = 30


@dataclass(frozen=True)
class Leaf:
    """A non-container MIME part (message/rfc822 counts as a leaf: it is kept whole)."""

    part: Message
    content_type: str
    disposition: str | None
    charset: str | None
    is_body_text: bool


def _describe(part: Message) -> Leaf:
    try:
        content_type = part.get_content_type()
    except Exception:
        content_type = "application/octet-stream"
    try:
        disposition = part.get_content_disposition()
    except Exception:
        disposition = None
    try:
        charset = part.get_content_charset()
    except Exception:
        charset = None
    textual = content_type in ("text/plain", "text/html") or content_type.startswith("multipart/")
    is_body = textual and disposition != "attachment" and not filename_of(part)
    if content_type.startswith("multipart/"):
        content_type = "text/plain"  # a multipart without usable boundary: read it as text
    return Leaf(part, content_type, disposition, charset, is_body)


def leaves(
    msg: Message, limit: int | None = None, *, into_messages: bool = False
) -> Iterator[Leaf]:
    """Depth-first leaves of the MIME tree, bounded in depth (and optionally in count)."""
    stack: list[tuple[Message, int]] = [(msg, 0)]
    seen = 0
    while stack:
        part, depth = stack.pop()
        payload = part.get_payload()
        is_rfc822 = part.get_content_type() == "message/rfc822" and part is not msg
        is_rfc822 = is_rfc822 and not into_messages
        if isinstance(payload, list) and not is_rfc822 and depth < MAX_DEPTH:
            stack.extend((sub, depth + 1) for sub in reversed(payload) if isinstance(sub, Message))
            continue
        yield _describe(part)
        seen += 1
        if limit is not None and seen >= limit:
            return


def payload_bytes(part: Message) -> bytes:
    """The decoded content of a leaf; unknown transfer encodings are read as 8bit."""
    payload = part.get_payload()
    if isinstance(payload, list):
        inner = [p for p in payload if isinstance(p, Message)]
        try:
            return inner[0].as_bytes(policy=policy.compat32.clone(linesep="\r\n")) if inner else b""
        except Exception:
            return str(inner[0]).encode("utf-8", "surrogateescape") if inner else b""
    try:
        data = part.get_payload(decode=True)
    except Exception:
        data = None
    if isinstance(data, bytes):
        return data
    return str(payload or "").encode("utf-8", "surrogateescape")


def _param(part: Message, name: str, header: str) -> str | None:
    try:
        value = part.get_param(name, None, header)
    except Exception:
        return None
    if isinstance(value, tuple):  # RFC 2231: (charset, language, percent-decoded latin-1 text)
        charset, _, text = value
        try:
            return decode_bytes(bytes(text, "raw-unicode-escape"), charset)
        except (UnicodeError, ValueError):
            return text
    return value


def filename_of(part: Message) -> str | None:
    """The attachment's name from Content-Disposition or Content-Type, decoded."""
    for name, header in (("filename", "content-disposition"), ("name", "content-type")):
        value = _param(part, name, header)
        if value:
            return scrub(decode_words(recover_raw_header(str(value))).strip().strip('"'))
    return None


def safe_filename(name: str, max_length: int = 180) -> str:
    """A safe basename: no directories, control characters or reserved characters."""
    name = unicodedata.normalize("NFC", scrub(name))
    name = re.split(r"[/\\]", name)[-1]
    name = "".join(ch for ch in name if unicodedata.category(ch)[0] != "C")
    name = re.sub(r'[<>:"|?*]', "_", name).strip().lstrip(".").strip()
    if len(name) > max_length:
        stem, dot, ext = name.rpartition(".")
        ext = ext if dot and len(ext) <= 10 else ""
        name = (stem if ext else name)[: max_length - len(ext) - 1] + ("." + ext if ext else "")
    return name or "attachment"
