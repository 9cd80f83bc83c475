"""What managers do to a customer's contacts: edit them, make or unmake super-users, deactivate.

Adding one is `directory.add_contact`, shared with the command line; every change here is
audited with who made it and what changed.
"""
from dataclasses import dataclass
from datetime import date, datetime

import sqlalchemy as sa
from sqlalchemy.orm import contains_eager

from helpdesk.domain import languages
from helpdesk.extensions import db
from helpdesk.models import Contact, Organisation, StaffMember
from helpdesk.services import NotFound, Refusal
from helpdesk.services.people import audit, directory
from helpdesk.services.transaction import use_case

EDITED = "contact_edit"
SUPER_USER_CHANGED = "contact_super_user"
DEACTIVATED = "contact_deactivate"
PER_PAGE = 50


@dataclass(frozen=True)
class ContactDetails:
    """Everything a manager may change on a contact's own page."""

    name: str
    email: str
    language: str
    job_title: str | None = None
    phone: str | None = None
    birth_date: date | None = None
    gender: str | None = None
    education_level: str | None = None


def contact_by_id(contact_id: int) -> Contact:
    contact = db.session.get(Contact, contact_id)
    if contact is None:
        raise NotFound("There is no such contact.")
    return contact


def contact_by_email(email: str) -> Contact:
    contact = db.session.scalars(
        sa.select(Contact).where(Contact.email == directory.normalise_email(email))).first()
    if contact is None:
        raise NotFound("There is no such contact.")
    return contact


def _blank_is_none(value: str | None) -> str | None:
    value = (value or "").strip()
    return value or None


@use_case
def edit_contact(contact: Contact, details: ContactDetails, now: datetime,
                 by: StaffMember) -> Contact:
    """Change the contact's details; the email stays unique among contacts."""
    name = details.name.strip()
    if not name:
        raise Refusal("Give the contact a name.")
    if not languages.is_supported(details.language):
        raise Refusal("Choose Dutch or English.")
    email = directory.normalise_email(details.email)
    if db.session.scalar(sa.select(Contact.id).where(Contact.email == email,
                                                     Contact.id != contact.id)):
        raise Refusal("A contact with email %(email)s exists already.", email=email)
    after = {"name": name, "email": email, "job_title": _blank_is_none(details.job_title),
             "phone": _blank_is_none(details.phone), "language": details.language,
             "birth_date": details.birth_date, "gender": _blank_is_none(details.gender),
             "education_level": _blank_is_none(details.education_level)}
    before = {field: getattr(contact, field) for field in after}
    detail = audit.describe_changes(before, after)
    if detail is None:
        return contact
    for field, value in after.items():
        setattr(contact, field, value)
    audit.record(contact, EDITED, now, by, detail)
    return contact


@use_case
def set_super_user(contact: Contact, super_user: bool, now: datetime,
                   by: StaffMember) -> Contact:
    """Let the contact use the portal and raise tickets, or no longer (their sessions end)."""
    if contact.is_super_user == super_user:
        return contact
    contact.is_super_user = super_user
    if not super_user:
        directory.end_all_sessions(contact)
    audit.record(contact, SUPER_USER_CHANGED, now, by,
                 f"super-user: {'no → yes' if super_user else 'yes → no'}")
    return contact


@use_case
def deactivate_contact(contact: Contact, now: datetime, by: StaffMember) -> Contact:
    """The contact can no longer sign in, and every session of theirs ends at once."""
    if not contact.active:
        raise Refusal("%(email)s is deactivated already.", email=contact.email)
    contact.active = False
    directory.end_all_sessions(contact)
    audit.record(contact, DEACTIVATED, now, by, "active: yes → no")
    return contact


@dataclass(frozen=True)
class ContactPage:
    contacts: list[Contact]
    page: int
    has_next: bool


def search_contacts(text: str, page: int = 1) -> ContactPage:
    """Contacts of every organisation whose name, email, job title or organisation contains
    the text (all of them for no text), by organisation and name."""
    query = sa.select(Contact).join(Organisation)
    text = text.strip()
    if text:
        query = query.where(sa.or_(Contact.name.icontains(text, autoescape=True),
                                   Contact.email.icontains(text, autoescape=True),
                                   Contact.job_title.icontains(text, autoescape=True),
                                   Organisation.name.icontains(text, autoescape=True),
                                   Organisation.slug.icontains(text, autoescape=True)))
    found = db.session.scalars(
        query.options(contains_eager(Contact.organisation))
        .order_by(Organisation.name, Contact.name, Contact.id)
        .limit(PER_PAGE + 1).offset((page - 1) * PER_PAGE)).all()
    return ContactPage(found[:PER_PAGE], page, len(found) > PER_PAGE)
