"""Words for the workspace: time left on the clock and the lines of a ticket's history."""
from datetime import timedelta

from babel.dates import get_month_names
from flask import g
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from helpdesk.domain.sla import LATE, SUPERSEDED
from helpdesk.models import Category, Channel, HeldReason, TicketEvent, TicketStatus
from helpdesk.services.notifications.wording import duration_label, lateness_label
from helpdesk.services.tickets.queue import TimeLeft
from helpdesk.web.i18n import desk_zone
from helpdesk.web.labels import category_label, channel_label, status_label

EVENT_LABELS = {
    "created": _l("Ticket created"),
    "customer_message": _l("Customer wrote"),
    "replied": _l("Replied"),
    "noted": _l("Note added"),
    "call_answered": _l("Answered during the call"),
    "assigned": _l("Assigned"),
    "status": _l("Status changed"),
    "category": _l("Category changed"),
    "calamity_marked": _l("Marked as calamity"),
    "calamity_cleared": _l("Calamity cleared"),
    "merged_into": _l("Merged into"),
    "merged_from": _l("Merged in"),
    "held_mail_added": _l("Held mail added"),
    "due_soon": _l("Due soon"),
    "breached": _l("Response overdue"),
    "calamity_alert": _l("Calamity reported to all staff"),
    "calamity_renotify": _l("Managers reminded of the calamity"),
    "mail_sent_again": _l("Mail sent again"),
}
HELD_REASON_LABELS = {
    HeldReason.UNKNOWN_SENDER: _l("Unknown sender"),
    HeldReason.NOT_SUPER_USER: _l("Not a super-user"),
    HeldReason.ORGANISATION_SUSPENDED: _l("Organisation suspended"),
    HeldReason.ORGANISATION_ENDED: _l("Organisation ended"),
    HeldReason.SENDER_AUTH_FAILED: _l("Sender authentication failed"),
    HeldReason.AUTOMATIC_REPLY: _l("Automatic reply"),
    HeldReason.BOUNCE: _l("Bounce"),
    HeldReason.UNPARSABLE: _l("Unparsable"),
    HeldReason.TOO_LARGE: _l("Too large"),
    HeldReason.OTHER_ORGANISATION: _l("Reply from another organisation"),
}
# Why an escalation went without its own mail (domain.sla.notice_for).
NOTICE_LABELS = {
    SUPERSEDED: _l("no notice, the response was overdue by then"),
    LATE: _l("found late, reported to the managers in one summary"),
}


def _clock_formats() -> dict:
    """The translated formats, looked up once per request: the queue uses them on every row."""
    if "clock_formats" not in g:
        g.clock_formats = {"days": _("%(days)d d %(hours)d h"),
                           "hours": _("%(hours)d h %(minutes)d m"),
                           "overdue": _("%(duration)s overdue"),
                           "since": _("overdue since %(day)s"),
                           "months": get_month_names("abbreviated", locale=get_locale()),
                           "zone": desk_zone()}
    return g.clock_formats


def duration_words(duration: timedelta) -> str:
    """"3 u 20 m" / "3 h 20 m"; a day or more as "2 d 3 u" / "2 d 3 h"."""
    minutes = int(abs(duration).total_seconds()) // 60
    days, minutes = divmod(minutes, 24 * 60)
    hours, minutes = divmod(minutes, 60)
    if days:
        return _clock_formats()["days"] % {"days": days, "hours": hours}
    return _clock_formats()["hours"] % {"hours": hours, "minutes": minutes}


def time_left_words(time_left: TimeLeft) -> str:
    """What the queue's clock column says."""
    if time_left.state == "none":
        return "—"
    if time_left.left is None:
        formats = _clock_formats()
        due = time_left.due_at.astimezone(formats["zone"])
        return formats["since"] % {"day": f"{due.day} {formats['months'][due.month]}"}
    if abs(time_left.left) < timedelta(minutes=1):  # never "0 h 0 m (overdue)"
        return (lateness_label(-time_left.left) if time_left.left < timedelta(0)
                else duration_label(time_left.left))
    if time_left.left < timedelta(0):
        return _clock_formats()["overdue"] % {"duration": duration_words(time_left.left)}
    return duration_words(time_left.left)


def row_labels() -> dict[str, dict]:
    """Category, status and channel names in the current language, for a page of rows."""
    return {"category": {c: category_label(c) for c in Category},
            "status": {s: status_label(s) for s in TicketStatus},
            "channel": {c: channel_label(c) for c in Channel}}


def _value_label(action: str, value: str | None) -> str | None:
    if value is None:
        return None
    if action == "status" and value in TicketStatus._value2member_map_:
        return status_label(value)
    if action == "category" and value in Category._value2member_map_:
        return category_label(value)
    if action == "created" and value in Channel._value2member_map_:
        return channel_label(value)
    if action in ("due_soon", "breached", "calamity_renotify") and value in NOTICE_LABELS:
        return str(NOTICE_LABELS[value])
    return value


def event_line(event: TicketEvent) -> dict:
    """An event as the history shows it: label, and before/after in words."""
    return {"label": str(EVENT_LABELS.get(event.action, event.action)),
            "before": _value_label(event.action, event.before),
            "after": _value_label(event.action, event.after)}


def held_reason_label(reason) -> str:
    return str(HELD_REASON_LABELS.get(reason, reason))


def register(blueprint) -> None:
    blueprint.add_app_template_global(held_reason_label, "held_reason_label")
    blueprint.add_app_template_filter(time_left_words, "time_left_words")
    blueprint.add_app_template_global(event_line, "event_line")
