"""Escalating owed responses (due soon, breached, calamities at once), each exactly once.

An escalation is a ticket event with a unique `once_key` plus outbox mails with their own
unique keys, written in one transaction per ticket: a rerun, or a second worker at the same
moment, hits the constraint and rolls that ticket back instead of notifying twice.

A notice goes out only while it is true and new (domain.sla.notice_for): no "due soon" after
the breach, and breaches found long after their moment (the worker was down) are recorded as
ever but reported to the managers in one summary per sweep, not one mail per ticket.
"""
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

import sqlalchemy as sa
from flask import current_app
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import joinedload

from helpdesk.domain.sla import (
    BREACH,
    CALAMITY_RENOTIFY,
    DUE_SOON,
    LATE,
    NOTIFY,
    EscalationStep,
    SlaPolicy,
    escalation_steps,
    notice_for,
)
from helpdesk.extensions import db
from helpdesk.models import (
    AWAITING_DESK_STATUSES,
    ResponseRecord,
    StaffMember,
    StaffRole,
    Ticket,
    TicketEvent,
)
from helpdesk.services.escalation.staff_mail import (
    compose_late_breaches,
    notify,
    notify_staff,
)
from helpdesk.services.history import record_event
from helpdesk.services.promise import deadlines
from helpdesk.services.promise.calendar_settings import configured_policy
from helpdesk.services.transaction import job

log = logging.getLogger(__name__)

CALAMITY_ALERT = "calamity"
# Tickets per pass: a backlog is worked through in rounds, the worker's other jobs in between.
SWEEP_BATCH = 200


@dataclass(frozen=True)
class LateBreach:
    """A breach the sweep found long after its moment: one line of the managers' summary."""

    number: int
    subject: str
    due_at: datetime


@dataclass
class SweepResult:
    """What one sweep did, for the worker's log line."""

    tickets: int = 0
    escalations: int = 0  # notices mailed, one per step (each to its recipients)
    conflicts: int = 0
    failed: int = 0
    late: list[LateBreach] = field(default_factory=list)
    more: bool = False  # the batch was full: more may be due, the next round takes them

    def __bool__(self) -> bool:
        return bool(self.tickets or self.conflicts or self.failed)

    def __str__(self) -> str:
        late = f", {len(self.late)} late breaches in one summary" if self.late else ""
        return (f"{self.escalations} escalations on {self.tickets} tickets{late}, "
                f"{self.conflicts} done by another worker, {self.failed} failed")


def late_after() -> timedelta:
    """How late a breach notice may still go out on its own (ESCALATION_LATE_MINUTES)."""
    return timedelta(minutes=current_app.config["ESCALATION_LATE_MINUTES"])


def due_ticket_ids(now: datetime, limit: int | None = None) -> list[int]:
    """The sweep's one indexed query: tickets whose next escalation moment has passed."""
    return list(db.session.scalars(
        sa.select(Ticket.id)
        .where(Ticket.next_escalation_at <= now, Ticket.status.in_(AWAITING_DESK_STATUSES))
        .order_by(Ticket.next_escalation_at, Ticket.id)
        .limit(limit)
    ))


@job
def sweep(now: datetime, policy: SlaPolicy | None = None,
          batch_size: int = SWEEP_BATCH) -> SweepResult:
    """Escalate the first batch of tickets whose moment has passed; commit per ticket.

    A failing ticket is logged and skipped; `more` says the batch was full.
    """
    policy = policy or configured_policy()
    late_limit = late_after()
    ticket_ids = due_ticket_ids(now, limit=batch_size)
    db.session.commit()  # end the read; each ticket gets its own transaction
    result = SweepResult()
    for ticket_id in ticket_ids:
        try:
            escalated, late = escalate_ticket(ticket_id, now, policy, late_limit)
            db.session.commit()
        except IntegrityError:
            db.session.rollback()
            log.info("ticket id %s was escalated by another worker meanwhile", ticket_id)
            result.conflicts += 1
        except Exception:
            db.session.rollback()
            log.exception("escalating ticket id %s failed; continuing", ticket_id)
            result.failed += 1
        else:
            result.tickets += 1
            result.escalations += escalated
            result.late.extend(late)
    if result.late:
        _summarise_late_breaches(result.late, now)
    # A full batch that got somewhere: go on at once (failing tickets alone wait a round).
    result.more = len(ticket_ids) == batch_size and result.tickets > 0
    return result


@job
def _summarise_late_breaches(late: list[LateBreach], now: datetime) -> None:
    """One mail to each manager for the breaches this sweep recorded late (they are committed)."""
    try:
        notify_staff(_active_staff(*MANAGERS), compose_late_breaches, "late_breaches", late,
                     now, once_key=f"late_breaches:{now.isoformat()}")
        db.session.commit()
    except Exception:
        db.session.rollback()
        log.exception("the summary of %s late breaches could not be queued", len(late))


def escalate_ticket(ticket_id: int, now: datetime, policy: SlaPolicy,
                    late_limit: timedelta) -> tuple[int, list[LateBreach]]:
    """Take every escalation step of one ticket whose moment has passed.

    Returns how many notices were mailed, and the breach if it was found too late for one.
    """
    ticket = db.session.scalar(
        sa.select(Ticket).where(Ticket.id == ticket_id, Ticket.next_escalation_at <= now)
        .options(joinedload(Ticket.organisation, innerjoin=True))  # the mails name it
        # Another worker holding the ticket has it in hand: skip it rather than wait.
        .with_for_update(of=Ticket, skip_locked=True, key_share=True)
        .execution_options(populate_existing=True)
    )
    if ticket is None:
        return 0, []
    record = deadlines.open_response(ticket)
    if (record is None or ticket.status not in AWAITING_DESK_STATUSES
            or ticket.response_due_at is None):
        ticket.next_escalation_at = None
        return 0, []
    steps = escalation_steps(ticket.category, record.received_at, ticket.due_soon_at,
                             ticket.response_due_at, policy)
    done = _done_keys([once_key(step.name, ticket.id, record.id) for step in steps])
    escalated, late = 0, []
    for step in (step for step in steps if step.at <= now):
        key = once_key(step.name, ticket.id, record.id)
        if key not in done:
            notice = notice_for(step, steps, now, late_limit)
            record_event(ticket, STEP_ACTIONS[step.name], now, once_key=key,
                         after=None if notice == NOTIFY else notice)
            if notice == NOTIFY:
                _STEP_MAILS[step.name](ticket, record, now, key)
                escalated += 1
            elif notice == LATE:
                late.append(LateBreach(ticket.number, ticket.subject, ticket.response_due_at))
        _flag(ticket, record, step, now)
    ticket.next_escalation_at = next_escalation_at(steps, now)
    db.session.flush()
    return escalated, late


def _flag(ticket: Ticket, record: ResponseRecord, step: EscalationStep, now: datetime) -> None:
    if step.name == DUE_SOON:
        ticket.due_soon = True
    elif step.name == BREACH:
        deadlines.keep_breach(ticket, record, now)
        ticket.breached = record.breached = True


def next_escalation_at(steps: tuple[EscalationStep, ...], now: datetime) -> datetime | None:
    """The moment the sweep must look at the ticket again."""
    return next((step.at for step in steps if step.at > now), None)


def alert_calamity(ticket: Ticket, now: datetime) -> None:
    """All hands at once, whatever the hour: mail every active agent and manager.

    Called in the transaction that made the ticket a calamity (creation or re-categorising);
    once per owed response, so flipping the category back and forth alerts nobody twice.
    """
    record = deadlines.open_response(ticket)
    if record is None or ticket.status not in AWAITING_DESK_STATUSES:
        return
    db.session.flush()  # the once key names the ticket and the record by id
    key = once_key(CALAMITY_ALERT, ticket.id, record.id)
    if _done_keys([key]):
        return
    record_event(ticket, "calamity_alert", now, once_key=key)
    notify(_active_staff(StaffRole.AGENT, *MANAGERS), "calamity", ticket, record, now, key)


def once_key(step: str, ticket_id: int, record_id: int) -> str:
    """The unique key of one escalation of one owed response."""
    return f"{step}:{ticket_id}:{record_id}"


def _done_keys(once_keys: list[str]) -> set[str]:
    return set(db.session.scalars(
        sa.select(TicketEvent.once_key).where(TicketEvent.once_key.in_(once_keys))))


# Who holds a manager's rights (product.md: an admin may do all a manager may) and so gets a
# manager's notices.
MANAGERS = (StaffRole.MANAGER, StaffRole.ADMIN)


def _active_staff(*roles: StaffRole) -> list[StaffMember]:
    return list(db.session.scalars(
        sa.select(StaffMember).where(StaffMember.active.is_(True), StaffMember.role.in_(roles))
        .order_by(StaffMember.id)))


# --- the mails of each step -------------------------------------------------------------------

def _mail_due_soon(ticket: Ticket, record: ResponseRecord, now: datetime, once_key: str) -> None:
    """The assignee is warned; an unassigned ticket warns every agent."""
    assignee = ticket.assignee
    recipients = [assignee] if assignee and assignee.active else _active_staff(StaffRole.AGENT)
    notify(recipients, "due_soon", ticket, record, now, once_key)


def _mail_breach(ticket: Ticket, record: ResponseRecord, now: datetime, once_key: str) -> None:
    notify(_active_staff(*MANAGERS), "breach", ticket, record, now, once_key)


def _mail_calamity_renotify(ticket: Ticket, record: ResponseRecord, now: datetime,
                            once_key: str) -> None:
    notify(_active_staff(*MANAGERS), "calamity_renotify", ticket, record, now, once_key)


_STEP_MAILS: dict[str, Callable[[Ticket, ResponseRecord, datetime, str], None]] = {
    DUE_SOON: _mail_due_soon,
    BREACH: _mail_breach,
    CALAMITY_RENOTIFY: _mail_calamity_renotify,
}
# The history's name for each step.
STEP_ACTIONS = {DUE_SOON: "due_soon", BREACH: "breached",
                CALAMITY_RENOTIFY: "calamity_renotify"}
