"""Writing mail to the outbox, in the caller's transaction, for the worker to send."""
from datetime import datetime
from email.utils import make_msgid
from urllib.parse import urlsplit

from flask import current_app

from helpdesk.extensions import db
from helpdesk.models import OutboxMessage, Ticket


def desk_domain() -> str:
    return current_app.config["MAIL_DEFAULT_SENDER"].rpartition("@")[2].strip(">") or "localhost"


def desk_link(endpoint: str, **values) -> str:
    """An absolute link for a mail, built from DESK_URL so the worker (no request) can too."""
    base = urlsplit(current_app.config["DESK_URL"])
    adapter = current_app.url_map.bind(base.netloc, script_name=base.path or "/",
                                       url_scheme=base.scheme or "https")
    return adapter.build(endpoint, values, force_external=True)


def queue_mail(*, to_address: str, kind: str, subject: str, body_text: str, now: datetime,
               body_html: str | None = None, language: str = "nl", ticket: Ticket | None = None,
               automatic: bool = True, headers: dict | None = None,
               once_key: str | None = None, smtp_message_id: str | None = None,
               message_id: int | None = None) -> OutboxMessage:
    """Add a mail to the outbox; it is sent only if the surrounding transaction commits."""
    outgoing = OutboxMessage(
        ticket_id=ticket.id if ticket else None, message_id=message_id, kind=kind,
        automatic=automatic, to_address=to_address, language=language, subject=subject,
        headers=headers or {}, body_text=body_text, body_html=body_html,
        smtp_message_id=smtp_message_id or make_msgid(domain=desk_domain()).strip("<>"),
        next_attempt_at=now, created_at=now, once_key=once_key,
    )
    db.session.add(outgoing)
    return outgoing
