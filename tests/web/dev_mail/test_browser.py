"""A newcomer on a development desk follows a portal sign-in link from the catcher, in Chromium."""
import re
from datetime import UTC, datetime

import pytest
from playwright.sync_api import expect

from helpdesk.extensions import db
from helpdesk.models import StaffRole
from helpdesk.services.mail_out import sender
from helpdesk.services.portal import link_mail
from tests.conftest import SCREENSHOTS
from tests.fixtures.factories import make_contact, make_staff
from tests.web.test_every_page import Desk, sign_in_as

pytestmark = pytest.mark.browser


def test_a_sign_in_link_is_followed_from_the_caught_mail_to_the_portal(app, live_server, page):
    app.config.update(MAIL_CATCHER=True, DESK_URL=live_server)  # links in mail lead here
    eva = make_contact(name="Eva Jansen", email="eva@acme.example", language="nl")
    staff = make_staff(StaffRole.AGENT, name="Anna de Agent", language="nl")
    db.session.commit()

    # Eva asks for a link on the portal; the worker's jobs answer it and "send" it.
    page.goto(f"{live_server}/portal/sign-in")
    link_form = page.locator("form:has(button:text('Stuur mij een link'))")
    link_form.locator("input[name=email]").fill(eva.email)
    link_form.get_by_role("button", name="Stuur mij een link").click()
    expect(page.locator(".flash")).to_contain_text("een aanmeldlink onderweg")
    db.session.rollback()  # end the test's read, so SQLite lets the jobs write
    assert link_mail.answer_link_requests(datetime.now(UTC)) == 1
    assert str(sender.send_job(datetime.now(UTC))) == "1 sent"
    db.session.rollback()

    # The newcomer, signed in as staff in the same browser, opens the catcher from the menu.
    sign_in_as(app, page, live_server, "agent", Desk(ids={}, people={"agent": staff}))
    page.goto(f"{live_server}/desk/")
    page.get_by_role("link", name="Opgevangen mail").click()
    row = page.locator("tbody tr").first
    expect(row).to_contain_text(eva.email)
    expect(row).to_contain_text("sign_in_link")
    row.get_by_role("link").click()
    expect(page.locator("#caught-text a")).to_have_attribute(
        "href", re.compile(re.escape(f"{live_server}/portal/sign-in/link/")))
    page.screenshot(path=str(SCREENSHOTS / "dev-mail.png"))

    # The link in the HTML part opens the portal in a new tab, which signs Eva in.
    html_part = page.frame_locator("iframe.caught-html")
    with page.context.expect_page() as opened:
        html_part.locator("a[href*='/portal/sign-in/link/']").click()
    portal = opened.value
    portal.get_by_role("button", name="Verder naar de servicedesk").click()
    portal.wait_for_url(f"{live_server}/portal/")
    expect(portal.locator(".who")).to_have_text("Eva Jansen")
