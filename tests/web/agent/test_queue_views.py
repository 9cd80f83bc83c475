"""The queue page and its htmx fragment: filters in the URL, polling, new calamities."""
import re
from datetime import UTC, datetime, timedelta

from helpdesk.models import Category
from tests.conftest import sign_in
from tests.fixtures.factories import make_contact, make_organisation, make_ticket
from tests.web.agent.conftest import htmx


def test_queue_page_lists_open_work_with_every_column(agent_client, agent):
    organisation = make_organisation(name="Acme Logistics")
    ticket = make_ticket(raised_by=make_contact(organisation, name="Eva Jansen"),
                         subject="Export fails")
    page = agent_client.get("/desk/").get_data(as_text=True)
    assert 'id="queue-results"' in page and 'id="queue-filters"' in page
    row = page[page.index(f'id="row-{ticket.number}"'):]
    row = row[:row.index("</tr>")]
    for text in (f"#{ticket.number}", "Export fails", "Acme Logistics", "Eva Jansen", "Bug",
                 "New", "Portal"):
        assert text in row
    # Time left on the working-day clock, whatever the hour the test runs at.
    assert re.search(r'class="time-left ok"[^>]*>\d+ [dh] \d+ [hm]<', row)


def test_fragment_is_only_the_results_and_pushes_the_clean_url(agent_client):
    make_ticket(subject="Printer on fire")
    response = agent_client.get("/desk/?q=printer&category=&status=&assignee=",
                                headers=htmx("queue-results"))
    body = response.get_data(as_text=True)
    assert body.startswith('<section id="queue-results"') and "<html" not in body
    assert "Printer on fire" in body
    assert response.headers["HX-Push-Url"] == "/desk/?q=printer"
    assert "HX-Request" in response.headers["Vary"]


def test_the_same_url_without_htmx_is_the_whole_page_with_the_filters_filled_in(agent_client):
    response = agent_client.get("/desk/?q=printer&breached=1", headers={"HX-Request": "true"})
    page = response.get_data(as_text=True)
    assert "<html" in page and 'value="printer"' in page
    assert 'name="breached" value="1" checked' in page


def test_polling_keeps_the_filters_and_does_not_count_as_activity(client, agent):
    sign_in(client, agent)
    with client.session_transaction() as data:
        data["seen_at"] = (datetime.now(UTC) - timedelta(minutes=10)).timestamp()
        before = data["seen_at"]
    page = client.get("/desk/?category=bug").get_data(as_text=True)
    assert 'hx-get="/desk/?category=bug"' in page and 'hx-trigger="every 20s"' in page
    assert '"X-Helpdesk-Background": "1"' in page
    with client.session_transaction() as data:
        data["seen_at"] = before
    polled = client.get("/desk/?category=bug", headers=htmx("queue-results",
                                                            **{"X-Helpdesk-Background": "1"}))
    assert polled.status_code == 200 and "HX-Push-Url" not in polled.headers
    with client.session_transaction() as data:
        assert data["seen_at"] == before


def test_poll_interval_comes_from_the_configuration(app, agent_client):
    app.config["QUEUE_POLL_SECONDS"] = 2
    assert 'hx-trigger="every 2s"' in agent_client.get("/desk/").get_data(as_text=True)


def test_a_calamity_the_page_has_not_shown_announces_itself(agent_client):
    known = make_ticket(subject="Old calamity", category=Category.CALAMITY)
    page = agent_client.get("/desk/").get_data(as_text=True)
    assert f'name="known_calamities" value="{known.number}"' in page
    assert 'role="alert"' not in page
    fresh = make_ticket(subject="Orders vanished", category=Category.CALAMITY)
    polled = agent_client.get(f"/desk/?known_calamities={known.number}",
                              headers=htmx("queue-results")).get_data(as_text=True)
    alert = polled[polled.index('role="alert"'):]
    assert f"#{fresh.number} Orders vanished" in alert[:alert.index("</p>")]
    assert "Old calamity" not in alert[:alert.index("</p>")]


def test_pagination_links_keep_the_filters(app, agent_client):
    app.config["QUEUE_PAGE_SIZE"] = 1
    make_ticket(subject="One")
    make_ticket(subject="Two")
    page = agent_client.get("/desk/?category=bug").get_data(as_text=True)
    assert 'href="/desk/?category=bug&amp;page=2"' in page


def test_unknown_organisation_filter_shows_nothing_rather_than_everything(agent_client):
    make_ticket(subject="Visible elsewhere")
    page = agent_client.get("/desk/?organisation=nope").get_data(as_text=True)
    assert "Visible elsewhere" not in page


def test_session_expired_poll_sends_the_browser_to_sign_in(client):
    response = client.get("/desk/", headers=htmx("queue-results"))
    assert response.status_code == 204
    assert response.headers["HX-Redirect"].startswith("/sign-in?next=")


def test_drill_down_filters_without_a_field_survive_a_filter_change(agent_client):
    page = agent_client.get("/desk/?channel=phone&received_from=2026-11-01").get_data(as_text=True)
    form = page[page.index('id="queue-filters"'):]
    form = form[:form.index("</form>")]
    assert '<input type="hidden" name="channel" value="phone">' in form
    assert '<input type="hidden" name="received_from" value="2026-11-01">' in form


def test_searching_a_closed_tickets_number_shows_it_with_its_status(agent_client, agent):
    from helpdesk.extensions import db
    from helpdesk.models import TicketStatus
    from helpdesk.services.tickets import lifecycle
    ticket = make_ticket(subject="Solved long ago")
    lifecycle.set_status(ticket, TicketStatus.CLOSED, agent, datetime.now(UTC))
    db.session.commit()
    assert "Solved long ago" not in agent_client.get("/desk/").get_data(as_text=True)
    body = agent_client.get(f"/desk/?q=%23{ticket.number}",
                            headers=htmx("queue-results")).get_data(as_text=True)
    row = body[body.index(f'id="row-{ticket.number}"'):]
    assert "Solved long ago" in row and "Closed" in row[:row.index("</tr>")]


def test_the_assignee_filter_shows_a_colleague_who_has_left(agent_client):
    """Statistics link to the queue per agent, also for one who has left since."""
    from helpdesk.extensions import db
    from helpdesk.models import StaffRole
    from tests.fixtures.factories import make_staff
    gone = make_staff(StaffRole.AGENT, name="Gerrit Gone", active=False)
    db.session.commit()
    page = agent_client.get(f"/desk/?assignee={gone.id}").get_data(as_text=True)
    assert re.search(rf'<option value="{gone.id}" selected>Gerrit Gone', page)
    assert "Gerrit Gone" not in agent_client.get("/desk/").get_data(as_text=True)
