"""Manager statistics from stored moments: SQL aggregates that agree on SQLite and PostgreSQL.

Definitions (every figure on the dashboard, the report and the CSV comes from here):
- one row, every column: a ticket and all of its responses count under the category,
  organisation, channel and assigned agent the ticket has now (after a re-categorisation, under
  its new category), so received and responses of a row count the same tickets.
- received: tickets whose first message arrived in the period; resolved: resolutions in it,
  each status change from open to resolved or closed (TicketEvent.is_resolution) counting in
  the period it happened; a reopen takes none away, so an ended month keeps its figure.
- a response belongs to the period its customer message arrived in (ResponseRecord.received_at).
  It was on time when met at or before its due moment; late when met after it, or when the
  due moment passed without a reply (still waiting, or the clock was stopped after it). A
  response cancelled before its due moment (the desk was waiting on the customer, or the
  ticket was resolved) was never owed, and one whose due moment is still ahead is undecided.
  A breach stays a breach: a due moment that passed unmet is kept (breached_due_at) and the
  response is judged by it, even when a re-categorisation or a calendar change later moved
  its due moment.
- first-response time on the promise's clock: working-day seconds from clock start for standard
  categories (stored when the response is met), wall-clock seconds from receipt for
  calamities; the wall-clock time beside it always counts from receipt.
- percentiles are nearest-rank: the value at rank ceil(p * n / 100) of the sorted values.

Cost: settled days are read from the rollup (services/rollup.py), a few rows per day;
the other days (the last week or two, and days changed since their rollup) are one pass per
figure family over their rows (tickets by created_at, resolution events by their moment,
response records by received_at). Both are grouped in SQL by every dimension at once, and
the few grouped rows are added up here per slice. Percentiles need a sort per clock of the
period's stored response times, so they are computed for the whole selection only: filter by
organisation, category or agent to see theirs.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, time, timedelta
from decimal import ROUND_HALF_UP, Decimal

import sqlalchemy as sa
from sqlalchemy.orm import aliased

from helpdesk.domain.business_calendar import BusinessCalendar
from helpdesk.domain.periods import Period, trend_buckets
from helpdesk.extensions import db
from helpdesk.models import (
    Category,
    Channel,
    Organisation,
    ResponseRecord,
    StaffMember,
    Ticket,
    TicketEvent,
    TicketStatus,
)
from helpdesk.models.stats import TIME_BANDS
from helpdesk.services.stats import rollup
from helpdesk.services.stats.queries import (
    ResponseRollupRow,
    StatsQueries,
    counted_due_at,
    is_tickets_first_record,
    late_seconds,
)

# Backlog age bands: (label key, lower bound); each band runs to the next bound.
AGE_BANDS = (("under_1_day", timedelta(0)), ("1_to_3_days", timedelta(days=1)),
             ("3_to_7_days", timedelta(days=3)), ("7_to_30_days", timedelta(days=7)),
             ("30_days_or_more", timedelta(days=30)))
LIST_LIMIT = 50


def percentage(part: int, whole: int) -> Decimal | None:
    """`part` of `whole` in percent with one decimal, rounded half up; None for nothing."""
    if not whole:
        return None
    return (Decimal(100 * part) / whole).quantize(Decimal("0.1"), ROUND_HALF_UP)


@dataclass(frozen=True)
class StatsFilter:
    """What a manager looks at: a period and optional dimensions (all combined with AND)."""

    period: Period
    organisation_id: int | None = None
    category: Category | None = None
    channel: Channel | None = None
    assignee_id: int | None = None
    unassigned: bool = False  # only tickets without an assignee (when assignee_id is None)


@dataclass(frozen=True)
class Outcomes:
    """Decided responses: on time or late."""

    on_time: int = 0
    late: int = 0

    @property
    def decided(self) -> int:
        return self.on_time + self.late

    @property
    def share_on_time(self) -> Decimal | None:
        return percentage(self.on_time, self.decided)


@dataclass(frozen=True)
class ResponseTimes:
    """Nearest-rank percentiles of first-response times, in seconds."""

    count: int = 0
    p50: int | None = None
    p90: int | None = None
    p50_wall: int | None = None
    p90_wall: int | None = None


@dataclass
class Figures:
    """The headline figures of the whole selection or of one slice of it."""

    received: int = 0
    resolved: int = 0
    on_time: int = 0
    late: int = 0
    first_on_time: int = 0
    first_late: int = 0
    first_responses_met: int = 0
    # Percentiles need a sort per slice, so only the whole selection has them.
    times: ResponseTimes | None = None

    @property
    def responses(self) -> Outcomes:
        return Outcomes(self.on_time, self.late)

    @property
    def first_responses(self) -> Outcomes:
        return Outcomes(self.first_on_time, self.first_late)


@dataclass(frozen=True)
class BacklogBand:
    key: str
    awaiting_desk: int
    waiting_on_customer: int
    overdue: int  # awaiting the desk with the response due moment passed

    @property
    def total(self) -> int:
        return self.awaiting_desk + self.waiting_on_customer


@dataclass(frozen=True)
class LateResponse:
    number: int
    subject: str
    organisation: str
    category: Category
    received_at: datetime
    due_at: datetime
    met_at: datetime | None
    late_seconds: int


@dataclass(frozen=True)
class CalamityRow:
    number: int
    subject: str
    organisation: str
    received_at: datetime
    first_response_at: datetime | None
    seconds_to_response: int | None
    due_at: datetime | None

    @property
    def on_time(self) -> bool | None:
        if self.first_response_at is None or self.due_at is None:
            return None
        return self.first_response_at <= self.due_at


@dataclass(frozen=True)
class OrganisationTicket:
    number: int
    subject: str
    category: Category
    channel: Channel
    status: TicketStatus
    received_at: datetime
    first_response_at: datetime | None
    promise_seconds: int | None  # time to the first response on the promise's clock


@dataclass
class Dashboard:
    filter: StatsFilter
    timezone: str
    now: datetime
    totals: Figures
    granularity: str
    trend: list[tuple[Period, Figures]]
    by_category: list[tuple[Category, Figures]]
    by_organisation: list[tuple[Organisation, Figures]]
    by_agent: list[tuple[StaffMember | None, Figures]]
    time_bands: list[tuple[str, int]]
    heatmap: list[list[int]]  # [weekday Monday=0][local hour]
    office_hours: frozenset[tuple[int, int]]
    outside_office_hours: int  # arrivals when the business calendar has the desk closed
    backlog: list[BacklogBand]
    late_responses: list[LateResponse]
    calamities: list[CalamityRow]

    @property
    def calamity_count(self) -> int:
        return sum(figures.received for category, figures in self.by_category
                   if category == Category.CALAMITY)


# The dimensions every rollup row carries, in this order, after the bucket.
SLICES = ("bucket", "category", "organisation", "agent")


def dashboard(stats_filter: StatsFilter, now: datetime, calendar: BusinessCalendar, *,
              list_limit: int = LIST_LIMIT) -> Dashboard:
    """Every figure of the dashboard for one filter, as of `now`."""
    granularity, buckets = trend_buckets(stats_filter.period)
    rolled = rollup.readable_spans(stats_filter.period, calendar.timezone, now, buckets)
    queries = StatsQueries(stats_filter, now, calendar.timezone, buckets, list_limit,
                           rolled.days, rolled.months)
    totals = Figures()
    slices: dict[str, dict] = {name: {} for name in SLICES}
    bands = [0] * len(TIME_BANDS)

    def figures_for(keys: tuple) -> list[Figures]:
        """The totals and the slice of every dimension a rollup row belongs to."""
        return [totals, *(slices[name].setdefault(key, Figures())
                          for name, key in zip(SLICES, keys, strict=True))]

    def add_resolved(bucket, count: int) -> None:
        totals.resolved += count
        slices["bucket"].setdefault(bucket, Figures()).resolved += count

    def add_responses(row: ResponseRollupRow) -> None:
        nonlocal bands
        for figures in figures_for(row.keys):
            figures.on_time += row.on_time
            figures.late += row.late
            figures.first_on_time += row.first_on_time
            figures.first_late += row.first_late
            figures.first_responses_met += row.first_met
        bands = [total + count for total, count in zip(bands, row.bands, strict=True)]

    for *keys, count in queries.received_rollup():
        for figures in figures_for(tuple(keys)):
            figures.received += count
    for bucket, count in queries.resolved_by_bucket():
        add_resolved(bucket, count)
    for row in queries.response_rollup(TIME_BANDS):
        add_responses(row)
    for row in queries.rolled_rollup():
        keys, (received, resolved, *measures) = tuple(row[:4]), row[4:]
        if resolved:
            add_resolved(keys[0], resolved)
        # As from live rows: a slice exists where tickets arrived or responses were decided.
        if received:
            for figures in figures_for(keys):
                figures.received += received
        if measures[0] or measures[1]:
            add_responses(ResponseRollupRow(keys, *measures[:5], tuple(measures[5:])))
    totals.times = ResponseTimes(totals.first_responses_met,
                                 *queries.response_times(totals.first_responses_met))
    heatmap = queries.heatmap()
    office_hours = office_hour_cells(calendar)
    return Dashboard(
        filter=stats_filter, timezone=calendar.timezone, now=now, totals=totals,
        granularity=granularity,
        trend=[(bucket, slices["bucket"].get(index, Figures()))
               for index, bucket in enumerate(buckets)],
        by_category=[(category, slices["category"][category]) for category in Category
                     if category in slices["category"]],
        by_organisation=_named(Organisation, slices["organisation"]),
        by_agent=_named(StaffMember, slices["agent"]),
        time_bands=[(name, count) for (name, _), count in zip(TIME_BANDS, bands, strict=True)],
        heatmap=heatmap, office_hours=office_hours,
        outside_office_hours=outside_office_hours(calendar, stats_filter.period, queries,
                                                  heatmap),
        backlog=[BacklogBand(name, *counts)
                 for (name, _), counts in zip(AGE_BANDS, queries.backlog(AGE_BANDS),
                                              strict=True)],
        late_responses=[LateResponse(*row) for row in queries.late_responses()],
        calamities=[CalamityRow(*row) for row in queries.calamities()],
    )


# The figures a manager can open as a list: each lists exactly the set the figure counts.
DRILLDOWN_FIGURES = ("received", "resolved", "late", "awaiting", "waiting", "overdue")
BACKLOG_FIGURES = ("awaiting", "waiting", "overdue")  # now, per age band; not per period
ROW_COLUMNS = (Ticket.number, Ticket.subject, Organisation.name, Ticket.category, Ticket.status)


@dataclass(frozen=True)
class DrilldownRow:
    """A ticket a figure counts; for late responses one of its late responses, for resolved
    one of its resolutions."""

    number: int
    subject: str
    organisation: str
    category: Category
    status: TicketStatus
    received_at: datetime  # the ticket's, or the customer message's of the late response
    due_at: datetime | None  # the response's counted due moment, or the ticket's due now
    answered_at: datetime | None  # the reply (first response), or the resolution's moment
    late_seconds: int | None  # late responses only


@dataclass(frozen=True)
class Drilldown:
    figure: str
    count: int
    rows: list[DrilldownRow]
    page: int
    per_page: int

    @property
    def has_next(self) -> bool:
        return self.page * self.per_page < self.count


def drilldown(stats_filter: StatsFilter, figure: str, now: datetime, timezone: str, *,
              band: int = 0, page: int = 1, per_page: int = 100) -> Drilldown:
    """One page of what a figure counts, and how many: the same set the figure is counted from."""
    queries = StatsQueries(stats_filter, now, timezone, [stats_filter.period], per_page)
    if figure == "late":
        ids = queries.late_ids().subquery()
        columns = (ResponseRecord.received_at, counted_due_at(), ResponseRecord.met_at,
                   late_seconds(now))
        query = (sa.select(*ROW_COLUMNS, *columns).select_from(ResponseRecord)
                 .join(ids, ids.c.id == ResponseRecord.id)
                 .join(Ticket, Ticket.id == ResponseRecord.ticket_id)
                 .order_by(counted_due_at().desc(), ResponseRecord.id.desc()))
    elif figure == "resolved":
        ids = queries.resolved_ids().subquery()
        columns = (Ticket.created_at, sa.null(), TicketEvent.at, sa.null())
        query = (sa.select(*ROW_COLUMNS, *columns).select_from(TicketEvent)
                 .join(ids, ids.c.id == TicketEvent.id)
                 .join(Ticket, Ticket.id == TicketEvent.ticket_id)
                 .order_by(TicketEvent.at.desc(), TicketEvent.id.desc()))
    else:
        if figure == "received":
            ids = queries.received_ids().subquery()
            columns = (Ticket.created_at, sa.null(), Ticket.first_response_at, sa.null())
        elif figure in BACKLOG_FIGURES:
            ids = queries.backlog_ids(figure, band, AGE_BANDS).subquery()
            columns = (Ticket.created_at, Ticket.response_due_at, Ticket.first_response_at,
                       sa.null())
        else:
            raise ValueError(f"no drill-down for {figure!r}")
        query = (sa.select(*ROW_COLUMNS, *columns).select_from(Ticket)
                 .join(ids, ids.c.id == Ticket.id)
                 .order_by(Ticket.created_at.desc(), Ticket.id.desc()))
    query = query.join(Organisation, Organisation.id == Ticket.organisation_id)
    total = db.session.scalar(sa.select(sa.func.count()).select_from(ids))
    rows = db.session.execute(query.limit(per_page).offset((page - 1) * per_page))
    return Drilldown(figure, total, [DrilldownRow(*row) for row in rows], page, per_page)


def outside_office_hours(calendar: BusinessCalendar, period: Period, queries: StatsQueries,
                         heatmap: list[list[int]]) -> int:
    """Arrivals outside the business calendar's office hours: on a day it has closed (weekend,
    public holiday, closing day) or outside its hours on a working day.

    The calendar says which of the period's days are closed. When the office opens and closes
    on the hour, the heatmap's cells give the arrivals within the hours per weekday, and only
    the closed days on a weekday that is otherwise open (a holiday, a closing day) are read
    from the tickets; otherwise every arrival is placed to the second.
    """
    days = [period.start + timedelta(days=offset) for offset in range(period.days)]
    closed = [day for day in days if not calendar.is_working_day(day)]
    opens_at, closes_at = calendar.opens_at, calendar.closes_at
    if any(moment != time(moment.hour) for moment in (opens_at, closes_at)):
        received, within = queries.arrivals_in_hours(opens_at, closes_at, except_days=closed)
        return received - within
    open_weekdays = {day.weekday() for day in set(days) - set(closed)}
    hours = range(opens_at.hour, closes_at.hour)
    within = sum(heatmap[weekday][hour] for weekday in open_weekdays for hour in hours)
    holidays = [day for day in closed if day.weekday() in open_weekdays]
    if holidays:
        within -= queries.arrivals_in_hours(opens_at, closes_at, on_days=holidays)[1]
    return sum(map(sum, heatmap)) - within


def office_hour_cells(calendar: BusinessCalendar) -> frozenset[tuple[int, int]]:
    """(weekday, hour) cells wholly inside office hours, Monday to Friday (holidays aside)."""
    return frozenset((day, hour) for day in range(5) for hour in range(24)
                     if calendar.opens_at <= time(hour) and hour + 1 <= calendar.closes_at.hour)


def _named(model, figures_by_id: dict) -> list:
    """(row, figures) by name; the None key (unassigned) comes last as (None, figures)."""
    ids = [key for key in figures_by_id if key is not None]
    rows = db.session.scalars(sa.select(model).where(model.id.in_(ids))).all() if ids else []
    named = sorted(((row, figures_by_id[row.id]) for row in rows),
                   key=lambda pair: pair[0].name.lower())
    if None in figures_by_id:
        named.append((None, figures_by_id[None]))
    return named


def organisation_tickets(organisation_id: int, period: Period, timezone: str,
                         limit: int) -> tuple[list[OrganisationTicket], int]:
    """An organisation's tickets received in a period (the first `limit`) and how many there are."""
    start, end = period.utc_bounds(timezone)
    conditions = [Ticket.organisation_id == organisation_id, Ticket.created_at >= start,
                  Ticket.created_at < end]
    count = db.session.scalar(sa.select(sa.func.count()).select_from(Ticket).where(*conditions))
    first = aliased(ResponseRecord)
    query = (sa.select(Ticket.number, Ticket.subject, Ticket.category, Ticket.channel,
                       Ticket.status, Ticket.created_at, Ticket.first_response_at,
                       first.promise_seconds_to_response)
             .outerjoin(first, is_tickets_first_record(first))
             .where(*conditions).order_by(Ticket.created_at, Ticket.id).limit(limit))
    return [OrganisationTicket(*row) for row in db.session.execute(query)], count


def filter_choices() -> tuple[list[Organisation], list[StaffMember]]:
    """Organisations and staff members to filter by, by name."""
    organisations = db.session.scalars(sa.select(Organisation).order_by(Organisation.name)).all()
    staff = db.session.scalars(sa.select(StaffMember).order_by(StaffMember.name)).all()
    return list(organisations), list(staff)
