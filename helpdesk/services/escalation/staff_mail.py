"""Notifications to staff, in the reader's language; a ticket notice is a subject and a template.

Mails are queued in the caller's transaction; the outbox worker sends them.
"""
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from flask import render_template
from flask_babel import format_datetime, ngettext
from flask_babel import lazy_gettext as _l

from helpdesk import desk_url
from helpdesk.domain.mail.threads import clean_header_value
from helpdesk.models import ResponseRecord, StaffMember, Ticket
from helpdesk.services.language import speaking
from helpdesk.services.mail_out.outbox import queue_mail
from helpdesk.services.notifications.wording import due_in_words, duration_label, moment_in_words


@dataclass(frozen=True)
class Notification:
    """A composed staff notification, in the recipient's language."""

    subject: str
    body_text: str
    body_html: str


# The subject of each kind of notice about one owed response; its body is email/<kind>.txt|html.
TICKET_NOTICE_SUBJECTS = {
    "due_soon": _l("Due soon: %(subject)s"),
    "breach": _l("Response overdue: %(subject)s"),
    "calamity": _l("Calamity: %(subject)s"),
    "calamity_renotify": _l("Calamity still unanswered: %(subject)s"),
}


def notify(recipients: list[StaffMember], kind: str, ticket: Ticket, record: ResponseRecord,
           now: datetime, once_key: str) -> None:
    """One notice of TICKET_NOTICE_SUBJECTS about the response `record` owes, to each recipient."""
    _queue_each(recipients, kind,
                lambda staff: compose_ticket_notice(kind, ticket, record, staff, now),
                now, once_key, ticket=ticket)


def notify_staff(recipients: list[StaffMember], compose: Callable[..., Notification], kind: str,
                 subject_matter: object, now: datetime, once_key: str) -> None:
    """Queue a notification that is about no single ticket, one per recipient."""
    _queue_each(recipients, kind, lambda staff: compose(subject_matter, staff, now), now,
                once_key, headers={"Auto-Submitted": "auto-generated"})


def _queue_each(recipients: list[StaffMember], kind: str,
                compose_for: Callable[[StaffMember], Notification], now: datetime,
                once_key: str, **mail_fields) -> None:
    """One mail per recipient in their language, each with a once-only key from `once_key`."""
    for staff in recipients:
        with speaking(staff.language):
            notification = compose_for(staff)
        # Not `automatic`: the loop brake is for customers' autoresponders, never our own staff.
        queue_mail(to_address=staff.email, kind=kind, subject=notification.subject,
                   body_text=notification.body_text, body_html=notification.body_html,
                   now=now, language=staff.language, automatic=False,
                   once_key=f"{once_key}:{staff.id}", **mail_fields)


# A summary names this many tickets; the queue's breached filter lists them all.
SUMMARY_TICKETS = 50


def compose_late_breaches(late: list, staff: StaffMember, now: datetime) -> Notification:
    """Breaches the sweep found long after their moment, in one mail (after a worker outage)."""
    context = {
        "staff": staff, "count": len(late),
        # Oldest first, with the year: after a long outage they may span more than one.
        "tickets": [(b.number, b.subject, format_datetime(b.due_at, "d MMMM yyyy HH:mm"))
                    for b in sorted(late, key=lambda b: b.due_at)[:SUMMARY_TICKETS]],
        "more": max(len(late) - SUMMARY_TICKETS, 0),
        "link": desk_url.link("agent.queue", language=staff.language, breached="1"),
    }
    subject = ngettext("%(num)s response overdue, found late",
                       "%(num)s responses overdue, found late", len(late))
    return Notification(subject=clean_header_value(subject),
                        body_text=render_template("email/late_breaches.txt", **context),
                        body_html=render_template("email/late_breaches.html", **context))


def notice_subject(kind: str, ticket: Ticket) -> str:
    """A ticket notice's subject in the current language: the reference, then the news."""
    subject = TICKET_NOTICE_SUBJECTS[kind] % {"subject": ticket.subject}
    return clean_header_value(f"[#{ticket.number}] {subject}")


def compose_ticket_notice(kind: str, ticket: Ticket, record: ResponseRecord,
                          staff: StaffMember, now: datetime) -> Notification:
    """One notice of TICKET_NOTICE_SUBJECTS about the response `record` owes."""
    context = {
        "ticket": ticket, "staff": staff,
        "link": desk_url.link("agent.ticket", language=staff.language,
                              number=ticket.number),
        "received": moment_in_words(record.received_at), "due": due_in_words(record.due_at),
        "due_moment": moment_in_words(record.due_at),
        "waited": duration_label(max(now - record.received_at, timedelta(0))),
    }
    return Notification(subject=notice_subject(kind, ticket),
                        body_text=render_template(f"email/{kind}.txt", **context),
                        body_html=render_template(f"email/{kind}.html", **context))
