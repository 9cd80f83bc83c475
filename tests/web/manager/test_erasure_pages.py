"""A manager erases a contact (typing the address) or an ended organisation (typing the slug)
from its page, and sees the certificate."""
import sqlalchemy as sa

from helpdesk.extensions import db
from helpdesk.models import Contact, ErasureCertificate, Organisation, OrganisationStatus, StaffRole
from tests.conftest import post_form, sign_in
from tests.fixtures.factories import make_contact, make_organisation, make_staff


def test_a_manager_erases_a_contact_after_typing_its_address(app, client):
    manager = make_staff(StaffRole.MANAGER)
    contact = make_contact(email="wis@klant.example", name="Wis Mij")
    sign_in(client, manager)
    page = client.get(f"/manage/contacts/{contact.id}")
    assert b"erase-confirm-email" in page.data

    response = post_form(client, f"/manage/contacts/{contact.id}/erase",
                         {"confirm_email": "WIS@klant.example"})

    assert response.status_code == 303
    certificate = db.session.scalar(sa.select(ErasureCertificate))
    assert certificate.instructed_by == f"staff:{manager.id}"
    shown = client.get(response.headers["Location"])
    assert certificate.digest.encode() in shown.data and b"Wis Mij" not in shown.data
    db.session.expire_all()
    assert db.session.get(Contact, contact.id).erased_at is not None


def test_a_wrong_address_erases_nothing(app, client):
    sign_in(client, make_staff(StaffRole.MANAGER))
    contact = make_contact(email="wis@klant.example")
    post_form(client, f"/manage/contacts/{contact.id}/erase", {"confirm_email": "other@x.nl"})
    assert db.session.scalar(sa.select(Contact.erased_at)) is None


def test_without_the_csrf_token_nothing_is_erased(app, client):
    sign_in(client, make_staff(StaffRole.MANAGER))
    contact = make_contact(email="wis@klant.example")
    client.post(f"/manage/contacts/{contact.id}/erase", data={"confirm_email": contact.email})
    assert db.session.scalar(sa.select(Contact.erased_at)) is None


def test_an_agent_may_not_erase(app, client):
    sign_in(client, make_staff(StaffRole.AGENT))
    contact = make_contact(email="wis@klant.example")
    response = post_form(client, f"/manage/contacts/{contact.id}/erase",
                         {"confirm_email": contact.email})
    assert response.status_code == 403
    assert db.session.scalar(sa.select(Contact.erased_at)) is None


def _ended_organisation():
    organisation = make_organisation(slug="weg", status=OrganisationStatus.ENDED)
    make_contact(organisation, email="wis@weg.example", name="Wis Mij")
    return organisation


def test_a_manager_erases_an_ended_organisation_after_typing_its_slug(app, client):
    manager = make_staff(StaffRole.MANAGER)
    organisation = _ended_organisation()
    sign_in(client, manager)
    assert b"erase-confirm-slug" in client.get("/manage/organisations/weg").data

    response = post_form(client, "/manage/organisations/weg/erase", {"confirm_slug": "weg"})

    assert response.status_code == 303
    certificate = db.session.scalar(sa.select(ErasureCertificate))
    assert certificate.instructed_by.startswith(f"staff:{manager.id}")
    shown = client.get(response.headers["Location"])
    assert certificate.digest.encode() in shown.data and b"Wis Mij" not in shown.data
    db.session.expire_all()
    assert db.session.get(Organisation, organisation.id).erased_at is not None
    assert b"erase-confirm-slug" not in client.get("/manage/organisations/weg").data


def test_an_organisation_that_has_not_ended_offers_and_allows_no_erasure(app, client):
    sign_in(client, make_staff(StaffRole.MANAGER))
    make_organisation(slug="actief")
    assert b"erase-confirm-slug" not in client.get("/manage/organisations/actief").data
    response = post_form(client, "/manage/organisations/actief/erase",
                         {"confirm_slug": "actief"}, follow_redirects=True)
    assert b"has not ended" in response.data
    assert db.session.scalar(sa.select(ErasureCertificate)) is None


def test_a_wrong_slug_or_no_csrf_token_erases_no_organisation(app, client):
    sign_in(client, make_staff(StaffRole.MANAGER))
    _ended_organisation()
    post_form(client, "/manage/organisations/weg/erase", {"confirm_slug": "Weg"})
    client.post("/manage/organisations/weg/erase", data={"confirm_slug": "weg"})
    assert db.session.scalar(sa.select(Organisation.erased_at)) is None


def test_an_agent_may_not_erase_an_organisation(app, client):
    sign_in(client, make_staff(StaffRole.AGENT))
    _ended_organisation()
    response = post_form(client, "/manage/organisations/weg/erase", {"confirm_slug": "weg"})
    assert response.status_code == 403
    assert db.session.scalar(sa.select(Organisation.erased_at)) is None
