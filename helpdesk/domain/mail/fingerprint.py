"""A mail's content fingerprint: the same mail delivered twice has one, a different mail another.

One mail delivered to two of the desk's addresses (or twice by a retrying relay) differs only in
the trace fields each hop prepends; a different mail reusing a Message-ID differs in what its
author wrote. The fingerprint is a digest of the raw bytes without those trace fields.
"""
from __future__ import annotations

import hashlib

# Fields added in transit (RFC 5321 trace fields, RFC 8601/8617, the common delivery stamps).
TRACE_FIELDS = frozenset({
    b"received", b"return-path", b"delivered-to", b"x-original-to", b"x-delivered-to",
    b"envelope-to", b"x-envelope-to", b"x-received", b"received-spf",
    b"authentication-results", b"arc-seal", b"arc-message-signature",
    b"arc-authentication-results",
})


def content_fingerprint(raw: bytes) -> str:
    """SHA-256 of the header block without trace fields, and the body, as hex."""
    end = _header_end(raw)
    digest = hashlib.sha256()
    keep = True
    for line in raw[:end].splitlines(keepends=True):
        if line[:1] not in (b" ", b"\t"):  # not a continuation: a new field starts
            keep = line.split(b":", 1)[0].strip().lower() not in TRACE_FIELDS
        if keep:
            digest.update(line)
    digest.update(raw[end:])
    return digest.hexdigest()


def _header_end(raw: bytes) -> int:
    """Where the body starts: after the first empty line (CRLF or LF), else the end."""
    ends = [i + len(sep) for sep in (b"\r\n\r\n", b"\n\n") if (i := raw.find(sep)) >= 0]
    return min(ends) if ends else len(raw)
