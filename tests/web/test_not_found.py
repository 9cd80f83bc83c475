"""A page that is not there keeps the signed-in person's navigation; a stranger's stays plain."""
import re

import pytest

from helpdesk.models import StaffRole
from tests.conftest import sign_in
from tests.fixtures.factories import make_contact, make_staff

MISSING_TICKET = 424242


def _nav(response) -> str:
    """The links of the top bar's main navigation; empty when the page has none."""
    page = response.get_data(as_text=True)
    found = re.search(r'<nav class="mainnav"[^>]*>(.*?)</nav>', page, re.S)
    return found.group(1) if found else ""


@pytest.mark.parametrize("path", ["/no/such/page", "/desk/no-such-page",
                                  f"/desk/tickets/{MISSING_TICKET}"])
def test_a_signed_in_staff_member_keeps_the_staff_top_bar_on_a_missing_page(client, path):
    sign_in(client, make_staff(StaffRole.MANAGER, language="nl"))
    response = client.get(path)
    assert response.status_code == 404
    nav = _nav(response)
    assert '<a href="/desk/">Wachtrij</a>' in nav
    assert "Organisaties" in nav  # a manager's own links too
    page = response.get_data(as_text=True)
    assert "Afmelden" in page and 'id="calamity-banner"' in page


@pytest.mark.parametrize("path", ["/no/such/page", "/portal/no-such-page",
                                  f"/portal/tickets/{MISSING_TICKET}"])
def test_a_signed_in_super_user_keeps_the_portal_navigation_on_a_missing_page(client, path):
    sign_in(client, make_contact(language="nl"))
    response = client.get(path)
    assert response.status_code == 404
    assert '<a href="/portal/">Onze tickets</a>' in _nav(response)
    page = response.get_data(as_text=True)
    assert "Niet gevonden" in page and 'class="desk-panel"' in page


@pytest.mark.parametrize("path", ["/no/such/page", "/desk/no-such-page",
                                  "/portal/no-such-page"])
def test_a_missing_page_stays_plain_for_someone_not_signed_in(client, path):
    response = client.get(path)
    assert response.status_code == 404
    assert _nav(response).strip() == ""
    page = response.get_data(as_text=True)
    assert "Niet gevonden" in page and "Afmelden" not in page


def test_a_super_user_refused_a_staff_page_keeps_the_portal_navigation(client):
    sign_in(client, make_contact(language="nl"))
    response = client.get("/desk/")
    assert response.status_code == 403
    assert '<a href="/portal/">Onze tickets</a>' in _nav(response)
