"""Sign-in bookkeeping and the audit trail of who looked at what."""
from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from helpdesk.domain import languages
from helpdesk.extensions import db
from helpdesk.models.types import OneLineString, UTCDateTime


class SignInFailure(db.Model):
    """A failed sign-in, counted per account and per address for rate limiting."""

    __table_args__ = (sa.Index("ix_sign_in_failure_key_at", "key", "at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    # "address:<ip>" or "account-at-address:<digest of email and ip>", maybe "mail:" before
    key: Mapped[str] = mapped_column(sa.String(300))
    at: Mapped[datetime] = mapped_column(UTCDateTime)


class SignInToken(db.Model):
    """A one-time link for a super-user: sign-in or password reset. Only its hash is kept."""

    id: Mapped[int] = mapped_column(primary_key=True)
    token_hash: Mapped[str] = mapped_column(sa.String(64), unique=True)
    contact_id: Mapped[int] = mapped_column(sa.ForeignKey("contact.id"), index=True)
    purpose: Mapped[str] = mapped_column(sa.String(20))  # sign-in or reset
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class LinkRequest(db.Model):
    """Someone asked for a sign-in or reset link for this address; the worker answers it.

    The request itself only writes this row, whoever the address belongs to, so its timing
    cannot tell a registered address from an unknown one.
    """

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(sa.String(320))
    purpose: Mapped[str] = mapped_column(sa.String(20))  # sign-in or reset
    requested_at: Mapped[datetime] = mapped_column(UTCDateTime)


class AuditEntry(db.Model):
    """Who read, exported or changed customer data, and when (the least-privilege promise).

    Changes to organisations and contacts say what changed, before and after, in `detail`;
    no staff member means the command line or the worker.
    """

    __table_args__ = (sa.Index("ix_audit_entry_subject", "subject_type", "subject_id"),
                      sa.Index("ix_audit_entry_contact_at", "contact_id", "at"),
                      sa.Index("ix_audit_entry_organisation_at", "organisation_id", "at"))

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    staff_id: Mapped[int | None] = mapped_column(sa.ForeignKey("staff_member.id"))
    contact_id: Mapped[int | None] = mapped_column(sa.ForeignKey("contact.id"))
    # view_ticket, download, export, directory_add, contact_edit, organisation_status, ...
    action: Mapped[str] = mapped_column(sa.String(40))
    subject_type: Mapped[str] = mapped_column(sa.String(40))
    subject_id: Mapped[int | None] = mapped_column()
    detail: Mapped[str | None] = mapped_column(sa.String(300))
    # Whose data the entry concerns, for the access report. No foreign key: an erased
    # organisation leaves its number here, and the chain covers it.
    organisation_id: Mapped[int | None] = mapped_column()
    # The hash chain (helpdesk/domain/audit_chain.py): `detail_digest` is kept when the
    # detail is redacted, so the chain still holds and only the detail check is skipped.
    detail_digest: Mapped[str] = mapped_column(sa.String(64))
    previous_digest: Mapped[str] = mapped_column(sa.String(64))
    digest: Mapped[str] = mapped_column(sa.String(64), unique=True)
    redacted: Mapped[bool] = mapped_column(default=False)


class AuditChainHead(db.Model):
    """The one row naming the chain's last digest: writers lock it, so none forks the chain."""

    id: Mapped[int] = mapped_column(primary_key=True)
    digest: Mapped[str] = mapped_column(sa.String(64))
    entry_count: Mapped[int] = mapped_column(default=0)


class CannedReply(db.Model):
    """A reply text managers prepare for agents."""

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(OneLineString(200), unique=True)
    body: Mapped[str] = mapped_column(sa.Text)
    language: Mapped[str] = mapped_column(sa.String(5), default=languages.DEFAULT)
