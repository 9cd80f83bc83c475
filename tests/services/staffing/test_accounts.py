"""Managers change roles and deactivate accounts, within their own rank, never their own."""
import pytest
import sqlalchemy as sa

from helpdesk.extensions import db
from helpdesk.models import AuditEntry, StaffRole
from helpdesk.services import NotFound, Refusal
from helpdesk.services.people import signin
from helpdesk.services.staffing import accounts
from tests.fixtures.factories import PASSWORD, make_staff


def test_a_manager_makes_an_agent_a_manager_and_it_is_audited(app, now):
    manager, agent = make_staff(StaffRole.MANAGER), make_staff()
    accounts.change_role(manager, agent.id, "manager", now)
    assert agent.role == StaffRole.MANAGER
    [entry] = db.session.scalars(sa.select(AuditEntry)).all()
    assert (entry.staff_id, entry.action, entry.subject_type, entry.subject_id, entry.at) == (
        manager.id, "change_staff_role", "staff_member", agent.id, now)
    assert entry.detail == f"{agent.email}: agent -> manager"


def test_a_manager_cannot_make_an_admin_nor_change_one(app, now):
    manager, agent, admin = make_staff(StaffRole.MANAGER), make_staff(), make_staff(StaffRole.ADMIN)
    with pytest.raises(Refusal, match="Alleen een beheerder kan de rol admin geven."):
        accounts.change_role(manager, agent.id, "admin", now)
    with pytest.raises(Refusal, match="Alleen een beheerder kan het account van"):
        accounts.change_role(manager, admin.id, "agent", now)
    with pytest.raises(Refusal, match="Alleen een beheerder kan het account van"):
        accounts.deactivate(manager, admin.id, now)
    db.session.refresh(agent)
    db.session.refresh(admin)
    assert (agent.role, admin.role, admin.active) == (StaffRole.AGENT, StaffRole.ADMIN, True)
    assert db.session.scalars(sa.select(AuditEntry)).all() == []


def test_an_admin_makes_an_admin(app, now):
    admin, manager = make_staff(StaffRole.ADMIN), make_staff(StaffRole.MANAGER)
    accounts.change_role(admin, manager.id, "admin", now)
    assert manager.role == StaffRole.ADMIN


def test_nobody_changes_their_own_role_or_deactivates_themselves(app, now):
    admin = make_staff(StaffRole.ADMIN)
    with pytest.raises(Refusal, match="Uw eigen account"):
        accounts.change_role(admin, admin.id, "agent", now)
    with pytest.raises(Refusal, match="Uw eigen account"):
        accounts.deactivate(admin, admin.id, now)
    db.session.refresh(admin)
    assert (admin.role, admin.active) == (StaffRole.ADMIN, True)


def test_deactivating_ends_every_session_and_sign_in(app, now):
    manager, agent = make_staff(StaffRole.MANAGER), make_staff()
    old_token = agent.session_token
    accounts.deactivate(manager, agent.id, now)
    assert agent.active is False
    assert agent.session_token != old_token
    assert signin.staff_with_password(agent.email, PASSWORD) is None
    [entry] = db.session.scalars(sa.select(AuditEntry)).all()
    assert (entry.action, entry.subject_id) == ("deactivate_staff", agent.id)


def test_an_unknown_account_is_not_found(app, now):
    with pytest.raises(NotFound):
        accounts.deactivate(make_staff(StaffRole.MANAGER), 999_999, now)
