"""Who else has a ticket open or is writing a reply: rows refreshed while the page is open.

Kept in the database, not in process memory, so every web worker sees the same picture.
"""
from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import joinedload

from helpdesk.extensions import db
from helpdesk.models import StaffMember, Ticket, TicketPresence


def touch(ticket: Ticket, staff: StaffMember, now: datetime, *,
          replying: bool | None = None) -> None:
    """Note that `staff` has the ticket open; `replying` None leaves the reply state alone."""
    insert = (postgresql.insert if db.engine.dialect.name == "postgresql" else sqlite.insert)
    values = {"seen_at": now}
    if replying is not None:
        values["replying_at"] = now if replying else None
    statement = insert(TicketPresence).values(ticket_id=ticket.id, staff_id=staff.id, **values)
    db.session.execute(statement.on_conflict_do_update(
        index_elements=["ticket_id", "staff_id"], set_=values))


def others_on(ticket: Ticket, staff: StaffMember, now: datetime,
              window: timedelta) -> list[TicketPresence]:
    """The other staff seen on this ticket within `window`, those replying first."""
    rows = db.session.scalars(
        sa.select(TicketPresence).options(joinedload(TicketPresence.staff))
        .where(TicketPresence.ticket_id == ticket.id, TicketPresence.staff_id != staff.id,
               TicketPresence.seen_at >= now - window)
    ).all()
    return sorted(rows, key=lambda row: (not is_replying(row, now, window), row.staff.name))


def is_replying(row: TicketPresence, now: datetime, window: timedelta) -> bool:
    return row.replying_at is not None and row.replying_at >= now - window
