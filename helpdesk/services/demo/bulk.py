"""Tickets in bulk (benchmarks, the demo's history): SQL inserts, not the use cases one by one."""
import hashlib
import random
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa

from helpdesk.domain.mail.plain import plain_mail
from helpdesk.domain.sla import BREACH, DUE_SOON, deadline_for, escalation_steps
from helpdesk.extensions import db
from helpdesk.models import (
    RESOLVED_STATUSES,
    STATUS_CHANGED,
    Category,
    Channel,
    Contact,
    Message,
    MessageKind,
    RawMail,
    ResponseRecord,
    StaffMember,
    Ticket,
    TicketEvent,
    TicketNumberCounter,
    TicketStatus,
)
from helpdesk.services.demo.data import BODIES, REPLIES, SUBJECTS
from helpdesk.services.escalation import sweep
from helpdesk.services.mail_out.outbox import desk_address
from helpdesk.services.promise.calendar_settings import SlaTerms
from helpdesk.services.promise.deadlines import whole_seconds_between
from helpdesk.services.stats import changes
from helpdesk.services.tickets import lifecycle
from helpdesk.services.transaction import job

MAX_BULK_REPLIES = 5


@dataclass(frozen=True)
class Plan:
    """One bulk ticket's conversation: who asks, when, how many agent replies follow."""

    contact: sa.Row
    received_at: datetime
    replies: int
    category: Category
    first_response_at: datetime | None = None  # None: a random delay, up to a day and a half


def people() -> tuple[list[sa.Row], list[sa.Row]]:
    """The super-users who raise bulk tickets and the staff who answer them."""
    contacts = db.session.execute(
        sa.select(Contact.id, Contact.organisation_id, Contact.email, Contact.name)
        .where(Contact.is_super_user.is_(True)).order_by(Contact.id)).all()
    agents = db.session.execute(sa.select(StaffMember.id, StaffMember.name)
                                .order_by(StaffMember.id)).all()
    if not contacts or not agents:
        raise ValueError("seed the demo first: bulk tickets need super-users and staff")
    return contacts, agents


@job
def seed_bulk_tickets(count: int, now: datetime, *, seed: int = 7,
                      progress: Callable[[int], None] = lambda done: None,
                      batch_size: int = 2000) -> None:
    """Add `count` realistic tickets with about five messages each, with bulk inserts.

    A ticket has 0 to 5 agent replies, each but the last answered by the customer again:
    1, 2, 4, 6, 8 or 10 messages, 5.2 on average; a sixth of them wait unanswered (new).
    """
    rng = random.Random(seed)
    sla_terms = SlaTerms.configured()
    contacts, agents = people()
    first_number = reserve_numbers(count)
    categories = [c for c in Category if c != Category.CALAMITY]
    done = 0
    while done < count:
        size = min(batch_size, count - done)
        ticket_rows, plans = [], []
        for offset in range(size):
            contact = rng.choice(contacts)
            category = Category.CALAMITY if rng.random() < 0.002 else rng.choice(categories)
            received = now - timedelta(minutes=rng.randint(10, 60 * 24 * 400))
            replies = rng.randint(0, MAX_BULK_REPLIES)
            status = _bulk_status(rng, received, now, replies)
            ticket_rows.append({
                "number": first_number + done + offset,
                "subject": rng.choice(SUBJECTS[category]) + f" ({rng.randint(1, 9999)})",
                "category": category, "channel": rng.choice(list(Channel)), "status": status,
                "organisation_id": contact.organisation_id, "raised_by_id": contact.id,
                "assignee_id": rng.choice(agents).id if rng.random() < 0.7 else None,
                "created_at": received, "updated_at": received, "details": {},
                "due_soon": False, "breached": False,
            })
            plans.append(Plan(contact, received, replies, category))
        insert_tickets(rng, sla_terms, ticket_rows, plans, agents, now)
        db.session.commit()
        done += size
        progress(size)


def reserve_numbers(count: int) -> int:
    """The first of `count` ticket numbers taken together."""
    last = lifecycle.next_ticket_number()
    db.session.execute(sa.update(TicketNumberCounter).where(TicketNumberCounter.id == 1)
                       .values(last_number=last + count))
    return last + 1


def _bulk_status(rng: random.Random, received: datetime, now: datetime,
                 replies: int) -> TicketStatus:
    if replies == 0:
        return TicketStatus.NEW
    if now - received > timedelta(days=14):
        return rng.choice([TicketStatus.RESOLVED, TicketStatus.CLOSED])
    return rng.choice([TicketStatus.OPEN, TicketStatus.WAITING, TicketStatus.RESOLVED])


def insert_tickets(rng: random.Random, sla_terms: SlaTerms, ticket_rows: list[dict],
                   plans: list[Plan], agents: list[sa.Row], now: datetime, *,
                   with_sources: bool = False) -> None:
    """Insert tickets (rows of the ticket table) with their conversations; no commit.

    `with_sources`: the customers' mails on email tickets get the bytes they arrived as.
    """
    inserted = sa.insert(Ticket).returning(Ticket.id, sort_by_parameter_order=True)
    ids = db.session.scalars(inserted, ticket_rows).all()
    _bulk_conversations(rng, sla_terms, ids, ticket_rows, plans, agents, now, with_sources)


def _keep_sources(messages: list[dict], tickets: dict[int, tuple[dict, Plan]]) -> None:
    """Each customer mail of an email ticket as its mail client wrote it, kept as received."""
    mailed = [m for m in messages if m["kind"] == MessageKind.INBOUND
              and tickets[m["ticket_id"]][0]["channel"] == Channel.EMAIL]
    raws = []
    for number, message in enumerate(mailed):
        row, plan = tickets[message["ticket_id"]]
        domain = plan.contact.email.rpartition("@")[2]
        message["message_id"] = f"bulk-{row['number']}-{number}@{domain}"
        raw = plain_mail(sender=plan.contact.email, sender_name=plan.contact.name,
                         to=desk_address(), at=message["created_at"],
                         subject=row["subject"] if message["created_at"] == plan.received_at
                         else f"Re: [#{row['number']}] {row['subject']}",
                         body=message["body_text"], message_id=message["message_id"])
        raws.append({"sha256": hashlib.sha256(raw).hexdigest(), "content": raw})
    if raws:
        inserted = sa.insert(RawMail).returning(RawMail.id, sort_by_parameter_order=True)
        for message, raw_mail_id in zip(mailed, db.session.scalars(inserted, raws).all(),
                                        strict=True):
            message["raw_mail_id"] = raw_mail_id


def _bulk_conversations(rng, sla_terms: SlaTerms, ids, ticket_rows, plans, agents, now,
                        with_sources: bool = False) -> None:
    messages, records, events, updates, unanswered = [], [], [], [], []
    for ticket_id, row, plan in zip(ids, ticket_rows, plans, strict=True):
        contact, received, replies, category = (plan.contact, plan.received_at, plan.replies,
                                                plan.category)
        deadline = deadline_for(received, category, sla_terms.calendar, sla_terms.policy)
        at = received
        messages.append({"ticket_id": ticket_id, "kind": MessageKind.INBOUND, "created_at": at,
                         "sender": contact.email, "author_contact_id": contact.id,
                         "body_text": rng.choice(BODIES).format(subject=row["subject"],
                                                                name=contact.name)})
        if row["channel"] == Channel.PHONE:  # the agent's record of the call, to follow up
            logger = rng.choice(agents)
            messages[-1].update(kind=MessageKind.CALL, sender=logger.name,
                                author_staff_id=logger.id,
                                call_ended_at=at + timedelta(minutes=rng.randint(2, 20)))
        events.append({"ticket_id": ticket_id, "at": at, "action": "created",
                       "actor_contact_id": contact.id, "after": row["channel"].value})
        first_response_at = None
        for reply_index in range(replies):
            agent = rng.choice(agents)
            response_at = (plan.first_response_at if reply_index == 0 and plan.first_response_at
                           else min(at + timedelta(minutes=rng.randint(5, 60 * 36)), now))
            messages.append({"ticket_id": ticket_id, "kind": MessageKind.OUTBOUND,
                             "created_at": response_at, "sender": agent.name,
                             "author_staff_id": agent.id, "body_text": rng.choice(REPLIES)})
            if reply_index == 0:
                first_response_at = response_at
                working = sla_terms.calendar.working_time_between(deadline.clock_started_at,
                                                              response_at)
                wall_seconds = whole_seconds_between(received, response_at)
                records.append({"ticket_id": ticket_id, "is_first": True, "category": category,
                                "received_at": received,
                                "clock_started_at": deadline.clock_started_at,
                                "due_at": deadline.response_due_at, "met_at": response_at,
                                "breached": response_at > deadline.response_due_at,
                                "working_seconds_to_response": int(working.total_seconds()),
                                "wall_seconds_to_response": wall_seconds,
                                "promise_seconds_to_response": (
                                    wall_seconds if category == Category.CALAMITY
                                    else int(working.total_seconds()))})
            at = min(response_at + timedelta(minutes=rng.randint(10, 600)), now)
            if reply_index < replies - 1:
                messages.append({"ticket_id": ticket_id, "kind": MessageKind.INBOUND,
                                 "created_at": at, "sender": contact.email,
                                 "author_contact_id": contact.id,
                                 "body_text": "Dank, ik heb het geprobeerd. Zie bijlage."})
        breached = bool(records and records[-1]["ticket_id"] == ticket_id
                        and records[-1]["breached"])
        resolved = row["status"] in RESOLVED_STATUSES
        update = {"id": ticket_id, "first_response_at": first_response_at, "breached": breached,
                  "resolved_at": at if resolved else None}
        if resolved:  # the history event the statistics count the resolution by
            events.append({"ticket_id": ticket_id, "at": at, "action": STATUS_CHANGED,
                           "actor_staff_id": agent.id, "before": TicketStatus.OPEN.value,
                           "after": row["status"].value})
        if replies == 0:
            steps = escalation_steps(category, received, deadline.due_soon_at,
                                     deadline.response_due_at, sla_terms.policy)
            passed = {step.name for step in steps if step.at <= now}
            records.append({"ticket_id": ticket_id, "is_first": True, "category": category,
                            "received_at": received, "clock_started_at": deadline.clock_started_at,
                            "due_at": deadline.response_due_at, "breached": BREACH in passed})
            unanswered.append((ticket_id, steps))
            update.update(response_due_at=deadline.response_due_at,
                          due_soon_at=deadline.due_soon_at,
                          due_soon=DUE_SOON in passed, breached=BREACH in passed,
                          next_escalation_at=sweep.next_escalation_at(steps, now))
        else:
            update.update(response_due_at=None, due_soon_at=None, due_soon=False,
                          next_escalation_at=None)
        updates.append(update)
    if with_sources:
        _keep_sources(messages, {ticket_id: (row, plan) for ticket_id, row, plan
                                 in zip(ids, ticket_rows, plans, strict=True)})
    db.session.execute(sa.insert(Message), messages)
    # One record per bulk ticket: its id names the record in the escalations' once keys.
    record_ids = dict(db.session.execute(
        sa.insert(ResponseRecord).returning(ResponseRecord.ticket_id, ResponseRecord.id),
        records).all())
    events.extend(_settled_escalations(unanswered, record_ids, now))
    db.session.execute(sa.insert(TicketEvent), events)
    db.session.execute(sa.update(Ticket), updates)
    # Bulk SQL bypasses the session's change tracking: tell the statistics rollup.
    changes.note_changes(db.session, [*(row["created_at"] for row in ticket_rows),
                                           *(update["resolved_at"] for update in updates)])


def _settled_escalations(unanswered, record_ids: dict[int, int], now: datetime) -> list[dict]:
    """The history a running worker would have left: each past escalation done at its moment.

    Seeded tickets are months old; without this the first sweep would mail a due-soon warning
    and a breach notice for every one. Steps still ahead stay for the sweep.
    """
    return [{"ticket_id": ticket_id, "at": step.at, "action": sweep.STEP_ACTIONS[step.name],
             "once_key": sweep.once_key(step.name, ticket_id, record_ids[ticket_id])}
            for ticket_id, steps in unanswered for step in steps if step.at <= now]
