"""The directory's audit trail: who changed an organisation or a contact, when, from what to what.

A building block: it adds AuditEntry rows in the caller's transaction. A change with no staff
member behind it (the command line, the worker applying a dated status) has no `staff_id`.
"""
from datetime import date, datetime

import sqlalchemy as sa

from helpdesk.extensions import db
from helpdesk.models import AuditEntry, Contact, Organisation, StaffMember

ORGANISATION = "organisation"
CONTACT = "contact"
DETAIL_LENGTH = 300
# Optional personal data: the trail says it changed, never what it was or became, so the
# values stay on the contact's own page only.
PERSONAL_FIELDS = frozenset({"birth_date", "gender", "education_level"})


def record(subject: Organisation | Contact, action: str, now: datetime,
           by: StaffMember | None, detail: str | None = None) -> None:
    """Add one entry about an organisation or a contact (both need their id: flush first)."""
    if subject.id is None:
        db.session.flush()
    subject_type = ORGANISATION if isinstance(subject, Organisation) else CONTACT
    add_entry(action, now, by, subject_type, subject.id, detail)


def add_entry(action: str, now: datetime, by: StaffMember | None, subject_type: str,
              subject_id: int | None, detail: str | None = None) -> None:
    """One entry of the trail, about any subject; the detail is cut to what the column holds."""
    db.session.add(AuditEntry(at=now, staff_id=by.id if by else None, action=action,
                              subject_type=subject_type, subject_id=subject_id,
                              detail=detail[:DETAIL_LENGTH] if detail else None))


def redact_detail(entry: AuditEntry, detail: str | None) -> None:
    """Replace what an entry quotes of a person who is erased; the rest of the entry stays."""
    entry.detail = detail[:DETAIL_LENGTH] if detail else None


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
