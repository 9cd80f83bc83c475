"""Translated names for enum values, shared by pages and mail."""
from datetime import datetime, timedelta

from babel.dates import format_timedelta, get_datetime_format
from flask_babel import format_date, format_time, get_locale
from flask_babel import lazy_gettext as _l

from helpdesk.domain import languages
from helpdesk.models import Category, Channel, OrganisationStatus, StaffRole, TicketStatus
from helpdesk.services.language import desk_name
from helpdesk.services.notifications.wording import (
    current_language,
    duration_label,
    lateness_label,
)
from helpdesk.services.people import contacts, directory
from helpdesk.services.portal import link_mail
from helpdesk.services.privacy import breaches
from helpdesk.services.privacy.access import EXPORTED

CATEGORY_LABELS = {
    Category.BUG: _l("Bug"),
    Category.OUTAGE: _l("Outage"),
    Category.WISH: _l("Feature request"),
    Category.CONFIGURATION: _l("Configuration question"),
    Category.QUESTION: _l("Knowledge question"),
    Category.CALAMITY: _l("Calamity"),
}
CHANNEL_LABELS = {
    Channel.EMAIL: _l("Email"),
    Channel.PORTAL: _l("Portal"),
    Channel.PHONE: _l("Phone"),
}
STATUS_LABELS = {
    TicketStatus.NEW: _l("New"),
    TicketStatus.OPEN: _l("Open"),
    TicketStatus.WAITING: _l("Waiting on customer"),
    TicketStatus.RESOLVED: _l("Resolved"),
    TicketStatus.CLOSED: _l("Closed"),
}
# A name for every supported language (a missing one fails the canned reply form at import).
LANGUAGE_LABELS = {"nl": _l("Dutch"), "en": _l("English")}
ORGANISATION_STATUS_LABELS = {
    OrganisationStatus.ACTIVE: _l("Active"),
    OrganisationStatus.SUSPENDED: _l("Suspended"),
    OrganisationStatus.ENDED: _l("Ended"),
}

# What the directory's audit trail says was done (AuditEntry.action), for the history tables.
AUDIT_ACTION_LABELS = {
    directory.ADDED: _l("Added"),
    directory.RENAMED: _l("Renamed"),
    directory.STATUS_CHANGED: _l("Status changed"),
    directory.STATUS_SCHEDULED: _l("Status change waiting"),
    contacts.EDITED: _l("Details changed"),
    contacts.SUPER_USER_CHANGED: _l("Super-user changed"),
    contacts.DEACTIVATED: _l("Deactivated"),
    link_mail.LINK_SENT: _l("Sign-in link sent"),
    EXPORTED: _l("Data exported"),
    "view_ticket": _l("Ticket read"),
    "download": _l("Attachment downloaded"),
    breaches.RECORDED: _l("Breach recorded"),
    breaches.EDITED: _l("Breach changed"),
    breaches.CLOSED: _l("Breach closed"),
    breaches.INFORMED: _l("Organisations informed"),
}


def audit_action_label(action: str) -> str:
    label = AUDIT_ACTION_LABELS.get(action)
    return str(label) if label is not None else action


ROLE_LABELS = {
    StaffRole.AGENT: _l("Agent"),
    StaffRole.MANAGER: _l("Manager"),
    StaffRole.ADMIN: _l("Admin"),
}


def role_label(role) -> str:
    return str(ROLE_LABELS[StaffRole(role)])


def category_label(category) -> str:
    return str(CATEGORY_LABELS[Category(category)])


def channel_label(channel) -> str:
    return str(CHANNEL_LABELS[Channel(channel)])


def status_label(status) -> str:
    return str(STATUS_LABELS[TicketStatus(status)])


def organisation_status_label(status) -> str:
    return str(ORGANISATION_STATUS_LABELS[OrganisationStatus(status)])


def age_label(age: timedelta) -> str:
    """How long something has waited, short and rounded: "12 min", "2 uur"."""
    if abs(age) < timedelta(minutes=1):
        return duration_label(age)  # "less than a minute", where babel says "0 min"
    return format_timedelta(age, granularity="minute", threshold=1, format="short",
                            locale=get_locale())


def moment_label(at: datetime) -> str:
    """A moment as pages and mail show it: "2 Dec 2026, 07:17", "2 dec 2026, 07:17".

    The month in letters, because a European reader takes 12/2/26 for 12 February, and the
    24-hour clock; the locale joins date and time its own way.
    """
    return get_datetime_format("medium", get_locale()).format(format_time(at, "short"),
                                                              format_date(at, "medium"))


def register_template_helpers(app) -> None:
    app.jinja_env.globals.update(category_label=category_label, status_label=status_label,
                                 channel_label=channel_label,
                                 organisation_status_label=organisation_status_label,
                                 audit_action_label=audit_action_label,
                                 role_label=role_label,
                                 age_label=age_label, duration_label=duration_label,
                                 lateness_label=lateness_label, get_locale=get_locale,
                                 current_language=current_language, desk_name=desk_name,
                                 languages=languages.SUPPORTED)
    app.jinja_env.filters["moment"] = moment_label
    app.jinja_env.filters["dateformat"] = format_date
