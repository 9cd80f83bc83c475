"""Read SPF/DKIM/DMARC verdicts from the Authentication-Results our own mail server added.

A DMARC pass counts only for the domain of the From address the desk shows (RFC 7489
identifier alignment): a sender who passes DMARC for their own domain while writing
From: someone@bank.nl has proved nothing about bank.nl.
"""

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


def _domain(value: str | None) -> str | None:
    """The lower-case domain of an address or domain; None when there is none."""
    domain = (value or "").strip().rpartition("@")[2].strip().rstrip(".").lower()
    return domain or None


def _header_from(result: authres.core.AuthenticationResult) -> str | None:
    """The header.from property of one result, if it has one."""
    return next((p.value for p in result.properties
                 if (p.type or "").lower() == "header" and (p.name or "").lower() == "from"),
                None)


def _parse(value: str) -> list[tuple[str, str, str | None]]:
    """(method, result, header.from) of one header; empty when authres cannot parse it."""
    try:
        header = authres.AuthenticationResultsHeader.parse_value(" ".join(value.split()))
    except Exception:  # a garbage header counts for nothing
        return []
    return [(r.method.lower(), (r.result or "").lower(), _header_from(r)) for r in header.results]


def aligned_dmarc(result: str, header_from: str | None, from_address: str | None) -> str:
    """A DMARC result as it counts for From: a pass for another (or no) domain is a fail."""
    if result != "pass":
        return result
    from_domain, passed_domain = _domain(from_address), _domain(header_from)
    if passed_domain is None:
        return "fail (pass without header.from)"
    if passed_domain != from_domain:
        return f"fail (pass for {passed_domain}, not {from_domain or 'no From address'})"
    return "pass"


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


def evaluate_sender_auth(raw_header_values: list[str], trusted_authserv_id: str,
                         from_address: str | None) -> SenderAuth:
    """Evaluate Authentication-Results (given top-down) counting only the trusted server's."""
    block = (
        trusted_block(list(raw_header_values), trusted_authserv_id) if trusted_authserv_id else []
    )
    verdicts: dict[str, str] = {}
    for value in block:
        for method, result, header_from in _parse(value):
            if method not in _METHODS:
                continue
            if method == "dmarc":
                result = aligned_dmarc(result, header_from, from_address)
            # Several DKIM signatures (or DMARC results) are normal: one pass is enough.
            if method not in verdicts or (method != "spf" and result == "pass"):
                verdicts[method] = result
    if not block:
        return SenderAuth(
            None, None, None, False, f"no Authentication-Results from {trusted_authserv_id}"
        )
    summary = " ".join(f"{m}={verdicts.get(m, 'none')}" for m in _METHODS)
    dmarc = verdicts.get("dmarc")
    return SenderAuth(
        dmarc=dmarc.split(" ", 1)[0] if dmarc else None,
        spf=verdicts.get("spf"),
        dkim=verdicts.get("dkim"),
        trusted=True,
        summary=f"{summary} (by {trusted_authserv_id.lower()})",
    )
