"""Take large base64 attachments out of raw mail before parsing, so memory stays near their size.

The standard library's parser holds a part several times over (its lines, the joined text, the
decoded bytes): about eight times the size of a 25 MB attachment. Such a part is decoded straight
from the raw bytes and its body replaced by a placeholder, so the parser sees the same structure
and the placeholder's content is swapped for the decoded bytes afterwards.
"""

from __future__ import annotations

import base64
import binascii
import re
import secrets
from email import policy
from email.message import Message
from email.parser import BytesHeaderParser

from helpdesk.domain.mail.parts import leaves

DETACH_OVER_BYTES = 1024 * 1024  # encoded size from which a part is decoded outside the parser
MAX_DEPTH = 10


# The decoded content of each placeholder: {placeholder content: real content}.
Detached = dict[bytes, bytes]


def detach_large_parts(raw: bytes, over: int = DETACH_OVER_BYTES) -> tuple[bytes, Detached]:
    """The message with placeholders for its large base64 attachments; never raises."""
    if len(raw) <= over:
        return raw, {}
    bodies: list[tuple[int, int, bytes]] = []
    try:
        _walk(raw, 0, len(raw), 0, over, bodies)
    except Exception:  # anything odd: the ordinary parser gets the whole message
        return raw, {}
    # A fresh secret per message: no sender can write a placeholder of their own.
    nonce = secrets.token_hex(16)
    pieces, position, detached = [], 0, {}
    for n, (start, end, content) in enumerate(bodies):
        token = f"helpdesk-detached-part:{nonce}:{n}".encode()
        detached[token] = content
        pieces += [raw[position:start], base64.b64encode(token), b"\r\n"]
        position = end
    pieces.append(raw[position:])
    return b"".join(pieces), detached


def _header(raw: bytes, start: int, end: int) -> tuple[Message, int] | None:
    """The parsed header block of the entity at start, and where its body starts."""
    if raw.startswith(b"\r\n", start) or raw.startswith(b"\n", start):
        return Message(), start + (2 if raw.startswith(b"\r\n", start) else 1)
    found = [(i + 1, i + skip) for i, skip in ((raw.find(b"\n\r\n", start, end), 3),
                                               (raw.find(b"\n\n", start, end), 2)) if i >= 0]
    if not found:
        return None
    header_end, body_start = min(found)
    header = BytesHeaderParser(policy=policy.compat32).parsebytes(raw[start:header_end])
    return header, body_start


def _walk(raw: bytes, start: int, end: int, depth: int, over: int,
          bodies: list[tuple[int, int, bytes]]) -> None:
    """Find large base64 leaves in the multipart entity raw[start:end], recursively."""
    head = _header(raw, start, end)
    if head is None or depth > MAX_DEPTH or head[0].get_content_maintype() != "multipart":
        return
    boundary = head[0].get_boundary()
    if not boundary:
        return
    delimiter = re.compile(rb"^--" + re.escape(boundary.encode("ascii", "surrogateescape"))
                           + rb"(--)?[ \t]*\r?$", re.MULTILINE)
    marks = list(delimiter.finditer(raw, head[1], end))
    for mark, following in zip(marks, [*marks[1:], None], strict=True):
        if mark.group(1):
            return  # the close delimiter: what follows is the epilogue
        part_start = mark.end() + (1 if raw.startswith(b"\n", mark.end()) else 0)
        part_end = following.start() if following else end
        body_end = part_end
        if following:  # the line break before a delimiter belongs to the delimiter
            body_end -= 2 if raw[body_end - 2:body_end] == b"\r\n" else 1
        part = _header(raw, part_start, body_end)
        if part is None:
            continue
        header, body_start = part
        if header.get_content_maintype() == "multipart":
            _walk(raw, part_start, body_end, depth + 1, over, bodies)
        elif _detachable(header, body_end - body_start, over):
            content = binascii.a2b_base64(memoryview(raw)[body_start:body_end])
            bodies.append((body_start, body_end, content))


def _detachable(header: Message, encoded_size: int, over: int) -> bool:
    """A large base64 leaf that is an attachment rather than the body text."""
    encoding = str(header.get("Content-Transfer-Encoding", "")).strip().lower()
    if encoding != "base64" or encoded_size <= over:
        return False
    return not next(leaves(header)).is_body_text
