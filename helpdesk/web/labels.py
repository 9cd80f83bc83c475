"""Translated names for enum values, shared by pages and mail."""
from datetime import datetime, timedelta

from babel.dates import format_timedelta, get_datetime_format
from flask_babel import format_date, format_time, get_locale
from flask_babel import lazy_gettext as _l

from helpdesk.domain import languages
from helpdesk.models import Category, Channel, OrganisationStatus, StaffRole, TicketStatus
from helpdesk.services.intake import held_mail
from helpdesk.services.language import desk_name
from helpdesk.services.notifications.wording import (
    current_language,
    duration_label,
    lateness_label,
)
from helpdesk.services.people import contacts, directory, teams
from helpdesk.services.portal import link_mail
from helpdesk.services.privacy import access, breaches, export_requests
from helpdesk.services.promise import sla_settings
from helpdesk.services.staffing import accounts, invitations

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

# What the audit trail says was done (AuditEntry.action), for every table that lists entries.
AUDIT_ACTION_LABELS = {
    directory.ADDED: _l("Added"),
    directory.RENAMED: _l("Renamed"),
    directory.STATUS_CHANGED: _l("Status changed"),
    directory.STATUS_SCHEDULED: _l("Status change waiting"),
    contacts.EDITED: _l("Details changed"),
    contacts.SUPER_USER_CHANGED: _l("Super-user changed"),
    contacts.DEACTIVATED: _l("Deactivated"),
    link_mail.LINK_SENT: _l("Sign-in link sent"),
    access.EXPORTED: _l("Data exported"),
    access.VIEWED_TICKET: _l("Ticket read"),
    access.DOWNLOADED: _l("Attachment downloaded"),
    access.VIEWED_CONTACT: _l("Contact page read"),
    access.VIEWED_ORGANISATION: _l("Organisation page read"),
    access.VIEWED_MESSAGE_SOURCE: _l("Original mail read"),
    access.VIEWED_HELD_SOURCE: _l("Held mail read"),
    export_requests.REQUESTED: _l("Export requested"),
    export_requests.BUILT: _l("Export built"),
    export_requests.DOWNLOADED: _l("Export downloaded"),
    export_requests.FAILED: _l("Export failed"),
    sla_settings.CHANGED: _l("Setting changed"),
    teams.TEAM_CREATED: _l("Team created"),
    teams.TEAM_RENAMED: _l("Team renamed"),
    teams.TEAM_DELETED: _l("Team deleted"),
    teams.MEMBERS_CHANGED: _l("Team members changed"),
    teams.ORGANISATIONS_CHANGED: _l("Team's organisations changed"),
    teams.GRANTED: _l("Temporary access granted"),
    teams.REVOKED: _l("Temporary access revoked"),
    held_mail.SENDER_REGISTERED: _l("Held mail's sender added as contact"),
    held_mail.TICKET_OPENED: _l("Held mail opened as a ticket"),
    held_mail.ADDED_TO_TICKET: _l("Held mail added to a ticket"),
    held_mail.DISMISSED: _l("Held mail dismissed"),
    accounts.ROLE_CHANGED: _l("Staff role changed"),
    accounts.DEACTIVATED: _l("Staff account deactivated"),
    invitations.INVITED: _l("Staff member invited"),
    invitations.ACCEPTED: _l("Staff invitation accepted"),
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
