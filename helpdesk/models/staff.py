"""Staff accounts: agents, managers and admins, each with a password and a TOTP second factor."""
from __future__ import annotations

from datetime import datetime
from enum import StrEnum

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from helpdesk.domain import languages
from helpdesk.extensions import db
from helpdesk.models.identity import SignInIdentity
from helpdesk.models.types import OneLineString, UTCDateTime, enum_column


class StaffRole(StrEnum):
    AGENT = "agent"
    MANAGER = "manager"
    ADMIN = "admin"


# Each role may do everything the roles before it may.
ROLE_RANK = {StaffRole.AGENT: 1, StaffRole.MANAGER: 2, StaffRole.ADMIN: 3}


class StaffMember(SignInIdentity, db.Model):
    login_kind = "staff"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(sa.String(254), unique=True)
    name: Mapped[str] = mapped_column(OneLineString(200))
    role: Mapped[StaffRole] = mapped_column(enum_column(StaffRole, name="staff_role"))
    password_hash: Mapped[str] = mapped_column(sa.String(255))
    totp_secret: Mapped[str] = mapped_column(sa.String(64))
    # None until the person proved, once, that their authenticator works.
    totp_confirmed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # The last accepted TOTP time step: a code is never accepted twice.
    totp_last_step: Mapped[int] = mapped_column(sa.BigInteger, default=0)
    language: Mapped[str] = mapped_column(sa.String(5), default=languages.DEFAULT)
    session_token: Mapped[str] = mapped_column(sa.String(64))
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)

    def has_role(self, role: StaffRole) -> bool:
        return ROLE_RANK[self.role] >= ROLE_RANK[role]

    def __repr__(self) -> str:
        return f"<StaffMember {self.email} {self.role}>"


class StaffInvitation(db.Model):
    """An invitation by mail to join the staff: one-time and expiring; only its hash is kept.

    The TOTP secret is chosen with the invitation, so the page the link opens can show it
    before the account exists; the account takes it over when the invitee proves a code.
    """

    id: Mapped[int] = mapped_column(primary_key=True)
    token_hash: Mapped[str] = mapped_column(sa.String(64), unique=True)
    email: Mapped[str] = mapped_column(sa.String(254), index=True)
    name: Mapped[str] = mapped_column(OneLineString(200))
    role: Mapped[StaffRole] = mapped_column(enum_column(StaffRole, name="staff_role"))
    totp_secret: Mapped[str] = mapped_column(sa.String(64))
    invited_by_id: Mapped[int] = mapped_column(sa.ForeignKey("staff_member.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # The account the invitation became, once accepted.
    staff_id: Mapped[int | None] = mapped_column(sa.ForeignKey("staff_member.id"))
