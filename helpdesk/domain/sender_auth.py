"""Read SPF/DKIM/DMARC verdicts from the Authentication-Results our own mail server added."""

from __future__ import annotations

import re
from dataclasses import dataclass

import authres

_AUTHSERV_ID = re.compile(r"^\s*(?:\([^)]*\)\s*)*([^\s;()]+)")
_METHODS = ("dmarc", "spf", "dkim")


@dataclass(frozen=True)
class SenderAuth:
    """Verdicts from the trusted server; None where it recorded nothing for a method."""

    dmarc: str | None
    spf: str | None
    dkim: str | None
    trusted: bool
    summary: str


def _authserv_id(value: str) -> str | None:
    """The authserv-id of a header value, even when the rest does not parse."""
    match = _AUTHSERV_ID.match(value)
    return match.group(1).lower() if match else None


def _parse(value: str) -> list[tuple[str, str]]:
    """(method, result) pairs of one header; empty when authres cannot parse it."""
    try:
        header = authres.AuthenticationResultsHeader.parse_value(" ".join(value.split()))
    except Exception:  # noqa: BLE001 - a garbage header counts for nothing
        return []
    return [(r.method.lower(), (r.result or "").lower()) for r in header.results]


def trusted_block(raw_header_values: list[str], trusted_authserv_id: str) -> list[str]:
    """The topmost contiguous run of headers carrying the trusted authserv-id."""
    wanted = trusted_authserv_id.strip().lower()
    block: list[str] = []
    for value in raw_header_values:
        if _authserv_id(value) == wanted:
            block.append(value)
        elif block:
            break  # anything below the first run may have been written by the sender
    return block


def evaluate_sender_auth(raw_header_values: list[str], trusted_authserv_id: str) -> SenderAuth:
    """Evaluate Authentication-Results (given top-down) counting only the trusted server's."""
    block = (
        trusted_block(list(raw_header_values), trusted_authserv_id) if trusted_authserv_id else []
    )
    verdicts: dict[str, str] = {}
    for value in block:
        for method, result in _parse(value):
            if method not in _METHODS:
                continue
            # Several DKIM signatures are normal: one valid signature is enough.
            if method not in verdicts or (method == "dkim" and result == "pass"):
                verdicts[method] = result
    if not block:
        return SenderAuth(
            None, None, None, False, f"no Authentication-Results from {trusted_authserv_id}"
        )
    summary = " ".join(f"{m}={verdicts.get(m, 'none')}" for m in _METHODS)
    return SenderAuth(
        dmarc=verdicts.get("dmarc"),
        spf=verdicts.get("spf"),
        dkim=verdicts.get("dkim"),
        trusted=True,
        summary=f"{summary} (by {trusted_authserv_id.lower()})",
    )
