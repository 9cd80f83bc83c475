"""Least privilege: teams that serve organisations, and temporary access to one organisation.

With no team at all every agent serves every organisation (a small desk needs no set-up).
"""
from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from helpdesk.extensions import db
from helpdesk.models.organisation import Organisation
from helpdesk.models.staff import StaffMember
from helpdesk.models.types import OneLineString, UTCDateTime

team_member = sa.Table(
    "team_member", db.metadata,
    sa.Column("team_id", sa.ForeignKey("team.id", ondelete="CASCADE"), primary_key=True),
    # Looked up by staff member on every queue page.
    sa.Column("staff_id", sa.ForeignKey("staff_member.id"), primary_key=True, index=True),
)

team_organisation = sa.Table(
    "team_organisation", db.metadata,
    sa.Column("team_id", sa.ForeignKey("team.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("organisation_id", sa.ForeignKey("organisation.id"), primary_key=True,
              index=True),
)


class Team(db.Model):
    """Agents who serve the same organisations."""

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(OneLineString(100), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)

    members: Mapped[list[StaffMember]] = relationship(secondary=team_member,
                                                      order_by=StaffMember.name)
    organisations: Mapped[list[Organisation]] = relationship(secondary=team_organisation,
                                                             order_by=Organisation.name)


class AccessGrant(db.Model):
    """One agent may see one organisation until `expires_at`, unless revoked earlier."""

    __table_args__ = (sa.Index("ix_access_grant_staff_expires", "staff_id", "expires_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    staff_id: Mapped[int] = mapped_column(sa.ForeignKey("staff_member.id"))
    organisation_id: Mapped[int] = mapped_column(sa.ForeignKey("organisation.id"), index=True)
    granted_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("staff_member.id"))
    granted_at: Mapped[datetime] = mapped_column(UTCDateTime)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    revoked_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("staff_member.id"))
    reason: Mapped[str] = mapped_column(OneLineString(300))

    staff: Mapped[StaffMember] = relationship(foreign_keys=[staff_id])
    organisation: Mapped[Organisation] = relationship()
    granted_by: Mapped[StaffMember | None] = relationship(foreign_keys=[granted_by_id])
    revoked_by: Mapped[StaffMember | None] = relationship(foreign_keys=[revoked_by_id])

    def is_active(self, now: datetime) -> bool:
        return self.revoked_at is None and self.granted_at <= now < self.expires_at
