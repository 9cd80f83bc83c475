"""The breach register (terms 4.10): record, edit and close a breach, and inform the controllers.

Every change is in the audit trail (subject "breach"); informing queues one mail per
super-user of each affected organisation with what GDPR art. 33(3) asks the controller to report.
"""
from dataclasses import asdict, dataclass
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import selectinload

from helpdesk.extensions import db
from helpdesk.models import (
    AuditEntry,
    Breach,
    BreachOrganisation,
    BreachStatus,
    Contact,
    Organisation,
    StaffMember,
)
from helpdesk.services import NotFound, Refusal
from helpdesk.services.people import audit
from helpdesk.services.privacy.breach_mail import queue_breach_notice
from helpdesk.services.transaction import use_case

BREACH = "breach"  # the audit trail's subject type
RECORDED = "breach_recorded"
EDITED = "breach_edited"
CLOSED = "breach_closed"
INFORMED = "breach_informed"


@dataclass(frozen=True)
class BreachDetails:
    """What a manager writes down about a breach; the organisations by id."""

    title: str
    found_at: datetime
    occurred_from: datetime
    occurred_to: datetime
    what_happened: str
    data_categories: str
    approximate_subjects: int
    approximate_records: int
    likely_consequences: str
    measures_taken: str
    contact_point: str
    organisation_ids: tuple[int, ...]


@dataclass(frozen=True)
class Informed:
    mails: int
    organisations: list[str]  # told now
    unreachable: list[str]  # affected, but with no active super-user to tell


def _fields(details: BreachDetails) -> dict:
    fields = asdict(details)
    del fields["organisation_ids"]
    return fields


def _checked_organisations(details: BreachDetails, now: datetime) -> list[Organisation]:
    if details.occurred_to < details.occurred_from:
        raise Refusal("The breach cannot end before it began.")
    if details.found_at < details.occurred_from:
        raise Refusal("A breach cannot be found before it began.")
    if details.found_at > now:
        raise Refusal("A breach cannot be found in the future.")
    if details.approximate_subjects < 0 or details.approximate_records < 0:
        raise Refusal("The numbers of people and records cannot be negative.")
    wanted = set(details.organisation_ids)
    if not wanted:
        raise Refusal("Choose at least one affected organisation.")
    organisations = db.session.scalars(
        sa.select(Organisation).where(Organisation.id.in_(wanted)).order_by(Organisation.name)
    ).all()
    if len(organisations) != len(wanted):
        raise NotFound("One of the chosen organisations does not exist.")
    return list(organisations)


def breach_by_id(breach_id: int) -> Breach:
    breach = db.session.get(Breach, breach_id)
    if breach is None:
        raise NotFound("There is no breach %(id)s.", id=breach_id)
    return breach


def breach_list() -> list[Breach]:
    """The register, newest first, with each breach's organisations."""
    return list(db.session.scalars(
        sa.select(Breach).options(selectinload(Breach.affected)
                                  .selectinload(BreachOrganisation.organisation),
                                  selectinload(Breach.recorded_by))
        .order_by(Breach.found_at.desc(), Breach.id.desc())))


@use_case
def record_breach(details: BreachDetails, now: datetime, by: StaffMember | None) -> Breach:
    """Write a breach into the register, open, with the organisations it affects."""
    organisations = _checked_organisations(details, now)
    breach = Breach(**_fields(details), recorded_at=now, recorded_by=by,
                    status=BreachStatus.OPEN,
                    affected=[BreachOrganisation(organisation=o) for o in organisations])
    db.session.add(breach)
    db.session.flush()
    audit.add_entry(RECORDED, now, by, BREACH, breach.id,
                    f"{breach.title}; " + ", ".join(o.slug for o in organisations))
    return breach


@use_case
def edit_breach(breach_id: int, details: BreachDetails, now: datetime,
                by: StaffMember | None) -> Breach:
    """Correct or complete a breach; an organisation already informed stays on it."""
    breach = breach_by_id(breach_id)
    if breach.status == BreachStatus.CLOSED:
        raise Refusal("A closed breach can no longer be changed.")
    organisations = _checked_organisations(details, now)
    before = {name: getattr(breach, name) for name in _fields(details)}
    wanted = {o.id for o in organisations}
    before_ids = {affected.organisation_id for affected in breach.affected}
    for affected in list(breach.affected):
        if affected.organisation_id not in wanted:
            if affected.informed_at is not None:
                raise Refusal("%(name)s was informed already and stays on the breach.",
                              name=affected.organisation.name)
            breach.affected.remove(affected)
    present = {affected.organisation_id for affected in breach.affected}
    breach.affected.extend(BreachOrganisation(organisation=o)
                           for o in organisations if o.id not in present)
    for name, value in _fields(details).items():
        setattr(breach, name, value)
    changes = [name for name, value in _fields(details).items() if before[name] != value]
    if wanted != before_ids:
        changes.append("organisations: " + ", ".join(o.slug for o in organisations))
    audit.add_entry(EDITED, now, by, BREACH, breach.id, "; ".join(changes) or None)
    return breach


@use_case
def close_breach(breach_id: int, now: datetime, by: StaffMember | None) -> Breach:
    """The breach is dealt with: it stays in the register, no longer changeable."""
    breach = breach_by_id(breach_id)
    if breach.status == BreachStatus.CLOSED:
        raise Refusal("This breach is closed already.")
    breach.status, breach.closed_at = BreachStatus.CLOSED, now
    audit.add_entry(CLOSED, now, by, BREACH, breach.id, breach.title)
    return breach


@use_case
def inform_organisations(breach_id: int, now: datetime, by: StaffMember | None) -> Informed:
    """Mail every active super-user of each affected organisation not yet informed.

    An organisation is informed once: asking again tells only those added since, and is
    refused when there are none. One without a super-user stays uninformed, and is named.
    """
    breach = breach_by_id(breach_id)
    waiting = [affected for affected in breach.affected if affected.informed_at is None]
    if not waiting:
        raise Refusal("Every affected organisation was informed already.")
    super_users = db.session.scalars(
        sa.select(Contact)
        .where(Contact.organisation_id.in_([a.organisation_id for a in waiting]),
               Contact.is_super_user.is_(True), Contact.active.is_(True))
        .order_by(Contact.name, Contact.id)
    ).all()
    told, unreachable, mails = [], [], 0
    for affected in waiting:
        recipients = [c for c in super_users if c.organisation_id == affected.organisation_id]
        if not recipients:
            unreachable.append(affected.organisation.name)
            continue
        for contact in recipients:
            queue_breach_notice(breach, contact, now)
            mails += 1
        affected.informed_at = now
        told.append(affected.organisation.name)
    if told:
        breach.informed_at = now
        audit.add_entry(INFORMED, now, by, BREACH, breach.id,
                        f"{mails} mail(s) to the super-users of " + ", ".join(told))
    return Informed(mails=mails, organisations=told, unreachable=unreachable)


def _iso(at: datetime | None) -> str | None:
    return at.isoformat().replace("+00:00", "Z") if at else None


REGISTER_FIELDS = (
    "id", "title", "status", "found_at", "occurred_from", "occurred_to", "recorded_at",
    "recorded_by", "what_happened", "data_categories", "approximate_subjects",
    "approximate_records", "likely_consequences", "measures_taken", "contact_point",
    "organisations", "informed_at", "closed_at")


def register() -> list[dict]:
    """The whole register, newest first, as plain values (moments in UTC, ISO 8601)."""
    return [{
        "id": breach.id, "title": breach.title, "status": breach.status.value,
        "found_at": _iso(breach.found_at), "occurred_from": _iso(breach.occurred_from),
        "occurred_to": _iso(breach.occurred_to), "recorded_at": _iso(breach.recorded_at),
        "recorded_by": breach.recorded_by.name if breach.recorded_by else None,
        "what_happened": breach.what_happened, "data_categories": breach.data_categories,
        "approximate_subjects": breach.approximate_subjects,
        "approximate_records": breach.approximate_records,
        "likely_consequences": breach.likely_consequences,
        "measures_taken": breach.measures_taken, "contact_point": breach.contact_point,
        "organisations": [{"slug": a.organisation.slug, "name": a.organisation.name,
                           "informed_at": _iso(a.informed_at)} for a in breach.affected],
        "informed_at": _iso(breach.informed_at), "closed_at": _iso(breach.closed_at),
    } for breach in breach_list()]


def breach_history(breach: Breach) -> list:
    """The trail's entries about this breach, newest first, with the staff member's name."""
    return list(db.session.execute(
        sa.select(AuditEntry, StaffMember.name)
        .outerjoin(StaffMember, StaffMember.id == AuditEntry.staff_id)
        .where(AuditEntry.subject_type == BREACH, AuditEntry.subject_id == breach.id)
        .order_by(AuditEntry.at.desc(), AuditEntry.id.desc())))
