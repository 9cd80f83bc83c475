"""Every portal page says whether the desk is open now, the phone hours and the promise."""
import pytest
import time_machine

from tests.conftest import sign_in
from tests.fixtures.factories import make_ticket
from tests.web.portal.conftest import SATURDAY_ELEVEN
from tests.web.portal.routes import PORTAL_ROUTES

# Pages, not files: the attachment route sends the file itself.
PAGES = sorted({rule for rule, method, endpoint, _ in PORTAL_ROUTES
                if method == "GET" and endpoint != "portal.attachment"})


@pytest.mark.parametrize("rule", PAGES)
def test_every_portal_page_shows_the_desk_hours_phone_and_promise(client, super_user, rule):
    with time_machine.travel(SATURDAY_ELEVEN, tick=False):
        ticket = make_ticket(raised_by=super_user)
        sign_in(client, super_user)
        url = rule.replace("<int:number>", str(ticket.number)).replace("<token>", "a-token")
        page = client.get(url, follow_redirects=True).get_data(as_text=True)
    panel = page[page.index('<aside class="desk-panel"'):page.index("</aside>")]
    assert "We zijn nu gesloten; we beginnen maandag om 09:00." in panel
    assert "Telefonisch: +31 20 123 4567, op werkdagen van 10:00-17:00." in panel
    assert "We reageren op uw vraag binnen 1 werkdag" in panel
