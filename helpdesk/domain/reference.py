"""A ticket's reference as people copy it from the desk, read back into the ticket's number.

The desk shows "#123" on its pages and tags mail subjects "[#123]"; an agent pastes either,
a whole mail subject ("Re: [#123] Export fails"), the bare number, or "ticket 123".
"""
import re

from helpdesk.domain.mail.threads import ticket_number_from_subject

# Nine digits at most: every such number fits the ticket number column (and Python's int
# never reaches the database as an out-of-range parameter).
_REFERENCE = re.compile(r"^\s*(?:ticket\s*)?\[?\s*#?\s*(\d{1,9})\s*\]?\s*$", re.IGNORECASE)


def ticket_number(text: str) -> int | None:
    """The number the text names: a reference alone, or the tag of a pasted mail subject."""
    match = _REFERENCE.match(text or "")
    return int(match.group(1)) if match else ticket_number_from_subject(text)
