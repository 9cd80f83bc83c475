"""An agent's day in headless Chromium: sign in with TOTP, filter, open, reply, see the queue move.

The app is served by a real WSGI server on a free loopback port, against the test database.
"""
import re
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pyotp
import pytest
import sqlalchemy as sa
from playwright.sync_api import expect

from helpdesk.extensions import db
from helpdesk.models import (
    Category,
    Channel,
    Contact,
    OutboxMessage,
    OutboxState,
    StaffMember,
    Ticket,
)
from helpdesk.services import demo
from helpdesk.services.mail_out import outbox
from helpdesk.services.tickets import lifecycle
from tests.conftest import SCREENSHOTS

pytestmark = pytest.mark.browser


@pytest.fixture
def viewport() -> dict:
    """The README shows these screenshots at this width."""
    return {"width": 1400, "height": 900}


@pytest.fixture
def now():
    """Real time: the server under test reads the clock."""
    return datetime.now(UTC)


@pytest.fixture
def desk(app, now):
    """The demo desk, with its agent's authenticator confirmed."""
    demo.seed_demo(now)
    agent = db.session.scalar(sa.select(StaffMember).filter_by(email="agent@helpdesk.example"))
    agent.totp_confirmed_at = now
    db.session.commit()
    return agent


def sign_in(page, base: str, agent: StaffMember) -> None:
    page.goto(f"{base}/sign-in")
    page.fill("input[name=email]", agent.email)
    page.fill("input[name=password]", demo.DEMO_PASSWORD)
    page.click("button.primary")
    page.fill("input[name=code]", pyotp.TOTP(agent.totp_secret).now())
    page.click("button.primary")
    expect(page).to_have_url(f"{base}/desk/")


def keep_screenshot(page, name: str) -> None:
    # The bytes taken, not the file read back: a suite beside this one may be writing it too.
    assert len(page.screenshot(path=str(SCREENSHOTS / name), full_page=False)) > 10_000


def _open(email: str, subject: str, category: Category, received_at, now) -> Ticket:
    contact = db.session.scalar(sa.select(Contact).filter_by(email=email))
    ticket, _ = lifecycle.open_ticket(raised_by=contact, subject=subject, category=category,
                                    channel=Channel.EMAIL, body_text=subject,
                                    received_at=received_at, now=now)
    db.session.commit()
    return ticket


def test_agent_signs_in_filters_opens_replies_and_sees_the_row_change(live_server, page, desk,
                                                                      now):
    # An overdue bug and a calamity close to its due moment, so the clock column shows colour.
    _open("k.smit@noord.example", "Rapport toont verkeerde totalen", Category.BUG,
          now - timedelta(days=6), now)
    _open("sanne@devries.example", "Alle orders verdwenen", Category.CALAMITY,
          now - timedelta(minutes=50), now)
    ticket = db.session.scalar(sa.select(Ticket).where(Ticket.category == Category.BUG,
                                                       Ticket.status == "new")
                               .order_by(Ticket.number))
    sign_in(page, live_server, desk)
    row = page.locator(f"#row-{ticket.number}")
    expect(row).to_contain_text(ticket.subject)
    expect(row.locator(".status")).to_have_text("Nieuw")
    keep_screenshot(page, "queue.png")

    page.select_option("select[name=category]", "question")
    expect(page).to_have_url(re.compile(r"/desk/\?category=question$"))
    expect(row).to_have_count(0)
    page.go_back()
    expect(page).to_have_url(f"{live_server}/desk/")
    expect(row).to_be_visible()

    page.click(f"#link-{ticket.number}")
    expect(page.locator("#ticket-summary h1")).to_contain_text(ticket.subject)
    page.fill("#reply-body", "Dank u, we hebben het gevonden en lossen het vanavond op.")
    page.click("#reply-form button[name=send]")
    expect(page.locator("#conversation")).to_contain_text("lossen het vanavond op")
    expect(page.locator("#ticket-summary .status")).to_have_text("Wacht op klant")
    expect(page.locator("#reply-body")).to_have_value("")
    keep_screenshot(page, "ticket.png")

    page.click("nav.mainnav a[href='/desk/']")
    expect(row.locator(".status")).to_have_text("Wacht op klant")


def test_a_calamity_arriving_while_the_queue_is_open_appears_without_a_reload(
        live_server, page, desk, now):
    sign_in(page, live_server, desk)
    page.evaluate("window.notReloaded = true")
    calamity = _open("sanne@devries.example", "Kassa's liggen er allemaal uit",
                     Category.CALAMITY, now - timedelta(minutes=1), now)
    alert = page.locator(".announce[role=alert]")
    expect(alert).to_contain_text(f"#{calamity.number} Kassa's liggen er allemaal uit")
    first_row = page.locator("#queue-results tbody tr").first
    expect(first_row).to_have_id(f"row-{calamity.number}")
    assert page.evaluate("window.notReloaded") is True


def test_a_mail_that_did_not_go_out_is_sent_again_from_the_ticket_page(live_server, page, desk,
                                                                      now):
    ticket = _open("k.smit@noord.example", "Export faalt", Category.BUG,
                   now - timedelta(hours=1), now)
    mail = outbox.queue_mail(to_address="k.smit@noord.example", kind="acknowledgement",
                             subject=f"[#{ticket.number}] Export faalt", body_text="Ontvangen.",
                             now=now, ticket=ticket)
    mail.state, mail.last_error = OutboxState.FAILED, "550 5.1.1 No such user"
    db.session.commit()
    sign_in(page, live_server, desk)
    page.goto(f"{live_server}/desk/tickets/{ticket.number}")
    problems = page.locator("#outbox-problems")
    expect(problems).to_contain_text("550 5.1.1 No such user")

    problems.get_by_role("button", name="Opnieuw versturen").click()

    expect(problems).to_have_count(0)
    expect(page.locator("#history")).to_contain_text("Mail opnieuw verstuurd")
    db.session.expire_all()
    assert db.session.get(OutboxMessage, mail.id).state == OutboxState.PENDING


def test_an_agent_logs_a_call_answered_on_the_phone_from_the_workspace(live_server, page, desk,
                                                                       now):
    sign_in(page, live_server, desk)
    page.click("a[href='/desk/phone']")
    page.wait_for_load_state()  # htmx listens from then on; typing earlier searches nothing
    page.fill("#contact-q", "Sanne")
    page.locator("#contact-results label", has_text="sanne@devries.example").click()
    page.select_option("#phone-category", "question")
    page.fill("#phone-subject", "Bon printen na update")
    page.fill("#phone-summary", "Samen de printer opnieuw gekoppeld; de bon komt er weer uit.")
    page.fill("#phone-internal-note", "Oude kassa, vervangen adviseren.")
    call_at = (now - timedelta(minutes=25)).astimezone(ZoneInfo("Europe/Amsterdam"))
    page.fill("#phone-call-at", call_at.strftime("%Y-%m-%dT%H:%M"))
    page.fill("#phone-duration", "9")
    page.get_by_label("Beantwoord tijdens het gesprek: ticket oplossen").check()
    keep_screenshot(page, "phone.png")
    page.click("#phone-form button.primary")

    expect(page).to_have_url(re.compile(r"/desk/tickets/\d+$"))
    call = page.locator("#conversation .message-call")
    expect(call).to_contain_text("Telefoongesprek met Sanne de Vries, vastgelegd door "
                                 "Anna de Agent")
    expect(call).to_contain_text("de bon komt er weer uit")
    expect(page.locator("#conversation .message-note")).to_contain_text("Oude kassa")
    expect(page.locator("#ticket-summary .status")).to_have_text("Opgelost")
    db.session.expire_all()
    ticket = db.session.scalar(sa.select(Ticket).filter_by(subject="Bon printen na update"))
    assert ticket.first_response_at == call_at.replace(second=0, microsecond=0).astimezone(
        UTC) + timedelta(minutes=9)
    assert db.session.scalar(sa.select(OutboxMessage.id).filter_by(ticket_id=ticket.id)) is None


def test_the_ticket_page_controls_show_what_the_ticket_has(live_server, page, desk, now):
    ticket = _open("k.smit@noord.example", "Export faalt", Category.QUESTION,
                   now - timedelta(hours=1), now)
    sign_in(page, live_server, desk)
    page.goto(f"{live_server}/desk/tickets/{ticket.number}")
    status = page.locator("#status-select")
    expect(status).to_have_value("new")
    assert status.evaluate("s => s.selectedOptions[0].textContent") == "Nieuw"
    expect(page.locator("#category-select")).to_have_value("question")
    expect(page.locator("#assign-select")).to_have_value("")

    status.select_option("waiting")
    page.locator("#ticket-controls").get_by_role("button", name="Status zetten").click()
    expect(page.locator("#ticket-summary .status")).to_have_text("Wacht op klant")
    expect(page.locator("#status-select")).to_have_value("waiting")
