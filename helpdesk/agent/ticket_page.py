"""Everything the ticket page and its fragments show, gathered in one place."""
from dataclasses import dataclass, field
from datetime import datetime, timedelta

import sqlalchemy as sa
from flask import current_app, url_for
from markupsafe import Markup
from sqlalchemy.orm import selectinload

from helpdesk.agent import forms
from helpdesk.domain.mail_display import display_html, has_remote_images, normalise_content_id
from helpdesk.domain.mail_quotes import split_quoted
from helpdesk.extensions import db
from helpdesk.models import Message, ResponseRecord, StaffMember, Ticket, TicketEvent
from helpdesk.services import canned_replies, presence
from helpdesk.services.queue import staff_choices, time_left
from helpdesk.services.tickets import Clock


@dataclass
class ShownMessage:
    """A message as displayed: visible part, folded quote, HTML only after re-sanitising."""

    message: Message
    text: str = ""
    folded_text: str = ""
    html: Markup | None = None
    folded_html: Markup | None = None
    remote_images: bool = False
    remote_images_loaded: bool = False
    attachments: list = field(default_factory=list)


def shown_message(message: Message, load_remote_images: bool) -> ShownMessage:
    shown = ShownMessage(message=message, attachments=list(message.attachments))
    if message.body_html:
        cid_urls = {normalise_content_id(a.content_id):
                    url_for("agent.attachment", attachment_id=a.id)
                    for a in message.attachments if a.content_id}
        visible, folded = display_html(message.body_html, cid_urls,
                                       load_remote_images=load_remote_images)
        # display_html sanitised both parts with the allow-list sanitiser just now.
        shown.html = Markup(visible)  # noqa: S704
        shown.folded_html = Markup(folded) if folded else None  # noqa: S704
        shown.remote_images = has_remote_images(message.body_html)
        shown.remote_images_loaded = load_remote_images and shown.remote_images
    else:
        shown.text, shown.folded_text = split_quoted(message.body_text)
    return shown


def ticket_context(ticket: Ticket, viewer: StaffMember, now: datetime, *,
                   remote_images_for: int | None = None, **overrides) -> dict:
    """The template context for the page and every fragment of it; forms can be overridden."""
    messages = db.session.scalars(
        sa.select(Message).where(Message.ticket_id == ticket.id)
        .options(selectinload(Message.attachments), selectinload(Message.author_staff))
        .order_by(Message.created_at, Message.id)
    ).all()
    events = db.session.scalars(
        sa.select(TicketEvent).where(TicketEvent.ticket_id == ticket.id)
        .options(selectinload(TicketEvent.actor_staff), selectinload(TicketEvent.actor_contact))
        .order_by(TicketEvent.at, TicketEvent.id)
    ).all()
    responses = db.session.scalars(
        sa.select(ResponseRecord).where(ResponseRecord.ticket_id == ticket.id)
        .order_by(ResponseRecord.received_at, ResponseRecord.id)
    ).all()
    merged_into = (db.session.get(Ticket, ticket.merged_into_id)
                   if ticket.merged_into_id else None)
    calamity_reason = next((e.after for e in reversed(events)
                            if e.action == "calamity_marked"), None)
    staff = staff_choices()
    canned = canned_replies.all_replies()
    context = {
        "ticket": ticket,
        "messages": [shown_message(m, m.id == remote_images_for) for m in messages],
        "events": events,
        "responses": responses,
        "merged_into": merged_into,
        "calamity_reason": calamity_reason if ticket.is_calamity else None,
        "time_left": time_left(ticket, now, Clock.configured().calendar),
        "now": now,
        "reply_form": forms.reply_form(canned),
        "note_form": forms.note_form(),
        "assign_form": forms.assign_form(ticket, staff),
        "status_form": forms.status_form(ticket),
        "category_form": forms.category_form(ticket),
        "calamity_form": forms.calamity_form(),
        "merge_form": forms.merge_form(),
        "canned_replies": canned,
        "error": None,
    }
    context.update(presence_context(ticket, viewer, now))
    context.update(overrides)
    return context


def presence_context(ticket: Ticket, viewer: StaffMember, now: datetime) -> dict:
    seconds = current_app.config["PRESENCE_POLL_SECONDS"]
    window = timedelta(seconds=3 * seconds)
    others = presence.others_on(ticket, viewer, now, window)
    return {"ticket": ticket, "presence_seconds": seconds,
            "others": [(row.staff, presence.is_replying(row, now, window)) for row in others]}
