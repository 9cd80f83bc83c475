"""Mail to customers about their tickets: composed here, queued in the caller's transaction."""
import hashlib
import secrets
from datetime import datetime

import sqlalchemy as sa
from flask import current_app, render_template
from flask_babel import force_locale

from helpdesk.domain.threading import clean_header_value, make_message_id, safe_message_id
from helpdesk.extensions import db
from helpdesk.models import Category, Message, MessageKind, OutboxMessage, Ticket
from helpdesk.services.outbox import desk_domain, queue_mail
from helpdesk.services.promise import desk_hours, due_in_words, opening_in_words

# At most this many Message-IDs in References: enough to thread, never an endless header.
MAX_REFERENCES = 20


def message_id_secret() -> bytes:
    """The key that signs our Message-IDs, derived from the app's secret key."""
    return hashlib.sha256(b"message-id:" + current_app.config["SECRET_KEY"].encode()).digest()


def new_message_id(ticket: Ticket) -> str:
    # 64 random bits: unique enough, and short enough that the header needs no folding.
    return make_message_id(ticket.number, message_id_secret(), desk_domain(),
                           secrets.token_hex(8))


def ticket_subject(ticket: Ticket) -> str:
    return f"[#{ticket.number}] {clean_header_value(ticket.subject)}"


def threading_headers(ticket: Ticket) -> dict:
    """In-Reply-To the customer's last message; References to the conversation so far."""
    ids = db.session.scalars(
        sa.select(Message.message_id)
        .where(Message.ticket_id == ticket.id, Message.message_id.is_not(None),
               Message.kind != MessageKind.NOTE)
        .order_by(Message.created_at, Message.id)
    ).all()
    last_inbound = db.session.scalar(
        sa.select(Message.message_id)
        .where(Message.ticket_id == ticket.id, Message.kind == MessageKind.INBOUND,
               Message.message_id.is_not(None))
        .order_by(Message.created_at.desc(), Message.id.desc()).limit(1)
    )
    headers = {}
    if safe_message_id(last_inbound):
        headers["In-Reply-To"] = f"<{safe_message_id(last_inbound)}>"
    ids = [safe for safe in map(safe_message_id, ids) if safe]
    if ids:
        kept = ids[:1] + ids[1:][-(MAX_REFERENCES - 1):]
        headers["References"] = " ".join(f"<{i}>" for i in kept)
    return headers


def _queue(ticket: Ticket, kind: str, template: str, now: datetime, *, auto_submitted: str | None,
           automatic: bool, message: Message | None = None, **context) -> OutboxMessage:
    contact = ticket.raised_by
    smtp_message_id = new_message_id(ticket)
    headers = threading_headers(ticket)
    if auto_submitted:
        headers["Auto-Submitted"] = auto_submitted
    with force_locale(contact.language):
        context.update(ticket=ticket, contact=contact, message=message,
                       config=current_app.config)
        body_text = render_template(f"email/{template}.txt", **context)
        body_html = render_template(f"email/{template}.html", **context)
    if message is not None:
        message.message_id = smtp_message_id
    return queue_mail(
        to_address=contact.email, kind=kind, subject=ticket_subject(ticket),
        body_text=body_text, body_html=body_html, now=now, language=contact.language,
        ticket=ticket, automatic=automatic, headers=headers, smtp_message_id=smtp_message_id,
        message_id=message.id if message is not None else None,
    )


def queue_acknowledgement(ticket: Ticket, now: datetime) -> OutboxMessage:
    """Confirm a new ticket: its number, when we respond, our hours, what we still need."""
    hours = desk_hours(now)
    missing_steps = ticket.category == Category.BUG and not ticket.details.get("steps")
    with force_locale(ticket.raised_by.language):
        due_words = due_in_words(ticket.response_due_at) if ticket.response_due_at else None
        opening_words = opening_in_words(hours, now)
    return _queue(ticket, "acknowledgement", "acknowledgement", now,
                  auto_submitted="auto-replied", automatic=True, due_words=due_words,
                  opening_words=opening_words, ask_for_steps=missing_steps,
                  is_calamity=ticket.category == Category.CALAMITY)


def queue_reply(ticket: Ticket, message: Message, now: datetime) -> OutboxMessage:
    """An agent's public reply, threaded under the conversation, with its attachments."""
    return _queue(ticket, "reply", "reply", now, auto_submitted=None, automatic=False,
                  message=message)


def queue_resolved_notice(ticket: Ticket, now: datetime) -> OutboxMessage:
    """Tell the customer the ticket is resolved and how to reopen it."""
    return _queue(ticket, "resolved", "resolved", now, auto_submitted="auto-generated",
                  automatic=True)
