"""The SQL behind the statistics: one statement per figure family, portable to both databases."""
from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import aliased

from helpdesk.domain.periods import Period, offset_segments
from helpdesk.extensions import db
from helpdesk.models import (
    AWAITING_DESK_STATUSES,
    OPEN_STATUSES,
    Category,
    Organisation,
    ResponseRecord,
    Ticket,
)
from helpdesk.models.types import UTCDateTime
from helpdesk.services.portable_sql import (
    bucket_index,
    local_hour_of_week,
    seconds_between,
)

PERCENTILES = (50, 90)


def promise_seconds(record):
    """Seconds to a response on the promise's clock: working-day time, wall clock for calamity."""
    return sa.case((record.category == Category.CALAMITY,
                    seconds_between(record.received_at, record.met_at)),
                   else_=record.working_seconds_to_response)


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
    """The statements for one filter, one period split into buckets, and one moment."""

    def __init__(self, stats_filter, now: datetime, timezone: str, buckets: list[Period],
                 list_limit: int) -> None:
        self.filter = stats_filter
        self.now = now
        self.list_limit = list_limit
        self.start, self.end = stats_filter.period.utc_bounds(timezone)
        self.boundaries = [bucket.utc_bounds(timezone)[0] for bucket in buckets[1:]]
        self.segments = offset_segments(timezone, self.start, self.end)

    # --- shared pieces ----------------------------------------------------------------------

    def _now(self):
        return sa.literal(self.now, UTCDateTime())

    def _ticket_conditions(self, category_column) -> list:
        f = self.filter
        conditions = []
        if f.organisation_id is not None:
            conditions.append(Ticket.organisation_id == f.organisation_id)
        if f.channel is not None:
            conditions.append(Ticket.channel == f.channel)
        if f.assignee_id is not None:
            conditions.append(Ticket.assignee_id == f.assignee_id)
        if f.category is not None:
            conditions.append(category_column == f.category)
        return conditions

    def _received_in_period(self) -> list:
        return [Ticket.created_at >= self.start, Ticket.created_at < self.end,
                *self._ticket_conditions(Ticket.category)]

    def _responses(self, *columns, with_ticket: bool = False) -> sa.Select:
        """Response records received in the period; the ticket is joined only when needed."""
        f = self.filter
        query = sa.select(*columns).where(ResponseRecord.received_at >= self.start,
                                          ResponseRecord.received_at < self.end,
                                          *self._ticket_conditions(ResponseRecord.category))
        if with_ticket or any(value is not None
                              for value in (f.organisation_id, f.channel, f.assignee_id)):
            query = query.join(Ticket, Ticket.id == ResponseRecord.ticket_id)
        return query

    def _on_time(self):
        return ResponseRecord.met_at.is_not(None) & (ResponseRecord.met_at <= ResponseRecord.due_at)

    def _late(self):
        unanswered_past_due = ResponseRecord.met_at.is_(None) & (
            sa.func.coalesce(ResponseRecord.cancelled_at, self._now()) > ResponseRecord.due_at)
        return (ResponseRecord.met_at > ResponseRecord.due_at) | unanswered_past_due

    # --- the period's figures ---------------------------------------------------------------

    def received_rollup(self) -> Iterator[tuple]:
        """(bucket, category, organisation id, assignee id, tickets received) per combination."""
        columns, group = _grouped(bucket_index(Ticket.created_at, self.boundaries),
                                  Ticket.category, Ticket.organisation_id, Ticket.assignee_id)
        query = (sa.select(*columns, sa.func.count()).where(*self._received_in_period())
                 .group_by(*group))
        yield from db.session.execute(query)

    def resolved_by_bucket(self) -> Iterator[tuple]:
        columns, group = _grouped(bucket_index(Ticket.resolved_at, self.boundaries))
        query = (sa.select(*columns, sa.func.count())
                 .where(Ticket.resolved_at >= self.start, Ticket.resolved_at < self.end,
                        *self._ticket_conditions(Ticket.category))
                 .group_by(*group))
        yield from db.session.execute(query)

    def response_rollup(self, time_bands: Sequence[tuple[str, int | None]]
                        ) -> Iterator[ResponseRollupRow]:
        """Decided responses and answered first responses per combination of dimensions."""
        columns, group = _grouped(bucket_index(ResponseRecord.received_at, self.boundaries),
                                  ResponseRecord.category, Ticket.organisation_id,
                                  Ticket.assignee_id)
        on_time, late = self._on_time(), self._late()
        first = ResponseRecord.is_first.is_(True)
        first_met = first & ResponseRecord.met_at.is_not(None)
        promise = promise_seconds(ResponseRecord)
        lower_bounds = [None] + [upper for _, upper in time_bands[:-1]]
        in_band = [first_met & (promise > lower if lower is not None else sa.true())
                   & (promise <= upper if upper is not None else sa.true())
                   for lower, (_, upper) in zip(lower_bounds, time_bands, strict=True)]

        def count(condition):
            return sa.func.sum(sa.case((condition, 1), else_=0))

        query = (self._responses(*columns, count(on_time), count(late), count(on_time & first),
                                 count(late & first), count(first_met),
                                 *[count(condition) for condition in in_band],
                                 with_ticket=True)
                 .where(on_time | late).group_by(*group))
        for row in db.session.execute(query):
            yield ResponseRollupRow(tuple(row[:4]), *row[4:9], tuple(row[9:]))

    def response_times(self, count: int) -> tuple:
        """(p50, p90, p50 wall clock, p90 wall clock) of the `count` answered first responses.

        The caller knows the count from the rollup, so each clock needs one sort and a
        streaming ROW_NUMBER, with no COUNT over the whole window to buffer. The p-th
        percentile is the value at rank ceil(p * count / 100).
        """
        if not count:
            return (None,) * 2 * len(PERCENTILES)
        ranks = [-(-p * count // 100) for p in PERCENTILES]
        promise = promise_seconds(ResponseRecord)
        wall = seconds_between(ResponseRecord.received_at, ResponseRecord.met_at)
        ranked = self._responses(
            promise.label("promise"), wall.label("wall"),
            sa.func.row_number().over(order_by=promise).label("rank"),
            sa.func.row_number().over(order_by=wall).label("rank_wall"),
        ).where(ResponseRecord.is_first.is_(True), ResponseRecord.met_at.is_not(None)).subquery()
        c = ranked.c
        return db.session.execute(sa.select(
            *[sa.func.max(sa.case((c.rank == rank, c.promise))) for rank in ranks],
            *[sa.func.max(sa.case((c.rank_wall == rank, c.wall))) for rank in ranks],
        )).one()

    def heatmap(self) -> list[list[int]]:
        """Tickets received per local weekday and hour, with the offset in force at each."""
        hour_of_week = local_hour_of_week(Ticket.created_at, self.segments)
        query = (sa.select(hour_of_week, sa.func.count()).where(*self._received_in_period())
                 .group_by(hour_of_week))
        grid = [[0] * 24 for _ in range(7)]
        for hour, count in db.session.execute(query):
            grid[hour // 24][hour % 24] = count
        return grid

    # --- now, whatever the period -----------------------------------------------------------

    def backlog(self, age_bands) -> list[tuple[int, int, int]]:
        """(awaiting the desk, waiting on the customer, overdue) of open tickets per age band."""
        band = sa.case(*[(Ticket.created_at > self.now - lower, index - 1)
                         for index, (_, lower) in enumerate(age_bands) if index > 0],
                       else_=len(age_bands) - 1)
        awaiting = Ticket.status.in_(AWAITING_DESK_STATUSES)
        query = (sa.select(band, sa.func.sum(sa.case((awaiting, 1), else_=0)),
                           sa.func.sum(sa.case((awaiting, 0), else_=1)),
                           sa.func.sum(sa.case((awaiting & (Ticket.response_due_at < self.now),
                                                1), else_=0)))
                 .where(Ticket.status.in_(OPEN_STATUSES),
                        *self._ticket_conditions(Ticket.category))
                 .group_by(band))
        rows = {index: (desk, customer, overdue)
                for index, desk, customer, overdue in db.session.execute(query)}
        return [rows.get(index, (0, 0, 0)) for index in range(len(age_bands))]

    # --- lists ------------------------------------------------------------------------------

    def late_responses(self) -> Iterator[tuple]:
        """The latest late responses of the period (the total is in the figures).

        The latest ids are picked from the response records alone (the ticket joined only to
        filter), so only the rows shown are joined to their ticket and organisation.
        """
        latest = (self._responses(ResponseRecord.id).where(self._late())
                  .order_by(ResponseRecord.due_at.desc(), ResponseRecord.id.desc())
                  .limit(self.list_limit).subquery())
        stopped = sa.func.coalesce(ResponseRecord.met_at, ResponseRecord.cancelled_at,
                                   self._now())
        query = (sa.select(Ticket.number, Ticket.subject, Organisation.name,
                           ResponseRecord.category, ResponseRecord.received_at,
                           ResponseRecord.due_at, ResponseRecord.met_at,
                           seconds_between(ResponseRecord.due_at, stopped))
                 .join(latest, latest.c.id == ResponseRecord.id)
                 .join(Ticket, Ticket.id == ResponseRecord.ticket_id)
                 .join(Organisation, Organisation.id == Ticket.organisation_id)
                 .order_by(ResponseRecord.due_at.desc(), ResponseRecord.id.desc()))
        yield from db.session.execute(query)

    def calamities(self) -> Iterator[tuple]:
        """The latest calamities received in the period, with their first response."""
        if self.filter.category not in (None, Category.CALAMITY):
            return
        first = aliased(ResponseRecord)
        query = (sa.select(Ticket.number, Ticket.subject, Organisation.name, Ticket.created_at,
                           Ticket.first_response_at,
                           seconds_between(Ticket.created_at, Ticket.first_response_at),
                           first.due_at)
                 .join(Organisation, Organisation.id == Ticket.organisation_id)
                 .outerjoin(first, (first.ticket_id == Ticket.id) & first.is_first.is_(True))
                 .where(Ticket.category == Category.CALAMITY, *self._received_in_period())
                 .order_by(Ticket.created_at.desc(), Ticket.id.desc()).limit(self.list_limit))
        yield from db.session.execute(query)
