"""Escalating owed responses (due soon, breached, calamities at once), each exactly once.

An escalation is a ticket event with a unique `once_key` plus outbox mails with their own
unique keys, written in one transaction per ticket: a rerun, or a second worker at the same
moment, hits the constraint and rolls that ticket back instead of notifying twice.
"""
import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import joinedload

from helpdesk.domain.sla import (
    BREACH,
    CALAMITY_RENOTIFY,
    DUE_SOON,
    SlaPolicy,
    escalation_steps,
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
from helpdesk.services import deadlines
from helpdesk.services.calendar_settings import configured_policy
from helpdesk.services.history import record_event
from helpdesk.services.staff_mail import (
    compose_breach,
    compose_calamity,
    compose_calamity_renotify,
    compose_due_soon,
    notify,
)

log = logging.getLogger(__name__)

CALAMITY_ALERT = "calamity"
# Tickets per pass: a backlog is worked through in rounds, the worker's other jobs in between.
SWEEP_BATCH = 200


@dataclass
class SweepResult:
    """What one sweep did, for the worker's log line."""

    tickets: int = 0
    escalations: int = 0
    conflicts: int = 0
    failed: int = 0
    more: bool = False  # the batch was full: more may be due, the next round takes them

    def __bool__(self) -> bool:
        return bool(self.tickets or self.conflicts or self.failed)

    def __str__(self) -> str:
        return (f"{self.escalations} escalations on {self.tickets} tickets, "
                f"{self.conflicts} done by another worker, {self.failed} failed")


def due_ticket_ids(now: datetime, limit: int | None = None) -> list[int]:
    """The sweep's one indexed query: tickets whose next escalation moment has passed."""
    return list(db.session.scalars(
        sa.select(Ticket.id)
        .where(Ticket.next_escalation_at <= now, Ticket.status.in_(AWAITING_DESK_STATUSES))
        .order_by(Ticket.next_escalation_at, Ticket.id)
        .limit(limit)
    ))


def sweep(now: datetime, policy: SlaPolicy | None = None,
          batch_size: int = SWEEP_BATCH) -> SweepResult:
    """Escalate the first batch of tickets whose moment has passed; commit per ticket.

    A failing ticket is logged and skipped; `more` says the batch was full.
    """
    policy = policy or configured_policy()
    ticket_ids = due_ticket_ids(now, limit=batch_size)
    db.session.commit()  # end the read; each ticket gets its own transaction
    result = SweepResult()
    for ticket_id in ticket_ids:
        try:
            escalated = escalate_ticket(ticket_id, now, policy)
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
    # A full batch that got somewhere: go on at once (failing tickets alone wait a round).
    result.more = len(ticket_ids) == batch_size and result.tickets > 0
    return result


def escalate_ticket(ticket_id: int, now: datetime, policy: SlaPolicy) -> int:
    """Take every escalation step of one ticket whose moment has passed; return how many."""
    ticket = db.session.scalar(
        sa.select(Ticket).where(Ticket.id == ticket_id, Ticket.next_escalation_at <= now)
        .options(joinedload(Ticket.organisation, innerjoin=True))  # the mails name it
        # Another worker holding the ticket has it in hand: skip it rather than wait.
        .with_for_update(of=Ticket, skip_locked=True, key_share=True)
        .execution_options(populate_existing=True)
    )
    if ticket is None:
        return 0
    record = deadlines.open_response(ticket)
    if (record is None or ticket.status not in AWAITING_DESK_STATUSES
            or ticket.response_due_at is None):
        ticket.next_escalation_at = None
        return 0
    steps = escalation_steps(ticket.category, record.received_at, ticket.due_soon_at,
                             ticket.response_due_at, policy)
    done = _done_keys([_once_key(step.name, ticket, record) for step in steps])
    escalated = 0
    for step in (step for step in steps if step.at <= now):
        once_key = _once_key(step.name, ticket, record)
        if once_key not in done:
            record_event(ticket, _ACTIONS[step.name], now, once_key=once_key)
            _STEP_MAILS[step.name](ticket, record, now, once_key)
            escalated += 1
        if step.name == DUE_SOON:
            ticket.due_soon = True
        elif step.name == BREACH:
            ticket.breached = record.breached = True
    ticket.next_escalation_at = next((step.at for step in steps if step.at > now), None)
    db.session.flush()
    return escalated


def alert_calamity(ticket: Ticket, now: datetime) -> None:
    """All hands at once, whatever the hour: mail every active agent and manager.

    Called in the transaction that made the ticket a calamity (creation or re-categorising);
    once per owed response, so flipping the category back and forth alerts nobody twice.
    """
    record = deadlines.open_response(ticket)
    if record is None or ticket.status not in AWAITING_DESK_STATUSES:
        return
    db.session.flush()  # the once key names the ticket and the record by id
    once_key = _once_key(CALAMITY_ALERT, ticket, record)
    if _done_keys([once_key]):
        return
    record_event(ticket, "calamity_alert", now, once_key=once_key)
    notify(_active_staff(StaffRole.AGENT, *MANAGERS), compose_calamity, "calamity",
            ticket, record, now, once_key)


def _once_key(step: str, ticket: Ticket, record: ResponseRecord) -> str:
    return f"{step}:{ticket.id}:{record.id}"


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
    notify(recipients, compose_due_soon, "due_soon", ticket, record, now, once_key)


def _mail_breach(ticket: Ticket, record: ResponseRecord, now: datetime, once_key: str) -> None:
    notify(_active_staff(*MANAGERS), compose_breach, "breach", ticket, record, now, once_key)


def _mail_calamity_renotify(ticket: Ticket, record: ResponseRecord, now: datetime,
                            once_key: str) -> None:
    notify(_active_staff(*MANAGERS), compose_calamity_renotify, "calamity_renotify",
            ticket, record, now, once_key)


_STEP_MAILS: dict[str, Callable[[Ticket, ResponseRecord, datetime, str], None]] = {
    DUE_SOON: _mail_due_soon,
    BREACH: _mail_breach,
    CALAMITY_RENOTIFY: _mail_calamity_renotify,
}
_ACTIONS = {DUE_SOON: "due_soon", BREACH: "breached", CALAMITY_RENOTIFY: "calamity_renotify"}
