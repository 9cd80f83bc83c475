"""A super-user's request for their organisation's export, built by the worker, fetched once."""
from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from helpdesk.extensions import db
from helpdesk.models.organisation import Contact, Organisation
from helpdesk.models.types import UTCDateTime


class ExportRequest(db.Model):
    """Asked for at `requested_at`; built (file_path set) by the worker; the link's token is
    kept hashed and works until `expires_at`, once (`used_at`); the file goes after either.
    A build that fails is tried again, `build_attempts` times in all, then `failed_at` is set."""

    __table_args__ = (sa.Index("ix_export_request_built_at", "built_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(sa.ForeignKey("organisation.id"), index=True)
    requested_by_id: Mapped[int] = mapped_column(sa.ForeignKey("contact.id"))
    requested_at: Mapped[datetime] = mapped_column(UTCDateTime)
    built_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    token_hash: Mapped[str | None] = mapped_column(sa.String(64), unique=True)
    expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    file_path: Mapped[str | None] = mapped_column(sa.String(300))  # None once removed
    build_attempts: Mapped[int] = mapped_column(default=0)
    failed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    organisation: Mapped[Organisation] = relationship()
    requested_by: Mapped[Contact] = relationship()
