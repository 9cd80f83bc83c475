"""The agents' queue: open work by urgency, filtered and searched, answered from indexes."""
from collections.abc import Mapping
from dataclasses import dataclass, fields, replace
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from sqlalchemy.orm import joinedload

from helpdesk.domain.business_calendar import DEFAULT_TIMEZONE, BusinessCalendar
from helpdesk.domain.ids import MAX_PAGE, parse_id, parse_number
from helpdesk.domain.periods import EARLIEST, LATEST
from helpdesk.domain.reference import ticket_number
from helpdesk.domain.sla import working_time_left
from helpdesk.extensions import db
from helpdesk.models import (
    AWAITING_DESK_STATUSES,
    Category,
    Channel,
    Contact,
    Organisation,
    ResponseRecord,
    StaffMember,
    Ticket,
    TicketStatus,
)
from helpdesk.models.ticket import CALAMITY_FIRST_SQL, UNDUE_LAST_SQL
from helpdesk.services import NotFound
from helpdesk.services.people import visibility
from helpdesk.services.promise.calendar_settings import configured_calendar
from helpdesk.services.tickets.search import ticket_condition

# Beyond this, "how long overdue on the working-day clock" stops helping; we show since when.
OVERDUE_DETAIL_LIMIT = timedelta(days=7)
# Status values as the partial urgency index names them (same order as in its WHERE clause).
OPEN_STATUS_VALUES = ("new", "open", "waiting")
STATUS_ALL = "all"


# The index's own expressions, qualified because the queue joins tables with columns of the
# same names; both databases match index expressions by the columns they name, not the text.
CALAMITY_FIRST = sa.literal_column(CALAMITY_FIRST_SQL.replace("category", "ticket.category"))
UNDUE_LAST = sa.literal_column(UNDUE_LAST_SQL.replace("response_due_at",
                                                      "ticket.response_due_at"))
# What a queue row shows: plain columns, so a page of fifty costs no ORM bookkeeping.
ROW_COLUMNS = (Ticket.id, Ticket.number, Ticket.subject, Ticket.category, Ticket.status,
               Ticket.channel, Ticket.response_due_at, Ticket.due_soon_at, Ticket.due_soon,
               Organisation.name.label("organisation"), Contact.name.label("raised_by"),
               StaffMember.name.label("assignee"))


def urgency_order() -> list:
    """Calamities first, then by response due moment (overdue ones first), none due last.

    An overdue response is a breached one, so ordering by the due moment puts breached tickets
    before the rest. The expressions match the partial index ix_ticket_queue_urgency.
    """
    return [CALAMITY_FIRST, UNDUE_LAST, Ticket.response_due_at, Ticket.created_at, Ticket.id]


def _open_work() -> sa.ColumnElement:
    """The partial index's condition, with the values inline so both databases see it."""
    values = sa.bindparam("open_statuses", list(OPEN_STATUS_VALUES), expanding=True,
                          literal_execute=True)
    return Ticket.status.in_(values)


def _iso_date(text: str) -> str:
    """The date if it is one (YYYY-MM-DD, this century), else "" so the filter is ignored."""
    try:
        day = date.fromisoformat(text.strip())
    except ValueError:
        return ""
    return day.isoformat() if EARLIEST <= day <= LATEST else ""


def _local_midnight(day: str, timezone: str) -> datetime:
    return datetime.combine(date.fromisoformat(day), time(0), tzinfo=ZoneInfo(timezone))


@dataclass(frozen=True)
class QueueFilters:
    """What the agent asked to see; lives in the URL so views are shareable and go back."""

    q: str = ""
    assignee: str = ""  # "", "me", "none" or a staff id
    category: str = ""
    status: str = ""  # "" open work, "all", or one status
    organisation: str = ""  # a slug
    channel: str = ""
    received_from: str = ""  # a local date (the desk's time zone), inclusive
    received_to: str = ""  # a local date, inclusive
    due_soon: bool = False
    breached: bool = False
    page: int = 1

    @classmethod
    def from_args(cls, args: Mapping) -> "QueueFilters":
        """Read filters from query arguments; values that make no sense are ignored."""
        assignee = args.get("assignee", "")
        if assignee not in ("me", "none") and parse_id(assignee) is None:
            assignee = ""
        category = args.get("category", "")
        status = args.get("status", "")
        page = args.get("page", "")
        channel = args.get("channel", "")
        return cls(
            q=args.get("q", "").strip()[:200],
            assignee=assignee,
            category=category if category in Category._value2member_map_ else "",
            status=status if status in TicketStatus._value2member_map_ or status == STATUS_ALL
            else "",
            organisation=args.get("organisation", "").strip()[:64],
            channel=channel if channel in Channel._value2member_map_ else "",
            received_from=_iso_date(args.get("received_from", "")),
            received_to=_iso_date(args.get("received_to", "")),
            due_soon=args.get("due_soon") == "1",
            breached=args.get("breached") == "1",
            page=parse_number(page, least=1, most=MAX_PAGE) or 1,
        )

    def to_args(self, **changes) -> dict:
        """The non-default filters as query arguments (a clean, shareable URL)."""
        current = replace(self, **changes)
        args = {}
        for field in fields(current):
            value = getattr(current, field.name)
            if value and not (field.name == "page" and value == 1):
                args[field.name] = "1" if value is True else str(value)
        return args

    @property
    def in_urgency_order(self) -> bool:
        return self.status == "" or self.status in OPEN_STATUS_VALUES


@dataclass(frozen=True)
class TimeLeft:
    """How a ticket stands against its owed response, as the queue shows it."""

    state: str  # "none", "ok", "due_soon" or "breached"
    left: timedelta | None = None  # working-day time left; negative when overdue
    due_at: datetime | None = None


@dataclass(frozen=True)
class QueueRow:
    ticket: sa.Row  # ROW_COLUMNS
    time_left: TimeLeft


@dataclass(frozen=True)
class QueuePage:
    rows: list[QueueRow]
    page: int
    has_next: bool


def time_left(ticket: Ticket | sa.Row, now: datetime,
              calendar: BusinessCalendar | None = None) -> TimeLeft:
    """Amber once due soon, red once the due moment passed (before the sweep flags it).

    Without a `calendar`, the configured one is read, and only while the clock runs.
    """
    due_at = ticket.response_due_at
    if due_at is None:
        return TimeLeft("none")
    calendar = calendar or configured_calendar()
    if due_at <= now:
        if now - due_at > OVERDUE_DETAIL_LIMIT:
            return TimeLeft("breached", None, due_at)
        return TimeLeft("breached", working_time_left(now, due_at, ticket.category, calendar),
                        due_at)
    left = working_time_left(now, due_at, ticket.category, calendar)
    soon = ticket.due_soon or (ticket.due_soon_at is not None and ticket.due_soon_at <= now)
    return TimeLeft("due_soon" if soon else "ok", left, due_at)


def queue_query(filters: QueueFilters, viewer: StaffMember, now: datetime, *,
                timezone: str = DEFAULT_TIMEZONE) -> sa.Select:
    """The tickets the filters select and the viewer may see, in the order the queue shows them."""
    query = (sa.select(*ROW_COLUMNS)
             .join(Organisation, Organisation.id == Ticket.organisation_id)
             .join(Contact, Contact.id == Ticket.raised_by_id)
             .outerjoin(StaffMember, StaffMember.id == Ticket.assignee_id))
    visible = visibility.ticket_condition(viewer, now)
    if visible is not None:
        query = query.where(visible)
    if filters.status == "":
        # A ticket number is a look-up: the agent wants that ticket, resolved or closed too.
        # Only the default view gives way; a status the agent chose still applies.
        number = ticket_number(filters.q)
        query = query.where(_open_work() if number is None
                            else sa.or_(_open_work(), Ticket.number == number))
    elif filters.status != STATUS_ALL:
        query = query.where(Ticket.status == TicketStatus(filters.status))
        if filters.in_urgency_order:
            query = query.where(_open_work())
    if filters.assignee == "me":
        query = query.where(Ticket.assignee_id == viewer.id)
    elif filters.assignee == "none":
        query = query.where(Ticket.assignee_id.is_(None))
    elif filters.assignee:
        query = query.where(Ticket.assignee_id == int(filters.assignee))
    if filters.category:
        query = query.where(Ticket.category == Category(filters.category))
    if filters.organisation:
        query = query.where(Ticket.organisation_id == sa.select(Organisation.id).where(
            Organisation.slug == filters.organisation).scalar_subquery())
    if filters.channel:
        query = query.where(Ticket.channel == Channel(filters.channel))
    if filters.received_from:
        query = query.where(Ticket.created_at >= _local_midnight(filters.received_from, timezone))
    if filters.received_to:
        # Wall-clock arithmetic in the zone: the next local midnight, across DST too.
        day_after = _local_midnight(filters.received_to, timezone) + timedelta(days=1)
        query = query.where(Ticket.created_at < day_after)
    if filters.due_soon:
        query = query.where(Ticket.due_soon_at <= now, Ticket.response_due_at > now)
    if filters.breached:
        # Overdue now, or breached once: red either way.
        query = query.where(sa.or_(Ticket.response_due_at <= now, Ticket.breached.is_(True)))
    if filters.q:
        condition = ticket_condition(filters.q)
        if condition is not None:
            query = query.where(condition)
    if filters.in_urgency_order:
        return query.order_by(*urgency_order())
    return query.order_by(Ticket.created_at.desc(), Ticket.id.desc())


def queue_page(filters: QueueFilters, viewer: StaffMember, now: datetime,
               calendar: BusinessCalendar, per_page: int = 50) -> QueuePage:
    """One page of the queue; one row more than shown tells whether a next page exists."""
    query = (queue_query(filters, viewer, now, timezone=calendar.timezone)
             .limit(per_page + 1).offset((filters.page - 1) * per_page))
    tickets = db.session.execute(query).all()
    rows = [QueueRow(t, time_left(t, now, calendar)) for t in tickets[:per_page]]
    return QueuePage(rows=rows, page=filters.page, has_next=len(tickets) > per_page)


def staff_choices(shown_id: int | None = None) -> list[StaffMember]:
    """Active colleagues, and the one a filter names even if they have left (so it shows)."""
    chosen = StaffMember.active.is_(True)
    if shown_id is not None:
        chosen = sa.or_(chosen, StaffMember.id == shown_id)
    return db.session.scalars(sa.select(StaffMember).where(chosen)
                              .order_by(StaffMember.name)).all()


def organisation_choices(viewer: StaffMember, now: datetime) -> list[Organisation]:
    """The organisations the viewer may see, by name."""
    query = sa.select(Organisation).order_by(Organisation.name)
    visible = visibility.organisation_condition(
        Organisation.id, visibility.visible_organisation_ids(viewer, now))
    if visible is not None:
        query = query.where(visible)
    return db.session.scalars(query).all()


def ticket_by_number(number: int, viewer: StaffMember, now: datetime) -> Ticket:
    """The ticket with the people every page of it names, in one query.

    A ticket the viewer may not see is not found: its number reveals nothing.
    """
    ticket = db.session.scalar(
        sa.select(Ticket).filter_by(number=number)
        .options(joinedload(Ticket.organisation), joinedload(Ticket.raised_by),
                 joinedload(Ticket.assignee)))
    if ticket is None or not visibility.may_see_ticket(viewer, ticket, now):
        raise NotFound("There is no ticket with that number.")
    return ticket


@dataclass(frozen=True)
class OpenCalamity:
    number: int
    subject: str
    organisation: str
    received_at: datetime
    age: timedelta


def open_calamities(now: datetime) -> list[OpenCalamity]:
    """Calamities still waiting for a response, oldest first, in one query (the staff banner)."""
    rows = db.session.execute(
        sa.select(Ticket.number, Ticket.subject, Organisation.name, ResponseRecord.received_at)
        .join(Organisation, Organisation.id == Ticket.organisation_id)
        .join(ResponseRecord, sa.and_(ResponseRecord.ticket_id == Ticket.id,
                                      ResponseRecord.met_at.is_(None),
                                      ResponseRecord.cancelled_at.is_(None)))
        .where(Ticket.category == Category.CALAMITY, Ticket.status.in_(AWAITING_DESK_STATUSES))
        .order_by(ResponseRecord.received_at, Ticket.number)
    ).all()
    return [OpenCalamity(number, subject, organisation, received_at,
                         max(now - received_at, timedelta(0)))
            for number, subject, organisation, received_at in rows]


def new_calamities(known_numbers: set[int], now: datetime) -> list[OpenCalamity]:
    """Calamities awaiting the desk that the agent's open queue page has not shown yet."""
    return [c for c in open_calamities(now) if c.number not in known_numbers]
