"""Managers shape who sees what: teams, their members and organisations, and temporary grants.

Every change is written to the audit trail with who made it and when. A grant ends by itself
(visibility compares `now` with its end); revoking ends it earlier.
"""
from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.orm import selectinload

from helpdesk.extensions import db
from helpdesk.models import AccessGrant, Organisation, StaffMember, StaffRole, Team
from helpdesk.services import NotFound, Refusal
from helpdesk.services.people import audit
from helpdesk.services.people.visibility import active_grant_condition
from helpdesk.services.transaction import use_case

TEAM = "team"
ACCESS_GRANT = "access_grant"
# The audit trail's actions on teams and grants.
TEAM_CREATED = "team_create"
TEAM_RENAMED = "team_rename"
TEAM_DELETED = "team_delete"
MEMBERS_CHANGED = "team_members"
ORGANISATIONS_CHANGED = "team_organisations"
GRANTED = "access_grant"
REVOKED = "access_revoke"
# Temporary means temporary: a longer need is a team membership.
MAX_GRANT = timedelta(days=30)
MAX_GRANT_HOURS = int(MAX_GRANT / timedelta(hours=1))
NAME_LENGTH = 100


def all_teams() -> list[Team]:
    return db.session.scalars(
        sa.select(Team).options(selectinload(Team.members), selectinload(Team.organisations))
        .order_by(Team.name)).all()


def team_by_id(team_id: int) -> Team:
    team = db.session.get(Team, team_id)
    if team is None:
        raise NotFound("There is no such team.")
    return team


def _clean_name(name: str, team: Team | None = None) -> str:
    name = " ".join(name.split())[:NAME_LENGTH]
    if not name:
        raise Refusal("Give the team a name.")
    same = db.session.scalar(sa.select(Team).where(sa.func.lower(Team.name) == name.lower()))
    if same is not None and same is not team:
        raise Refusal("A team called %(name)s exists already.", name=name)
    return name


@use_case
def create_team(manager: StaffMember, name: str, now: datetime) -> Team:
    """A new team; from the first team on, agents see only what their teams serve."""
    team = Team(name=_clean_name(name), created_at=now)
    db.session.add(team)
    db.session.flush()
    audit.add_entry(TEAM_CREATED, now, manager, TEAM, team.id, team.name)
    return team


@use_case
def rename_team(manager: StaffMember, team_id: int, name: str, now: datetime) -> Team:
    team = team_by_id(team_id)
    new_name = _clean_name(name, team)
    if new_name != team.name:
        audit.add_entry(TEAM_RENAMED, now, manager, TEAM, team.id, f"{team.name} → {new_name}")
        team.name = new_name
    return team


@use_case
def delete_team(manager: StaffMember, team_id: int, now: datetime) -> None:
    """Remove the team; its members keep what their other teams serve."""
    team = team_by_id(team_id)
    audit.add_entry(TEAM_DELETED, now, manager, TEAM, team.id, team.name)
    db.session.delete(team)


@use_case
def set_members(manager: StaffMember, team_id: int, staff_ids: list[int],
                now: datetime) -> Team:
    """The team's agents are exactly these (active staff only)."""
    team = team_by_id(team_id)
    chosen = db.session.scalars(sa.select(StaffMember).where(
        StaffMember.id.in_(staff_ids), StaffMember.active.is_(True))).all()
    detail = _difference("members", {s.email for s in team.members}, {s.email for s in chosen})
    if detail:
        team.members = list(chosen)
        audit.add_entry(MEMBERS_CHANGED, now, manager, TEAM, team.id, detail)
    return team


@use_case
def set_organisations(manager: StaffMember, team_id: int, organisation_ids: list[int],
                      now: datetime) -> Team:
    """The organisations the team serves are exactly these."""
    team = team_by_id(team_id)
    chosen = db.session.scalars(sa.select(Organisation).where(
        Organisation.id.in_(organisation_ids))).all()
    detail = _difference("organisations", {o.slug for o in team.organisations},
                         {o.slug for o in chosen})
    if detail:
        team.organisations = list(chosen)
        audit.add_entry(ORGANISATIONS_CHANGED, now, manager, TEAM, team.id, detail)
    return team


def _difference(what: str, before: set[str], after: set[str]) -> str | None:
    added, removed = sorted(after - before), sorted(before - after)
    if not added and not removed:
        return None
    parts = [f"+{name}" for name in added] + [f"-{name}" for name in removed]
    return f"{what}: {' '.join(parts)}"


@use_case
def grant_access(manager: StaffMember, staff_id: int, organisation_id: int, hours: int,
                 reason: str, now: datetime) -> AccessGrant:
    """Let one agent see one organisation for `hours` (at most MAX_GRANT), for a reason."""
    agent = db.session.get(StaffMember, staff_id)
    if agent is None or not agent.active or agent.role != StaffRole.AGENT:
        raise Refusal("Choose an active agent; managers and admins see every organisation.")
    organisation = db.session.get(Organisation, organisation_id)
    if organisation is None:
        raise Refusal("Choose an organisation.")
    if not 1 <= hours <= MAX_GRANT_HOURS:
        raise Refusal("Access lasts from 1 hour up to %(days)s days.", days=MAX_GRANT.days)
    reason = " ".join(reason.split())
    if not reason:
        raise Refusal("Say why the agent needs access.")
    grant = AccessGrant(staff_id=agent.id, organisation_id=organisation.id,
                        granted_by_id=manager.id, granted_at=now,
                        expires_at=now + timedelta(hours=hours), reason=reason[:300])
    db.session.add(grant)
    db.session.flush()
    audit.add_entry(GRANTED, now, manager, ACCESS_GRANT, grant.id,
                    f"{agent.email} → {organisation.slug} until "
                    f"{grant.expires_at.isoformat(timespec='minutes')}: {grant.reason}")
    return grant


@use_case
def revoke_grant(manager: StaffMember, grant_id: int, now: datetime) -> AccessGrant:
    """End a grant now; one that has ended already stays as it was."""
    grant = db.session.get(AccessGrant, grant_id)
    if grant is None:
        raise NotFound("There is no such grant.")
    if not grant.is_active(now):
        raise Refusal("This access has ended already.")
    grant.revoked_at, grant.revoked_by_id = now, manager.id
    audit.add_entry(REVOKED, now, manager, ACCESS_GRANT, grant.id,
                    f"{grant.staff.email} → {grant.organisation.slug}")
    return grant


@dataclass(frozen=True)
class GrantRow:
    grant: AccessGrant
    active: bool


def recent_grants(now: datetime, *, staff_id: int | None = None,
                  organisation_id: int | None = None, limit: int = 50) -> list[GrantRow]:
    """Running grants first, then those ended within MAX_GRANT, newest first."""
    query = (sa.select(AccessGrant)
             .options(selectinload(AccessGrant.staff), selectinload(AccessGrant.organisation),
                      selectinload(AccessGrant.granted_by))
             .where(AccessGrant.expires_at > now - MAX_GRANT)
             .order_by(active_grant_condition(now).desc(), AccessGrant.granted_at.desc(),
                       AccessGrant.id.desc())
             .limit(limit))
    if staff_id is not None:
        query = query.where(AccessGrant.staff_id == staff_id)
    if organisation_id is not None:
        query = query.where(AccessGrant.organisation_id == organisation_id)
    return [GrantRow(grant, grant.is_active(now)) for grant in db.session.scalars(query)]


def grantable_agents() -> list[StaffMember]:
    return db.session.scalars(sa.select(StaffMember).where(
        StaffMember.active.is_(True), StaffMember.role == StaffRole.AGENT)
        .order_by(StaffMember.name)).all()
