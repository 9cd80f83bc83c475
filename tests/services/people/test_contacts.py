"""Managers edit contacts, make and unmake super-users and deactivate them, all audited."""
from datetime import UTC, date, datetime

import pytest
import sqlalchemy as sa
from flask_babel import force_locale

from helpdesk.extensions import db
from helpdesk.models import AuditEntry, Contact, StaffRole
from helpdesk.services import Refusal
from helpdesk.services.people import contacts, directory
from tests.fixtures.factories import make_contact, make_organisation, make_staff

NOW = datetime(2026, 11, 30, 9, 0, tzinfo=UTC)


@pytest.fixture
def manager(app):
    return make_staff(StaffRole.MANAGER)


def _details(contact: Contact, **changes) -> contacts.ContactDetails:
    fields = {"name": contact.name, "email": contact.email, "language": contact.language,
              "job_title": contact.job_title, "phone": contact.phone,
              "birth_date": contact.birth_date, "gender": contact.gender,
              "education_level": contact.education_level}
    return contacts.ContactDetails(**{**fields, **changes})


def _trail(contact: Contact) -> list[tuple[str, int | None, str | None]]:
    return [(entry.action, entry.staff_id, entry.detail) for entry in db.session.scalars(
        sa.select(AuditEntry).filter_by(subject_type="contact", subject_id=contact.id)
        .order_by(AuditEntry.id))]


def test_adding_a_contact_is_audited_with_who_added_it(manager):
    organisation = make_organisation(slug="acme")
    contact = directory.add_contact("Eva@Acme.example", "acme", "Eva", NOW, super_user=True,
                                    by=manager)
    assert contact.email == "eva@acme.example"
    assert _trail(contact) == [(directory.ADDED, manager.id,
                                "eva@acme.example of acme (super-user)")]
    assert organisation.contacts == [contact]


def test_an_edit_records_each_field_before_and_after_but_not_personal_values(manager):
    contact = make_contact(name="Eva", job_title=None, phone="010 1234567")
    contacts.edit_contact(contact, _details(contact, name="Eva Jansen", job_title="CFO",
                                            phone="", birth_date=date(1980, 5, 17),
                                            gender="female"), NOW, manager)
    assert (contact.name, contact.job_title, contact.phone) == ("Eva Jansen", "CFO", None)
    assert contact.birth_date == date(1980, 5, 17)
    [(action, staff_id, detail)] = _trail(contact)
    assert (action, staff_id) == (contacts.EDITED, manager.id)
    assert detail == ("name: Eva → Eva Jansen; job_title: — → CFO; phone: 010 1234567 → —; "
                      "birth_date: changed; gender: changed")
    assert "1980" not in detail and "female" not in detail


def test_an_edit_that_changes_nothing_records_nothing(manager):
    contact = make_contact()
    contacts.edit_contact(contact, _details(contact), NOW, manager)
    assert _trail(contact) == []


def test_an_email_of_another_contact_is_refused_in_dutch(manager):
    taken = make_contact(email="eva@acme.example")
    contact = make_contact(taken.organisation)
    with pytest.raises(Refusal) as refused:
        contacts.edit_contact(contact, _details(contact, email="EVA@acme.example"), NOW, manager)
    with force_locale("nl"):
        assert str(refused.value) == (
            "Er bestaat al een contactpersoon met e-mailadres eva@acme.example.")
    db.session.expire_all()
    assert contact.email != taken.email


def test_deactivating_ends_every_session_at_once(manager):
    contact = make_contact()
    token = contact.session_token
    contacts.deactivate_contact(contact, NOW, manager)
    assert not contact.active and contact.session_token != token
    assert _trail(contact) == [(contacts.DEACTIVATED, manager.id, "active: yes → no")]
    with pytest.raises(Refusal):
        contacts.deactivate_contact(contact, NOW, manager)


def test_no_longer_a_super_user_ends_the_portal_sessions(manager):
    contact = make_contact(is_super_user=True)
    token = contact.session_token
    contacts.set_super_user(contact, False, NOW, manager)
    assert not contact.is_super_user and contact.session_token != token
    contacts.set_super_user(contact, True, NOW, manager)
    contacts.set_super_user(contact, True, NOW, manager)  # no change: not recorded again
    assert [detail for _, _, detail in _trail(contact)] == [
        "super-user: yes → no", "super-user: no → yes"]


def test_the_search_finds_contacts_across_organisations(app):
    eva = make_contact(make_organisation(name="Acme"), name="Eva", job_title="Controller")
    piet = make_contact(make_organisation(name="Bolt"), name="Piet")
    assert contacts.search_contacts("").contacts == [eva, piet]
    assert contacts.search_contacts("bolt").contacts == [piet]
    assert contacts.search_contacts("CONTROL").contacts == [eva]
    assert contacts.search_contacts("100%").contacts == []
