"""The demo's recent tickets, one in every state; its email ones arrive as real mail."""
from datetime import datetime, timedelta

import sqlalchemy as sa

from helpdesk.domain.mail.plain import plain_mail
from helpdesk.extensions import db
from helpdesk.models import Category, Channel, Contact, Message, StaffMember, Ticket, TicketStatus
from helpdesk.services.demo.data import BODIES, REPLIES, SUBJECTS
from helpdesk.services.intake.delivered import deliver
from helpdesk.services.intake.inbound_mail import MailSource
from helpdesk.services.mail_out.outbox import desk_address
from helpdesk.services.promise.calendar_settings import SlaTerms
from helpdesk.services.tickets import lifecycle
from helpdesk.services.transaction import job, use_case

DEMO_SOURCE = MailSource("demo")
# (raised by, category, channel, hours ago, the state the desk's work leaves it in)
PLAN = [
    ("eva@acme.example", Category.BUG, Channel.EMAIL, 3, None),
    ("tom@acme.example", Category.QUESTION, Channel.PORTAL, 30, TicketStatus.WAITING),
    ("sanne@devries.example", Category.OUTAGE, Channel.PHONE, 50, TicketStatus.RESOLVED),
    ("eva@acme.example", Category.WISH, Channel.PORTAL, 80, TicketStatus.CLOSED),
    ("sanne@devries.example", Category.CONFIGURATION, Channel.EMAIL, 1, TicketStatus.OPEN),
    ("tom@acme.example", Category.BUG, Channel.EMAIL, 2, None),
]


def category_address(category: Category) -> str:
    """The desk's address with the category as its plus tag (support+bug@), as customers use."""
    local, _, domain = desk_address().partition("@")
    return desk_address() if category == Category.QUESTION else f"{local}+{category}@{domain}"


def customer_mail(contact: Contact, *, to: str, subject: str, body: str, at: datetime,
                  unique: str, headers: dict | None = None) -> tuple[bytes, str]:
    """A demo customer's mail as their mail client sends it, and its Message-ID."""
    message_id = f"demo-{unique}@{contact.email.rpartition('@')[2]}"
    return plain_mail(sender=contact.email, sender_name=contact.name, to=to, subject=subject,
                      body=body, at=at, message_id=message_id, headers=headers), message_id


@job
def seed_conversations(now: datetime) -> None:
    """A handful of tickets in every state: mail delivered as it came, then the agent's work."""
    for index, (email, category, channel, hours_ago, final) in enumerate(PLAN):
        received = now - timedelta(hours=hours_ago)
        contact = db.session.scalar(sa.select(Contact).filter_by(email=email))
        subject = SUBJECTS[category][index % len(SUBJECTS[category])]
        body = BODIES[index % len(BODIES)].format(subject=subject, name=contact.name)
        if channel == Channel.EMAIL:
            raw, message_id = customer_mail(contact, to=category_address(category),
                                            subject=subject, body=body, at=received,
                                            unique=str(index))
            deliver(raw, now=received, received_at=received, source=DEMO_SOURCE)
            ticket_id = db.session.scalar(sa.select(Message.ticket_id)
                                          .filter_by(message_id=message_id))
        else:
            ticket_id = _open(contact, category, channel, subject, body, received)
        if final is not None:
            _work_on(ticket_id, index, final, received)


@use_case
def _open(contact: Contact, category: Category, channel: Channel, subject: str, body: str,
          received: datetime) -> int:
    sla_terms = SlaTerms.configured()
    if channel == Channel.PHONE:  # the agent's record of the call, to follow up
        ticket, _ = lifecycle.open_call_ticket(
            caller=contact, agent=_agent(), subject=subject, category=category, summary=body,
            call_at=received, call_ended_at=received + timedelta(minutes=8),
            now=received + timedelta(minutes=10), sla_terms=sla_terms)
    else:
        ticket, _ = lifecycle.open_ticket(
            raised_by=contact, subject=subject, category=category, channel=channel,
            body_text=body, received_at=received, now=received, sla_terms=sla_terms,
            message_id=None)
    db.session.flush()
    return ticket.id


@use_case
def _work_on(ticket_id: int, index: int, final: TicketStatus, received: datetime) -> None:
    """The agent takes the ticket, answers within the hour and, for some, settles it."""
    ticket, agent = db.session.get(Ticket, ticket_id), _agent()
    lifecycle.assign(ticket, agent, agent, received + timedelta(minutes=20))
    lifecycle.reply(ticket, agent, REPLIES[index % len(REPLIES)], received + timedelta(hours=1),
                    sla_terms=SlaTerms.configured(),
                    status_after=TicketStatus.OPEN if final == TicketStatus.OPEN
                    else TicketStatus.WAITING)
    if final in (TicketStatus.RESOLVED, TicketStatus.CLOSED):
        lifecycle.set_status(ticket, final, agent, received + timedelta(hours=2))


def _agent() -> StaffMember:
    return db.session.scalar(sa.select(StaffMember).filter_by(email="agent@helpdesk.example"))
