"""The erasures a manager, the command line or the retention job asks for.

Each is a job of two steps: the use case erases the rows in one transaction and lists the
files; then the files go and the database's free space is wiped. A crash between the steps
loses nothing: the next erasure, or the worker's `erasure-files` job, deletes what is listed.
"""
from datetime import datetime

import sqlalchemy as sa

from helpdesk.extensions import db
from helpdesk.models import (
    Contact,
    ErasureCertificate,
    OrganisationStatus,
    StaffMember,
)
from helpdesk.services import Refusal
from helpdesk.services.people.directory import normalise_email, organisation_by_slug
from helpdesk.services.privacy import erasure, erasure_files
from helpdesk.services.transaction import job, use_case


@job
def erase_contact(email: str, now: datetime, *,
                  by: StaffMember | None = None) -> ErasureCertificate:
    """Erase one person's data on request; the certificate says what went."""
    certificate_id = erase_contact_rows(email, now, by=by)
    return _finish(certificate_id, now)


@job
def erase_organisation(slug: str, now: datetime, *, by: StaffMember | None = None,
                       reason: str = erasure.REQUEST) -> ErasureCertificate:
    """Erase an ended organisation's personal data: every contact's, in one transaction."""
    certificate_id = erase_organisation_rows(slug, now, by=by, reason=reason)
    return _finish(certificate_id, now)


def _finish(certificate_id: int, now: datetime) -> ErasureCertificate:
    erasure_files.finish_pending_files(now)
    tables = erasure.touched_tables(db.session.get(ErasureCertificate, certificate_id))
    erasure_files.wipe_free_space(tables)
    return db.session.get(ErasureCertificate, certificate_id)


@use_case
def erase_contact_rows(email: str, now: datetime, *, by: StaffMember | None = None) -> int:
    """The database part of a contact's erasure; the certificate's id."""
    contact = db.session.scalar(sa.select(Contact).filter_by(email=normalise_email(email)))
    if contact is None or contact.erased_at is not None:
        raise Refusal("There is no contact with email %(email)s.", email=email)
    counts: dict[str, int] = {}
    files: set[str] = set()
    pseudonym, = erasure.erase_people([contact], now, counts, files)
    erasure_files.optimise_search_index()
    return erasure.certify(erasure.CONTACT, pseudonym, now, erasure.instructed_by(by),
                           erasure.REQUEST, counts, files).id


@use_case
def erase_organisation_rows(slug: str, now: datetime, *, by: StaffMember | None = None,
                            reason: str = erasure.REQUEST) -> int:
    """The database part of an organisation's erasure; the certificate's id."""
    organisation = organisation_by_slug(slug)
    if organisation.status != OrganisationStatus.ENDED:
        raise Refusal("%(slug)s has not ended; end it before its data is erased.", slug=slug)
    if organisation.erased_at is not None:
        raise Refusal("%(slug)s was erased already.", slug=slug)
    contacts = db.session.scalars(sa.select(Contact).where(
        Contact.organisation_id == organisation.id, Contact.erased_at.is_(None))
        .order_by(Contact.id)).all()
    counts: dict[str, int] = {}
    files: set[str] = set()
    if contacts:
        erasure.erase_people(list(contacts), now, counts, files)
    organisation.erased_at = now
    erasure_files.optimise_search_index()
    pseudonym = erasure.new_pseudonym("Organisation")
    return erasure.certify(erasure.ORGANISATION, pseudonym, now, erasure.instructed_by(by, reason),
                           reason, counts, files).id
