"""A number too large for the database, in a URL, a form or a query string, is 404 or a form
error, never 500."""
import pytest

from helpdesk.models import StaffRole
from tests.conftest import post_form, sign_in
from tests.fixtures.factories import make_contact, make_staff, make_ticket
from tests.fixtures.held import make_held_message

HUGE = "9" * 23  # over SQLite's int64 and PostgreSQL's integer
ENORMOUS = "9" * 5000  # over Python's limit for turning digits into an int
JUST_OVER = str(2**31)  # over PostgreSQL's integer only


def int_arguments(rule) -> list[str]:
    return [name for name, converter in rule._converters.items()
            if type(converter).__name__ in ("IntegerConverter", "IdConverter")]


def id_routes(app):
    """Every rule with an integer in its path, with each such argument in turn."""
    for rule in app.url_map.iter_rules():
        for argument in int_arguments(rule):
            yield rule, argument


def test_every_route_with_an_integer_is_found(app):
    # Without any, the test below would check nothing.
    assert len({rule.rule for rule, _ in id_routes(app)}) >= 25


@pytest.mark.parametrize("bad", [HUGE, ENORMOUS, JUST_OVER])
def test_a_huge_id_in_any_url_is_not_found(app, client, bad):
    ticket = make_ticket(raised_by=make_contact())
    admin, contact = make_staff(StaffRole.ADMIN), ticket.raised_by
    failures = []
    for rule, argument in id_routes(app):
        person = contact if rule.endpoint.startswith("portal.") else admin
        sign_in(client, person)
        values = {name: (ticket.number if name == "number" else 1)
                  for name in int_arguments(rule)}
        url = rule.rule
        for name, value in values.items():
            url = url.replace(f"<int:{name}>", bad if name == argument else str(value))
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            try:
                response = client.get(url) if method == "GET" else post_form(client, url)
            except Exception as error:  # what a user would see as a 500
                failures.append((method, url[:80], type(error).__name__))
                continue
            if response.status_code != 404:
                failures.append((method, url[:80], response.status_code))
    assert failures == []


@pytest.fixture
def admin_client(client):
    sign_in(client, make_staff(StaffRole.ADMIN))
    return client


@pytest.mark.parametrize("query", [
    f"/desk/?assignee={HUGE}",
    f"/desk/?known_calamities=1,{HUGE}",
    f"/desk/?page={HUGE}",
    f"/desk/?q=%23{HUGE}",
    f"/desk/held?page={HUGE}",
    f"/desk/held?page={ENORMOUS}",
    f"/desk/phone?contact_id={HUGE}",
    f"/manage/stats?agent={HUGE}",
])
def test_a_huge_number_in_a_query_string_is_ignored_or_refused(admin_client, query):
    assert admin_client.get(query).status_code in (200, 400)


def test_a_huge_image_message_id_on_a_ticket_page_shows_the_page(admin_client):
    ticket = make_ticket()
    response = admin_client.get(f"/desk/tickets/{ticket.number}?images={HUGE}")
    assert response.status_code == 200


def test_a_huge_contact_in_the_phone_form_is_a_form_error(admin_client):
    response = post_form(admin_client, "/desk/phone", {
        "contact_id": HUGE, "category": "bug", "subject": "Huge",
        "call_at": "2026-11-30T10:00"})
    assert response.status_code == 200
    assert "This choice does not exist." in response.get_data(as_text=True)


def test_a_huge_contact_when_opening_held_mail_is_a_form_error(admin_client):
    held = make_held_message()
    response = post_form(admin_client, f"/desk/held/{held.id}/open",
                         {"contact_id": HUGE, "category": "bug"})
    assert response.status_code == 200
    assert "This choice does not exist." in response.get_data(as_text=True)


def test_a_huge_canned_reply_to_insert_is_ignored(admin_client):
    ticket = make_ticket()
    response = post_form(admin_client, f"/desk/tickets/{ticket.number}/reply",
                         {"insert": "1", "canned": HUGE, "body": "Hello"})
    assert response.status_code == 200


@pytest.mark.parametrize("field", ["assignee"])
def test_a_huge_assignee_is_refused(admin_client, field):
    ticket = make_ticket()
    response = post_form(admin_client, f"/desk/tickets/{ticket.number}/assign", {field: HUGE})
    assert response.status_code in (200, 303)


# Characters Python's str.isdigit() accepts but int() refuses, and numbers in other forms.
ODD_NUMBERS = ["²", "١٢", "1e5", "-1", " 1 ", "0x10"]


@pytest.mark.parametrize("odd", ODD_NUMBERS)
@pytest.mark.parametrize("query", [
    "/desk/?page={}",
    "/desk/held?page={}",
    "/manage/stats/tickets/received?page={}",
    "/manage/stats/tickets/received?band={}",
    "/manage/stats/tickets/backlog?band={}",
    "/manage/stats?agent={}",
])
def test_an_odd_number_in_a_query_string_is_ignored_or_not_found(admin_client, query, odd):
    assert admin_client.get(query.format(odd)).status_code in (200, 404)


@pytest.mark.parametrize("day", ["0001-01-01", "9999-12-31"])
@pytest.mark.parametrize("name", ["received_from", "received_to"])
def test_a_date_at_the_calendar_s_ends_in_the_queue_filter_is_ignored(admin_client, name, day):
    assert admin_client.get(f"/desk/?{name}={day}").status_code == 200
