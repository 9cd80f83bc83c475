"""Managers change staff accounts: a role, or the end of one; each change is audited.

Who may grant what: a manager grants roles up to their own (agent or manager), only an admin
makes admins, and nobody changes an account that ranks above their own. Nobody changes their
own role or deactivates themselves: a desk cannot lose its last admin by a slip, and a manager
cannot raise themselves.
"""
from datetime import datetime

import sqlalchemy as sa

from helpdesk.extensions import db
from helpdesk.models import ROLE_RANK, StaffMember, StaffRole
from helpdesk.services import NotFound, Refusal
from helpdesk.services.people import audit as audit_trail
from helpdesk.services.people import directory
from helpdesk.services.transaction import use_case

SUBJECT = "staff_member"
ROLE_CHANGED = "change_staff_role"
DEACTIVATED = "deactivate_staff"


def all_staff() -> list[StaffMember]:
    """Every staff account, active ones first, by name."""
    return list(db.session.scalars(
        sa.select(StaffMember).order_by(StaffMember.active.desc(), StaffMember.name,
                                        StaffMember.id)))


def grantable_roles(manager: StaffMember) -> list[StaffRole]:
    """The roles this person may give: their own and those below it."""
    return [role for role in StaffRole if ROLE_RANK[role] <= ROLE_RANK[manager.role]]


def ensure_may_grant(manager: StaffMember, role: StaffRole) -> None:
    if ROLE_RANK[role] > ROLE_RANK[manager.role]:
        raise Refusal("Only an admin can give the role %(role)s.", role=role.value)


def audit(actor: StaffMember, action: str, now: datetime, subject_type: str,
          subject_id: int | None, detail: str | None = None) -> None:
    """Who changed which account, when, and how (in the caller's transaction)."""
    audit_trail.add_entry(action, now, actor, subject_type, subject_id, detail)


def _other_account(manager: StaffMember, staff_id: int) -> StaffMember:
    staff = db.session.get(StaffMember, staff_id)
    if staff is None:
        raise NotFound("There is no such staff member.")
    if staff.id == manager.id:
        raise Refusal("You cannot change your own account here; ask another manager.")
    if ROLE_RANK[staff.role] > ROLE_RANK[manager.role]:
        raise Refusal("Only an admin can change the account of %(name)s.", name=staff.name)
    return staff


@use_case
def change_role(manager: StaffMember, staff_id: int, role: str, now: datetime) -> StaffMember:
    """Give another staff member a role up to the manager's own."""
    new_role = directory.staff_role(role)
    staff = _other_account(manager, staff_id)
    ensure_may_grant(manager, new_role)
    if staff.role != new_role:
        audit(manager, ROLE_CHANGED, now, SUBJECT, staff.id,
              f"{staff.email}: {staff.role.value} -> {new_role.value}")
        staff.role = new_role
    return staff


@use_case
def deactivate(manager: StaffMember, staff_id: int, now: datetime) -> StaffMember:
    """End another staff member's account: every session of theirs ends at once."""
    staff = _other_account(manager, staff_id)
    if staff.active:
        staff.active = False
        directory.end_all_sessions(staff)
        audit(manager, DEACTIVATED, now, SUBJECT, staff.id, staff.email)
    return staff
