"""Managers add organisations, rename them and change their status in the browser's forms."""
import io
import json
import zipfile
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa

from helpdesk.extensions import db
from helpdesk.models import AuditEntry, Organisation, OrganisationStatus, StaffRole
from helpdesk.web.i18n import desk_zone
from tests.conftest import post_form, sign_in
from tests.fixtures.factories import make_contact, make_organisation, make_staff

FRAGMENT = {"HX-Request": "true", "HX-Target": "organisation-status"}


@pytest.fixture
def manager(app):
    return make_staff(StaffRole.MANAGER, name="Mia Manager", language="en")


@pytest.fixture
def manager_client(client, manager):
    sign_in(client, manager)
    return client


def _today():
    return datetime.now(UTC).astimezone(desk_zone()).date()


def test_a_manager_adds_an_organisation_and_lands_on_its_page(manager_client, manager):
    response = post_form(manager_client, "/manage/organisations",
                         {"slug": "acme", "name": "Acme Logistics"})
    assert response.status_code == 303 and response.location.endswith("/manage/organisations/acme")
    organisation = db.session.scalar(sa.select(Organisation).filter_by(slug="acme"))
    assert organisation.status_changed_by_id == manager.id
    page = manager_client.get("/manage/organisations/acme").get_data(as_text=True)
    assert "Acme Logistics" in page and "set by Mia Manager" in page
    assert "Organisation Acme Logistics added." in page
    listing = manager_client.get("/manage/organisations").get_data(as_text=True)
    assert 'href="/manage/organisations/acme"' in listing


def test_a_duplicate_slug_re_renders_the_form_with_a_dutch_sentence(client):
    sign_in(client, make_staff(StaffRole.MANAGER, language="nl"))
    make_organisation(slug="acme")
    response = post_form(client, "/manage/organisations", {"slug": "acme", "name": "Acme"})
    assert response.status_code == 200
    assert "Er bestaat al een organisatie met slug acme." in response.get_data(as_text=True)


def test_renaming_shows_the_new_name_and_the_change_in_the_history(manager_client):
    make_organisation(slug="acme", name="Acme")
    response = post_form(manager_client, "/manage/organisations/acme/name",
                         {"name": "Acme Logistics"})
    assert response.status_code == 303
    page = manager_client.get("/manage/organisations/acme").get_data(as_text=True)
    assert "name: Acme → Acme Logistics" in page and "Mia Manager" in page


def test_a_status_change_as_a_page_redirects_back_to_the_organisation(manager_client, manager):
    organisation = make_organisation(slug="acme")
    response = post_form(manager_client, "/manage/organisations/acme/status",
                         {"status": "suspended", "effective_on": _today().isoformat()})
    assert response.status_code == 303
    assert response.location.endswith("/manage/organisations/acme")
    db.session.expire_all()
    assert organisation.status == OrganisationStatus.SUSPENDED
    assert organisation.status_changed_by_id == manager.id
    page = manager_client.get("/manage/organisations/acme").get_data(as_text=True)
    assert "Suspended since" in page and "set by Mia Manager" in page


def test_a_status_change_as_a_fragment_swaps_the_status_card_with_the_waiting_change(
        manager_client):
    organisation = make_organisation(slug="acme")
    later = _today() + timedelta(days=3)
    response = post_form(manager_client, "/manage/organisations/acme/status",
                         {"status": "ended", "effective_on": later.isoformat()},
                         headers=FRAGMENT)
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert html.startswith("<section id=\"organisation-status\"") and "<html" not in html
    assert "Becomes Ended on" in html and "set by Mia Manager" in html
    assert "HX-Request" in response.headers["Vary"]
    db.session.expire_all()
    assert organisation.status == OrganisationStatus.ACTIVE
    assert organisation.pending_status == OrganisationStatus.ENDED


def test_a_day_in_the_past_is_refused_in_the_fragment_with_status_200(client):
    sign_in(client, make_staff(StaffRole.MANAGER, language="nl"))
    make_organisation(slug="acme")
    response = post_form(client, "/manage/organisations/acme/status",
                         {"status": "ended", "effective_on": "2020-01-01"}, headers=FRAGMENT)
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert "<html" not in html and 'class="field-error"' in html and "2020-01-01" in html
    assert "takes effect today or later" not in html  # it is said in Dutch


def test_the_organisation_page_lists_contacts_without_optional_personal_data(manager_client):
    organisation = make_organisation(slug="acme")
    make_contact(organisation, name="Eva Jansen", job_title="Controller",
                 birth_date=datetime(1980, 5, 17).date(), gender="vrouw",
                 education_level="WO")
    page = manager_client.get("/manage/organisations/acme").get_data(as_text=True)
    assert "Eva Jansen" in page and "Controller" in page
    assert "1980" not in page and "vrouw" not in page and "WO<" not in page


def test_a_manager_adds_a_contact_from_the_organisation_page(manager_client, manager):
    make_organisation(slug="acme")
    response = post_form(manager_client, "/manage/organisations/acme/contacts/new",
                         {"name": "Eva Jansen", "email": "eva@acme.example", "job_title": "CFO",
                          "phone": "", "language": "nl", "super_user": "y"})
    assert response.status_code == 303
    entry = db.session.scalar(sa.select(AuditEntry).filter_by(subject_type="contact"))
    assert entry.staff_id == manager.id and entry.detail.endswith("(super-user)")
    page = manager_client.get("/manage/organisations/acme").get_data(as_text=True)
    assert "eva@acme.example" in page


ROUTES = [("get", "/manage/organisations"), ("post", "/manage/organisations"),
          ("get", "/manage/organisations/acme"), ("post", "/manage/organisations/acme/name"),
          ("post", "/manage/organisations/acme/status"),
          ("post", "/manage/organisations/acme/export"),
          ("get", "/manage/organisations/acme/contacts/new"),
          ("post", "/manage/organisations/acme/contacts/new")]


@pytest.mark.parametrize(("method", "url"), ROUTES)
def test_an_agent_may_not_use_the_organisation_pages(client, method, url):
    make_organisation(slug="acme")
    sign_in(client, make_staff(StaffRole.AGENT))
    response = (client.get(url) if method == "get"
                else post_form(client, url, {"name": "x", "slug": "x"}))
    assert response.status_code == 403


@pytest.mark.parametrize("url", [url for method, url in ROUTES if method == "post"])
def test_organisation_forms_need_a_csrf_token(manager_client, url):
    make_organisation(slug="acme")
    response = manager_client.post(url, data={"slug": "x", "name": "x", "status": "ended",
                                              "effective_on": "2030-01-01"})
    assert response.status_code == 400
    assert db.session.scalar(sa.select(sa.func.count()).select_from(AuditEntry)) == 0


def test_a_manager_downloads_the_export_zip_which_is_audited_and_not_kept(manager_client, manager,
                                                                           app):
    organisation = make_organisation(slug="acme")
    contact = make_contact(organisation)
    page = manager_client.get("/manage/organisations/acme").get_data(as_text=True)
    assert "Export (zip)" in page and 'action="/manage/organisations/acme/export"' in page
    response = post_form(manager_client, "/manage/organisations/acme/export")
    assert response.status_code == 200 and response.mimetype == "application/zip"
    assert "acme-export-" in response.headers["Content-Disposition"]
    with zipfile.ZipFile(io.BytesIO(response.get_data())) as archive:
        data = json.loads(archive.read("export.json"))
    response.close()
    assert [c["email"] for c in data["contacts"]] == [contact.email]
    entry = db.session.scalars(sa.select(AuditEntry).filter_by(action="export")).one()
    assert (entry.staff_id, entry.subject_id) == (manager.id, organisation.id)
    exports = Path(app.config["BLOB_STORE"]).parent / "exports"
    assert list(exports.iterdir()) == []
