"""Every page of the desk, as each role, on a desktop and on a phone, in headless Chromium.

Each page must fit the window (no sideways scrolling of the page itself) and pass axe-core
with no serious or critical violation, also after its htmx fragment swapped. PAGES is the
one list of what is visited: a new page is one more row there.
"""
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage

import pytest
import sqlalchemy as sa
import time_machine
from playwright.sync_api import expect

from helpdesk.extensions import db
from helpdesk.models import (
    Category,
    CaughtMail,
    OrganisationStatus,
    OutboxMessage,
    StaffRole,
    TicketStatus,
)
from helpdesk.services.mail_out.catcher import CatchingConnection
from helpdesk.services.privacy import breaches, erase
from helpdesk.services.promise import sla_settings
from helpdesk.services.promise.calendar_settings import configured_calendar
from helpdesk.services.staffing import invitations
from helpdesk.services.tickets import canned_replies, lifecycle
from tests.conftest import SCREENSHOTS
from tests.fixtures.axe import axe_violations
from tests.fixtures.factories import make_contact, make_organisation, make_staff, make_ticket
from tests.fixtures.held import make_held_message
from tests.web.portal.conftest import SATURDAY_ELEVEN

pytestmark = pytest.mark.browser

DESKTOP = {"width": 1366, "height": 768}
PHONE = {"width": 390, "height": 844}

ANONYMOUS, SECOND_STEP, AGENT, MANAGER, ADMIN, SUPER_USER = (
    "anonymous", "second-step", "agent", "manager", "admin", "super-user")


@dataclass(frozen=True)
class Swap:
    """Something done on a page that makes htmx swap a fragment in, and what shows it did."""
    what: str
    act: Callable
    settled: str  # a selector (formatted with the desk's ids) that matches once swapped


@dataclass(frozen=True)
class Visit:
    role: str
    path: str  # formatted with the desk's ids
    status: int = 200
    swap: Swap | None = None
    phone_screenshot: str | None = None  # kept in docs/screenshots by make screenshots
    catcher: bool = False  # visited on a development desk whose mail the catcher keeps


PAGES = (
    Visit(ANONYMOUS, "/sign-in"),
    Visit(ANONYMOUS, "/portal/sign-in"),
    Visit(ANONYMOUS, "/portal/password-reset"),
    Visit(ANONYMOUS, "/portal/password-reset/a-token-from-a-mail"),
    Visit(ANONYMOUS, "/portal/sign-in/link/a-token-from-a-mail"),
    Visit(ANONYMOUS, "/no-such-page", 404),
    Visit(SECOND_STEP, "/sign-in/code"),
    Visit(AGENT, "/desk/", swap=Swap("a search", lambda page: page.fill("#queue-q", "tienduizend"),
                                     "#queue-results tbody tr#row-{long}:only-child"),
          phone_screenshot="queue-phone.png"),
    Visit(AGENT, "/desk/?status=all"),
    Visit(AGENT, "/desk/tickets/{long}",
          swap=Swap("an empty reply", lambda page: page.click("#reply-form button[name=send]"),
                    "#reply-form .flash-error")),
    Visit(AGENT, "/desk/tickets/{closed}"),
    Visit(AGENT, "/desk/tickets/999999", 404),
    Visit(AGENT, "/desk/calamities"),
    Visit(AGENT, "/desk/held?all=1"),
    Visit(AGENT, "/desk/held/{held}",
          swap=Swap("a contact search", lambda page: page.fill("#contact-q", "Jansen"),
                    "#contact-results label")),
    Visit(AGENT, "/desk/held/{held}/source"),
    Visit(AGENT, "/desk/phone"),
    Visit(AGENT, "/desk/contacts?contact_q=Jansen"),
    Visit(AGENT, "/manage/stats", 403),
    Visit(AGENT, "/manage/breaches", 403),
    Visit(AGENT, "/manage/organisations/{organisation}/access", 403),
    Visit(AGENT, "/dev/mail/", catcher=True),
    Visit(AGENT, "/dev/mail/{caught}", catcher=True),
    Visit(AGENT, "/dev/mail/", 404),
    Visit(MANAGER, "/desk/"),
    Visit(MANAGER, "/manage/organisations"),
    Visit(MANAGER, "/manage/stats"),
    Visit(MANAGER, "/manage/stats/tickets/received"),
    Visit(MANAGER, "/manage/stats/organisations/{organisation}"),
    Visit(MANAGER, "/manage/settings"),
    Visit(MANAGER, "/manage/settings/recompute"),
    Visit(MANAGER, "/manage/canned-replies"),
    Visit(MANAGER, "/manage/canned-replies/{canned}"),
    Visit(MANAGER, "/manage/organisations/{organisation}"),
    Visit(MANAGER, "/manage/organisations/{organisation}/contacts/new"),
    Visit(MANAGER, "/manage/organisations/{organisation}/access"),
    Visit(MANAGER, "/manage/organisations/{ended}"),
    Visit(MANAGER, "/manage/contacts",
          swap=Swap("a search", lambda page: page.fill("#contact-q", "Jansen"),
                    "#contact-results tbody tr:only-child")),
    Visit(MANAGER, "/manage/contacts/{contact}"),
    Visit(MANAGER, "/manage/contacts/{contact}/access"),
    Visit(MANAGER, "/manage/staff"),
    Visit(MANAGER, "/manage/breaches"),
    Visit(MANAGER, "/manage/breaches/new"),
    Visit(MANAGER, "/manage/breaches/{breach}"),
    Visit(MANAGER, "/manage/breaches/{breach}/edit"),
    Visit(MANAGER, "/manage/teams"),
    Visit(MANAGER, "/manage/erasures/{certificate}"),
    Visit(MANAGER, "/admin/", 403),
    Visit(ADMIN, "/desk/"),
    Visit(ADMIN, "/manage/settings"),
    Visit(ADMIN, "/manage/staff"),
    Visit(ADMIN, "/admin/"),
    Visit(ANONYMOUS, "/invitation/{invitation}"),
    Visit(SUPER_USER, "/portal/"),
    Visit(SUPER_USER, "/portal/tickets/{long}",
          swap=Swap("an empty message", lambda page: page.click("#message-form button.primary"),
                    "#message-form .field-error:not([hidden])"),
          phone_screenshot="portal-ticket-phone.png"),
    Visit(SUPER_USER, "/portal/tickets/{resolved}"),
    Visit(SUPER_USER, "/portal/tickets/new",
          swap=Swap("an empty ticket", lambda page: page.click("#new-ticket-form button.primary"),
                    "#new-ticket-form .flash-error")),
    Visit(SUPER_USER, "/portal/tickets/999999", 404),
    Visit(SUPER_USER, "/portal/export"),
    Visit(SUPER_USER, "/desk/", 403),
    Visit(SUPER_USER, "/dev/mail/", 403, catcher=True),
)
ROLES = tuple(dict.fromkeys(visit.role for visit in PAGES))

LONG_LINE = ("https://acme-logistiek.example/rapporten/export?periode=2026-11&formaat=xlsx"
             "&kolommen=ordernummer,klant,bedrag,btw,status,verzenddatum,vervoerder")
CONVERSATION = [
    "Beste servicedesk,\n\nBij het exporteren van het omzetrapport krijgen we een foutmelding "
    "zodra het rapport meer dan tienduizend regels heeft. Kleinere rapporten gaan goed.\n\n"
    f"De link die we gebruiken: {LONG_LINE}\n\nMet vriendelijke groet,\nEva",
    "Dank voor uw melding. We proberen het na te bootsen met een rapport van twaalfduizend "
    "regels en laten u vandaag nog weten wat we vinden.",
    "Nagebootst op de testomgeving: de export stopt na 10.000 regels met een time-out.",
    "Het gebeurt ook bij het rapport per vestiging, en daar zijn het er maar achtduizend.",
]


@dataclass
class Desk:
    ids: dict
    people: dict


def build_desk(now: datetime) -> Desk:
    """One organisation's desk with a bit of everything every page shows."""
    organisation = make_organisation(slug="acme", name="Acme Logistiek en Distributie B.V.")
    eva = make_contact(organisation, name="Eva Jansen-van den Berg",
                       email="eva.jansen-vandenberg@acme-logistiek.example")
    agent = make_staff(StaffRole.AGENT, name="Anna de Agent", language="nl")
    people = {AGENT: agent, SUPER_USER: eva,
              MANAGER: make_staff(StaffRole.MANAGER, name="Mark Manager", language="nl"),
              ADMIN: make_staff(StaffRole.ADMIN, name="Ada Admin", language="en"),
              SECOND_STEP: make_staff(name="Nina Nieuw", totp_confirmed_at=None)}
    start = now - timedelta(days=3)
    long = make_ticket(eva, now=start, received_at=start,
                       subject="Export naar Excel geeft een foutmelding bij rapporten met meer "
                               "dan tienduizend regels", body_text=CONVERSATION[0])
    for hour in range(1, 23):  # ending on a reply: the customer has our answer
        at = start + timedelta(hours=hour)
        text = CONVERSATION[hour % 3 or 3]  # a reply, a note, the customer again
        if hour % 3 == 1:
            lifecycle.reply(long, agent, text, at, status_after=TicketStatus.WAITING)
        elif hour % 3 == 2:
            lifecycle.add_note(long, agent, text, at)
        else:
            lifecycle.add_inbound_message(long, eva, text, received_at=at, now=at)
    lifecycle.assign(long, agent, agent, start)
    resolved = make_ticket(eva, subject="Wachtwoord vergeten", category=Category.QUESTION,
                           now=now - timedelta(days=1))
    lifecycle.reply(resolved, agent, "U kunt een nieuw wachtwoord aanvragen.", now,
                    status_after=TicketStatus.RESOLVED)
    closed = make_ticket(eva, subject="Donkere modus", category=Category.WISH,
                         now=now - timedelta(days=2))
    lifecycle.set_status(closed, TicketStatus.CLOSED, agent, now - timedelta(days=1))
    make_ticket(eva, subject="Alle orders verdwenen", category=Category.CALAMITY, now=now,
                received_at=now - timedelta(minutes=5))
    db.session.commit()
    held = make_held_message(sender="onbekend@elders.example", subject="Graag een offerte")
    canned = canned_replies.save("Herhaalde export", "We onderzoeken de export.", "nl")
    team_day = now.date() + timedelta(days=14)
    while configured_calendar().closed_reason(team_day) is not None:  # a weekend or holiday
        team_day += timedelta(days=1)
    sla_settings.add_closing_day(team_day, "Teamdag", people[MANAGER], now)  # and a recompute
    invitations.invite(people[MANAGER], "nina.nieuw@desk.example", "Nina Nieuw", "agent", now)
    invitation_mail = db.session.scalars(
        sa.select(OutboxMessage.body_text).where(OutboxMessage.body_text.contains("/invitation/"))
    ).one()
    invitation_link = next(word for word in invitation_mail.split() if "/invitation/" in word)
    caught = _caught_mail(eva.email, now)
    breach = breaches.record_breach(breaches.BreachDetails(
        title="Laptop van een medewerker gestolen", found_at=now - timedelta(hours=2),
        occurred_from=start, occurred_to=now - timedelta(hours=3),
        what_happened="Een laptop is uit een auto gestolen.",
        data_categories="Namen, e-mailadressen, tickets", approximate_subjects=40,
        approximate_records=120, likely_consequences="Phishing.",
        measures_taken="Schijfversleuteling bevestigd; sessies beëindigd.",
        contact_point="Fleur Privacy, privacy@desk.example, 020 123 4567",
        organisation_ids=(organisation.id,)), now, people[MANAGER])
    gone = make_contact(organisation, name="Piet Vertrokken", email="piet@acme-logistiek.example")
    make_ticket(gone, subject="Mijn laatste vraag", now=now - timedelta(days=2))
    certificate = erase.erase_contact(gone.email, now, by=people[MANAGER])
    ended = make_organisation(slug="oud", name="Oud en Beëindigd B.V.",
                              status=OrganisationStatus.ENDED)  # offers its erasure
    return Desk(ids={"long": long.number, "resolved": resolved.number, "closed": closed.number,
                     "held": held.id, "canned": canned.id, "organisation": organisation.slug,
                     "contact": eva.id, "caught": caught, "breach": breach.id,
                     "certificate": certificate.id, "ended": ended.slug,
                     "invitation": invitation_link.rpartition("/invitation/")[2]},
                people=people)


def _caught_mail(to_address: str, now: datetime) -> int:
    """A mail as the catcher keeps it, with a wide table that must not widen the page."""
    mail = EmailMessage()
    mail["From"], mail["To"], mail["Subject"] = "support@desk.example", to_address, "Uw export"
    mail["Message-ID"] = "<caught-export@desk.example>"
    mail.set_content(f"De export staat klaar: {LONG_LINE}")
    mail.add_alternative(f'<table width="1200"><tr><td><a href="{LONG_LINE}">{LONG_LINE}</a>'
                         "</td></tr></table>", subtype="html")
    CatchingConnection(lambda: now).send_composed(mail, "support@desk.example", [to_address])
    db.session.commit()
    return db.session.scalars(sa.select(CaughtMail.id)).one()


def sign_in_as(app, page, base_url: str, role: str, desk: Desk) -> None:
    """Give the browser the session cookie the sign-in pages give (they have their own tests)."""
    if role == ANONYMOUS:
        return
    person = desk.people[role]
    now = datetime.now(UTC).timestamp()
    if role == SECOND_STEP:  # past the password, enrolling a second factor
        session = {"pending_staff": {"id": person.id, "token": person.session_token, "at": now,
                                     "next": None}}
    else:
        session = {"_user_id": person.get_id(), "_fresh": True, "seen_at": now}
    value = app.session_interface.get_signing_serializer(app).dumps(session)
    page.context.add_cookies([{"name": app.config["SESSION_COOKIE_NAME"], "value": value,
                               "url": base_url}])


# What reaches past the window's right edge outside any box that scrolls or clips: elements,
# and text that overflows its element (a line that may not wrap).
WIDER_THAN_THE_WINDOW = """() => {
  const clipped = node => {
    for (let a = node.parentElement; a && a !== document.body; a = a.parentElement) {
      if (getComputedStyle(a).overflowX !== "visible") return true;
    }
    return false;
  };
  const name = e => e.tagName.toLowerCase() + (e.id ? "#" + e.id : "")
                    + [...e.classList].map(c => "." + c).join("");
  const wide = [];
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_ALL);
  for (let node = walker.nextNode(); node && wide.length < 6; node = walker.nextNode()) {
    const text = node.nodeType === Node.TEXT_NODE;
    if (!text && node.nodeType !== Node.ELEMENT_NODE) continue;
    const element = text ? node.parentElement : node;
    const range = document.createRange();
    range.selectNodeContents(node);
    const box = (text ? range : element).getBoundingClientRect();
    if (box.right > window.innerWidth + 0.5 && !clipped(node))
      wide.push(text ? `text in ${name(element)}` : name(element));
  }
  return wide;
}"""


def problems_on(page, where: str) -> list[str]:
    """What is wrong with the page as shown, at each window size: sideways scrolling, and
    axe's findings (the page is resized rather than loaded twice: the same document)."""
    problems = []
    for size in (DESKTOP, PHONE):
        page.set_viewport_size(size)
        at = f"{where} at {size['width']} px"
        scroll_width = page.evaluate("document.documentElement.scrollWidth")
        if scroll_width != size["width"]:
            problems.append(f"{at}: {scroll_width} px wide, wider: "
                            f"{page.evaluate(WIDER_THAN_THE_WINDOW)}")
        problems += [f"{at}: {violation}" for violation in axe_violations(page)]
    return problems


@pytest.fixture(autouse=True)
def desk_closed():
    """Saturday 11:00 in Amsterdam, the clock running: the portal says the desk is closed, in
    the colour that once had too little contrast, on every run whatever the hour."""
    with time_machine.travel(SATURDAY_ELEVEN, tick=True):
        yield


@pytest.fixture
def viewport() -> dict:
    """Each check resizes the window itself; pages open at desktop size."""
    return DESKTOP


@pytest.mark.parametrize("role", ROLES)
def test_every_page_fits_the_window_and_passes_axe(role, app, live_server, page):
    desk = build_desk(datetime.now(UTC))
    sign_in_as(app, page, live_server, role, desk)
    problems = []
    for visit in (visit for visit in PAGES if visit.role == role):
        path = visit.path.format(**desk.ids)
        app.config["MAIL_CATCHER"] = visit.catcher
        response = page.goto(live_server + path)
        if response.status != visit.status:
            problems.append(f"{path}: status {response.status}, not {visit.status}")
            continue
        problems += problems_on(page, path)  # leaves the window at phone size
        if visit.phone_screenshot:
            page.screenshot(path=str(SCREENSHOTS / visit.phone_screenshot))
        if visit.swap:
            visit.swap.act(page)
            # Generous: both suites and their browsers share two cores under make test.
            expect(page.locator(visit.swap.settled.format(**desk.ids))).to_be_visible(
                timeout=15_000)
            problems += problems_on(page, f"{path} after {visit.swap.what}")
    assert not problems, "\n".join(problems)


def test_a_ticket_s_actions_are_in_reach_on_a_phone_without_scrolling_past_the_conversation(
        app, live_server, page):
    desk = build_desk(datetime.now(UTC))
    sign_in_as(app, page, live_server, AGENT, desk)
    page.goto(f"{live_server}/desk/tickets/{desk.ids['long']}")
    jump = page.get_by_role("navigation", name="Acties voor dit ticket")
    # On a desktop the actions sit beside the conversation, in sight, and need no links.
    expect(page.locator("#status-select")).to_be_in_viewport()
    expect(jump).to_be_hidden()

    page.set_viewport_size(PHONE)
    assert page.locator("#conversation").bounding_box()["height"] > 3 * PHONE["height"]
    expect(jump).to_be_in_viewport()
    page.locator("#conversation article").nth(15).scroll_into_view_if_needed()
    expect(jump).to_be_in_viewport()  # it stays at the top while the conversation scrolls by
    jump.get_by_role("link", name="Antwoord").click()
    expect(page.locator("#reply-body")).to_be_in_viewport()
    jump.get_by_role("link", name="Status en toewijzing").click()
    expect(page.locator("#status-select")).to_be_in_viewport()

    page.context.clear_cookies()
    sign_in_as(app, page, live_server, SUPER_USER, desk)
    page.goto(f"{live_server}/portal/tickets/{desk.ids['long']}")
    jump = page.get_by_role("navigation", name="Acties voor dit ticket")
    expect(jump).to_be_in_viewport()
    expect(page.locator("#message-form")).not_to_be_in_viewport()
    jump.get_by_role("link", name="Een bericht toevoegen").click()
    expect(page.locator("#message-form textarea")).to_be_in_viewport()
