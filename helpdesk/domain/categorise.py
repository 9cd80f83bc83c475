"""The category of an inbound email: from the address it was sent to, else a subject marker."""

from __future__ import annotations

import re
from collections.abc import Iterable

CATEGORIES = ("bug", "outage", "wish", "configuration", "question", "calamity")
DEFAULT_CATEGORY = "question"

# Dutch and English words, as plus tags, aliases and subject markers.
KEYWORDS: dict[str, str] = {
    "bug": "bug",
    "fout": "bug",
    "calamiteit": "calamity",
    "calamity": "calamity",
    "storing": "outage",
    "outage": "outage",
    "wens": "wish",
    "wish": "wish",
    "configuratie": "configuration",
    "configuration": "configuration",
    "vraag": "question",
    "question": "question",
}
# When several recipients carry a category, the most urgent one wins.
_URGENCY = ("calamity", "outage", "bug", "configuration", "wish", "question")

_WORDS = "|".join(sorted(KEYWORDS, key=len, reverse=True))
_REPLY_PREFIX = r"(?:\s*(?:re|fwd?|aw|wg|antw|doorst)\s*:\s*)*"
_MARKER = re.compile(
    rf"^(?P<prefix>{_REPLY_PREFIX})\s*(?:\[\s*(?P<bracketed>{_WORDS})\s*\]|(?P<colon>{_WORDS})\s*:)\s*",
    re.IGNORECASE,
)


def _address_category(address: str) -> str | None:
    """Category named by a plus tag (support+bug@) or an alias local part (storing@)."""
    local = address.strip().lower().rpartition("@")[0]
    base, _, tag = local.partition("+")
    return KEYWORDS.get(tag) if tag else KEYWORDS.get(base)


def subject_marker(subject: str) -> str | None:
    """Category of a leading subject marker such as "[bug]" or "Calamiteit:", if any."""
    match = _MARKER.match(subject or "")
    if not match:
        return None
    return KEYWORDS[(match.group("bracketed") or match.group("colon")).lower()]


def strip_category_marker(subject: str) -> str:
    """The subject without its leading category marker (reply prefixes are kept)."""
    match = _MARKER.match(subject or "")
    if not match:
        return subject
    return (match.group("prefix").strip() + " " + subject[match.end() :]).strip()


def category_for(
    to_addresses: Iterable[str], subject: str, *, calamity_addresses: Iterable[str] = ()
) -> str:
    """Category from recipient address (tag, alias, calamity address), subject, or "question"."""
    recipients = [a.strip().lower() for a in to_addresses]
    calamity = {a.strip().lower() for a in calamity_addresses}
    if any(a in calamity for a in recipients):
        return "calamity"
    found = {c for c in map(_address_category, recipients) if c}
    for category in _URGENCY:
        if category in found:
            return category
    return subject_marker(subject) or DEFAULT_CATEGORY
