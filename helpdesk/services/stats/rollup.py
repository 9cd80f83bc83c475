"""The statistics rollup: each settled day summed once, and each settled month from its days.

A local day is rolled up once it is over and settled: every response owed for a message of
that day was met, cancelled or already past its due moment, so its figures can no longer
change by time alone. They can still change by an edit (a ticket reassigned or re-categorised,
reopened, merged), which services/changes.py notes per UTC date in the same transaction.
A day's rollup is read only while the changes of the UTC dates it overlaps weigh what they
weighed before the rollup read the day; otherwise the dashboard computes the day live, and the
next refresh rolls it up again. A month is summed from its days' rollups once all of them are
readable, and read while they still are the ones it was summed from.
"""
from __future__ import annotations

import logging
from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, timedelta

import sqlalchemy as sa
from sqlalchemy import exc

from helpdesk.domain.periods import Period, local_today, month_period, offset_segments
from helpdesk.extensions import db
from helpdesk.models import (
    ResponseRecord,
    RollupSpan,
    StatsRollup,
    StatsRollupDay,
    StatsRollupMonth,
    Ticket,
    TicketEvent,
)
from helpdesk.models.stats import ARRIVAL_HOUR_COLUMNS, FIRST_MET_BAND_COLUMNS, TIME_BANDS
from helpdesk.services.stats import changes
from helpdesk.services.stats.portable_sql import local_seconds
from helpdesk.services.stats.queries import (
    EPOCH,
    ROLLED_MEASURES,
    consecutive_runs,
    decided,
    response_measures,
)
from helpdesk.services.transaction import job

log = logging.getLogger(__name__)

DAYS_PER_ROLL = 31  # days summed per transaction
ROLLS_PER_PASS = 2  # transactions per worker pass; a long history goes on in the next rounds


# --- reading ----------------------------------------------------------------------------------

def _overlapped_utc_days(day: date, zone: str) -> list[date]:
    start, end = Period(day, day).utc_bounds(zone)
    last = (end - timedelta(microseconds=1)).date()
    return [start.date() + timedelta(days=offset) for offset in range((last - start.date()).days
                                                                          + 1)]


def _weight_of(day: date, zone: str, weights: dict[date, int]) -> int:
    return sum(weights.get(utc_day, 0) for utc_day in _overlapped_utc_days(day, zone))


def _readable_day_changes(period: Period, zone: str, now: datetime) -> dict[date, int]:
    """The period's readable days, with the weight of changes their rollup was made at."""
    rows = db.session.execute(
        sa.select(StatsRollupDay.day, StatsRollupDay.rolled_changes)
        .where(StatsRollupDay.day.between(period.start, period.end),
               StatsRollupDay.zone == zone, StatsRollupDay.rolled_up_at <= now)).all()
    if not rows:
        return {}
    weights = changes.change_weights(period)
    return {day: rolled for day, rolled in rows if _weight_of(day, zone, weights) == rolled}


def readable_days(period: Period, zone: str, now: datetime) -> list[date]:
    """The period's days whose rollup holds their figures as of `now`."""
    return sorted(_readable_day_changes(period, zone, now))


@dataclass(frozen=True)
class ReadableSpans:
    """What the dashboard reads from the rollup: whole months, and days outside them."""

    months: list[date]  # first days
    days: list[date]


def readable_spans(period: Period, zone: str, now: datetime,
                   buckets: list[Period]) -> ReadableSpans:
    """The period's readable rollups; a month only where it lies in one trend bucket."""
    day_changes = _readable_day_changes(period, zone, now)
    candidates = {}
    for bucket in buckets:
        month_start = bucket.start.replace(day=1)
        while month_start <= bucket.end:
            month = month_period(month_start.year, month_start.month)
            if bucket.start <= month.start and month.end <= bucket.end:
                days = [month.start + timedelta(days=offset) for offset in range(month.days)]
                if all(day in day_changes for day in days):
                    candidates[month.start] = sum(day_changes[day] for day in days)
            month_start = month.end + timedelta(days=1)
    months = sorted(month for month, rolled in db.session.execute(
        sa.select(StatsRollupMonth.month, StatsRollupMonth.rolled_changes)
        .where(StatsRollupMonth.month.in_(candidates), StatsRollupMonth.zone == zone,
               StatsRollupMonth.rolled_up_at <= now)) if candidates.get(month) == rolled)
    in_months = {(day.year, day.month) for day in months}
    return ReadableSpans(months, sorted(day for day in day_changes
                                        if (day.year, day.month) not in in_months))


# --- rolling up -------------------------------------------------------------------------------

@dataclass
class RollupPass:
    """What one pass of the worker's job rolled up, and whether days are left for the next."""

    days: int = 0
    more: bool = False

    def __bool__(self) -> bool:
        return bool(self.days)

    def __str__(self) -> str:
        return f"{self.days} days rolled up" + (", more in the next round" if self.more else "")


def refresh_job(now: datetime, max_rolls: int | None = ROLLS_PER_PASS) -> RollupPass:
    """The worker's job: roll up what settled since the last pass, a few transactions a pass."""
    from helpdesk.services.promise.calendar_settings import configured_calendar

    return _refresh(now, configured_calendar().timezone, max_rolls)


def refresh(now: datetime, zone: str) -> int:
    """Roll up every settled past day that has no readable rollup; returns how many were."""
    return _refresh(now, zone, None).days


@job
def _refresh(now: datetime, zone: str, max_rolls: int | None) -> RollupPass:
    changes.compact_changes(now)
    db.session.commit()  # the fold is a transaction of its own, whatever the pass does next
    first_moment = db.session.scalar(sa.select(sa.func.min(Ticket.created_at)))
    if first_moment is None:
        return RollupPass()
    first_day = local_today(first_moment, zone)
    yesterday = local_today(now, zone) - timedelta(days=1)
    if yesterday < first_day:
        return RollupPass()
    period = Period(first_day, yesterday)
    readable = set(readable_days(period, zone, now))
    stale = [period.start + timedelta(days=offset) for offset in range(period.days)
             if period.start + timedelta(days=offset) not in readable]
    result, rolls = RollupPass(), 0
    for first, last in consecutive_runs(stale):
        while first <= last:
            if max_rolls is not None and rolls >= max_rolls:
                result.more = True  # months wait until all their days are rolled up
                return result
            chunk_last = min(first + timedelta(days=DAYS_PER_ROLL - 1), last)
            rolls += 1
            try:
                result.days += _roll_up(Period(first, chunk_last), zone, now)
                db.session.commit()
            except exc.IntegrityError:
                # Another worker rolled these days up at the same moment: its rollup stands.
                db.session.rollback()
                log.info("statistics rollup of %s to %s done by another worker", first,
                         chunk_last)
            first = chunk_last + timedelta(days=1)
    _roll_up_months(period, zone, now)
    return result


@job
def _roll_up_months(period: Period, zone: str, now: datetime) -> None:
    """Sum each month whose days are all readable, unless its sum is still current."""
    day_changes = _readable_day_changes(period, zone, now)
    current = dict(db.session.execute(
        sa.select(StatsRollupMonth.month, StatsRollupMonth.rolled_changes)
        .where(StatsRollupMonth.zone == zone)).all())
    month_start = period.start.replace(day=1)
    while month_start <= period.end:
        month = month_period(month_start.year, month_start.month)
        month_start = month.end + timedelta(days=1)
        days = [month.start + timedelta(days=offset) for offset in range(month.days)]
        if not all(day in day_changes for day in days):
            continue
        rolled_changes = sum(day_changes[day] for day in days)
        if current.get(month.start) == rolled_changes:
            continue
        try:
            _sum_month(month, zone, rolled_changes, now)
            db.session.commit()
        except exc.IntegrityError:
            db.session.rollback()
            log.info("statistics rollup of %s done by another worker", month.start)


def _sum_month(month: Period, zone: str, rolled_changes: int, now: datetime) -> None:
    dimensions = ("weekday", "category", "organisation_id", "assignee_id", "channel")
    counters = (*ROLLED_MEASURES, *ARRIVAL_HOUR_COLUMNS)
    days = sa.select(
        sa.literal(RollupSpan.MONTH, StatsRollup.span.type),
        sa.literal(month.start, sa.Date()),
        *[getattr(StatsRollup, name) for name in dimensions],
        *[sa.func.sum(getattr(StatsRollup, name)) for name in counters],
    ).where(StatsRollup.span == RollupSpan.DAY,
            StatsRollup.starts_on.between(month.start, month.end)
            ).group_by(*[getattr(StatsRollup, name) for name in dimensions])
    db.session.execute(sa.delete(StatsRollup).where(StatsRollup.span == RollupSpan.MONTH,
                                                    StatsRollup.starts_on == month.start))
    db.session.execute(sa.delete(StatsRollupMonth).where(StatsRollupMonth.month == month.start))
    db.session.execute(sa.insert(StatsRollup).from_select(
        ["span", "starts_on", *dimensions, *counters], days))
    db.session.add(StatsRollupMonth(month=month.start, zone=zone,
                                    rolled_changes=rolled_changes, rolled_up_at=now))


def _roll_up(period: Period, zone: str, now: datetime) -> int:
    """Replace the rollup of the period's settled days; returns how many days were settled."""
    start, end = period.utc_bounds(zone)
    # The weights are read before the data, so a change committed in between makes the day
    # stale (and rolled up again) rather than silently missing from the rollup.
    weights = changes.change_weights(period)
    segments = offset_segments(zone, start, end)
    unsettled = _unsettled_days(start, end, segments, now)
    days = [period.start + timedelta(days=offset) for offset in range(period.days)]
    settled = [day for day in days if day not in unsettled]
    rows: dict[tuple, dict] = defaultdict(dict)
    _sum_received(rows, start, end, segments)
    _sum_resolved(rows, start, end, segments)
    _sum_responses(rows, start, end, segments, now)
    db.session.execute(sa.delete(StatsRollup).where(
        StatsRollup.span == RollupSpan.DAY,
        StatsRollup.starts_on.between(period.start, period.end)))
    db.session.execute(sa.delete(StatsRollupDay)
                       .where(StatsRollupDay.day.between(period.start, period.end)))
    if settled:
        wanted = set(settled)
        counters = dict.fromkeys((*ROLLED_MEASURES, *ARRIVAL_HOUR_COLUMNS), 0)
        stats_rows = [{**counters, "span": RollupSpan.DAY, "starts_on": key[0],
                       "weekday": key[0].weekday(),
                       "category": key[1], "organisation_id": key[2], "assignee_id": key[3],
                       "channel": key[4], **figures}
                      for key, figures in rows.items() if key[0] in wanted]
        if stats_rows:
            db.session.execute(sa.insert(StatsRollup), stats_rows)
        db.session.execute(sa.insert(StatsRollupDay), [
            {"day": day, "zone": zone, "rolled_changes": _weight_of(day, zone, weights),
             "rolled_up_at": now} for day in settled])
    return len(settled)


def _local_day(column, segments):
    return local_seconds(column, segments) // 86400


def _to_date(epoch_day: int) -> date:
    return EPOCH + timedelta(days=int(epoch_day))


def _unsettled_days(start: datetime, end: datetime, segments, now: datetime) -> set[date]:
    """Days with a response still owed whose due moment is ahead: their figures may change."""
    day = _local_day(ResponseRecord.received_at, segments)
    query = (sa.select(day).distinct()
             .where(ResponseRecord.received_at >= start, ResponseRecord.received_at < end,
                    ResponseRecord.met_at.is_(None), ResponseRecord.cancelled_at.is_(None),
                    ResponseRecord.breached_due_at.is_(None), ResponseRecord.due_at > now))
    return {_to_date(value) for value in db.session.scalars(query)}


def _sum_received(rows: dict, start: datetime, end: datetime, segments) -> None:
    local_hour = local_seconds(Ticket.created_at, segments) // 3600
    dimensions = (Ticket.category, Ticket.organisation_id, Ticket.assignee_id, Ticket.channel)
    query = (sa.select(local_hour, *dimensions, sa.func.count())
             .where(Ticket.created_at >= start, Ticket.created_at < end)
             .group_by(local_hour, *dimensions))
    for hour, category, organisation_id, assignee_id, channel, count in db.session.execute(query):
        figures = rows[(_to_date(hour // 24), category, organisation_id, assignee_id, channel)]
        figures["received"] = figures.get("received", 0) + count
        figures[ARRIVAL_HOUR_COLUMNS[hour % 24]] = count


def _sum_resolved(rows: dict, start: datetime, end: datetime, segments) -> None:
    day = _local_day(TicketEvent.at, segments)
    dimensions = (Ticket.category, Ticket.organisation_id, Ticket.assignee_id, Ticket.channel)
    query = (sa.select(day, *dimensions, sa.func.count()).select_from(TicketEvent)
             .join(Ticket, Ticket.id == TicketEvent.ticket_id)
             .where(TicketEvent.is_resolution, TicketEvent.at >= start, TicketEvent.at < end)
             .group_by(day, *dimensions))
    for epoch_day, *dimension_values, count in db.session.execute(query):
        rows[(_to_date(epoch_day), *dimension_values)]["resolved"] = count


def _sum_responses(rows: dict, start: datetime, end: datetime, segments,
                   now: datetime) -> None:
    day = _local_day(ResponseRecord.received_at, segments)
    dimensions = (Ticket.category, Ticket.organisation_id, Ticket.assignee_id, Ticket.channel)
    query = (sa.select(day, *dimensions, *response_measures(now, TIME_BANDS))
             .join(Ticket, Ticket.id == ResponseRecord.ticket_id)
             .where(ResponseRecord.received_at >= start, ResponseRecord.received_at < end,
                    decided(now))
             .group_by(day, *dimensions))
    names = ("on_time", "late", "first_on_time", "first_late", "first_met",
             *FIRST_MET_BAND_COLUMNS)
    for epoch_day, *values in db.session.execute(query):
        key, measures = (_to_date(epoch_day), *values[:4]), values[4:]
        rows[key].update(zip(names, (int(value) for value in measures), strict=True))
