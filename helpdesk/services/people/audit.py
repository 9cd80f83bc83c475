"""The directory's audit trail: who changed an organisation or a contact, when, from what to what.

A building block: it adds AuditEntry rows in the caller's transaction, each chained onto the
one before (helpdesk/domain/audit_chain.py; `flask audit verify` walks the chain). A change
with no staff member behind it (the command line, the worker applying a dated status) has no
`staff_id`.
"""
from datetime import date, datetime

import sqlalchemy as sa

from helpdesk.domain import audit_chain
from helpdesk.extensions import db
from helpdesk.models import AuditChainHead, AuditEntry, Contact, Organisation, StaffMember

ORGANISATION = "organisation"
CONTACT = "contact"
DETAIL_LENGTH = 300
HEAD_ID = 1  # the one row of audit_chain_head
# Optional personal data: the trail says it changed, never what it was or became, so the
# values stay on the contact's own page only.
PERSONAL_FIELDS = frozenset({"birth_date", "gender", "education_level"})


def record(subject: Organisation | Contact, action: str, now: datetime,
           by: StaffMember | None, detail: str | None = None) -> None:
    """Add one entry about an organisation or a contact (both need their id: flush first)."""
    if subject.id is None:
        db.session.flush()
    if isinstance(subject, Organisation):
        add_entry(action, now, by, ORGANISATION, subject.id, detail,
                  organisation_id=subject.id)
    else:
        add_entry(action, now, by, CONTACT, subject.id, detail, contact_id=subject.id,
                  organisation_id=subject.organisation_id)


def add_entry(action: str, now: datetime, by: StaffMember | None, subject_type: str,
              subject_id: int | None, detail: str | None = None, *,
              contact_id: int | None = None, organisation_id: int | None = None) -> AuditEntry:
    """One entry of the trail, chained onto the last; the detail is cut to what the column holds.

    The only code that writes an AuditEntry. `contact_id` and `organisation_id` say whose data
    the entry concerns, for the access report. The chain's head row is locked until the
    caller's transaction ends, so two writers never chain onto the same entry.
    """
    detail = detail[:DETAIL_LENGTH] if detail else None
    head = _locked_head()
    entry = AuditEntry(at=now, staff_id=by.id if by else None, contact_id=contact_id,
                       organisation_id=organisation_id, action=action,
                       subject_type=subject_type, subject_id=subject_id, detail=detail,
                       detail_digest=audit_chain.detail_digest(detail),
                       previous_digest=head.digest, redacted=False)
    entry.digest = chained_fields(entry).digest()
    head.digest = entry.digest
    head.entry_count += 1
    db.session.add(entry)
    return entry


def _locked_head() -> AuditChainHead:
    """The chain's head row, locked (FOR UPDATE on PostgreSQL; SQLite has one writer)."""
    head = db.session.scalars(
        sa.select(AuditChainHead).where(AuditChainHead.id == HEAD_ID).with_for_update()
    ).one_or_none()
    if head is None:  # an emptied database: the migration makes the row in a real one
        head = AuditChainHead(id=HEAD_ID, digest=audit_chain.GENESIS, entry_count=0)
        db.session.add(head)
        db.session.flush()
    return head


def chained_fields(entry: AuditEntry) -> audit_chain.ChainedFields:
    """What the entry's digest covers, read from the row."""
    return audit_chain.ChainedFields(
        at=entry.at, staff_id=entry.staff_id, contact_id=entry.contact_id,
        organisation_id=entry.organisation_id, action=entry.action,
        subject_type=entry.subject_type, subject_id=entry.subject_id,
        detail_digest=entry.detail_digest, previous_digest=entry.previous_digest)


def redact_detail(entry: AuditEntry, detail: str | None) -> None:
    """Replace what an entry quotes of a person who is erased; the rest of the entry stays.

    The digest of the detail as written stays, so the chain still verifies; the entry is
    marked redacted and its detail is no longer checked against that digest.
    """
    entry.detail = detail[:DETAIL_LENGTH] if detail else None
    entry.redacted = True


def _shown(value: object) -> str:
    if value is None or value == "":
        return "—"
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


def describe_changes(before: dict[str, object], after: dict[str, object]) -> str | None:
    """`field: old → new` for each field that changed, or None when nothing did."""
    parts = []
    for field, new in after.items():
        old = before.get(field)
        if old == new:
            continue
        if field in PERSONAL_FIELDS:
            parts.append(f"{field}: changed")
        else:
            parts.append(f"{field}: {_shown(old)} → {_shown(new)}")
    return "; ".join(parts) or None


def history(organisation: Organisation, limit: int = 100) -> list[tuple[AuditEntry, str | None]]:
    """Changes to the organisation and its contacts, newest first, with the staff member's name."""
    contact_ids = sa.select(Contact.id).where(Contact.organisation_id == organisation.id)
    return db.session.execute(
        sa.select(AuditEntry, StaffMember.name)
        .outerjoin(StaffMember, StaffMember.id == AuditEntry.staff_id)
        .where(sa.or_(
            sa.and_(AuditEntry.subject_type == ORGANISATION,
                    AuditEntry.subject_id == organisation.id),
            sa.and_(AuditEntry.subject_type == CONTACT,
                    AuditEntry.subject_id.in_(contact_ids))))
        .order_by(AuditEntry.at.desc(), AuditEntry.id.desc()).limit(limit)
    ).all()


def contact_history(contact: Contact, limit: int = 100) -> list[tuple[AuditEntry, str | None]]:
    """Changes to one contact, newest first, with the staff member's name."""
    return db.session.execute(
        sa.select(AuditEntry, StaffMember.name)
        .outerjoin(StaffMember, StaffMember.id == AuditEntry.staff_id)
        .where(AuditEntry.subject_type == CONTACT, AuditEntry.subject_id == contact.id)
        .order_by(AuditEntry.at.desc(), AuditEntry.id.desc()).limit(limit)
    ).all()
