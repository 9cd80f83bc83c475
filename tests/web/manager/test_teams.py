"""The Teams and access page: managers only, every change by a CSRF-checked POST."""
from datetime import timedelta

import sqlalchemy as sa

from helpdesk.extensions import db
from helpdesk.models import AccessGrant, StaffRole, Team
from tests.conftest import post_form, sign_in
from tests.fixtures.factories import make_organisation, make_staff


def _manager_client(client):
    manager = make_staff(StaffRole.MANAGER, name="Mia Manager")
    sign_in(client, manager)
    return manager


def test_agents_may_not_open_the_page(client, app):
    sign_in(client, make_staff())
    assert client.get("/manage/teams").status_code == 403


def test_a_manager_creates_a_team_and_chooses_its_members_and_organisations(client, app):
    _manager_client(client)
    anna = make_staff(name="Anna Agent")
    acme = make_organisation(name="Acme")
    assert post_form(client, "/manage/teams", {"name": "Benelux"}).status_code == 303
    team = db.session.scalars(sa.select(Team)).one()
    post_form(client, f"/manage/teams/{team.id}/members", {"staff": [str(anna.id)]})
    post_form(client, f"/manage/teams/{team.id}/organisations",
              {"organisation": [str(acme.id)]})
    db.session.expire_all()
    assert team.members == [anna] and team.organisations == [acme]
    page = client.get("/manage/teams").get_data(as_text=True)
    assert "Benelux" in page and f'value="{anna.id}" checked' in page


def test_a_team_without_a_name_is_refused_on_the_page(client, app):
    _manager_client(client)
    assert post_form(client, "/manage/teams", {"name": " "}).status_code == 200
    assert db.session.scalars(sa.select(Team)).all() == []


def test_a_post_without_the_csrf_token_changes_nothing(client, app):
    _manager_client(client)
    client.post("/manage/teams", data={"name": "Benelux"})
    assert db.session.scalars(sa.select(Team)).all() == []


def test_a_manager_grants_and_revokes_temporary_access(client, app):
    _manager_client(client)
    anna = make_staff(name="Anna Agent")
    globex = make_organisation(name="Globex")
    response = post_form(client, "/manage/access", {
        "staff_id": str(anna.id), "organisation_id": str(globex.id), "amount": "2",
        "unit": "days", "reason": "Holiday cover"})
    assert response.status_code == 303
    grant = db.session.scalars(sa.select(AccessGrant)).one()
    assert grant.expires_at - grant.granted_at == timedelta(days=2)
    page = client.get("/manage/teams").get_data(as_text=True)
    assert "Holiday cover" in page and "Revoke" in page
    assert post_form(client, f"/manage/access/{grant.id}/revoke").status_code == 303
    db.session.expire_all()
    assert grant.revoked_at is not None
    assert "revoked" in client.get("/manage/teams").get_data(as_text=True)


def test_access_longer_than_thirty_days_is_refused_in_a_sentence(client, app):
    _manager_client(client)
    anna = make_staff(name="Anna Agent")
    globex = make_organisation(name="Globex")
    response = post_form(client, "/manage/access", {
        "staff_id": str(anna.id), "organisation_id": str(globex.id), "amount": "31",
        "unit": "days", "reason": "Forever"})
    assert response.status_code == 200
    assert "30 days" in response.get_data(as_text=True)
    assert db.session.scalars(sa.select(AccessGrant)).all() == []


def test_an_organisation_s_page_links_to_granting_access_to_it_chosen(client, app):
    _manager_client(client)
    make_staff(name="Anna Agent")
    globex = make_organisation(slug="globex", name="Globex")
    page = client.get("/manage/organisations/globex").get_data(as_text=True)
    assert f"/manage/teams?organisation={globex.id}#grant-form" in page
    form = client.get(f"/manage/teams?organisation={globex.id}").get_data(as_text=True)
    assert f'<option value="{globex.id}" selected>' in form
