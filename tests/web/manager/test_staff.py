"""Managers' staff page: the list, invitations, roles and deactivation, for managers only."""
import pytest
import sqlalchemy as sa

from helpdesk.extensions import db
from helpdesk.models import AuditEntry, OutboxMessage, StaffInvitation, StaffMember, StaffRole
from tests.conftest import post_form, sign_in
from tests.fixtures.factories import PASSWORD, make_staff


@pytest.fixture
def manager(app):
    return make_staff(StaffRole.MANAGER, name="Mia Manager", language="nl")


@pytest.fixture
def manager_client(client, manager):
    sign_in(client, manager)
    return client


def test_the_staff_page_lists_everyone_with_role_state_and_authenticator(manager_client):
    make_staff(name="Anna Agent", email="anna@desk.example")
    make_staff(name="Pending Pete", totp_confirmed_at=None)
    make_staff(name="Gone Gerrit", active=False)
    page = manager_client.get("/manage/staff").get_data(as_text=True)
    for text in ("Anna Agent", "anna@desk.example", "Pending Pete", "Gone Gerrit",
                 "niet ingesteld", "Uitnodiging versturen"):
        assert text in page
    assert '<option value="admin"' not in page  # a manager cannot give it


@pytest.mark.parametrize("url", ["/manage/staff", "/admin/"])
def test_agents_may_not_open_the_staff_or_admin_pages(client, url):
    sign_in(client, make_staff(StaffRole.AGENT))
    assert client.get(url).status_code == 403


def test_a_manager_may_not_open_the_admin_page(manager_client):
    assert manager_client.get("/admin/").status_code == 403


def test_a_manager_invites_a_colleague_by_mail(manager_client, manager):
    response = post_form(manager_client, "/manage/staff/invite",
                         {"email": "nina@desk.example", "name": "Nina New", "role": "agent"})
    assert response.status_code == 303
    invitation = db.session.scalar(sa.select(StaffInvitation))
    assert (invitation.email, invitation.role, invitation.invited_by_id) == (
        "nina@desk.example", StaffRole.AGENT, manager.id)
    mail = db.session.scalar(sa.select(OutboxMessage))
    assert (mail.to_address, mail.kind) == ("nina@desk.example", "staff_invitation")
    page = manager_client.get("/manage/staff").get_data(as_text=True)
    assert "Uitnodiging gemaild naar nina@desk.example." in page


def test_inviting_an_existing_address_is_refused_in_dutch_beside_the_form(manager_client):
    make_staff(email="anna@desk.example")
    response = post_form(manager_client, "/manage/staff/invite",
                         {"email": "anna@desk.example", "name": "Anna", "role": "agent"})
    assert response.status_code == 200
    assert ("Er bestaat al een medewerker met e-mailadres anna@desk.example."
            in response.get_data(as_text=True))
    assert db.session.scalar(sa.select(StaffInvitation)) is None


def test_a_manager_inviting_an_admin_is_refused(manager_client):
    response = post_form(manager_client, "/manage/staff/invite",
                         {"email": "boss@desk.example", "name": "Boss", "role": "admin"})
    assert response.status_code == 200
    assert "Alleen een beheerder kan de rol admin geven." in response.get_data(as_text=True)
    assert db.session.scalar(sa.select(StaffInvitation)) is None


@pytest.mark.parametrize("url", ["/manage/staff/invite", "/manage/staff/1/role",
                                 "/manage/staff/1/deactivate"])
def test_staff_forms_need_a_csrf_token(manager_client, url):
    agent = make_staff()
    response = manager_client.post(url.replace("/1/", f"/{agent.id}/"),
                                   data={"email": "x@desk.example", "name": "X",
                                         "role": "manager"})
    assert response.status_code == 400
    db.session.refresh(agent)
    assert (agent.role, agent.active) == (StaffRole.AGENT, True)
    assert db.session.scalar(sa.select(StaffInvitation)) is None


def test_a_manager_changes_a_role_and_deactivates_an_agent(manager_client, manager):
    agent = make_staff(name="Anna Agent")
    assert post_form(manager_client, f"/manage/staff/{agent.id}/role",
                     {"role": "manager"}).status_code == 303
    db.session.refresh(agent)
    assert agent.role == StaffRole.MANAGER

    agent_client = manager_client.application.test_client()
    sign_in(agent_client, agent)
    assert agent_client.get("/desk/").status_code == 200
    assert post_form(manager_client, f"/manage/staff/{agent.id}/deactivate").status_code == 303
    db.session.refresh(agent)
    assert agent.active is False
    # The session they had ends at once: the next request is sent to sign in.
    assert agent_client.get("/desk/").status_code == 302
    assert [e.action for e in db.session.scalars(sa.select(AuditEntry).order_by(AuditEntry.id))
            ] == ["change_staff_role", "deactivate_staff"]


def test_a_manager_deactivating_themselves_is_refused_in_dutch(manager_client, manager):
    response = post_form(manager_client, f"/manage/staff/{manager.id}/deactivate")
    assert response.status_code == 422
    assert "Uw eigen account kunt u hier niet wijzigen" in response.get_data(as_text=True)
    db.session.refresh(manager)
    assert manager.active is True


def test_a_manager_cannot_demote_an_admin(manager_client):
    admin = make_staff(StaffRole.ADMIN)
    response = post_form(manager_client, f"/manage/staff/{admin.id}/role", {"role": "agent"})
    assert response.status_code == 422
    assert db.session.get(StaffMember, admin.id).role == StaffRole.ADMIN


def test_the_nav_links_to_staff_for_managers_and_administration_for_admins(client, manager):
    sign_in(client, manager)
    page = client.get("/manage/staff").get_data(as_text=True)
    assert 'href="/manage/staff"' in page and 'href="/admin/"' not in page
    admin_client = client.application.test_client()
    sign_in(admin_client, make_staff(StaffRole.ADMIN))
    page = admin_client.get("/manage/staff").get_data(as_text=True)
    assert 'href="/admin/"' in page


def test_a_deactivated_agent_cannot_sign_in_again(manager_client, app):
    agent = make_staff()
    post_form(manager_client, f"/manage/staff/{agent.id}/deactivate")
    other = app.test_client()
    response = post_form(other, "/sign-in", {"email": agent.email, "password": PASSWORD})
    assert response.status_code == 200  # the form again, not the code step
    assert "/sign-in/code" not in response.headers.get("Location", "")
