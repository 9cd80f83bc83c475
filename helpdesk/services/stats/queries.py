"""The SQL behind the statistics: one statement per figure family, portable to both databases."""
from __future__ import annotations

from collections.abc import Collection, Iterator, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

import sqlalchemy as sa
from sqlalchemy.orm import aliased

from helpdesk.domain.periods import Period, month_period, offset_segments
from helpdesk.extensions import db
from helpdesk.models import (
    AWAITING_DESK_STATUSES,
    OPEN_STATUSES,
    Category,
    Organisation,
    ResponseRecord,
    RollupSpan,
    StatsRollup,
    Ticket,
    TicketEvent,
)
from helpdesk.models.stats import ARRIVAL_HOUR_COLUMNS, FIRST_MET_BAND_COLUMNS
from helpdesk.models.types import UTCDateTime
from helpdesk.services.stats.portable_sql import (
    bucket_index,
    local_hour_of_week,
    local_seconds,
    not_an_index_key,
    seconds_between,
)

EPOCH = date(1970, 1, 1)
PERCENTILES = (50, 90)
# The rollup's counters in the order rolled_rollup returns them: as the live rows have them.
ROLLED_MEASURES = ("received", "resolved", "on_time", "late", "first_on_time", "first_late",
                   "first_met", *FIRST_MET_BAND_COLUMNS)


def count(condition):
    return sa.func.sum(sa.case((condition, 1), else_=0))


def counted_due_at():
    """The due moment a response is judged by: the one that passed unmet, if one did.

    A recompute may move due_at later (a calamity cleared to bug, a closing day added), but a
    breach stays a breach (sla.md): breached_due_at is kept when a due moment passes unmet.
    """
    return sa.func.coalesce(ResponseRecord.breached_due_at, ResponseRecord.due_at)


def is_tickets_first_record(record):
    """`record` (an alias) is the ticket's own first response record: the earliest one marked
    first, as a merged duplicate's moves to the ticket it was merged into with its mark."""
    earliest = (sa.select(sa.func.min(ResponseRecord.id))
                .where(ResponseRecord.ticket_id == Ticket.id, ResponseRecord.is_first.is_(True))
                .scalar_subquery())
    return (record.ticket_id == Ticket.id) & (record.id == earliest)


def on_time():
    """A response met at or before its due moment."""
    return ResponseRecord.met_at.is_not(None) & (ResponseRecord.met_at <= counted_due_at())


def late(now: datetime):
    """A response met after its due moment, or left unanswered past it (as of `now`)."""
    unanswered_past_due = ResponseRecord.met_at.is_(None) & (
        sa.func.coalesce(ResponseRecord.cancelled_at, sa.literal(now, UTCDateTime()))
        > counted_due_at())
    return (ResponseRecord.met_at > counted_due_at()) | unanswered_past_due


def response_measures(now: datetime, time_bands: Sequence[tuple[str, int | None]]) -> list:
    """Aggregates of decided responses: on time, late, the same of first responses, first
    responses met, and those per time band; the rows must be filtered to decided ones."""
    first = ResponseRecord.is_first.is_(True)
    first_met = first & ResponseRecord.met_at.is_not(None)
    promise = ResponseRecord.promise_seconds_to_response
    lower_bounds = [None] + [upper for _, upper in time_bands[:-1]]
    in_band = [first_met & (promise > lower if lower is not None else sa.true())
               & (promise <= upper if upper is not None else sa.true())
               for lower, (_, upper) in zip(lower_bounds, time_bands, strict=True)]
    return [count(on_time()), count(late(now)), count(on_time() & first),
            count(late(now) & first), count(first_met), *[count(band) for band in in_band]]


def late_seconds(now: datetime):
    """How late a late response is: from its counted due moment to its reply, or the moment
    its clock stopped, or `now` while it is still waiting."""
    stopped = sa.func.coalesce(ResponseRecord.met_at, ResponseRecord.cancelled_at,
                               sa.literal(now, UTCDateTime()))
    return seconds_between(counted_due_at(), stopped)


def decided(now: datetime):
    return on_time() | late(now)


def _seconds_of_day(at: time) -> int:
    return at.hour * 3600 + at.minute * 60 + at.second


def consecutive_runs(days: Sequence[date]) -> list[tuple[date, date]]:
    """(first, last) of each run of consecutive days in `days` (sorted, distinct)."""
    runs: list[list[date]] = []
    for day in days:
        if runs and runs[-1][1] + timedelta(days=1) == day:
            runs[-1][1] = day
        else:
            runs.append([day, day])
    return [(first, last) for first, last in runs]


def _days_of_month(first: date) -> list[date]:
    month = month_period(first.year, first.month)
    return [month.start + timedelta(days=offset) for offset in range(month.days)]


def _grouped(*keys) -> tuple[list, list]:
    """Columns to select and to GROUP BY; a None key (one bucket only) is the constant 0."""
    columns = [sa.literal_column("0") if key is None else key for key in keys]
    return columns, [key for key in keys if key is not None]


@dataclass(frozen=True)
class ResponseRollupRow:
    keys: tuple  # (bucket, category, organisation id, assignee id)
    on_time: int
    late: int
    first_on_time: int
    first_late: int
    first_met: int
    bands: tuple[int, ...]  # first responses met per time band


class StatsQueries:
    """The statements for one filter, one period split into buckets, and one moment.

    The period's rolled-up months and days (`rolled_months`, `rolled_days`) are read from the
    rollup; the figures of the other days are computed from tickets and response records.
    """

    def __init__(self, stats_filter, now: datetime, timezone: str, buckets: list[Period],
                 list_limit: int, rolled_days: Sequence[date] = (),
                 rolled_months: Sequence[date] = ()) -> None:
        self.filter = stats_filter
        self.now = now
        self.list_limit = list_limit
        self.zone = timezone
        self.start, self.end = stats_filter.period.utc_bounds(timezone)
        self.boundaries = [bucket.utc_bounds(timezone)[0] for bucket in buckets[1:]]
        self.day_boundaries = [bucket.start for bucket in buckets[1:]]
        self.segments = offset_segments(timezone, self.start, self.end)
        self.rolled_days = sorted(rolled_days)
        self.rolled_months = sorted(rolled_months)
        rolled = set(self.rolled_days) | {day for month in self.rolled_months
                                          for day in _days_of_month(month)}
        period = stats_filter.period
        live_days = [period.start + timedelta(days=offset) for offset in range(period.days)]
        self.live_ranges = [Period(first, last).utc_bounds(timezone) for first, last
                            in consecutive_runs([day for day in live_days if day not in rolled])]

    # --- shared pieces ----------------------------------------------------------------------

    def _ticket_conditions(self, category_column, model=Ticket) -> list:
        f = self.filter
        conditions = []
        if f.organisation_id is not None:
            conditions.append(model.organisation_id == f.organisation_id)
        if f.channel is not None:
            conditions.append(model.channel == f.channel)
        if f.assignee_id is not None:
            conditions.append(model.assignee_id == f.assignee_id)
        elif f.unassigned:
            conditions.append(model.assignee_id.is_(None))
        if f.category is not None:
            conditions.append(category_column == f.category)
        return conditions

    def _live(self, column):
        """The moment falls on one of the period's days that are not rolled up."""
        return sa.or_(sa.false(), *[(column >= start) & (column < end)
                                    for start, end in self.live_ranges])

    def _received_live(self) -> list:
        return [self._live(Ticket.created_at), *self._ticket_conditions(Ticket.category)]

    def _received_in_period(self) -> list:
        return [Ticket.created_at >= self.start, Ticket.created_at < self.end,
                *self._ticket_conditions(Ticket.category)]

    def _responses(self, *columns, with_ticket: bool = False, live: bool = False,
                   received_at=ResponseRecord.received_at) -> sa.Select:
        """Response records received in the period (or its live days); the ticket is joined
        only when needed.

        A response counts under its ticket's dimensions as they are now, the category too (not
        the one it was owed under), so every column of a row counts the same tickets.
        """
        f = self.filter
        received = (self._live(received_at) if live else
                    (received_at >= self.start) & (received_at < self.end))
        query = sa.select(*columns).where(received,
                                          *self._ticket_conditions(Ticket.category))
        if with_ticket or any(value is not None for value in (
                f.organisation_id, f.channel, f.assignee_id, f.category)) or f.unassigned:
            query = query.join(Ticket, Ticket.id == ResponseRecord.ticket_id)
        return query

    # --- the period's figures, from the live days -------------------------------------------

    def received_rollup(self) -> Iterator[tuple]:
        """(bucket, category, organisation id, assignee id, tickets received) per combination."""
        if not self.live_ranges:
            return
        columns, group = _grouped(bucket_index(Ticket.created_at, self.boundaries),
                                  Ticket.category, Ticket.organisation_id, Ticket.assignee_id)
        query = (sa.select(*columns, sa.func.count()).where(*self._received_live())
                 .group_by(*group))
        yield from db.session.execute(query)

    def _resolutions(self, *columns, live: bool = False) -> sa.Select:
        """Resolution events of the period (or its live days), by the ticket's dimensions now."""
        happened = (self._live(TicketEvent.at) if live else
                    (TicketEvent.at >= self.start) & (TicketEvent.at < self.end))
        return (sa.select(*columns).select_from(TicketEvent)
                .join(Ticket, Ticket.id == TicketEvent.ticket_id)
                .where(TicketEvent.is_resolution, happened,
                       *self._ticket_conditions(Ticket.category)))

    def resolved_by_bucket(self) -> Iterator[tuple]:
        if not self.live_ranges:
            return
        columns, group = _grouped(bucket_index(TicketEvent.at, self.boundaries))
        query = self._resolutions(*columns, sa.func.count(), live=True).group_by(*group)
        yield from db.session.execute(query)

    def response_rollup(self, time_bands: Sequence[tuple[str, int | None]]
                        ) -> Iterator[ResponseRollupRow]:
        """Decided responses and answered first responses per combination of dimensions."""
        if not self.live_ranges:
            return
        columns, group = _grouped(bucket_index(ResponseRecord.received_at, self.boundaries),
                                  Ticket.category, Ticket.organisation_id,
                                  Ticket.assignee_id)
        query = (self._responses(*columns, *response_measures(self.now, time_bands),
                                 with_ticket=True, live=True)
                 .where(decided(self.now)).group_by(*group))
        for row in db.session.execute(query):
            yield ResponseRollupRow(tuple(row[:4]), *row[4:9], tuple(row[9:]))

    def heatmap(self) -> list[list[int]]:
        """Tickets received per local weekday and hour, with the offset in force at each."""
        grid = [[0] * 24 for _ in range(7)]
        if self.live_ranges:
            hour_of_week = local_hour_of_week(Ticket.created_at, self.segments)
            query = (sa.select(hour_of_week, sa.func.count()).where(*self._received_live())
                     .group_by(hour_of_week))
            for hour, count_ in db.session.execute(query):
                grid[hour // 24][hour % 24] += count_
        if self.rolled_days or self.rolled_months:
            query = (sa.select(StatsRollup.weekday,
                               *[sa.func.sum(getattr(StatsRollup, name))
                                 for name in ARRIVAL_HOUR_COLUMNS])
                     .where(*self._rolled()).group_by(StatsRollup.weekday))
            for weekday, *hours in db.session.execute(query):
                grid[weekday] = [cell + hour for cell, hour in zip(grid[weekday], hours,
                                                                  strict=True)]
        return grid

    def arrivals_in_hours(self, opens_at: time, closes_at: time, *,
                          on_days: Sequence[date] | None = None,
                          except_days: Collection[date] = ()) -> tuple[int, int]:
        """(tickets received in the period, or on `on_days` of it; of which within [opens_at,
        closes_at) local time on a day not in `except_days`).

        Each moment's local time uses the offset in force at it, so DST days are right; which
        days are closed is the caller's question to the calendar.
        """
        seconds = local_seconds(Ticket.created_at, self.segments)
        time_of_day = seconds % 86400
        within = ((time_of_day >= _seconds_of_day(opens_at))
                  & (time_of_day < _seconds_of_day(closes_at)))
        if except_days:
            within &= (seconds // 86400).not_in(sorted((day - EPOCH).days for day in except_days))
        if on_days is None:
            conditions = self._received_in_period()
        else:  # a few days of the period: a range of the created_at index each
            conditions = [sa.or_(sa.false(), *[
                (Ticket.created_at >= start) & (Ticket.created_at < end)
                for start, end in (Period(day, day).utc_bounds(self.zone) for day in on_days)]),
                *self._ticket_conditions(Ticket.category)]
        received, within_count = db.session.execute(
            sa.select(sa.func.count(), count(within)).where(*conditions)).one()
        return int(received), int(within_count or 0)

    # --- the period's figures, from the rollup ----------------------------------------------

    def _rolled(self) -> list:
        days = [StatsRollup.starts_on.between(first, last)
                for first, last in consecutive_runs(self.rolled_days)]
        spans = sa.or_(
            (StatsRollup.span == RollupSpan.DAY) & sa.or_(sa.false(), *days),
            (StatsRollup.span == RollupSpan.MONTH)
            & StatsRollup.starts_on.in_(self.rolled_months))
        return [spans, *self._ticket_conditions(StatsRollup.category, model=StatsRollup)]

    def rolled_rollup(self) -> Iterator[tuple]:
        """(bucket, category, organisation id, assignee id, received, resolved, the response
        measures in response_measures' order...) per combination, from the rollup."""
        if not (self.rolled_days or self.rolled_months):
            return
        # A month is read only where it lies in one bucket, so its first day places it.
        columns, group = _grouped(bucket_index(StatsRollup.starts_on, self.day_boundaries),
                                  StatsRollup.category, StatsRollup.organisation_id,
                                  StatsRollup.assignee_id)
        sums = [sa.func.sum(getattr(StatsRollup, name)) for name in ROLLED_MEASURES]
        query = sa.select(*columns, *sums).where(*self._rolled()).group_by(*group)
        yield from db.session.execute(query)

    def response_times(self, count: int) -> tuple:
        """(p50, p90, p50 wall clock, p90 wall clock) of the `count` answered first responses.

        The caller knows the count from the rollup, so each percentile is the value at rank
        ceil(p * count / 100), read by walking an index in order of that clock's seconds.
        """
        if not count:
            return (None,) * 2 * len(PERCENTILES)
        ranks = [-(-p * count // 100) for p in PERCENTILES]
        values = [self._responses(column,
                                  received_at=not_an_index_key(ResponseRecord.received_at))
                  .where(ResponseRecord.is_first.is_(True), column.is_not(None))
                  .order_by(column).offset(rank - 1).limit(1).scalar_subquery()
                  for column in (ResponseRecord.promise_seconds_to_response,
                                 ResponseRecord.wall_seconds_to_response)
                  for rank in ranks]
        return db.session.execute(sa.select(*values)).one()

    # --- now, whatever the period -----------------------------------------------------------

    def _backlog_band(self, age_bands):
        """The index of the age band an open ticket falls in, as of `now`."""
        return sa.case(*[(Ticket.created_at > self.now - lower, index - 1)
                         for index, (_, lower) in enumerate(age_bands) if index > 0],
                       else_=len(age_bands) - 1)

    def _backlog_kinds(self) -> dict:
        """The backlog's columns as conditions on an open ticket, in backlog()'s order."""
        awaiting = Ticket.status.in_(AWAITING_DESK_STATUSES)
        # A breach stays a breach: an owed response whose due moment passed unmet is overdue
        # even when a recompute has since moved the ticket's due moment later.
        missed = sa.exists().where(ResponseRecord.ticket_id == Ticket.id,
                                   ResponseRecord.met_at.is_(None),
                                   ResponseRecord.cancelled_at.is_(None),
                                   ResponseRecord.breached_due_at.is_not(None))
        return {"awaiting": awaiting, "waiting": ~awaiting,
                "overdue": awaiting & ((Ticket.response_due_at < self.now) | missed)}

    def _backlog_tickets(self) -> list:
        return [Ticket.status.in_(OPEN_STATUSES), *self._ticket_conditions(Ticket.category)]

    def backlog(self, age_bands) -> list[tuple[int, int, int]]:
        """(awaiting the desk, waiting on the customer, overdue) of open tickets per age band."""
        band = self._backlog_band(age_bands)
        query = (sa.select(band, *[count(kind) for kind in self._backlog_kinds().values()])
                 .where(*self._backlog_tickets()).group_by(band))
        rows = {index: (desk, customer, overdue)
                for index, desk, customer, overdue in db.session.execute(query)}
        return [rows.get(index, (0, 0, 0)) for index in range(len(age_bands))]

    # --- drill-downs: the very sets the figures count ---------------------------------------
    # Each returns the ids of what one figure counts, by the conditions the figure is counted
    # with; the rollup counts the same (tests/web/manager/test_stats_drilldown.py holds them equal).

    def received_ids(self) -> sa.Select:
        """Tickets received in the period: the "received" figures."""
        return sa.select(Ticket.id).where(*self._received_in_period())

    def resolved_ids(self) -> sa.Select:
        """Resolution events of the period (a ticket reopened may have several): "resolved"."""
        return self._resolutions(TicketEvent.id)

    def late_ids(self) -> sa.Select:
        """Late responses of the period (a ticket may have several): the "late" figures."""
        return self._responses(ResponseRecord.id).where(late(self.now))

    def backlog_ids(self, kind: str, band: int, age_bands) -> sa.Select:
        """Open tickets of one backlog cell (now, whatever the period)."""
        return sa.select(Ticket.id).where(*self._backlog_tickets(), self._backlog_kinds()[kind],
                                          self._backlog_band(age_bands) == band)

    # --- lists ------------------------------------------------------------------------------

    def late_responses(self) -> Iterator[tuple]:
        """The latest late responses of the period (the total is in the figures).

        The latest ids are picked from the response records alone (the ticket joined only to
        filter), so only the rows shown are joined to their ticket and organisation.
        """
        latest = (self._responses(ResponseRecord.id).where(late(self.now))
                  .order_by(counted_due_at().desc(), ResponseRecord.id.desc())
                  .limit(self.list_limit).subquery())
        query = (sa.select(Ticket.number, Ticket.subject, Organisation.name,
                           Ticket.category, ResponseRecord.received_at,
                           counted_due_at(), ResponseRecord.met_at, late_seconds(self.now))
                 .join(latest, latest.c.id == ResponseRecord.id)
                 .join(Ticket, Ticket.id == ResponseRecord.ticket_id)
                 .join(Organisation, Organisation.id == Ticket.organisation_id)
                 .order_by(counted_due_at().desc(), ResponseRecord.id.desc()))
        yield from db.session.execute(query)

    def calamities(self) -> Iterator[tuple]:
        """The latest calamities received in the period, with their first response."""
        if self.filter.category not in (None, Category.CALAMITY):
            return
        first = aliased(ResponseRecord)
        query = (sa.select(Ticket.number, Ticket.subject, Organisation.name, Ticket.created_at,
                           Ticket.first_response_at,
                           seconds_between(Ticket.created_at, Ticket.first_response_at),
                           sa.func.coalesce(first.breached_due_at, first.due_at))
                 .join(Organisation, Organisation.id == Ticket.organisation_id)
                 .outerjoin(first, is_tickets_first_record(first))
                 .where(Ticket.category == Category.CALAMITY, *self._received_in_period())
                 .order_by(Ticket.created_at.desc(), Ticket.id.desc()).limit(self.list_limit))
        yield from db.session.execute(query)
