"""The desk's calendar and response targets, as managers configure them."""
from __future__ import annotations

from datetime import date, datetime, time

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from helpdesk.domain.business_calendar import DEFAULT_TIMEZONE
from helpdesk.extensions import db
from helpdesk.models.types import OneLineString, UTCDateTime


class CalendarSettings(db.Model):
    """A single row; absent means the defaults of sla.md."""

    id: Mapped[int] = mapped_column(primary_key=True)
    timezone: Mapped[str] = mapped_column(sa.String(64), default=DEFAULT_TIMEZONE)
    opens_at: Mapped[time] = mapped_column(sa.Time, default=time(9))
    closes_at: Mapped[time] = mapped_column(sa.Time, default=time(17))
    public_holidays: Mapped[str | None] = mapped_column(sa.String(8), default="NL")
    calamity_target_minutes: Mapped[int] = mapped_column(default=60)
    updated_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class ClosingDay(db.Model):
    """A manager's exception to the calendar: an extra closed day, or a reopened holiday."""

    id: Mapped[int] = mapped_column(primary_key=True)
    day: Mapped[date] = mapped_column(sa.Date, unique=True)
    closed: Mapped[bool] = mapped_column()  # True: extra closing day; False: reopened holiday
    note: Mapped[str] = mapped_column(OneLineString(200), default="")


class ResponseTarget(db.Model):
    """Working-day hours to the response due moment, per standard category."""

    category: Mapped[str] = mapped_column(sa.String(24), primary_key=True)
    target_hours: Mapped[int] = mapped_column()


class RecomputeJob(db.Model):
    """Recomputing open tickets' due moments after a settings change, batch by batch."""

    id: Mapped[int] = mapped_column(primary_key=True)
    requested_at: Mapped[datetime] = mapped_column(UTCDateTime)
    requested_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("staff_member.id"))
    # Tickets opened after the request were computed with the new settings already.
    up_to_ticket_id: Mapped[int] = mapped_column()
    last_ticket_id: Mapped[int] = mapped_column(default=0)  # where the next batch starts
    total: Mapped[int] = mapped_column()
    done: Mapped[int] = mapped_column(default=0)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
