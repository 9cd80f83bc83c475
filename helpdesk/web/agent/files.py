"""Attachments and received mail as it arrived, for staff: every read audited."""
from datetime import UTC, datetime

from flask import abort, render_template, url_for
from flask_login import current_user

from helpdesk.models import Ticket
from helpdesk.services.intake.raw_mail import audited_message_source
from helpdesk.services.tickets.attachments import audited_attachment
from helpdesk.services.tickets.queue import ticket_by_number
from helpdesk.web.access import AGENT, policy
from helpdesk.web.agent import bp
from helpdesk.web.downloads import send_attachment, send_source

# Enough to read any real mail on screen; the full source is a download.
RAW_DISPLAY_BYTES = 512 * 1024


@bp.get("/attachments/<int:attachment_id>")
@policy(AGENT)
def attachment(attachment_id: int):
    found = audited_attachment(attachment_id, current_user, datetime.now(UTC))
    if found is None:
        abort(404)
    return send_attachment(found)


@bp.get("/tickets/<int:number>/messages/<int:message_id>/source")
@policy(AGENT)
def message_source(number: int, message_id: int):
    """A customer's mail exactly as it arrived: headers, sender checks, every part."""
    ticket, raw = _message_source_or_404(number, message_id)
    return render_source(raw, ticket.subject,
                         back_url=url_for("agent.ticket", number=number) + f"#message-{message_id}",
                         download_url=url_for("agent.message_source_download", number=number,
                                              message_id=message_id))


@bp.get("/tickets/<int:number>/messages/<int:message_id>/source.eml")
@policy(AGENT)
def message_source_download(number: int, message_id: int):
    _, raw = _message_source_or_404(number, message_id)
    return send_source(raw, f"ticket-{number}-message-{message_id}.eml")


def _message_source_or_404(number: int, message_id: int) -> tuple[Ticket, bytes]:
    """The ticket and its message's source, the read audited; 404 when there is none."""
    ticket = ticket_by_number(number, current_user, datetime.now(UTC))
    raw = audited_message_source(ticket, message_id, current_user, datetime.now(UTC))
    if raw is None:
        abort(404)
    return ticket, raw


def render_source(raw: bytes, subject: str, *, back_url: str, download_url: str) -> str:
    """The page that shows a received mail as text (escaped), cut short when it is huge."""
    return render_template("agent/mail_source.html", subject=subject,
                           source=raw[:RAW_DISPLAY_BYTES].decode("utf-8", "replace"),
                           cut=len(raw) > RAW_DISPLAY_BYTES, back_url=back_url,
                           download_url=download_url)
