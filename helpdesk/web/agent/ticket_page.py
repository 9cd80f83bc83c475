"""Everything the ticket page and its fragments show, gathered in one place."""
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from flask import current_app, url_for
from markupsafe import Markup

from helpdesk.domain.mail.display import display_html, has_remote_images, normalise_content_id
from helpdesk.domain.mail.quotes import split_quoted
from helpdesk.models import Message, StaffMember, Ticket
from helpdesk.services.people.visibility import staff_who_may_see_ticket
from helpdesk.services.tickets import canned_replies, presence
from helpdesk.services.tickets.queue import time_left
from helpdesk.services.tickets.record import ticket_record
from helpdesk.web.agent import forms
from helpdesk.web.i18n import desk_calendar


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
    record = ticket_record(ticket)
    canned = canned_replies.all_replies()
    context = {
        "ticket": ticket,
        "messages": [shown_message(m, m.id == remote_images_for) for m in record.messages],
        "events": record.events,
        "responses": record.responses,
        "merged_into": record.merged_into,
        "calamity_reason": record.calamity_reason,
        "time_left": time_left(ticket, now, desk_calendar()),
        "now": now,
        "reply_form": forms.reply_form(canned),
        "note_form": forms.note_form(),
        "assign_form": forms.assign_form(ticket, staff_who_may_see_ticket(ticket, now)),
        "status_form": forms.status_form(ticket),
        "category_form": forms.category_form(ticket),
        "calamity_form": forms.calamity_form(record.category_before_calamity),
        "merge_form": forms.merge_form(),
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
