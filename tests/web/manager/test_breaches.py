"""The breach register: managers record, inform, close and export; nobody else may."""
import csv
import io
import json
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa

from helpdesk.extensions import db
from helpdesk.models import AuditEntry, Breach, BreachStatus, OutboxMessage, StaffRole
from helpdesk.services.privacy import breaches
from helpdesk.services.privacy.breach_access import access_during
from helpdesk.services.tickets import desk
from tests.conftest import post_form, sign_in
from tests.fixtures.factories import make_contact, make_organisation, make_staff, make_ticket


@pytest.fixture
def manager(app):
    return make_staff(StaffRole.MANAGER, name="Mark Manager", language="en")


@pytest.fixture
def manager_client(client, manager):
    sign_in(client, manager)
    return client


def _form(organisations, **overrides) -> dict:
    """A breach found this morning that began two days ago (desk time, as the form has it)."""
    return {"title": "Laptop stolen", "found_at": "2026-11-30T09:00",
            "occurred_from": "2026-11-28T08:00", "occurred_to": "2026-11-30T08:30",
            "organisations": [str(o.id) for o in organisations],
            "what_happened": "An agent's laptop was stolen from a car.",
            "data_categories": "Names, email addresses, ticket texts",
            "approximate_subjects": "40", "approximate_records": "120",
            "likely_consequences": "Phishing mail to the people named.",
            "measures_taken": "Disk encryption confirmed; sessions ended.",
            "contact_point": "Fleur Privacy, dpo@desk.example, 020 123 4567", **overrides}


def _details(organisations, **overrides) -> breaches.BreachDetails:
    fields = {"title": "Laptop stolen", "found_at": datetime(2026, 11, 30, 8, tzinfo=UTC),
              "occurred_from": datetime(2026, 11, 28, 7, tzinfo=UTC),
              "occurred_to": datetime(2026, 11, 30, 7, 30, tzinfo=UTC),
              "what_happened": "Stolen laptop.", "data_categories": "Names, email addresses",
              "approximate_subjects": 40, "approximate_records": 120,
              "likely_consequences": "Phishing.", "measures_taken": "Sessions ended.",
              "contact_point": "dpo@desk.example",
              "organisation_ids": tuple(o.id for o in organisations)}
    return breaches.BreachDetails(**{**fields, **overrides})


def test_a_manager_records_a_breach_and_it_is_audited(manager_client, manager):
    acme = make_organisation(name="Acme")
    response = post_form(manager_client, "/manage/breaches/new", _form([acme]))
    assert response.status_code == 303
    breach = db.session.scalars(sa.select(Breach)).one()
    assert (breach.title, breach.status, breach.recorded_by_id) == (
        "Laptop stolen", BreachStatus.OPEN, manager.id)
    assert breach.found_at == datetime(2026, 11, 30, 8, tzinfo=UTC)  # 09:00 in Amsterdam
    assert [a.organisation_id for a in breach.affected] == [acme.id]
    entry = db.session.scalars(sa.select(AuditEntry).filter_by(subject_type="breach")).one()
    assert (entry.action, entry.subject_id, entry.staff_id) == (
        breaches.RECORDED, breach.id, manager.id)
    page = manager_client.get(response.location).get_data(as_text=True)
    assert "Laptop stolen" in page and "Acme" in page and "Breach recorded" in page


def test_a_breach_that_ends_before_it_began_re_renders_the_form(manager_client):
    acme = make_organisation()
    response = post_form(manager_client, "/manage/breaches/new",
                         _form([acme], occurred_to="2026-11-27T08:00"))
    assert response.status_code == 200
    assert "The breach cannot end before it began." in response.get_data(as_text=True)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Breach)) == 0


def test_a_breach_without_an_organisation_or_a_csrf_token_is_not_recorded(manager_client):
    acme = make_organisation()
    assert post_form(manager_client, "/manage/breaches/new",
                     _form([])).status_code == 200
    assert manager_client.post("/manage/breaches/new", data=_form([acme])).status_code in (
        200, 400)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Breach)) == 0


@pytest.mark.parametrize("who", ["agent", "customer"])
def test_agents_and_customers_may_not_see_or_record_breaches(client, who):
    person = make_staff(StaffRole.AGENT) if who == "agent" else make_contact()
    sign_in(client, person)
    breach = breaches.record_breach(_details([make_organisation()]),
                                    datetime.now(UTC), None)
    for path in ("/manage/breaches", "/manage/breaches/new", f"/manage/breaches/{breach.id}",
                 "/manage/breaches/register.csv", "/manage/breaches/register.json"):
        assert client.get(path).status_code == 403, path
    assert post_form(client, f"/manage/breaches/{breach.id}/inform").status_code == 403
    assert db.session.scalar(sa.select(sa.func.count()).select_from(OutboxMessage)) == 0


def test_informing_mails_each_super_user_once_in_their_language(manager_client, manager):
    acme, bolt = make_organisation(name="Acme"), make_organisation(name="Bolt")
    eva = make_contact(acme, name="Eva", language="nl")
    john = make_contact(bolt, name="John", language="en")
    make_contact(acme, is_super_user=False)  # not a super-user: not mailed
    make_contact(bolt, active=False)  # deactivated: not mailed
    breach = breaches.record_breach(_details([acme, bolt]), datetime.now(UTC), manager)
    response = post_form(manager_client, f"/manage/breaches/{breach.id}/inform")
    assert response.status_code == 303
    mails = {m.to_address: m for m in db.session.scalars(sa.select(OutboxMessage))}
    assert set(mails) == {eva.email, john.email}
    dutch, english = mails[eva.email], mails[john.email]
    assert dutch.language == "nl" and dutch.subject == "Melding van een datalek: Laptop stolen"
    assert "Categorieën van betrokken gegevens" in dutch.body_text
    assert english.subject == "Data breach notice: Laptop stolen"
    for text in ("Names, email addresses", "Approximate number of people concerned: 40",
                 "Approximate number of records concerned: 120", "Phishing.",
                 "Sessions ended.", "dpo@desk.example", "article 33(3)"):
        assert text in english.body_text, text
    db.session.expire_all()
    assert breach.informed_at is not None and all(a.informed_at for a in breach.affected)
    assert db.session.scalar(sa.select(AuditEntry).filter_by(
        subject_type="breach", action=breaches.INFORMED)).staff_id == manager.id
    again = post_form(manager_client, f"/manage/breaches/{breach.id}/inform",
                      follow_redirects=True)
    assert "Every affected organisation was informed already." in again.get_data(as_text=True)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(OutboxMessage)) == 2


def test_the_access_section_lists_access_in_the_period_only(manager_client, manager):
    acme, other = make_organisation(name="Acme"), make_organisation(name="Other")
    ticket = make_ticket(make_contact(acme), subject="Acme's invoice")
    elsewhere = make_ticket(make_contact(other), subject="Other's invoice")
    agent = make_staff(StaffRole.AGENT, name="Anna Agent")
    start = datetime(2026, 11, 28, 7, tzinfo=UTC)
    desk.open_ticket_view(ticket, agent, start + timedelta(hours=1))  # during
    desk.open_ticket_view(ticket, agent, start - timedelta(hours=1))  # before
    desk.open_ticket_view(elsewhere, agent, start + timedelta(hours=2))  # another organisation
    breach = breaches.record_breach(_details([acme]), datetime.now(UTC), manager)
    rows = access_during([acme.id], breach.occurred_from, breach.occurred_to)
    assert [(r.at, r.staff_name, r.action, r.organisation) for r in rows] == [
        (start + timedelta(hours=1), "Anna Agent", "view_ticket", "Acme")]
    page = manager_client.get(f"/manage/breaches/{breach.id}").get_data(as_text=True)
    section = page.split('id="breach-access"')[1]
    assert section.count("Anna Agent") == 1 and f"#{ticket.number}" in section
    assert f"#{elsewhere.number}" not in section


def test_the_register_downloads_as_csv_and_json(manager_client, manager):
    acme = make_organisation(slug="acme", name="Acme")
    breaches.record_breach(_details([acme], title="=HYPERLINK(\"x\")"), datetime.now(UTC),
                           manager)
    response = manager_client.get("/manage/breaches/register.csv")
    assert response.mimetype == "text/csv"
    assert "attachment" in response.headers["Content-Disposition"]
    rows = list(csv.reader(io.StringIO(response.get_data(as_text=True).lstrip("\ufeff"))))
    assert rows[0][:3] == ["id", "title", "status"]
    assert rows[1][1] == "'=HYPERLINK(\"x\")" and "Acme (acme)" in rows[1]
    data = json.loads(manager_client.get("/manage/breaches/register.json").get_data())
    assert data[0]["title"] == "=HYPERLINK(\"x\")"
    assert data[0]["organisations"] == [{"slug": "acme", "name": "Acme", "informed_at": None}]
    assert data[0]["found_at"] == "2026-11-30T08:00:00Z"


def test_a_closed_breach_can_no_longer_be_changed(manager_client, manager):
    acme = make_organisation()
    breach = breaches.record_breach(_details([acme]), datetime.now(UTC), manager)
    assert post_form(manager_client, f"/manage/breaches/{breach.id}/close").status_code == 303
    db.session.expire_all()
    assert breach.status == BreachStatus.CLOSED and breach.closed_at is not None
    response = post_form(manager_client, f"/manage/breaches/{breach.id}/edit",
                         _form([acme], title="Renamed"))
    assert "A closed breach can no longer be changed." in response.get_data(as_text=True)
    db.session.expire_all()
    assert breach.title == "Laptop stolen"


def test_editing_a_breach_is_audited_and_keeps_informed_organisations(manager_client,
                                                                       manager):
    acme, bolt = make_organisation(name="Acme"), make_organisation(name="Bolt")
    make_contact(acme)
    breach = breaches.record_breach(_details([acme]), datetime.now(UTC), manager)
    breaches.inform_organisations(breach.id, datetime.now(UTC), manager)
    refused = post_form(manager_client, f"/manage/breaches/{breach.id}/edit", _form([bolt]))
    assert "Acme was informed already and stays on the breach." in refused.get_data(
        as_text=True)
    response = post_form(manager_client, f"/manage/breaches/{breach.id}/edit",
                         _form([acme, bolt], approximate_subjects="45"))
    assert response.status_code == 303
    db.session.expire_all()
    assert breach.approximate_subjects == 45 and len(breach.affected) == 2
    entry = db.session.scalar(sa.select(AuditEntry).filter_by(action=breaches.EDITED))
    assert "approximate_subjects" in entry.detail and "organisations" in entry.detail
