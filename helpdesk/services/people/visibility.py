"""Which organisations a staff member may see: the one rule of least privilege (terms 4.6).

With no team configured, every agent sees every organisation. Once a team exists, an agent
sees the organisations their teams serve, and one more for as long as a manager's grant
runs. Managers and admins see all. A calamity is everyone's: its tickets are visible to every
agent whatever their teams, because the desk answers a calamity with all hands at once.
Anything outside what a person sees is "not found", never "forbidden": it does not exist
for them.
"""
from datetime import datetime

import sqlalchemy as sa

from helpdesk.extensions import db
from helpdesk.models import (
    ROLE_RANK,
    AccessGrant,
    Category,
    Contact,
    StaffMember,
    StaffRole,
    Team,
    Ticket,
    team_member,
    team_organisation,
)


def teams_configured() -> bool:
    return db.session.scalar(sa.select(sa.exists().where(Team.id.is_not(None))))


def active_grant_condition(now: datetime) -> sa.ColumnElement:
    """A grant runs from granted_at up to, not including, expires_at, unless revoked."""
    return sa.and_(AccessGrant.revoked_at.is_(None), AccessGrant.granted_at <= now,
                   AccessGrant.expires_at > now)


def visible_organisation_ids(staff: StaffMember, now: datetime) -> set[int] | None:
    """The ids of the organisations `staff` may see, or None for all of them."""
    if staff.has_role(StaffRole.MANAGER) or not teams_configured():
        return None
    served = (sa.select(team_organisation.c.organisation_id)
              .join(team_member, team_member.c.team_id == team_organisation.c.team_id)
              .where(team_member.c.staff_id == staff.id))
    granted = (sa.select(AccessGrant.organisation_id)
               .where(AccessGrant.staff_id == staff.id, active_grant_condition(now)))
    return set(db.session.scalars(sa.union(served, granted)).all())


def organisation_condition(column: sa.ColumnElement, visible: set[int] | None
                           ) -> sa.ColumnElement | None:
    """A WHERE condition keeping rows whose organisation (`column`) is visible; None: all."""
    if visible is None:
        return None
    return column.in_(sorted(visible)) if visible else sa.false()


def ticket_condition(staff: StaffMember, now: datetime) -> sa.ColumnElement | None:
    """A WHERE condition on Ticket for the tickets `staff` may see; None when that is all."""
    condition = organisation_condition(Ticket.organisation_id,
                                       visible_organisation_ids(staff, now))
    if condition is None:
        return None
    return sa.or_(Ticket.category == Category.CALAMITY, condition)


def may_see_organisation(staff: StaffMember, organisation_id: int, now: datetime) -> bool:
    visible = visible_organisation_ids(staff, now)
    return visible is None or organisation_id in visible


def may_see_ticket(staff: StaffMember, ticket: Ticket, now: datetime) -> bool:
    return ticket.category == Category.CALAMITY or may_see_organisation(
        staff, ticket.organisation_id, now)


def may_see_contact(staff: StaffMember, contact: Contact, now: datetime) -> bool:
    return may_see_organisation(staff, contact.organisation_id, now)


def staff_who_may_see_ticket(ticket: Ticket, now: datetime) -> list[StaffMember]:
    """The active colleagues the ticket may be given to, by name: those who may see it.

    A ticket given to someone who cannot open it would wait in nobody's queue.
    """
    active = (sa.select(StaffMember).where(StaffMember.active.is_(True))
              .order_by(StaffMember.name, StaffMember.id))
    if ticket.category == Category.CALAMITY:
        return db.session.scalars(active).all()
    seeing_all = [role for role, rank in ROLE_RANK.items()
                  if rank >= ROLE_RANK[StaffRole.MANAGER]]
    served = (sa.select(team_member.c.staff_id)
              .join(team_organisation, team_organisation.c.team_id == team_member.c.team_id)
              .where(team_organisation.c.organisation_id == ticket.organisation_id))
    granted = sa.select(AccessGrant.staff_id).where(
        AccessGrant.organisation_id == ticket.organisation_id, active_grant_condition(now))
    # One query, the "no team configured" case in it: the ticket page counts its queries.
    return db.session.scalars(active.where(sa.or_(
        ~sa.exists().where(Team.id.is_not(None)),
        StaffMember.role.in_(seeing_all), StaffMember.id.in_(served),
        StaffMember.id.in_(granted)))).all()
