"""Ids and ticket numbers as they arrive in text: digits that fit the database's integer."""
from __future__ import annotations

import re

# PostgreSQL's integer, the narrowest of our id and number columns (SQLite's is 64-bit).
MAX_ID = 2**31 - 1
MAX_ID_DIGITS = len(str(MAX_ID))
# The last page number a list's pager accepts from a query string.
MAX_PAGE = 99_999
_ID = re.compile(rf"^\s*#?([0-9]{{1,{MAX_ID_DIGITS}}})\s*$")
# ASCII digits only: str.isdigit() also accepts "²", which int() refuses (a 500).
_NUMBER = re.compile(rf"^[0-9]{{1,{MAX_ID_DIGITS}}}$")


def parse_id(text: str | None) -> int | None:
    """A positive id or ticket number ("1042", " #1042 "), or None when it cannot be one."""
    match = _ID.match(text or "")
    if not match:
        return None
    value = int(match.group(1))
    return value if 0 < value <= MAX_ID else None


def parse_number(text: str | None, *, least: int, most: int) -> int | None:
    """A whole number from a query string (a page, an index) within least..most, else None."""
    if not _NUMBER.match(text or ""):
        return None
    value = int(text)
    return value if least <= value <= most else None
