"""A manager sets up a new customer in headless Chromium, and the customer signs in by mail."""
import re
from datetime import UTC, datetime

import pyotp
import pytest
import sqlalchemy as sa
from playwright.sync_api import expect

from helpdesk.extensions import db
from helpdesk.models import Contact, Organisation, StaffRole
from helpdesk.services.mail_out import sender
from tests.conftest import SCREENSHOTS
from tests.fixtures.factories import PASSWORD, make_staff

pytestmark = pytest.mark.browser

LINK = re.compile(r"https?://[^\s/]+(/portal/sign-in/link/[\w-]+)")


@pytest.fixture
def viewport() -> dict:
    """A common office laptop."""
    return {"width": 1366, "height": 900}


def _staff_sign_in(page, base: str, staff) -> None:
    page.goto(f"{base}/sign-in")
    page.fill("input[name=email]", staff.email)
    page.fill("input[name=password]", PASSWORD)
    page.click("button.primary")
    page.fill("input[name=code]", pyotp.TOTP(staff.totp_secret).now())
    page.click("button.primary")
    page.wait_for_url(re.compile(r"/desk/"))


def test_a_manager_sets_up_a_new_customer_and_the_super_user_signs_in_by_the_link(
        app, browser, page, live_server, smtp_server):
    manager = make_staff(StaffRole.MANAGER, name="Mia Manager", language="en")
    db.session.commit()
    _staff_sign_in(page, live_server, manager)

    page.get_by_role("link", name="Organisations").click()
    page.fill("#organisation-slug", "acme")
    page.fill("#organisation-name", "Acme Logistics B.V.")
    page.get_by_role("button", name="Add organisation").click()
    page.wait_for_url(f"{live_server}/manage/organisations/acme")
    expect(page.locator(".status-now")).to_contain_text("set by Mia Manager")

    page.get_by_role("link", name="Add a contact").click()
    page.fill("#contact-name", "Eva Jansen")
    page.fill("#contact-email", "eva@acme.example")
    page.fill("#contact-job_title", "Controller")
    page.select_option("#contact-language", "nl")
    page.check("#contact-super-user")
    page.get_by_role("button", name="Add contact").click()
    page.wait_for_url(f"{live_server}/manage/organisations/acme")
    contacts = page.locator("#organisation-contacts")
    expect(contacts).to_contain_text("eva@acme.example")
    page.screenshot(path=str(SCREENSHOTS / "manager-organisation.png"), full_page=True)

    contacts.get_by_role("link", name="Eva Jansen").click()
    app.config["DESK_URL"] = live_server  # the link in the mail points at this server
    page.get_by_role("button", name="Send a sign-in link").click()
    expect(page.locator(".flash")).to_have_text("A sign-in link is on its way to eva@acme.example.")

    # The mail goes out through the outbox sender to a real SMTP server.
    assert sender.send_due_mail(datetime.now(UTC)).sent == 1
    [arrival] = smtp_server.arrivals
    assert arrival.rcpt_tos == ["eva@acme.example"]
    text = arrival.message.get_body(preferencelist=("plain",)).get_content()
    path = LINK.search(text).group(1)
    organisation = db.session.scalar(sa.select(Organisation).filter_by(slug="acme"))
    assert organisation.status_changed_by_id == manager.id
    assert db.session.scalar(sa.select(Contact.is_super_user).filter_by(email="eva@acme.example"))
    db.session.rollback()  # end the read, so SQLite lets the server thread write

    customer = browser.new_context(viewport={"width": 1366, "height": 900}, locale="nl-NL",
                                   timezone_id="Europe/Amsterdam")
    try:
        portal = customer.new_page()
        portal.goto(f"{live_server}{path}")
        portal.get_by_role("button", name="Verder naar de servicedesk").click()
        portal.wait_for_url(f"{live_server}/portal/")
        expect(portal.locator("h1").first).to_have_text("Tickets van Acme Logistics B.V.")
    finally:
        customer.close()
