"""Organisations, their contacts and staff accounts.

Adding an organisation, a contact or a staff member is a use case of its own (`flask orgs`,
`flask contacts`, `flask staff`, the managers' pages) and a step of others (registering a held
sender, the demo), which then run it in their own transaction. Every change to an organisation
or a contact is audited with who made it (no one: the command line).
"""
import logging
import re
import secrets
import unicodedata
from datetime import UTC, date, datetime, time
from zoneinfo import ZoneInfo

import pyotp
import sqlalchemy as sa
from werkzeug.security import generate_password_hash

from helpdesk.domain import languages
from helpdesk.extensions import db
from helpdesk.models import (
    Contact,
    Organisation,
    OrganisationStatus,
    StaffMember,
    StaffRole,
)
from helpdesk.services import Refusal
from helpdesk.services.people import audit, visibility
from helpdesk.services.transaction import job, use_case

SLUG_PATTERN = re.compile(r"^[a-z0-9][a-z0-9-]{0,63}$")
EMAIL_PATTERN = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
MIN_PASSWORD_LENGTH = 10
TOTP_ISSUER = "helpdesk"
# The audit trail's actions for the directory (AuditEntry.action).
ADDED = "directory_add"
RENAMED = "directory_rename"
STATUS_CHANGED = "organisation_status"
STATUS_SCHEDULED = "organisation_status_pending"

log = logging.getLogger(__name__)


def normalise_email(email: str) -> str:
    """Addresses compare case-insensitively, so we keep them lower-cased.

    No control, format (bidi overrides, zero-width) or separator characters: an address goes
    into mail headers and onto pages, where those could make it read as another.
    """
    email = email.strip().lower()
    if not EMAIL_PATTERN.match(email) or any(
            unicodedata.category(ch)[0] in "CZ" for ch in email):
        raise Refusal("%(email)r is not an email address.", email=email)
    return email


def hash_password(password: str) -> str:
    if len(password) < MIN_PASSWORD_LENGTH:
        raise Refusal("Choose a password of at least %(count)d characters.",
                      count=MIN_PASSWORD_LENGTH)
    return generate_password_hash(password, method="scrypt")


def new_session_token() -> str:
    return secrets.token_hex(16)


def find_organisation(slug: str) -> Organisation | None:
    return db.session.scalar(sa.select(Organisation).filter_by(slug=slug))


def organisation_by_slug(slug: str) -> Organisation:
    organisation = find_organisation(slug)
    if organisation is None:
        raise Refusal("There is no organisation with slug %(slug)s.", slug=slug)
    return organisation


@use_case
def add_organisation(slug: str, name: str, now: datetime, *,
                     by: StaffMember | None = None) -> Organisation:
    slug = slug.strip()
    if not SLUG_PATTERN.match(slug):
        raise Refusal("A slug is lower-case letters, digits and dashes, not %(slug)s.", slug=slug)
    if db.session.scalar(sa.select(Organisation.id).filter_by(slug=slug)):
        raise Refusal("An organisation with slug %(slug)s exists already.", slug=slug)
    organisation = Organisation(slug=slug, name=_organisation_name(name), created_at=now,
                                status=OrganisationStatus.ACTIVE, status_changed_at=now,
                                status_changed_by=by)
    db.session.add(organisation)
    audit.record(organisation, ADDED, now, by, f"{slug}: {organisation.name}")
    return organisation


def _organisation_name(name: str) -> str:
    name = name.strip()
    if not name:
        raise Refusal("Give the organisation a name.")
    return name


@use_case
def rename_organisation(slug: str, name: str, now: datetime, *,
                        by: StaffMember | None = None) -> Organisation:
    organisation = organisation_by_slug(slug)
    before = organisation.name
    organisation.name = _organisation_name(name)
    detail = audit.describe_changes({"name": before}, {"name": organisation.name})
    if detail:
        audit.record(organisation, RENAMED, now, by, detail)
    return organisation


def day_starts_at(day: date, timezone: str) -> datetime:
    """The first moment of a calendar day in the desk's time zone, as aware UTC."""
    return datetime.combine(day, time(0), ZoneInfo(timezone)).astimezone(UTC)


@use_case
def set_organisation_status(slug: str, status: str, now: datetime, *,
                            effective_on: date | None = None, timezone: str | None = None,
                            by: StaffMember | None = None) -> Organisation:
    """Change the status now, or from the start of `effective_on` (in `timezone`) onwards.

    A day after today is kept as the pending status, which the worker applies when the day
    begins (`apply_due_status_changes`). One change waits at a time: a new one replaces it,
    and choosing the status the organisation has now cancels it. Earlier days are refused:
    a status holds from when it was set, never before.
    """
    try:
        new_status = OrganisationStatus(status)
    except ValueError:
        raise Refusal("Choose active, suspended or ended, not %(status)s.",
                      status=status) from None
    organisation = organisation_by_slug(slug)
    starts_at = now
    if effective_on is not None:
        today = now.astimezone(ZoneInfo(timezone)).date()
        if effective_on < today:
            raise Refusal("A status change takes effect today or later, not on %(day)s.",
                          day=effective_on.isoformat())
        if effective_on > today:
            starts_at = day_starts_at(effective_on, timezone)
    if starts_at > now and new_status != organisation.status:
        _set_pending(organisation, new_status, starts_at, now, by)
        return organisation
    if organisation.pending_status is not None:
        _clear_pending(organisation, now, by, "pending status cancelled")
    _apply_status(organisation, new_status, now, by, now)
    return organisation


def _set_pending(organisation: Organisation, status: OrganisationStatus, starts_at: datetime,
                 now: datetime, by: StaffMember | None) -> None:
    organisation.pending_status = status
    organisation.pending_status_at = starts_at
    organisation.pending_status_by = by
    audit.record(organisation, STATUS_SCHEDULED, now, by,
                 f"status: {organisation.status.value} → {status.value} "
                 f"from {starts_at.isoformat()}")


def _clear_pending(organisation: Organisation, now: datetime, by: StaffMember | None,
                   why: str) -> None:
    audit.record(organisation, STATUS_SCHEDULED, now, by,
                 f"{why}: {organisation.pending_status.value} "
                 f"from {organisation.pending_status_at.isoformat()}")
    organisation.pending_status = None
    organisation.pending_status_at = None
    organisation.pending_status_by = None


def _apply_status(organisation: Organisation, status: OrganisationStatus, since: datetime,
                  by: StaffMember | None, now: datetime) -> None:
    if organisation.status == status:
        return
    audit.record(organisation, STATUS_CHANGED, now, by,
                 f"status: {organisation.status.value} → {status.value} "
                 f"from {since.isoformat()}")
    organisation.status = status
    organisation.status_changed_at = since
    organisation.status_changed_by = by
    if status == OrganisationStatus.ENDED:
        # A terminated contract ends every portal session at once.
        for contact in organisation.contacts:
            end_all_sessions(contact)


@use_case
def apply_due_status(organisation_id: int, now: datetime) -> bool:
    """Apply the organisation's pending status if its day has come; False if it had not, or
    another worker applied it first (the pending columns are cleared by one UPDATE)."""
    organisation = db.session.get(Organisation, organisation_id)
    if (organisation is None or organisation.pending_status is None
            or organisation.pending_status_at > now):
        return False
    status, since = organisation.pending_status, organisation.pending_status_at
    by = organisation.pending_status_by
    taken = db.session.execute(
        sa.update(Organisation)
        .where(Organisation.id == organisation_id, Organisation.pending_status == status,
               Organisation.pending_status_at == since)
        .values(pending_status=None, pending_status_at=None, pending_status_by_id=None)
        .execution_options(synchronize_session=False))
    if taken.rowcount != 1:
        return False
    db.session.refresh(organisation)
    _apply_status(organisation, status, since, by, now)
    return True


@job
def apply_due_status_changes(now: datetime, limit: int = 200) -> int:
    """Apply the pending statuses whose day has begun, one commit each; how many were applied."""
    due = db.session.scalars(
        sa.select(Organisation.id).where(Organisation.pending_status_at <= now)
        .order_by(Organisation.pending_status_at, Organisation.id).limit(limit)).all()
    db.session.rollback()
    applied = 0
    for organisation_id in due:
        try:
            applied += apply_due_status(organisation_id, now)
        except Exception:  # the next organisation still gets its change
            log.exception("pending status of organisation %s failed", organisation_id)
    return applied


@use_case
def add_contact(email: str, organisation_slug: str, name: str, now: datetime, *,
                super_user: bool = False, language: str = languages.DEFAULT,
                job_title: str | None = None,
                phone: str | None = None, birth_date: date | None = None,
                password: str | None = None, by: StaffMember | None = None) -> Contact:
    email = normalise_email(email)
    organisation = organisation_by_slug(organisation_slug)
    name = name.strip()
    if not name:
        raise Refusal("Give the contact a name.")
    if not languages.is_supported(language):
        raise Refusal("Choose Dutch or English.")
    if db.session.scalar(sa.select(Contact.id).filter_by(email=email)):
        raise Refusal("A contact with email %(email)s exists already.", email=email)
    contact = Contact(
        organisation=organisation, email=email, name=name, is_super_user=super_user,
        language=language, job_title=job_title or None, phone=phone or None,
        birth_date=birth_date,
        password_hash=hash_password(password) if password else None,
        session_token=new_session_token(), created_at=now,
    )
    db.session.add(contact)
    audit.record(contact, ADDED, now, by,
                 f"{email} of {organisation.slug}{' (super-user)' if super_user else ''}")
    return contact


@use_case
def add_staff(email: str, name: str, role: str, password: str, now: datetime, *,
              totp_secret: str | None = None, language: str = languages.DEFAULT) -> StaffMember:
    email = normalise_email(email)
    chosen_role = staff_role(role)
    ensure_no_staff_with(email)
    staff = StaffMember(
        email=email, name=name.strip(), role=chosen_role, password_hash=hash_password(password),
        totp_secret=totp_secret or new_totp_secret(), totp_last_step=0, language=language,
        session_token=new_session_token(), created_at=now,
    )
    db.session.add(staff)
    return staff


def staff_role(role: str) -> StaffRole:
    try:
        return StaffRole(role)
    except ValueError:
        raise Refusal("Choose agent, manager or admin, not %(role)s.", role=role) from None


def ensure_no_staff_with(email: str) -> None:
    """Refuse a (normalised) address a staff account has already."""
    if db.session.scalar(sa.select(StaffMember.id).filter_by(email=email)):
        raise Refusal("A staff member with email %(email)s exists already.", email=email)


def new_totp_secret() -> str:
    return pyotp.random_base32()


def totp_uri(secret: str, email: str) -> str:
    """The otpauth:// address an authenticator app takes the account from."""
    return pyotp.TOTP(secret).provisioning_uri(name=email, issuer_name=TOTP_ISSUER)


def totp_provisioning_uri(staff: StaffMember) -> str:
    return totp_uri(staff.totp_secret, staff.email)


def end_all_sessions(person: StaffMember | Contact) -> None:
    """Every cookie carrying the person's old token stops working (in the caller's transaction)."""
    person.session_token = new_session_token()


@use_case
def sign_out_everywhere(person: StaffMember | Contact) -> None:
    """The person signs out: every session of theirs ends, copies of this cookie included."""
    end_all_sessions(person)


@use_case
def set_language(person: StaffMember | Contact, language: str) -> None:
    """The language the desk speaks to this person, on pages and in mail."""
    person.language = language


def find_super_users(text: str, viewer: StaffMember, now: datetime,
                     limit: int = 20) -> list[Contact]:
    """Active super-users the viewer may see whose name, email or organisation has the text."""
    text = text.strip()
    if not text:
        return []
    query = (
        sa.select(Contact).join(Organisation)
        .where(Contact.is_super_user.is_(True), Contact.active.is_(True),
               Organisation.status != OrganisationStatus.ENDED,
               sa.or_(Contact.name.icontains(text, autoescape=True),
                      Contact.email.icontains(text, autoescape=True),
                      Organisation.name.icontains(text, autoescape=True),
                      Organisation.slug.icontains(text, autoescape=True)))
        .order_by(Organisation.name, Contact.name).limit(limit))
    condition = visibility.organisation_condition(
        Contact.organisation_id, visibility.visible_organisation_ids(viewer, now))
    if condition is not None:
        query = query.where(condition)
    return db.session.scalars(query).all()
