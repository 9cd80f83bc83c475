"""Demo data: a small believable desk, and bulk tickets for benchmarks."""
import random
from collections.abc import Callable
from datetime import datetime, timedelta

import sqlalchemy as sa

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
    Organisation,
    ResponseRecord,
    StaffMember,
    Ticket,
    TicketEvent,
    TicketNumberCounter,
    TicketStatus,
)
from helpdesk.services.escalation import sweep
from helpdesk.services.people import directory
from helpdesk.services.promise.calendar_settings import SlaTerms
from helpdesk.services.promise.deadlines import whole_seconds_between
from helpdesk.services.stats import changes
from helpdesk.services.tickets import lifecycle
from helpdesk.services.transaction import job, use_case

DEMO_PASSWORD = "demo-password"  # noqa: S105  (demo data only, printed for the user)
DEMO_STAFF = [
    ("agent@helpdesk.example", "Anna de Agent", "agent"),
    ("manager@helpdesk.example", "Mark Manager", "manager"),
    ("admin@helpdesk.example", "Ada Admin", "admin"),
]
DEMO_ORGANISATIONS = [
    ("acme", "Acme Logistics B.V.", [("eva@acme.example", "Eva Jansen", True, "nl"),
                                     ("tom@acme.example", "Tom Bakker", True, "en"),
                                     ("piet@acme.example", "Piet Visser", False, "nl")]),
    ("devries", "Bakkerij de Vries", [("sanne@devries.example", "Sanne de Vries", True, "nl")]),
    ("noord", "Gemeente Noordveen", [("k.smit@noord.example", "Karin Smit", True, "nl")]),
]
SUBJECTS = {
    Category.BUG: ["Export naar Excel geeft foutmelding", "Knop opslaan reageert niet",
                   "Rapport toont verkeerde totalen", "Login loopt vast na wachtwoordwijziging"],
    Category.OUTAGE: ["Applicatie onbereikbaar", "API geeft 503", "Trage laadtijden sinds 9 uur"],
    Category.WISH: ["Graag filter op klantnummer", "Donkere modus", "Export naar CSV"],
    Category.CONFIGURATION: ["Hoe stel ik SSO in?", "Nieuwe gebruikersrol aanmaken",
                             "Mailnotificaties instellen"],
    Category.QUESTION: ["Waar vind ik de factuurhistorie?", "Wat betekent status 'in wacht'?",
                        "Hoeveel gebruikers mag ik toevoegen?"],
    Category.CALAMITY: ["Alle orders verdwenen", "Datalek vermoed"],
}
BODIES = [
    "Beste servicedesk,\n\nSinds vanochtend zien wij het volgende probleem. {subject}.\n"
    "Kunnen jullie hiernaar kijken?\n\nMet vriendelijke groet,\n{name}",
    "Hallo,\n\nStappen: 1. inloggen 2. naar rapporten 3. exporteren. Verwacht: bestand. "
    "Gebeurt: foutmelding.\n\nGroet,\n{name}",
    "Dear support,\n\n{subject}. This blocks three of our planners.\n\nRegards,\n{name}",
]
MAX_BULK_REPLIES = 5
REPLIES = [
    "Dank voor uw melding. We hebben het probleem kunnen reproduceren en zoeken het uit.",
    "Kunt u een schermafdruk sturen van de foutmelding?",
    "Dit is opgelost in de release van vanavond. Wilt u het morgen controleren?",
]


@use_case
def seed_demo(now: datetime) -> dict:
    """The small demo desk; idempotent: returns None-like info when already seeded."""
    if db.session.scalar(sa.select(sa.func.count()).select_from(StaffMember)):
        return {}
    staff = {}
    for email, name, role in DEMO_STAFF:
        staff[role] = directory.add_staff(email, name, role, DEMO_PASSWORD, now,
                                       language="en" if role == "admin" else "nl")
    for slug, name, contacts in DEMO_ORGANISATIONS:
        directory.add_organisation(slug, name, now - timedelta(days=400))
        for email, contact_name, super_user, language in contacts:
            directory.add_contact(email, slug, contact_name, now, super_user=super_user,
                               language=language, password=DEMO_PASSWORD)
    directory.add_organisation("oldco", "OldCo (suspended)", now - timedelta(days=800))
    directory.set_organisation_status("oldco", "suspended", now)
    _seed_conversations(now, staff["agent"])
    return {"staff": DEMO_STAFF, "password": DEMO_PASSWORD}


def _seed_conversations(now: datetime, agent: StaffMember) -> None:
    """A handful of tickets in every state, made through the service layer."""
    sla_terms = SlaTerms.configured()
    eva = db.session.scalar(sa.select(Contact).filter_by(email="eva@acme.example"))
    tom = db.session.scalar(sa.select(Contact).filter_by(email="tom@acme.example"))
    sanne = db.session.scalar(sa.select(Contact).filter_by(email="sanne@devries.example"))
    plan = [
        (eva, Category.BUG, Channel.EMAIL, 3, None),
        (tom, Category.QUESTION, Channel.PORTAL, 30, TicketStatus.WAITING),
        (sanne, Category.OUTAGE, Channel.PHONE, 50, TicketStatus.RESOLVED),
        (eva, Category.WISH, Channel.PORTAL, 80, TicketStatus.CLOSED),
        (sanne, Category.CONFIGURATION, Channel.EMAIL, 1, TicketStatus.OPEN),
        (tom, Category.BUG, Channel.EMAIL, 2, None),
    ]
    for index, (contact, category, channel, hours_ago, final) in enumerate(plan):
        received = now - timedelta(hours=hours_ago)
        subject = SUBJECTS[category][index % len(SUBJECTS[category])]
        body = BODIES[index % len(BODIES)].format(subject=subject, name=contact.name)
        if channel == Channel.PHONE:  # the agent's record of the call, to follow up
            ticket, _ = lifecycle.open_call_ticket(
                caller=contact, agent=agent, subject=subject, category=category, summary=body,
                call_at=received, call_ended_at=received + timedelta(minutes=8),
                now=received + timedelta(minutes=10), sla_terms=sla_terms)
        else:
            ticket, _ = lifecycle.open_ticket(
                raised_by=contact, subject=subject, category=category, channel=channel,
                body_text=body, received_at=received, now=received, sla_terms=sla_terms,
                message_id=None)
        if final is not None:
            lifecycle.assign(ticket, agent, agent, received + timedelta(minutes=20))
            lifecycle.reply(ticket, agent, REPLIES[index % len(REPLIES)],
                          received + timedelta(hours=1), sla_terms=sla_terms,
                          status_after=TicketStatus.OPEN if final == TicketStatus.OPEN
                          else TicketStatus.WAITING)
            if final in (TicketStatus.RESOLVED, TicketStatus.CLOSED):
                lifecycle.set_status(ticket, final, agent, received + timedelta(hours=2))


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
    contacts = db.session.execute(
        sa.select(Contact.id, Contact.organisation_id, Contact.email, Contact.name)
        .where(Contact.is_super_user.is_(True))).all()
    agents = db.session.execute(sa.select(StaffMember.id, StaffMember.name)).all()
    if not contacts or not agents:
        raise ValueError("seed the demo first: bulk tickets need super-users and staff")
    first_number = _reserve_numbers(count)
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
            plans.append((contact, received, replies, category))
        inserted = sa.insert(Ticket).returning(Ticket.id, sort_by_parameter_order=True)
        ids = db.session.scalars(inserted, ticket_rows).all()
        _bulk_conversations(rng, sla_terms, ids, ticket_rows, plans, agents, now)
        db.session.commit()
        done += size
        progress(size)


def _reserve_numbers(count: int) -> int:
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


def _bulk_conversations(rng, sla_terms: SlaTerms, ids, ticket_rows, plans, agents, now) -> None:
    messages, records, events, updates, unanswered = [], [], [], [], []
    for ticket_id, row, (contact, received, replies, category) in zip(
            ids, ticket_rows, plans, strict=True):
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
            response_at = min(at + timedelta(minutes=rng.randint(5, 60 * 36)), now)
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


def staff_demo_logins() -> list[tuple[str, str]]:
    return [(email, role) for email, _, role in DEMO_STAFF]


def demo_contacts() -> list[Contact]:
    return db.session.scalars(sa.select(Contact).where(Contact.is_super_user.is_(True))
                              .join(Organisation).order_by(Contact.email)).all()
