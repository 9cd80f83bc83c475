"""The breach register (terms 4.10): every data breach, documented for the controllers."""
from __future__ import annotations

from datetime import datetime
from enum import StrEnum

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from helpdesk.extensions import db
from helpdesk.models.organisation import Organisation
from helpdesk.models.staff import StaffMember
from helpdesk.models.types import OneLineString, UTCDateTime, enum_column


class BreachStatus(StrEnum):
    OPEN = "open"
    CLOSED = "closed"


class Breach(db.Model):
    """One incident with what GDPR art. 33(3) asks a controller to report."""

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(OneLineString(200))
    found_at: Mapped[datetime] = mapped_column(UTCDateTime)
    # The period the breach lasted: the access report covers exactly this.
    occurred_from: Mapped[datetime] = mapped_column(UTCDateTime)
    occurred_to: Mapped[datetime] = mapped_column(UTCDateTime)
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    recorded_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("staff_member.id"))
    what_happened: Mapped[str] = mapped_column(sa.Text)
    data_categories: Mapped[str] = mapped_column(sa.Text)
    approximate_subjects: Mapped[int] = mapped_column()
    approximate_records: Mapped[int] = mapped_column()
    likely_consequences: Mapped[str] = mapped_column(sa.Text)
    measures_taken: Mapped[str] = mapped_column(sa.Text)
    contact_point: Mapped[str] = mapped_column(OneLineString(300))
    status: Mapped[BreachStatus] = mapped_column(
        enum_column(BreachStatus, name="breach_status"), default=BreachStatus.OPEN)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # When the affected organisations were last informed; each one's own moment is below.
    informed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    recorded_by: Mapped[StaffMember | None] = relationship()
    affected: Mapped[list[BreachOrganisation]] = relationship(
        back_populates="breach", cascade="all, delete-orphan",
        order_by="BreachOrganisation.id")

    def __repr__(self) -> str:
        return f"<Breach {self.id} {self.title!r}>"


class BreachOrganisation(db.Model):
    """An organisation whose data the breach concerns, and when its super-users were told."""

    __table_args__ = (sa.UniqueConstraint("breach_id", "organisation_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    breach_id: Mapped[int] = mapped_column(sa.ForeignKey("breach.id"))  # the unique key indexes it
    organisation_id: Mapped[int] = mapped_column(sa.ForeignKey("organisation.id"), index=True)
    informed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    breach: Mapped[Breach] = relationship(back_populates="affected")
    organisation: Mapped[Organisation] = relationship()
