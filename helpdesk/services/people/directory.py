"""Organisations, their contacts and staff accounts.

Adding an organisation, a contact or a staff member is a use case of its own (`flask orgs`,
`flask contacts`, `flask staff`) and a step of others (registering a held sender, the demo),
which then run it in their own transaction.
"""
import re
import secrets
import unicodedata
from datetime import date, datetime

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
from helpdesk.services.transaction import use_case

SLUG_PATTERN = re.compile(r"^[a-z0-9][a-z0-9-]{0,63}$")
EMAIL_PATTERN = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
MIN_PASSWORD_LENGTH = 10
TOTP_ISSUER = "helpdesk"


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


def organisation_by_slug(slug: str) -> Organisation:
    organisation = db.session.scalar(sa.select(Organisation).filter_by(slug=slug))
    if organisation is None:
        raise Refusal("There is no organisation with slug %(slug)s.", slug=slug)
    return organisation


@use_case
def add_organisation(slug: str, name: str, now: datetime) -> Organisation:
    if not SLUG_PATTERN.match(slug):
        raise Refusal("A slug is lower-case letters, digits and dashes, not %(slug)s.", slug=slug)
    if db.session.scalar(sa.select(Organisation.id).filter_by(slug=slug)):
        raise Refusal("An organisation with slug %(slug)s exists already.", slug=slug)
    organisation = Organisation(slug=slug, name=name.strip(), created_at=now,
                                status=OrganisationStatus.ACTIVE)
    db.session.add(organisation)
    return organisation


@use_case
def set_organisation_status(slug: str, status: str, now: datetime) -> Organisation:
    try:
        new_status = OrganisationStatus(status)
    except ValueError:
        raise Refusal("Choose active, suspended or ended, not %(status)s.",
                      status=status) from None
    organisation = organisation_by_slug(slug)
    if organisation.status != new_status:
        organisation.status = new_status
        organisation.status_changed_at = now
        if new_status == OrganisationStatus.ENDED:
            # A terminated contract ends every portal session at once.
            for contact in organisation.contacts:
                end_all_sessions(contact)
    return organisation


@use_case
def add_contact(email: str, organisation_slug: str, name: str, now: datetime, *,
                super_user: bool = False, language: str = languages.DEFAULT,
                job_title: str | None = None,
                phone: str | None = None, birth_date: date | None = None,
                password: str | None = None) -> Contact:
    email = normalise_email(email)
    organisation = organisation_by_slug(organisation_slug)
    if db.session.scalar(sa.select(Contact.id).filter_by(email=email)):
        raise Refusal("A contact with email %(email)s exists already.", email=email)
    contact = Contact(
        organisation=organisation, email=email, name=name.strip(), is_super_user=super_user,
        language=language, job_title=job_title, phone=phone, birth_date=birth_date,
        password_hash=hash_password(password) if password else None,
        session_token=new_session_token(), created_at=now,
    )
    db.session.add(contact)
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


def find_super_users(text: str, limit: int = 20) -> list[Contact]:
    """Active super-users whose name, email or organisation contains the text."""
    text = text.strip()
    if not text:
        return []
    return db.session.scalars(
        sa.select(Contact).join(Organisation)
        .where(Contact.is_super_user.is_(True), Contact.active.is_(True),
               Organisation.status != OrganisationStatus.ENDED,
               sa.or_(Contact.name.icontains(text, autoescape=True),
                      Contact.email.icontains(text, autoescape=True),
                      Organisation.name.icontains(text, autoescape=True),
                      Organisation.slug.icontains(text, autoescape=True)))
        .order_by(Organisation.name, Contact.name).limit(limit)
    ).all()
