"""Recomputing open tickets' due moments after a settings change, in the background."""
import logging
from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa

from helpdesk.extensions import db
from helpdesk.models import RecomputeJob, StaffMember, Ticket
from helpdesk.services.promise import deadlines
from helpdesk.services.promise.calendar_settings import configured_calendar, configured_policy
from helpdesk.services.transaction import job

log = logging.getLogger(__name__)

BATCH_SIZE = 500
# One worker pass does at most this many batches; the next round goes on (`more`), with the
# worker's other jobs in between.
BATCHES_PER_PASS = 2


@dataclass
class RecomputeResult:
    """What one pass did, for the worker's log line."""

    tickets: int = 0
    finished_jobs: int = 0
    more: bool = False  # the pass stopped at its batch limit

    def __bool__(self) -> bool:
        return bool(self.tickets or self.finished_jobs)

    def __str__(self) -> str:
        return f"{self.tickets} tickets recomputed, {self.finished_jobs} jobs finished"


def request_recompute(now: datetime, requested_by: StaffMember | None = None) -> RecomputeJob:
    """Queue a recompute of every open ticket's due moments, in the caller's transaction.

    The new job covers everything, so unfinished older jobs are superseded.
    """
    db.session.execute(sa.update(RecomputeJob).where(RecomputeJob.finished_at.is_(None))
                       .values(finished_at=now))
    up_to = db.session.scalar(sa.select(sa.func.max(Ticket.id))) or 0
    # Only tickets with a due moment can be moved by a calendar change.
    total = db.session.scalar(sa.select(sa.func.count(Ticket.id)).where(
        Ticket.response_due_at.is_not(None), Ticket.id <= up_to))
    job = RecomputeJob(requested_at=now, requested_by_id=requested_by.id if requested_by else None,
                       up_to_ticket_id=up_to, last_ticket_id=0, total=total, done=0)
    db.session.add(job)
    return job


def latest_job() -> RecomputeJob | None:
    return db.session.scalar(sa.select(RecomputeJob).order_by(RecomputeJob.id.desc()).limit(1))


@job
def run_pending(now: datetime, max_batches: int | None = BATCHES_PER_PASS,
                batch_size: int = BATCH_SIZE) -> RecomputeResult:
    """Work through pending jobs batch by batch, committing each; None: until all are done."""
    result = RecomputeResult()
    batches = 0
    while max_batches is None or batches < max_batches:
        job = db.session.scalar(
            sa.select(RecomputeJob).where(RecomputeJob.finished_at.is_(None))
            .order_by(RecomputeJob.id).limit(1)
            # A second worker leaves a job in hand alone instead of counting it twice.
            .with_for_update(skip_locked=True)
        )
        if job is None:
            db.session.commit()
            return result
        recomputed = _run_batch(job, now, batch_size)
        result.tickets += recomputed
        result.finished_jobs += job.finished_at is not None
        db.session.commit()
        batches += 1
    result.more = True  # stopped at the limit, perhaps with work left: the next round looks
    return result


def _run_batch(job: RecomputeJob, now: datetime, batch_size: int) -> int:
    """Recompute the next batch of a job with the settings in force now."""
    calendar, policy = configured_calendar(), configured_policy()
    tickets = db.session.scalars(
        sa.select(Ticket)
        .where(Ticket.response_due_at.is_not(None), Ticket.id > job.last_ticket_id,
               Ticket.id <= job.up_to_ticket_id)
        .order_by(Ticket.id).limit(batch_size)
        # Lock against a reply landing meanwhile; its clock change must not be overwritten.
        .with_for_update(key_share=True)
        .execution_options(populate_existing=True)
    ).all()
    for ticket in tickets:
        deadlines.recompute(ticket, calendar, policy, now=now)
    if tickets:
        job.last_ticket_id = tickets[-1].id
        # Tickets that began owing a response after the request count too; stop at full.
        job.done = min(job.done + len(tickets), job.total)
    if len(tickets) < batch_size:
        job.finished_at = now
    return len(tickets)
