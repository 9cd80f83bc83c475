"""Stored response deadlines: recomputed whenever a ticket changes, swept cheaply later."""
import math
from collections.abc import Iterable
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.orm import Session

from helpdesk.domain.business_calendar import BusinessCalendar
from helpdesk.domain.sla import SlaPolicy, deadline_for, elapsed_on_clock, escalation_steps
from helpdesk.extensions import db
from helpdesk.models import AWAITING_DESK_STATUSES, Category, ResponseRecord, Ticket
from helpdesk.services.history import ticket_link

# session.info key: owed responses looked up for a batch, {ticket id: record or None}.
_KNOWN_OPEN = "helpdesk.known_open_responses"


def install() -> None:
    """Forget looked-up responses at every flush and transaction end (once per process)."""
    for name in ("after_flush", "after_transaction_end"):
        if not event.contains(Session, name, _forget_known_open):
            event.listen(Session, name, _forget_known_open)


def _forget_known_open(session: Session, *_) -> None:
    session.info.pop(_KNOWN_OPEN, None)


def look_up_open_responses(ticket_ids: Iterable[int]) -> None:
    """The owed responses of many tickets in one query, for a batch staged without flushing.

    Until the next flush, `open_response` finds what it owes in the pending records (those
    the batch added) or here; a flush makes the pending ones stored, so it forgets these.
    """
    known = db.session.info.setdefault(_KNOWN_OPEN, {})
    ids = {i for i in ticket_ids if i is not None} - known.keys()
    if not ids:
        return
    latest: dict[int, ResponseRecord] = {}
    for record in db.session.scalars(
            sa.select(ResponseRecord)
            .where(ResponseRecord.ticket_id.in_(ids), ResponseRecord.met_at.is_(None),
                   ResponseRecord.cancelled_at.is_(None))
            .order_by(ResponseRecord.id)):
        latest[record.ticket_id] = record
    known.update((i, latest.get(i)) for i in ids)


def open_response(ticket: Ticket) -> ResponseRecord | None:
    """The response the desk currently owes on this ticket, if any."""
    owed = [r for r in _pending_records(ticket) if r.met_at is None and r.cancelled_at is None]
    if owed or ticket.id is None:
        return owed[-1] if owed else None
    known = db.session.info.get(_KNOWN_OPEN, {})
    if ticket.id in known:
        record = known[ticket.id]
        if record is None or (record.met_at is None and record.cancelled_at is None):
            return record
    return db.session.scalar(
        sa.select(ResponseRecord)
        .where(ResponseRecord.ticket_id == ticket.id, ResponseRecord.met_at.is_(None),
               ResponseRecord.cancelled_at.is_(None))
        .order_by(ResponseRecord.id.desc()).limit(1)
    )


def _pending_records(ticket: Ticket) -> list[ResponseRecord]:
    """The ticket's records not inserted yet: ingestion stages a batch of mail without flushing."""
    return [obj for obj in db.session.new if isinstance(obj, ResponseRecord)
            and (obj.ticket is ticket if ticket.id is None else obj.ticket_id == ticket.id)]


def owe_response(ticket: Ticket, received_at: datetime, calendar: BusinessCalendar,
                 policy: SlaPolicy) -> ResponseRecord:
    """A customer message: start a response clock, unless one already runs.

    A second message before we answered keeps the earlier (stricter) due moment, and the
    escalations already under way for it.
    """
    record = open_response(ticket)
    if record is not None:
        return record
    is_first = ticket.first_response_at is None and not _pending_records(ticket) and (
        ticket.id is None or not db.session.scalar(
            sa.select(sa.exists().where(ResponseRecord.ticket_id == ticket.id))))
    return _start_clock(ticket, received_at, is_first, calendar, policy)


def move_response(record: ResponseRecord, target: Ticket, calendar: BusinessCalendar,
                  policy: SlaPolicy, now: datetime) -> ResponseRecord:
    """A merged duplicate's owed response becomes the target's, unless the target owes one.

    The record itself moves, so its customer message is owed (and counted) once, and a due
    moment that passed before the merge stays the breach it was.
    """
    owed = open_response(target)
    if owed is not None:
        return owed  # the target's earlier clock answers both messages
    keep_breach(target, record, now)
    record.ticket_id = target.id
    record.category = target.category
    _schedule(target, record, calendar, policy)
    return record


def owe_first_response(ticket: Ticket, received_at: datetime, calendar: BusinessCalendar,
                       policy: SlaPolicy) -> ResponseRecord:
    """A new ticket owes its first response: it has no clock yet, so nothing to look up.

    The record is flushed with the next query, as anything that asks for it by id queries.
    """
    return _start_clock(ticket, received_at, True, calendar, policy)


def _start_clock(ticket: Ticket, received_at: datetime, is_first: bool,
                 calendar: BusinessCalendar, policy: SlaPolicy) -> ResponseRecord:
    record = ResponseRecord(**ticket_link(ticket), is_first=is_first, received_at=received_at,
                            category=ticket.category, clock_started_at=received_at,
                            due_at=received_at)
    db.session.add(record)
    _schedule(ticket, record, calendar, policy)
    return record


def recompute(ticket: Ticket, calendar: BusinessCalendar, policy: SlaPolicy, *,
              now: datetime) -> None:
    """Recompute the owed response after a category or calendar change.

    A due moment that already passed is kept as the breach it was before it moves.
    """
    record = open_response(ticket)
    if record is not None and ticket.status in AWAITING_DESK_STATUSES:
        keep_breach(ticket, record, now)
        record.category = ticket.category
        _schedule(ticket, record, calendar, policy)


def keep_breach(ticket: Ticket, record: ResponseRecord, now: datetime) -> None:
    """If the record's due moment passed unmet by `now`, keep it for good as the breach."""
    if record.breached_due_at is None and record.met_at is None and record.due_at < now:
        record.breached_due_at = record.due_at
        record.breached = ticket.breached = True


def _schedule(ticket: Ticket, record: ResponseRecord, calendar: BusinessCalendar,
              policy: SlaPolicy) -> None:
    """Store the due moments; the sweep acts on next_escalation_at and re-flags due soon."""
    deadline = deadline_for(record.received_at, ticket.category, calendar, policy)
    record.clock_started_at = deadline.clock_started_at
    record.due_at = deadline.response_due_at
    ticket.response_due_at = deadline.response_due_at
    ticket.due_soon_at = deadline.due_soon_at
    steps = escalation_steps(ticket.category, record.received_at, deadline.due_soon_at,
                             deadline.response_due_at, policy)
    ticket.next_escalation_at = steps[0].at
    ticket.due_soon = False


def meet_response(ticket: Ticket, responded_at: datetime, calendar: BusinessCalendar) -> None:
    """A public reply by an agent: the owed response is met (late or not)."""
    record = open_response(ticket)
    if record is not None:
        keep_breach(ticket, record, responded_at)
        record.met_at = responded_at
        # A breach the sweep recorded stays, even if a recompute later moved the due moment.
        record.breached = record.breached or responded_at > record.due_at
        record.working_seconds_to_response = int(elapsed_on_clock(
            record.clock_started_at, responded_at, record.category, calendar).total_seconds())
        record.wall_seconds_to_response = whole_seconds_between(record.received_at, responded_at)
        record.promise_seconds_to_response = (
            record.wall_seconds_to_response if record.category == Category.CALAMITY
            else record.working_seconds_to_response)
        if record.breached:
            ticket.breached = True
    if ticket.first_response_at is None:
        ticket.first_response_at = responded_at
    _stop_clock(ticket)


def whole_seconds_between(start: datetime, end: datetime) -> int:
    """Seconds from `start` to `end`, each floored to the second first, as the statistics count."""
    return math.floor(end.timestamp()) - math.floor(start.timestamp())


def pause(ticket: Ticket, at: datetime) -> None:
    """Waiting on the customer, resolved or closed: no response is due any more."""
    record = open_response(ticket)
    if record is not None:
        keep_breach(ticket, record, at)
        record.cancelled_at = at
    _stop_clock(ticket)


def _stop_clock(ticket: Ticket) -> None:
    ticket.response_due_at = None
    ticket.due_soon_at = None
    ticket.next_escalation_at = None
    ticket.due_soon = False
