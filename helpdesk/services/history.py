"""A ticket's history: every change is an event (who, when, what, before and after)."""
from datetime import datetime

from helpdesk.extensions import db
from helpdesk.models import Contact, StaffMember, Ticket, TicketEvent

Actor = StaffMember | Contact | None


def record_event(ticket: Ticket, action: str, at: datetime, actor: Actor = None, *,
                 before: object = None, after: object = None,
                 once_key: str | None = None) -> TicketEvent:
    """Add an event; one with a `once_key` can exist only once (escalations)."""
    event = TicketEvent(
        **ticket_link(ticket), action=action, at=at, once_key=once_key,
        actor_staff_id=actor.id if isinstance(actor, StaffMember) else None,
        actor_contact_id=actor.id if isinstance(actor, Contact) else None,
        before=None if before is None else str(before)[:300],
        after=None if after is None else str(after)[:300],
    )
    db.session.add(event)
    return event


def ticket_link(ticket: Ticket) -> dict:
    """How a new row refers to its ticket: by id, or by the object while it awaits its insert.

    A ticket not yet inserted gets its id in the flush that inserts it and the rows naming it;
    a stored ticket is named by id, so its collections are neither loaded nor appended to.
    """
    return {"ticket": ticket} if ticket.id is None else {"ticket_id": ticket.id}
