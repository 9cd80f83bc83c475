"""All models, importable from one place (Alembic sees them through this module)."""
from helpdesk.models.access import AccessGrant, Team, team_member, team_organisation
from helpdesk.models.breach import Breach, BreachOrganisation, BreachStatus
from helpdesk.models.erasure import ErasureCertificate, ErasureFile
from helpdesk.models.export import ExportRequest
from helpdesk.models.mail import (
    CaughtMail,
    HeldMessage,
    HeldReason,
    IngestFailure,
    MailboxState,
    MailReceipt,
    OutboxMessage,
    OutboxState,
    RawMail,
)
from helpdesk.models.operations import Backup, BackupState, JobHeartbeat, WatchdogIncident
from helpdesk.models.organisation import Contact, Organisation, OrganisationStatus
from helpdesk.models.presence import TicketPresence
from helpdesk.models.security import (
    AuditChainHead,
    AuditEntry,
    CannedReply,
    LinkRequest,
    SignInFailure,
    SignInToken,
)
from helpdesk.models.settings import CalendarSettings, ClosingDay, RecomputeJob, ResponseTarget
from helpdesk.models.staff import ROLE_RANK, StaffInvitation, StaffMember, StaffRole
from helpdesk.models.stats import (
    RollupSpan,
    StatsChange,
    StatsRollup,
    StatsRollupDay,
    StatsRollupMonth,
)
from helpdesk.models.ticket import (
    AWAITING_DESK_STATUSES,
    OPEN_STATUSES,
    RESOLVED_STATUSES,
    STATUS_CHANGED,
    Attachment,
    Category,
    Channel,
    Message,
    MessageKind,
    ResponseRecord,
    Ticket,
    TicketEvent,
    TicketNumberCounter,
    TicketStatus,
)

__all__ = [
    "AWAITING_DESK_STATUSES", "OPEN_STATUSES", "RESOLVED_STATUSES", "ROLE_RANK",
    "STATUS_CHANGED", "AccessGrant", "Attachment", "AuditChainHead", "AuditEntry", "Breach",
    "BreachOrganisation", "BreachStatus",
    "CalendarSettings", "CannedReply", "Category", "CaughtMail", "Channel", "ClosingDay", "Contact",
    "Backup", "BackupState", "ExportRequest", "JobHeartbeat", "WatchdogIncident",
    "ErasureCertificate", "ErasureFile",
    "HeldMessage", "HeldReason", "IngestFailure", "LinkRequest", "MailReceipt", "MailboxState",
    "Message",
    "MessageKind", "Organisation", "OrganisationStatus", "OutboxMessage", "OutboxState", "RawMail",
    "RecomputeJob", "ResponseRecord", "ResponseTarget", "RollupSpan", "SignInFailure",
    "SignInToken", "StaffInvitation", "StaffMember", "StaffRole", "StatsChange", "StatsRollup",
    "StatsRollupDay", "StatsRollupMonth", "Ticket",
    "Team", "TicketEvent", "TicketNumberCounter", "TicketPresence", "TicketStatus",
    "team_member", "team_organisation",
]
