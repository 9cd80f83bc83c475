"""Mail to customers about their tickets: composed here, queued in the caller's transaction."""
import hashlib
import secrets
from datetime import datetime

import sqlalchemy as sa
from flask import current_app, render_template
from flask_babel import get_translations
from jinja2 import pass_context
from markupsafe import Markup

from helpdesk.domain.business_calendar import BusinessCalendar
from helpdesk.domain.mail.threads import clean_header_value, make_message_id, safe_message_id
from helpdesk.extensions import db
from helpdesk.models import Category, Contact, Message, MessageKind, OutboxMessage, Ticket
from helpdesk.services.language import speaking
from helpdesk.services.mail_out.outbox import AUTO_GENERATED, AUTO_REPLIED, desk_domain, queue_mail
from helpdesk.services.notifications.wording import desk_hours, due_in_words, opening_in_words

NOT_SUPER_USER_KIND = "not_super_user"
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
    return f"[#{ticket.number}] {clean_header_value(ticket.subject)}"[:300]  # the column's size


def threading_headers(ticket: Ticket) -> dict:
    """In-Reply-To the customer's last message; References to the conversation so far."""
    ids = db.session.scalars(
        sa.select(Message.message_id)
        .where(Message.ticket == ticket, Message.message_id.is_not(None),
               Message.kind != MessageKind.NOTE)
        .order_by(Message.created_at, Message.id)
    ).all()
    last_inbound = db.session.scalar(
        sa.select(Message.message_id)
        .where(Message.ticket == ticket, Message.kind == MessageKind.INBOUND,
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


def first_message_headers(message: Message) -> dict:
    """Threading under a new ticket's only message: what threading_headers finds, unasked."""
    safe = safe_message_id(message.message_id)
    return {"In-Reply-To": f"<{safe}>", "References": f"<{safe}>"} if safe else {}


def _template_gettext() -> dict:
    """The current language's `_` for templates, its catalogue looked up once, not per string.

    It does what the one Flask-Babel installs does (the same catalogue, escaped the same way);
    rendering a mail calls it a dozen times, and ingestion renders an acknowledgement per ticket.
    """
    translations = get_translations()

    @pass_context
    def gettext(context, string: str, **variables) -> str:
        text = translations.ugettext(string)
        if context.eval_ctx.autoescape:
            text = Markup(text)  # noqa: S704 - our own catalogue, as Jinja's gettext does
        return text % variables

    return {"gettext": gettext}


def _queue(ticket: Ticket, kind: str, template: str, now: datetime, *, auto_submitted: str | None,
           automatic: bool, message: Message | None = None, thread: dict | None = None,
           **context) -> OutboxMessage:
    contact = ticket.raised_by
    smtp_message_id = new_message_id(ticket)
    headers = dict(thread) if thread is not None else threading_headers(ticket)
    with speaking(contact.language):
        context.update(ticket=ticket, contact=contact, message=message,
                       config=current_app.config, **_template_gettext())
        body_text = render_template(f"email/{template}.txt", **context)
        body_html = render_template(f"email/{template}.html", **context)
    if message is not None:
        message.message_id = smtp_message_id
    return queue_mail(
        to_address=contact.email, kind=kind, subject=ticket_subject(ticket),
        body_text=body_text, body_html=body_html, now=now, language=contact.language,
        ticket=ticket, automatic=automatic, auto_submitted=auto_submitted, headers=headers,
        smtp_message_id=smtp_message_id,
        message_id=message.id if message is not None else None,
    )


def queue_acknowledgement(ticket: Ticket, now: datetime, calendar: BusinessCalendar | None = None,
                          *, first_message: Message | None = None) -> OutboxMessage:
    """Confirm a new ticket: its number, when we respond, our hours, what we still need.

    Given the ticket's first message (ingestion has it at hand), threading needs no queries.
    """
    hours = desk_hours(now, calendar)
    missing_steps = ticket.category == Category.BUG and not ticket.details.get("steps")
    with speaking(ticket.raised_by.language):
        # Read after its due moment (mail that waited out an outage): promise no past moment.
        late = ticket.response_due_at is not None and ticket.response_due_at <= now
        due_words = (due_in_words(ticket.response_due_at)
                     if ticket.response_due_at and not late else None)
        opening_words = opening_in_words(hours, now)
    thread = first_message_headers(first_message) if first_message is not None else None
    return _queue(ticket, "acknowledgement", "acknowledgement", now,
                  auto_submitted=AUTO_REPLIED, automatic=True, thread=thread,
                  due_words=due_words, late=late,
                  opening_words=opening_words, ask_for_steps=missing_steps,
                  is_calamity=ticket.category == Category.CALAMITY)


def queue_call_confirmation(ticket: Ticket, call: Message, now: datetime) -> OutboxMessage:
    """Confirm a call the desk follows up: its number, the agent's summary, when we respond.

    Not an acknowledgement: it asks nothing the agent could have asked on the phone, and a
    reply to it threads onto the ticket.
    """
    with speaking(ticket.raised_by.language):
        due_words = due_in_words(ticket.response_due_at) if ticket.response_due_at else None
    return _queue(ticket, "call_confirmation", "call_confirmation", now,
                  auto_submitted="auto-generated", automatic=True, message=call, thread={},
                  due_words=due_words)


def queue_reply(ticket: Ticket, message: Message, now: datetime) -> OutboxMessage:
    """An agent's public reply, threaded under the conversation, with its attachments."""
    return _queue(ticket, "reply", "reply", now, auto_submitted=None, automatic=False,
                  message=message)


def queue_resolved_notice(ticket: Ticket, now: datetime) -> OutboxMessage:
    """Tell the customer the ticket is resolved and how to reopen it."""
    return _queue(ticket, "resolved", "resolved", now, auto_submitted=AUTO_GENERATED,
                  automatic=True)


def queue_not_super_user_notice(contact: Contact, now: datetime, *, subject: str,
                                in_reply_to: str | None) -> OutboxMessage | None:
    """Tell a contact who may not raise tickets whom to ask; None when told recently."""
    since = now - current_app.config["NOT_SUPER_USER_NOTICE_INTERVAL"]
    db.session.flush()  # one queued earlier in this transaction counts, autoflush or not
    told = db.session.scalar(
        sa.select(OutboxMessage.id)
        .where(OutboxMessage.to_address == contact.email,
               OutboxMessage.kind == NOT_SUPER_USER_KIND, OutboxMessage.created_at > since)
        .limit(1)
    )
    if told is not None:
        return None
    super_users = db.session.scalars(
        sa.select(Contact)
        .where(Contact.organisation_id == contact.organisation_id, Contact.is_super_user,
               Contact.active)
        .order_by(Contact.name)
    ).all()
    headers = {}
    if safe_message_id(in_reply_to):
        headers["In-Reply-To"] = headers["References"] = f"<{safe_message_id(in_reply_to)}>"
    context = {"contact": contact, "super_users": super_users, "config": current_app.config,
               "subject": clean_header_value(subject)[:200]}
    with speaking(contact.language):
        mail_subject = render_template("email/not_super_user_subject.txt", **context).strip()
        body_text = render_template("email/not_super_user.txt", **context)
        body_html = render_template("email/not_super_user.html", **context)
    return queue_mail(to_address=contact.email, kind=NOT_SUPER_USER_KIND, subject=mail_subject,
                      body_text=body_text, body_html=body_html, now=now,
                      language=contact.language, automatic=True, auto_submitted=AUTO_REPLIED,
                      headers=headers)
