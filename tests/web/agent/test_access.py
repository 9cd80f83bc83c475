"""Who may use the workspace: agents and managers; canned replies are managed by managers."""
import pytest

from helpdesk.models import StaffRole
from tests.conftest import post_form, sign_in
from tests.fixtures.factories import make_contact, make_staff, make_ticket
from tests.fixtures.held import make_held_message

PAGES = ["/desk/", "/desk/tickets/{number}", "/desk/phone", "/desk/held",
         "/desk/held/{held}", "/desk/held/{held}/source", "/desk/contacts?contact_q=a",
         "/desk/attachments/1"]


@pytest.fixture
def urls(app):
    ticket, held = make_ticket(), make_held_message()
    return [url.format(number=ticket.number, held=held.id) for url in PAGES]


def test_anonymous_visitors_are_sent_to_the_staff_sign_in(client, urls):
    for url in urls:
        response = client.get(url)
        assert response.status_code == 302, url
        assert response.headers["Location"].startswith("/sign-in?next="), url


def test_signed_in_super_users_are_refused(client, urls):
    sign_in(client, make_contact())
    for url in urls:
        assert client.get(url).status_code == 403, url


@pytest.mark.parametrize("role", [StaffRole.AGENT, StaffRole.MANAGER, StaffRole.ADMIN])
def test_agents_managers_and_admins_may_work_the_desk(client, urls, role):
    sign_in(client, make_staff(role))
    for url in urls[:-1]:  # the attachment does not exist: 404, tested elsewhere
        assert client.get(url).status_code == 200, url


def test_only_managers_manage_canned_replies(client, app):
    sign_in(client, make_staff(StaffRole.AGENT))
    assert client.get("/manage/canned-replies").status_code == 403
    assert post_form(client, "/manage/canned-replies",
                     {"title": "x", "body": "y", "language": "nl"}).status_code == 403


def test_super_user_cannot_post_actions_either(client, app):
    ticket = make_ticket()
    sign_in(client, ticket.raised_by)
    response = post_form(client, f"/desk/tickets/{ticket.number}/reply",
                         {"body": "I am not staff", "status_after": "waiting"})
    assert response.status_code == 403
