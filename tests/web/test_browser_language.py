"""In headless Chromium: the browser's language, a choice that outlives signing in, the icon."""
import logging
import re
import time

import pytest
from playwright.sync_api import expect

from helpdesk.extensions import db
from helpdesk.models import Contact
from tests.fixtures.factories import PASSWORD, make_contact

pytestmark = pytest.mark.browser


@pytest.fixture
def english_page(browser, live_server, viewport):
    """A browser that asks for British English, as an English-speaking visitor's does."""
    context = browser.new_context(viewport=viewport, locale="en-GB",
                                  timezone_id="Europe/London")
    context.set_default_timeout(10_000)
    yield context.new_page()
    context.close()


def test_an_english_browser_is_greeted_in_english_before_anyone_signs_in(english_page,
                                                                         live_server):
    english_page.goto(f"{live_server}/portal/sign-in")
    expect(english_page.locator("html")).to_have_attribute("lang", "en")
    expect(english_page.get_by_role("heading", level=1)).to_have_text(
        "Sign in to the service desk")
    expect(english_page.locator(".brand")).to_have_text("Service desk")


def test_english_chosen_on_the_sign_in_page_stays_after_signing_in(page, live_server):
    contact = make_contact(email="eva@acme.example", language="nl")
    db.session.commit()
    page.goto(f"{live_server}/portal/sign-in")
    expect(page.locator("html")).to_have_attribute("lang", "nl")
    page.locator(".language-switch").get_by_role("button", name="EN").click()
    expect(page.locator("html")).to_have_attribute("lang", "en")
    password_form = page.locator("form:has(input[name=password])")
    password_form.locator("input[name=email]").fill(contact.email)
    password_form.locator("input[name=password]").fill(PASSWORD)
    password_form.get_by_role("button", name="Sign in").click()
    page.wait_for_url(f"{live_server}/portal/")
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page.get_by_role("link", name="Our tickets")).to_be_visible()
    db.session.expire_all()
    assert db.session.get(Contact, contact.id).language == "en"
    db.session.rollback()  # end the read, so SQLite lets the server thread write


def _requests_logged(caplog) -> list[str]:
    """The request lines the served app logged ("GET /path HTTP/1.1" 200), colours removed."""
    return [re.sub(r"\x1b\[[0-9;]*m", "", record.getMessage())
            for record in caplog.records if record.name == "werkzeug"]


def test_the_browser_asks_for_the_desks_icon_and_the_log_shows_no_missing_file(
        page, live_server, caplog):
    caplog.set_level(logging.INFO, logger="werkzeug")
    page.goto(f"{live_server}/portal/sign-in")
    page.wait_for_load_state("networkidle")
    assert page.locator('link[rel="icon"]').get_attribute("href") == "/favicon.ico"
    # Chromium asks for the icon on its own, outside the page's events: the server saw it.
    deadline = time.monotonic() + 5
    while (not any('"GET /favicon.ico HTTP/1.1" 200' in line for line in _requests_logged(caplog))
           and time.monotonic() < deadline):
        time.sleep(0.05)
    lines = _requests_logged(caplog)
    assert any('"GET /favicon.ico HTTP/1.1" 200' in line for line in lines), lines
    assert [line for line in lines if re.search(r'HTTP/1\.1" [45]\d\d', line)] == []
    icon = page.request.get(f"{live_server}/favicon.ico")
    assert icon.headers["content-type"].startswith("image/svg+xml")
