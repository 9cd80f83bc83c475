"""Changes to the data the statistics count, noted in the transaction that makes them.

Every flush that changes a ticket's counted fields or a response record, or adds a resolution
event to a ticket's history, appends a StatsChange row per UTC date of the moments it touches.
Rows are only ever added (writers never wait for each other) and the rollup folds old ones
together; services/stats_rollup.py compares their weight with what it was when a day was
rolled up. Code that changes tickets or response records with bulk SQL instead of the session
must call `note_changes` itself.
"""
from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from datetime import UTC, date, datetime, timedelta

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.orm import Session

from helpdesk.domain.periods import Period
from helpdesk.extensions import db
from helpdesk.models import ResponseRecord, StatsChange, Ticket, TicketEvent

# Ticket fields whose change moves the ticket and its response records between slices (a
# relationship's key is only synchronised during the flush, so both are watched).
TICKET_DIMENSIONS = ("category", "organisation_id", "organisation", "assignee_id", "assignee",
                     "channel")
# All the ticket fields the figures count by; other changes (status, due moments) do not:
# resolutions count by their history events (TicketEvent.is_resolution), noted when added.
COUNTED_TICKET_FIELDS = ("created_at", *TICKET_DIMENSIONS)


def install() -> None:
    """Note every session flush's changes to counted data (once per process)."""
    if not event.contains(Session, "before_flush", _note_flushed_changes):
        event.listen(Session, "before_flush", _note_flushed_changes)


def note_changes(session: Session, moments: Iterable[datetime | None]) -> None:
    """Record that figures of the UTC dates of `moments` changed, in the caller's transaction."""
    days = sorted({moment.astimezone(UTC).date() for moment in moments if moment is not None})
    if days:
        session.connection().execute(sa.insert(StatsChange),
                                     [{"utc_day": day, "weight": 1} for day in days])


def _note_flushed_changes(session: Session, flush_context, instances) -> None:
    # Values about to be written come from the attribute history; the stored ones (which may
    # not be loaded, e.g. expired by the last commit) are read from the database.
    moments: list[datetime | None] = []
    ticket_ids: list[int] = []  # tickets whose stored moments count
    moved_ticket_ids: list[int] = []  # tickets whose records' days count too
    record_ids: list[int] = []
    for obj in session.new:
        if isinstance(obj, Ticket):
            moments.append(obj.created_at)
        elif isinstance(obj, ResponseRecord):
            moments.append(obj.received_at)
        elif isinstance(obj, TicketEvent) and obj.is_resolution:
            moments.append(obj.at)
    for obj in session.dirty | session.deleted:
        if isinstance(obj, Ticket):
            state = sa.inspect(obj)
            changed = [name for name in COUNTED_TICKET_FIELDS
                       if state.attrs[name].history.has_changes()]
            if changed or obj in session.deleted:
                moments += state.attrs.created_at.history.added
                ticket_ids.append(obj.id)
            if obj in session.deleted or any(name in TICKET_DIMENSIONS for name in changed):
                moved_ticket_ids.append(obj.id)
        elif isinstance(obj, ResponseRecord) and (obj in session.deleted
                                                  or session.is_modified(obj)):
            moments += sa.inspect(obj).attrs.received_at.history.added
            record_ids.append(obj.id)
    connection = session.connection() if ticket_ids or record_ids else None
    if ticket_ids:
        moments += connection.scalars(sa.select(Ticket.created_at)
                                      .where(Ticket.id.in_(ticket_ids)))
    if moved_ticket_ids or record_ids:
        moments += connection.scalars(sa.select(ResponseRecord.received_at).where(
            ResponseRecord.ticket_id.in_(moved_ticket_ids) | ResponseRecord.id.in_(record_ids)))
    if moved_ticket_ids:
        moments += connection.scalars(sa.select(TicketEvent.at).where(
            TicketEvent.is_resolution, TicketEvent.ticket_id.in_(moved_ticket_ids)))
    note_changes(session, moments)


def change_weights(period: Period) -> dict[date, int]:
    """The total weight of the changes noted per UTC date a local day of `period` overlaps."""
    first, last = period.start - timedelta(days=1), period.end + timedelta(days=1)
    query = (sa.select(StatsChange.utc_day, sa.func.sum(StatsChange.weight))
             .where(StatsChange.utc_day.between(first, last)).group_by(StatsChange.utc_day))
    return {day: int(weight) for day, weight in db.session.execute(query)}


def compact_changes(now: datetime) -> None:
    """Fold each past UTC date's change rows into one row of the same total weight.

    The weight put back is summed from the rows the DELETE returns, so a change committed
    meanwhile is either folded in or left as it is, never lost. The caller commits (the
    rollup job, before it rolls anything up).
    """
    before = now.astimezone(UTC).date() - timedelta(days=1)
    scattered = db.session.scalars(
        sa.select(StatsChange.utc_day).where(StatsChange.utc_day < before)
        .group_by(StatsChange.utc_day).having(sa.func.count() > 1)).all()
    if not scattered:
        return
    deleted = db.session.execute(sa.delete(StatsChange)
                                 .where(StatsChange.utc_day.in_(scattered))
                                 .returning(StatsChange.utc_day, StatsChange.weight)).all()
    folded: dict[date, int] = defaultdict(int)
    for day, weight in deleted:
        folded[day] += weight
    db.session.execute(sa.insert(StatsChange),
                       [{"utc_day": day, "weight": weight} for day, weight in folded.items()])
