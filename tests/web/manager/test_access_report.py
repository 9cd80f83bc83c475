"""Managers see who at the desk read an organisation's or a contact's data, never the data."""
from datetime import UTC, datetime, timedelta

from helpdesk.models import StaffRole
from helpdesk.services.tickets import desk
from tests.conftest import sign_in
from tests.fixtures.factories import make_staff, make_ticket


def test_the_organisation_report_lists_the_last_30_days_reads_without_their_content(app,
                                                                                    client):
    ticket = make_ticket(subject="Salaris van Jan")
    other = make_ticket(subject="Elders")
    now = datetime.now(UTC)
    agent = make_staff(name="Ada Agent")
    desk.open_ticket_view(ticket, agent, now)
    desk.open_ticket_view(ticket, agent, now - timedelta(days=40))
    desk.open_ticket_view(other, agent, now)
    sign_in(client, make_staff(StaffRole.MANAGER))
    assert b"/access" in client.get(f"/manage/organisations/{ticket.organisation.slug}").data

    page = client.get(f"/manage/organisations/{ticket.organisation.slug}/access")

    assert page.status_code == 200
    text = page.get_data(as_text=True)
    assert text.count("Ada Agent") == 1 and "Ticket read" in text
    assert f'href="/desk/tickets/{ticket.number}"' in text
    assert f"#{other.number}<" not in text and "Salaris" not in text


def test_the_contact_report_takes_its_range_from_the_address(app, client):
    ticket = make_ticket()
    desk.open_ticket_view(ticket, make_staff(name="Ada Agent"),
                          datetime(2026, 11, 30, 9, tzinfo=UTC))
    sign_in(client, make_staff(StaffRole.MANAGER))
    contact_id = ticket.raised_by.id
    assert b"/access" in client.get(f"/manage/contacts/{contact_id}").data

    found = client.get(f"/manage/contacts/{contact_id}/access"
                       "?first_day=2026-11-30&last_day=2026-11-30")
    missed = client.get(f"/manage/contacts/{contact_id}/access"
                        "?first_day=2026-12-01&last_day=2026-12-02")

    assert b"Ada Agent" in found.data
    assert b"Ada Agent" not in missed.data and b"No reads were recorded" in missed.data


def test_an_invalid_or_reversed_range_is_a_form_error(app, client):
    ticket = make_ticket()
    sign_in(client, make_staff(StaffRole.MANAGER))
    url = f"/manage/organisations/{ticket.organisation.slug}/access"
    for query in ("?first_day=gisteren&last_day=2026-11-30",
                  "?first_day=2026-12-01&last_day=2026-11-30",
                  "?first_day=0001-01-01&last_day=9999-12-31",
                  "?first_day=2026-12-01"):
        page = client.get(url + query)
        assert page.status_code == 200, query
        assert b'class="field-error"' in page.data and b'id="access-report"' not in page.data


def test_agents_may_not_see_the_access_report(app, client):
    ticket = make_ticket()
    sign_in(client, make_staff(StaffRole.AGENT))
    assert client.get(f"/manage/organisations/{ticket.organisation.slug}/access"
                      ).status_code == 403
    assert client.get(f"/manage/contacts/{ticket.raised_by.id}/access").status_code == 403


def test_an_unknown_organisation_or_contact_is_not_found(app, client):
    sign_in(client, make_staff(StaffRole.MANAGER))
    assert client.get("/manage/organisations/nobody/access").status_code == 404
    assert client.get("/manage/contacts/999999/access").status_code == 404
