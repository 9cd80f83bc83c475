"""Read header fields of messy inbound mail: addresses, message ids, decoded text."""

from __future__ import annotations

import re
from email import policy
from email.headerregistry import HeaderRegistry
from email.message import Message
from email.utils import getaddresses
from functools import lru_cache

from helpdesk.domain.mail.charset import (
    collapse_whitespace,
    decode_words,
    recover_raw_header,
    scrub,
    unfold,
)
from helpdesk.domain.mail.sender_rules import raw_header_values

Charsets = str | tuple[str, ...] | None
CACHED_HEADER_CHARS = 998  # longer values are parsed every time, so the cache stays small


class _CachedHeaderRegistry(HeaderRegistry):
    """policy.default's header parsing, done once per distinct value."""

    # Header objects are immutable, and the parser re-reads Content-Type and friends on every
    # access: without the cache that dominates the time spent parsing a message.

    def __call__(self, name, value):
        if len(value) > CACHED_HEADER_CHARS:
            return super().__call__(name, value)
        return self._parsed(name, value)

    @lru_cache(maxsize=4096)  # noqa: B019 - one registry for the life of the process
    def _parsed(self, name, value):
        return super().__call__(name, value)


# policy.default with the cache: what the parser and the address reader use.
PARSING_POLICY = policy.default.clone(header_factory=_CachedHeaderRegistry())

_ANGLE_ID = re.compile(r"<([^<>\s]+)>")
_ADDR_SPEC = re.compile(r"[^@\s\"<>()\[\],;:\\]+@[^@\s\"<>()\[\],;:\\]+\.?[^@\s\"<>()\[\],;:\\]*")


def header_text(msg: Message, name: str, charset: Charsets = None) -> list[str]:
    """Every value of a header unfolded, 8-bit recovered and RFC 2047 decoded."""
    return [
        scrub(decode_words(recover_raw_header(unfold(value), charset)))
        for value in raw_header_values(msg, name)
    ]


def message_ids(value: str | None) -> tuple[str, ...]:
    """Message ids in a Message-ID/In-Reply-To/References value, without angle brackets."""
    if not value:
        return ()
    found = _ANGLE_ID.findall(value)
    if not found:
        found = [token.strip("<>") for token in value.split() if "@" in token]
    return tuple(dict.fromkeys(scrub(i) for i in found if i))


def _mailboxes(value: str) -> list[tuple[str, str]]:
    """(display name, addr-spec) pairs, via policy.default with a compat32 fallback."""
    try:
        header = PARSING_POLICY.header_factory("From", value)
        return [(a.display_name or "", a.addr_spec or "") for a in header.addresses]
    except Exception:  # policy.default's parser has sharp edges
        return [(decode_words(n), a) for n, a in getaddresses([value]) if a]


def is_addr_spec(address: str) -> bool:
    """True for a plain local@domain address we can compare and reply to."""
    return bool(_ADDR_SPEC.fullmatch(address)) and not address.startswith(".")


def addresses(msg: Message, names: tuple[str, ...], charset: Charsets = None) -> tuple[str, ...]:
    """Lower-cased, de-duplicated valid addresses from the given headers."""
    found: list[str] = []
    for name in names:
        for value in raw_header_values(msg, name):
            for _, addr in _mailboxes(recover_raw_header(unfold(value), charset)):
                addr = scrub(addr).strip().lower()
                if is_addr_spec(addr):
                    found.append(addr)
    return tuple(dict.fromkeys(found))


def single_sender(msg: Message, charset: Charsets = None) -> tuple[str | None, str, str | None]:
    """(address, display name, problem) for the From header; address None when unusable."""
    values = raw_header_values(msg, "From")
    if not values:
        return None, "", "missing From header"
    if len(values) > 1:
        return None, "", "several From headers"
    boxes = [
        (n, a) for n, a in _mailboxes(recover_raw_header(unfold(values[0]), charset)) if a or n
    ]
    if not boxes:
        return None, "", "no address in From"
    name = collapse_whitespace(scrub(decode_words(boxes[0][0]))).strip("\"' ")
    if len(boxes) > 1:
        return None, name, "several mailboxes in From"
    address = scrub(boxes[0][1]).strip().lower()
    if not is_addr_spec(address):
        return None, name, "malformed From address"
    return address, name, None
