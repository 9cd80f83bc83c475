"""Which language a page speaks: a choice made here, else the person's own, else the browser's,
else Dutch; and English is written the British way."""
import re
from datetime import UTC, datetime

import pytest

from helpdesk import desk_url
from tests.conftest import post_form, sign_in
from tests.fixtures.factories import make_contact, make_staff, make_ticket

# Wednesday 2 December 2026, 07:17 in Amsterdam.
MORNING = datetime(2026, 12, 2, 6, 17, tzinfo=UTC)
# What the American forms look like: 12/2/26, 7:17 AM.
US_FORMS = re.compile(r"\b\d{1,2}/\d{1,2}/\d{2}\b|\d:\d\d\s*[AP]M\b")


def _language(response) -> str:
    page = response.get_data(as_text=True)
    return page.split('<html lang="', 1)[1].split('"', 1)[0]


@pytest.mark.parametrize(("accept", "language"), [
    ("en-GB,en;q=0.9", "en"),
    ("en-US", "en"),
    ("fr-FR, en;q=0.5, nl;q=0.4", "en"),
    ("nl-NL", "nl"),
    ("de-DE, fr;q=0.8", "nl"),  # nothing the desk speaks: Dutch
    (None, "nl"),
])
def test_the_browsers_language_decides_for_an_anonymous_page(client, accept, language):
    headers = {"Accept-Language": accept} if accept else {}
    assert _language(client.get("/portal/sign-in", headers=headers)) == language
    assert _language(client.get("/sign-in", headers=headers)) == language


def test_an_english_browser_reads_the_anonymous_sign_in_page_in_english(client):
    page = client.get("/portal/sign-in", headers={"Accept-Language": "en-GB"})
    assert "Sign in to the service desk" in page.get_data(as_text=True)


def test_a_choice_made_with_the_switch_beats_the_browsers_language(client):
    english_browser = {"Accept-Language": "en-GB"}
    post_form(client, "/language", {"language": "nl", "next": "/portal/sign-in"},
              headers=english_browser)
    assert _language(client.get("/portal/sign-in", headers=english_browser)) == "nl"


def test_a_signed_in_persons_own_language_beats_the_browsers(client):
    sign_in(client, make_contact(language="nl"))
    assert _language(client.get("/portal/", headers={"Accept-Language": "en"})) == "nl"


def test_a_links_language_is_a_choice_that_the_next_pages_keep(client):
    dutch_browser = {"Accept-Language": "nl"}
    assert _language(client.get("/portal/sign-in?lang=en", headers=dutch_browser)) == "en"
    assert _language(client.get("/portal/password-reset", headers=dutch_browser)) == "en"


def test_a_links_language_the_desk_does_not_speak_is_ignored(client):
    assert _language(client.get("/portal/sign-in?lang=de")) == "nl"
    assert _language(client.get("/portal/sign-in?lang=en-x")) == "nl"


def test_a_staff_notices_link_opened_signed_out_asks_to_sign_in_in_the_mails_language(app, client):
    ticket = make_ticket()
    link = desk_url.link("agent.ticket", language="en", number=ticket.number)
    path = link.removeprefix(app.config["DESK_URL"])
    dutch_browser = {"Accept-Language": "nl"}
    response = client.get(path, headers=dutch_browser)
    assert response.status_code == 302 and response.location.startswith("/sign-in?next=")
    sign_in_page = client.get(response.location, headers=dutch_browser)
    assert _language(sign_in_page) == "en"
    assert "<h1>Staff sign-in</h1>" in sign_in_page.get_data(as_text=True)


def test_english_pages_write_dates_the_british_way_and_dutch_ones_the_dutch_way(client):
    english = make_contact(language="en")
    dutch = make_contact(organisation=english.organisation, language="nl")
    make_ticket(raised_by=english, received_at=MORNING, now=MORNING)
    sign_in(client, english)
    page = client.get("/portal/").get_data(as_text=True)
    assert "2 Dec 2026, 07:17" in page
    assert not US_FORMS.search(page)
    sign_in(client, dutch)
    assert "2 dec 2026, 07:17" in client.get("/portal/").get_data(as_text=True)


def test_an_english_agent_reads_british_dates_and_a_24_hour_clock_on_the_ticket(client):
    afternoon = datetime(2026, 12, 2, 16, 0, tzinfo=UTC)  # 17:00 in Amsterdam, 5 PM in the US
    ticket = make_ticket(received_at=afternoon, now=afternoon)
    sign_in(client, make_staff(language="en"))
    page = client.get(f"/desk/tickets/{ticket.number}").get_data(as_text=True)
    assert '<html lang="en">' in page
    assert "2 Dec 2026, 17:00" in page
    assert not US_FORMS.search(page)
