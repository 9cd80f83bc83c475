"""Which agents have a ticket open right now, so two people do not answer the same customer."""
from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from helpdesk.extensions import db
from helpdesk.models.staff import StaffMember
from helpdesk.models.types import UTCDateTime


class TicketPresence(db.Model):
    """One agent on one ticket, refreshed while the page is open (a row per pair, upserted)."""

    __table_args__ = (sa.UniqueConstraint("ticket_id", "staff_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    ticket_id: Mapped[int] = mapped_column(sa.ForeignKey("ticket.id"))
    staff_id: Mapped[int] = mapped_column(sa.ForeignKey("staff_member.id"))
    seen_at: Mapped[datetime] = mapped_column(UTCDateTime)
    # Set while the agent has a reply draft; cleared when the draft is sent or emptied.
    replying_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    staff: Mapped[StaffMember] = relationship()
