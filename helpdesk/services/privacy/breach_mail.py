"""The breach notice to a controller's super-user: art. 33(3)'s details in their language."""
from datetime import datetime

from flask import current_app, render_template
from flask_babel import format_datetime

from helpdesk.models import Breach, Contact, OutboxMessage
from helpdesk.services.language import speaking
from helpdesk.services.mail_out.outbox import queue_mail
from helpdesk.services.privacy.breach_access import access_during

KIND = "breach_notice"


def _moment(at: datetime) -> str:
    # With the year: a notice is kept and read long after.
    return format_datetime(at, "d MMMM yyyy HH:mm")


def queue_breach_notice(breach: Breach, contact: Contact, now: datetime) -> OutboxMessage:
    """One mail to one super-user, with their organisation's access during the breach."""
    accesses = access_during([contact.organisation_id], breach.occurred_from, breach.occurred_to)
    context = {"breach": breach, "contact": contact, "organisation": contact.organisation,
               "accesses": accesses, "moment": _moment, "config": current_app.config}
    with speaking(contact.language):
        subject = render_template("email/breach_notice_subject.txt", **context).strip()
        body_text = render_template("email/breach_notice.txt", **context)
        body_html = render_template("email/breach_notice.html", **context)
    return queue_mail(to_address=contact.email, kind=KIND, subject=subject[:300],
                      body_text=body_text, body_html=body_html, now=now,
                      language=contact.language, once_key=f"breach:{breach.id}:{contact.id}")
