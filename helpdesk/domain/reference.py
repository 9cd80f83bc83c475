"""A ticket's reference as people copy it from the desk, read back into the ticket's number.

The desk shows "#123" on its pages and tags mail subjects "[#123]"; an agent pastes either,
or types the bare number, or "ticket 123".
"""
import re

# Nine digits at most: every such number fits the ticket number column (and Python's int
# never reaches the database as an out-of-range parameter).
_REFERENCE = re.compile(r"^\s*(?:ticket\s*)?\[?\s*#?\s*(\d{1,9})\s*\]?\s*$", re.IGNORECASE)


def ticket_number(text: str) -> int | None:
    """The number the text names if it is nothing but a ticket reference, else None."""
    match = _REFERENCE.match(text or "")
    return int(match.group(1)) if match else None
