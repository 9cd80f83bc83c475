"""Managers find contacts across organisations and edit, promote, deactivate and mail them."""
from datetime import date

import pytest
import sqlalchemy as sa

from helpdesk.extensions import db
from helpdesk.models import AuditEntry, Contact, OutboxMessage, StaffRole
from tests.conftest import post_form, sign_in
from tests.fixtures.factories import make_contact, make_organisation, make_staff

RESULTS = {"HX-Request": "true", "HX-Target": "contact-results"}


@pytest.fixture
def manager(app):
    return make_staff(StaffRole.MANAGER, language="en")


@pytest.fixture
def manager_client(client, manager):
    sign_in(client, manager)
    return client


def test_the_contacts_page_searches_every_organisation(manager_client):
    make_contact(make_organisation(name="Acme"), name="Eva Jansen")
    make_contact(make_organisation(name="Bolt"), name="Piet Bakker")
    page = manager_client.get("/manage/contacts?q=bolt")
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and "<html" in html
    assert "Piet Bakker" in html and "Eva Jansen" not in html


def test_the_contacts_search_as_a_fragment_is_only_the_results(manager_client):
    make_contact(name="Eva Jansen", birth_date=date(1980, 5, 17))
    response = manager_client.get("/manage/contacts?q=eva", headers=RESULTS)
    html = response.get_data(as_text=True)
    assert html.startswith('<section id="contact-results">') and "<html" not in html
    assert "Eva Jansen" in html and "1980" not in html
    assert "HX-Request" in response.headers["Vary"]


def test_the_contacts_own_page_shows_and_saves_the_optional_personal_data(manager_client,
                                                                          manager):
    contact = make_contact(name="Eva", birth_date=date(1980, 5, 17), gender="vrouw")
    page = manager_client.get(f"/manage/contacts/{contact.id}").get_data(as_text=True)
    assert "1980-05-17" in page and "vrouw" in page
    response = post_form(manager_client, f"/manage/contacts/{contact.id}", {
        "name": "Eva Jansen", "email": contact.email, "job_title": "CFO", "phone": "",
        "language": "en", "birth_date": "", "gender": "", "education_level": "HBO"})
    assert response.status_code == 303
    db.session.expire_all()
    assert (contact.name, contact.language, contact.birth_date, contact.education_level) == (
        "Eva Jansen", "en", None, "HBO")
    entry = db.session.scalar(sa.select(AuditEntry).filter_by(subject_id=contact.id,
                                                              action="contact_edit"))
    assert entry.staff_id == manager.id and "name: Eva → Eva Jansen" in entry.detail


def test_a_taken_email_re_renders_the_contact_form_in_dutch(client):
    sign_in(client, make_staff(StaffRole.MANAGER, language="nl"))
    taken = make_contact(email="eva@acme.example")
    contact = make_contact(taken.organisation)
    response = post_form(client, f"/manage/contacts/{contact.id}", {
        "name": contact.name, "email": "eva@acme.example", "language": "nl"})
    assert response.status_code == 200
    assert ("Er bestaat al een contactpersoon met e-mailadres eva@acme.example."
            in response.get_data(as_text=True))


def test_deactivating_a_contact_signs_them_out_of_the_portal(app, manager_client):
    contact = make_contact()
    portal = app.test_client()
    sign_in(portal, contact)
    assert portal.get("/portal/").status_code == 200
    assert post_form(manager_client,
                     f"/manage/contacts/{contact.id}/deactivate").status_code == 303
    db.session.expire_all()
    assert not contact.active
    assert portal.get("/portal/").status_code == 302


def test_a_manager_makes_a_contact_a_super_user_and_back(manager_client):
    contact = make_contact(is_super_user=False)
    post_form(manager_client, f"/manage/contacts/{contact.id}/super-user", {"super_user": "y"})
    db.session.expire_all()
    assert contact.is_super_user
    post_form(manager_client, f"/manage/contacts/{contact.id}/super-user")
    db.session.expire_all()
    assert not contact.is_super_user


def test_sending_a_sign_in_link_queues_the_portals_mail(manager_client):
    contact = make_contact()
    response = post_form(manager_client, f"/manage/contacts/{contact.id}/sign-in-link",
                         follow_redirects=True)
    assert f"A sign-in link is on its way to {contact.email}." in response.get_data(as_text=True)
    assert db.session.scalar(sa.select(OutboxMessage.kind)) == "sign_in_link"


def test_a_link_for_a_contact_who_is_no_super_user_is_refused_in_dutch(client):
    sign_in(client, make_staff(StaffRole.MANAGER, language="nl"))
    contact = make_contact(is_super_user=False)
    response = post_form(client, f"/manage/contacts/{contact.id}/sign-in-link")
    assert response.status_code == 422
    assert "portaal" in response.get_data(as_text=True)
    assert db.session.scalar(sa.select(OutboxMessage.id)) is None


def test_an_unknown_contact_is_not_found(manager_client):
    assert manager_client.get("/manage/contacts/999").status_code == 404


@pytest.mark.parametrize(("method", "path"), [
    ("get", "/manage/contacts"), ("get", "/manage/contacts/{id}"),
    ("post", "/manage/contacts/{id}"), ("post", "/manage/contacts/{id}/super-user"),
    ("post", "/manage/contacts/{id}/deactivate"), ("post", "/manage/contacts/{id}/sign-in-link")])
def test_an_agent_may_not_use_the_contact_pages(client, method, path):
    contact = make_contact()
    sign_in(client, make_staff(StaffRole.AGENT))
    url = path.format(id=contact.id)
    response = client.get(url) if method == "get" else post_form(client, url)
    assert response.status_code == 403
    db.session.expire_all()
    assert contact.active


@pytest.mark.parametrize("action", ["", "/super-user", "/deactivate", "/sign-in-link"])
def test_contact_forms_need_a_csrf_token(manager_client, action):
    contact = make_contact()
    response = manager_client.post(f"/manage/contacts/{contact.id}{action}",
                                   data={"name": "x", "email": "x@y.example", "language": "nl"})
    assert response.status_code == 400
    db.session.expire_all()
    assert db.session.get(Contact, contact.id).active


def test_opening_a_contacts_page_is_recorded_as_a_read_of_their_data(manager_client, manager):
    contact = make_contact()
    assert manager_client.get(f"/manage/contacts/{contact.id}").status_code == 200
    [entry] = db.session.scalars(sa.select(AuditEntry).filter_by(action="view_contact")).all()
    assert (entry.staff_id, entry.contact_id, entry.organisation_id, entry.detail) == (
        manager.id, contact.id, contact.organisation_id, None)
