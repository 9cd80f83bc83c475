"""Erasures: the certificate that proves one happened, and the files it still has to remove."""
from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from helpdesk.extensions import db
from helpdesk.models.types import UTCDateTime


class ErasureCertificate(db.Model):
    """What an erasure removed, counted per table and file, and on whose instruction.

    It holds no personal data: the subject is named by its pseudonym only, so the certificate
    can be kept (and shown) for good. `digest` is the sha256 of the rest, canonically written.
    """

    id: Mapped[int] = mapped_column(primary_key=True)
    subject_kind: Mapped[str] = mapped_column(sa.String(20))  # contact or organisation
    pseudonym: Mapped[str] = mapped_column(sa.String(40), unique=True)
    erased_at: Mapped[datetime] = mapped_column(UTCDateTime)
    # A staff member's id as "staff:<id>", "command line" or "retention".
    instructed_by: Mapped[str] = mapped_column(sa.String(40))
    reason: Mapped[str] = mapped_column(sa.String(20))  # request or retention
    counts: Mapped[dict] = mapped_column(sa.JSON, default=dict)
    digest: Mapped[str] = mapped_column(sa.String(64))


class ErasureFile(db.Model):
    """A blob-store file an erasure must delete: written in the erasure's transaction, so a
    crash after its commit leaves the list, and the next run deletes what is left."""

    id: Mapped[int] = mapped_column(primary_key=True)
    certificate_id: Mapped[int] = mapped_column(sa.ForeignKey("erasure_certificate.id"),
                                                index=True)
    path: Mapped[str] = mapped_column(sa.String(200))
    deleted_at: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)
