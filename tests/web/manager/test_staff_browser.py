"""An admin invites an agent in headless Chromium; the agent joins by the mailed link and works."""
import re
from datetime import UTC, datetime

import pyotp
import pytest
from playwright.sync_api import expect

from helpdesk.extensions import db
from helpdesk.models import StaffRole
from helpdesk.services.mail_out import sender
from tests.fixtures.factories import PASSWORD, make_contact, make_staff, make_ticket

pytestmark = pytest.mark.browser

NEW_PASSWORD = "a long enough password"


@pytest.fixture
def viewport() -> dict:
    return {"width": 1366, "height": 768}


def test_an_admin_invites_an_agent_who_joins_and_replies_to_a_ticket(
        app, page, live_server, smtp_server):
    app.config["DESK_URL"] = live_server  # the mailed link points at the served app
    admin = make_staff(StaffRole.ADMIN, name="Ada Admin", language="nl")
    ticket = make_ticket(raised_by=make_contact(email="eva@acme.example"),
                         subject="Export naar Excel faalt")
    db.session.commit()

    page.goto(f"{live_server}/sign-in")
    page.fill("input[name=email]", admin.email)
    page.fill("input[name=password]", PASSWORD)
    page.click("button.primary")
    page.fill("input[name=code]", pyotp.TOTP(admin.totp_secret).now())
    page.click("button.primary")
    expect(page).to_have_url(f"{live_server}/desk/")

    page.get_by_role("link", name="Medewerkers").click()
    page.fill("#invite-email", "nina@desk.example")
    page.fill("#invite-name", "Nina Nieuw")
    page.select_option("#invite-role", "agent")
    page.click("#invite-form button.primary")
    expect(page.locator(".flash")).to_have_text("Uitnodiging gemaild naar nina@desk.example.")

    # The outbox sender sends the invitation to a real SMTP server.
    assert sender.send_due_mail(datetime.now(UTC)).sent == 1
    [arrival] = smtp_server.arrivals
    assert arrival.rcpt_tos == ["nina@desk.example"]
    text = arrival.message.get_body(preferencelist=("plain",)).get_content()
    link = re.search(rf"{re.escape(live_server)}/invitation/\S+", text).group(0)
    db.session.rollback()  # end the read, so SQLite lets the server thread write

    page.context.clear_cookies()
    page.goto(link)
    expect(page.locator("#invitation h1")).to_be_visible()
    page.fill("#invitation-password", NEW_PASSWORD)
    page.fill("#invitation-repeat", NEW_PASSWORD)
    secret = page.locator("#totp-secret").inner_text().strip()
    page.fill("#invitation-code", pyotp.TOTP(secret).now())
    page.click("#invitation button.primary")
    expect(page).to_have_url(f"{live_server}/desk/")

    page.click(f"#link-{ticket.number}")
    expect(page.locator("#ticket-summary h1")).to_contain_text("Export naar Excel faalt")
    page.fill("#reply-body", "Dank u, we kijken er vandaag naar.")
    page.click("#reply-form button[name=send]")
    expect(page.locator("#conversation")).to_contain_text("we kijken er vandaag naar")
    expect(page.locator("#conversation")).to_contain_text("Nina Nieuw")
