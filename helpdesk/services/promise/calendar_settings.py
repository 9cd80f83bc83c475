"""The configured business calendar and SLA policy, read from the database."""
from dataclasses import dataclass

import sqlalchemy as sa

from helpdesk.domain.business_calendar import DEFAULT_TIMEZONE, BusinessCalendar
from helpdesk.domain.sla import DEFAULT_TARGET_HOURS, SlaPolicy
from helpdesk.extensions import db
from helpdesk.models import CalendarSettings, ClosingDay, ResponseTarget


def desk_timezone() -> str:
    """The business calendar's time zone: the desk's, on its pages and in its mail."""
    return db.session.scalar(sa.select(CalendarSettings.timezone).limit(1)) or DEFAULT_TIMEZONE


def configured_calendar() -> BusinessCalendar:
    settings = db.session.scalar(sa.select(CalendarSettings).limit(1))
    exceptions = db.session.scalars(sa.select(ClosingDay)).all()
    extra_closed = frozenset(d.day for d in exceptions if d.closed)
    reopened = frozenset(d.day for d in exceptions if not d.closed)
    if settings is None:
        return BusinessCalendar(extra_closed_days=extra_closed, reopened_days=reopened)
    return BusinessCalendar(
        timezone=settings.timezone, opens_at=settings.opens_at, closes_at=settings.closes_at,
        public_holidays=settings.public_holidays, extra_closed_days=extra_closed,
        reopened_days=reopened,
    )


def configured_policy() -> SlaPolicy:
    settings = db.session.scalar(sa.select(CalendarSettings).limit(1))
    targets = dict(db.session.execute(
        sa.select(ResponseTarget.category, ResponseTarget.target_hours)).all())
    if settings is None and not targets:
        return SlaPolicy()
    return SlaPolicy(
        target_hours={**dict(DEFAULT_TARGET_HOURS), **targets},
        calamity_target_minutes=(settings.calamity_target_minutes if settings
                                 else SlaPolicy().calamity_target_minutes),
    )


@dataclass(frozen=True)
class SlaTerms:
    """The business calendar and SLA policy in force, loaded once per use case."""

    calendar: BusinessCalendar
    policy: SlaPolicy

    @classmethod
    def configured(cls) -> "SlaTerms":
        return cls(configured_calendar(), configured_policy())
