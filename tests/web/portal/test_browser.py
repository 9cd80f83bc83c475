"""The portal in headless Chromium, against the app served by a real WSGI server."""
import re
from datetime import UTC, datetime

import pytest
import sqlalchemy as sa
import time_machine
from flask_babel import force_locale
from playwright.sync_api import expect

from helpdesk.extensions import db
from helpdesk.models import Category, OutboxMessage, OutboxState, Ticket
from helpdesk.services.mail_out import sender
from helpdesk.services.notifications import customer_mail
from helpdesk.services.notifications.wording import due_in_words
from helpdesk.services.tickets import lifecycle
from tests.conftest import SCREENSHOTS
from tests.fixtures.factories import PASSWORD, make_contact, make_staff
from tests.fixtures.images import make_png
from tests.web.portal.conftest import MONDAY_TEN

pytestmark = pytest.mark.browser

TICKET_PAGE = re.compile(r"/portal/tickets/\d+$")


def _sign_in(page, base: str, contact) -> None:
    page.goto(f"{base}/portal/sign-in")
    password_form = page.locator("form:has(input[name=password])")
    password_form.locator("input[name=email]").fill(contact.email)
    password_form.locator("input[name=password]").fill(PASSWORD)
    password_form.get_by_role("button", name="Aanmelden").click()
    page.wait_for_url(f"{base}/portal/")


def _only_ticket() -> Ticket:
    ticket = db.session.scalars(sa.select(Ticket)).one()
    db.session.rollback()  # end the read, so SQLite lets the server thread write
    return ticket


@pytest.fixture
def monday_morning():
    """The clock starts at Monday 10:00 in Amsterdam and runs, so screenshots are stable."""
    with time_machine.travel(MONDAY_TEN, tick=True):
        yield


def test_super_user_files_a_bug_with_a_screenshot_and_sees_the_agents_reply(
        monday_morning, page, live_server, smtp_server):
    contact = make_contact(name="Eva Jansen", email="eva@acme.example")
    contact.organisation.name = "Acme Logistics B.V."
    db.session.commit()
    _sign_in(page, live_server, contact)
    expect(page.locator(".desk-panel")).to_contain_text("We zijn nu open, tot 17:00.")
    expect(page.locator(".desk-panel")).to_contain_text("Telefonisch: +31 20 123 4567")

    page.get_by_role("link", name="Nieuw ticket").first.click()
    page.locator("#category-bug").check()
    expect(page.locator("#fields-bug")).to_be_visible()
    expect(page.locator("#fields-wish")).to_be_hidden()
    page.locator("input[name=subject]").fill("Export naar Excel geeft foutmelding")
    page.locator("textarea[name=bug_steps]").fill(
        "1. Open Rapporten > Omzet per maand\n2. Kies november\n3. Klik op Exporteren")
    page.locator("textarea[name=bug_expected]").fill("Een Excel-bestand met de omzet.")
    page.locator("textarea[name=bug_actual]").fill("Foutmelding: 'Export mislukt (500)'.")
    page.locator("input[name=bug_where]").fill("Rapporten")
    page.locator("input[name=attachments]").set_input_files(
        [{"name": "foutmelding.png", "mimeType": "image/png",
          "buffer": make_png(480, 270, (214, 69, 65))}])
    page.screenshot(path=str(SCREENSHOTS / "portal-new-ticket.png"), full_page=True)
    page.get_by_role("button", name="Ticket versturen").click()

    page.wait_for_url(TICKET_PAGE)
    ticket = _only_ticket()
    assert ticket.details["steps"].startswith("1. Open Rapporten")
    with force_locale("nl"):
        due_words = due_in_words(ticket.response_due_at)
    assert due_words == "uiterlijk dinsdag 1 december 10:00"
    expect(page.locator(".flash")).to_have_text(
        f"Dank u. Uw ticketnummer is #{ticket.number}.")
    expect(page.locator(".promise-due")).to_have_text(f"U krijgt onze reactie {due_words}.")
    page.evaluate("window.notReloaded = true")
    thumbnail = page.locator("img.thumbnail")
    expect(thumbnail).to_have_attribute("alt", "foutmelding.png")
    assert page.evaluate("document.querySelector('img.thumbnail').naturalWidth") == 480

    # The acknowledgement goes out through the outbox worker to a real SMTP server.
    report = sender.send_due_mail(datetime.now(UTC))
    assert report.sent == 1
    [arrival] = smtp_server.arrivals
    mail = arrival.message
    assert arrival.rcpt_tos == ["eva@acme.example"]
    assert mail["Subject"] == f"[#{ticket.number}] Export naar Excel geeft foutmelding"
    assert mail["Auto-Submitted"] == "auto-replied"
    text = mail.get_body(preferencelist=("plain",)).get_content()
    assert f"ticket #{ticket.number} (Bug)" in text
    assert f"U krijgt onze reactie {due_words}." in text
    assert "de stappen die tot de bug leidden" not in text
    assert db.session.scalars(sa.select(OutboxMessage.state)).one() == OutboxState.SENT
    db.session.rollback()

    ticket = db.session.get(Ticket, ticket.id)
    agent = make_staff(name="Anna de Agent")
    reply = lifecycle.reply(ticket, agent, "Dank voor de duidelijke stappen. We hebben het "
                          "nagebootst; vanavond staat de oplossing live.", datetime.now(UTC))
    customer_mail.queue_reply(ticket, reply, datetime.now(UTC))
    db.session.commit()

    # The conversation polls, so the reply shows up without a reload.
    expect(page.locator(".message-outbound")).to_contain_text("vanavond staat de oplossing live")
    expect(page.locator(".message-outbound header")).to_contain_text(
        "Anna de Agent van de servicedesk")
    expect(page.locator(".promise")).to_contain_text("We wachten op uw antwoord.")
    assert page.evaluate("window.notReloaded") is True
    page.screenshot(path=str(SCREENSHOTS / "portal-ticket.png"), full_page=True)


def test_a_calamity_needs_confirmation_and_shows_the_phone_hours(page, live_server):
    contact = make_contact()
    _sign_in(page, live_server, contact)
    page.goto(f"{live_server}/portal/tickets/new")
    page.locator("#category-calamity").check()
    warning = page.locator(".calamity-warning")
    expect(warning).to_be_visible()
    expect(warning).to_contain_text("Voor directe hulp belt u ons op +31 20 123 4567 "
                                    "(op werkdagen van 10:00-17:00).")
    page.locator("input[name=subject]").fill("Niemand kan inloggen")
    page.locator("textarea[name=calamity_affected]").fill("De hele applicatie")
    page.locator("input[name=calamity_since]").fill("08:10")
    # A mistake re-renders the form in place: no page load, the typed text is kept.
    page.evaluate("window.notReloaded = true")
    page.get_by_role("button", name="Ticket versturen").click()
    expect(page.locator("#fields-calamity .field-error")).to_have_text(
        "Bevestig dat dit een calamiteit is, of kies een andere soort vraag.")
    assert page.evaluate("window.notReloaded") is True
    assert page.url == f"{live_server}/portal/tickets/new"
    expect(page.locator("input[name=subject]")).to_have_value("Niemand kan inloggen")
    page.locator("input[name=confirm_calamity]").check()
    page.get_by_role("button", name="Ticket versturen").click()
    page.wait_for_url(TICKET_PAGE)
    expect(page.locator(".promise")).to_contain_text("Al onze medewerkers zijn gealarmeerd.")
    assert _only_ticket().category == Category.CALAMITY


def test_the_form_works_without_javascript(browser, live_server):
    contact = make_contact()
    # A Dutch browser, as `page` is: the sign-in page speaks the browser's language.
    context = browser.new_context(java_script_enabled=False, locale="nl-NL")
    page = context.new_page()
    try:
        _sign_in(page, live_server, contact)
        page.goto(f"{live_server}/portal/tickets/new")
        page.locator("#category-question").check()
        page.locator("input[name=subject]").fill("Facturen")
        page.get_by_role("button", name="Ticket versturen").click()
        expect(page.locator("#fields-question .field-error")).to_have_text(
            "Vul dit in, alstublieft.")
        expect(page.locator("input[name=subject]")).to_have_value("Facturen")
        page.locator("textarea[name=question_question]").fill("Waar vind ik mijn facturen?")
        page.get_by_role("button", name="Ticket versturen").click()
        page.wait_for_url(TICKET_PAGE)
        expect(page.locator(".message-inbound .body")).to_have_text(
            "Waar vind ik mijn facturen?")
    finally:
        context.close()
