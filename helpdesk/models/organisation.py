"""Customer organisations and their contacts (the people whose personal data we process)."""
from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from helpdesk.domain import languages
from helpdesk.extensions import db
from helpdesk.models.identity import SignInIdentity
from helpdesk.models.staff import StaffMember
from helpdesk.models.types import OneLineString, UTCDateTime, enum_column


class OrganisationStatus(StrEnum):
    ACTIVE = "active"
    SUSPENDED = "suspended"  # unpaid invoices: read-only portal, mail held
    ENDED = "ended"  # contract terminated: no access, data erased after retention


class Organisation(db.Model):
    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(sa.String(64), unique=True)
    name: Mapped[str] = mapped_column(OneLineString(200))
    status: Mapped[OrganisationStatus] = mapped_column(
        enum_column(OrganisationStatus, name="organisation_status"),
        default=OrganisationStatus.ACTIVE,
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    # Since when the status holds (the moment it took effect) and who set it; no staff
    # member when it was set on the command line.
    status_changed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    status_changed_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("staff_member.id"))
    # A status a manager set to take effect later; the worker applies it when it is due.
    pending_status: Mapped[OrganisationStatus | None] = mapped_column(
        enum_column(OrganisationStatus, name="organisation_pending_status"))
    pending_status_at: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)
    pending_status_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("staff_member.id"))
    # Retention: when managers were told the personal data goes in 30 days, and when it went.
    retention_notice_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    erased_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    status_changed_by: Mapped[StaffMember | None] = relationship(
        foreign_keys=[status_changed_by_id])
    pending_status_by: Mapped[StaffMember | None] = relationship(
        foreign_keys=[pending_status_by_id])
    contacts: Mapped[list[Contact]] = relationship(
        back_populates="organisation", order_by="Contact.name"
    )

    def __repr__(self) -> str:
        return f"<Organisation {self.slug}>"


class Contact(SignInIdentity, db.Model):
    """A person at a customer; only super-users may raise tickets or sign in to the portal."""

    login_kind = "contact"

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(sa.ForeignKey("organisation.id"), index=True)
    # Stored lower-cased: addresses compare case-insensitively everywhere.
    email: Mapped[str] = mapped_column(sa.String(254), unique=True)
    name: Mapped[str] = mapped_column(OneLineString(200))
    job_title: Mapped[str | None] = mapped_column(OneLineString(200))
    phone: Mapped[str | None] = mapped_column(OneLineString(50))
    # Optional personal data from the processor statement; shown only where needed.
    birth_date: Mapped[date | None] = mapped_column(sa.Date)
    gender: Mapped[str | None] = mapped_column(sa.String(50))
    education_level: Mapped[str | None] = mapped_column(sa.String(100))
    is_super_user: Mapped[bool] = mapped_column(default=False)
    language: Mapped[str] = mapped_column(sa.String(5), default=languages.DEFAULT)
    password_hash: Mapped[str | None] = mapped_column(sa.String(255))
    # Rotated to end every session of this person (sign-out, password change, disabling).
    session_token: Mapped[str] = mapped_column(sa.String(64))
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    # Set when the person's data was erased: the row stays (tickets name it) under a pseudonym.
    erased_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    organisation: Mapped[Organisation] = relationship(back_populates="contacts")

    def __repr__(self) -> str:
        return f"<Contact {self.email}>"
