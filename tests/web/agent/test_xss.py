"""Whatever customers send, it reaches the agents' pages as text, never as markup."""
from html.parser import HTMLParser

import pytest
import sqlalchemy as sa

from helpdesk.adapters.storage import blob_store
from helpdesk.extensions import db
from helpdesk.models import Attachment, Category, HeldMessage, Message
from tests.fixtures.factories import make_contact, make_ticket
from tests.fixtures.held import make_held_message, raw_mail

PAYLOADS = [
    "<script>alert('xss')</script>",
    '"><img src=x onerror=alert(1)>',
    "<svg/onload=alert(1)>",
    '<a hx-get="/desk" hx-trigger="load">x</a>',
    "javascript:alert(1)",
]


class _MarkupCheck(HTMLParser):
    """Collects anything in a page that a browser (or htmx) would act on from mail."""

    def __init__(self):
        super().__init__()
        self.problems = []

    def handle_starttag(self, tag, attrs):
        if tag == "script" and not dict(attrs).get("src", "").startswith("/static/"):
            self.problems.append(f"inline script {attrs}")
        if tag == "svg":
            self.problems.append("svg")
        for name, value in attrs:
            if name.startswith("on"):
                self.problems.append(f"{tag} {name}")
            if name in ("href", "src") and (value or "").strip().lower().startswith("javascript"):
                self.problems.append(f"{tag} {name}={value}")
            if name == "hx-trigger" and value == "load":
                self.problems.append(f"{tag} hx-trigger=load")
            if tag == "img" and name == "src" and value == "x":
                self.problems.append("img from the payload")


def markup_from_mail(page: str) -> list[str]:
    checker = _MarkupCheck()
    checker.feed(page)
    return checker.problems


@pytest.fixture(params=PAYLOADS)
def payload(request):
    return request.param


@pytest.fixture
def hostile_ticket(app, payload):
    contact = make_contact(name=f"Eva {payload}", email="eva@customer.example")
    ticket = make_ticket(raised_by=contact, subject=f"Help {payload}",
                         body_text=f"Body {payload}", category=Category.CALAMITY)
    message = db.session.scalar(sa.select(Message).where(Message.ticket_id == ticket.id))
    message.sender = f"{payload} <eva@customer.example>"
    # Stored HTML is sanitised on the way in; this pretends that once went wrong.
    message.body_html = f"<p>Html {payload}</p>"
    path, digest = blob_store().put(b"data")
    db.session.add(Attachment(message_id=message.id, filename=f"{payload}.pdf",
                              content_type="text/html", size=4, sha256=digest,
                              storage_path=path))
    db.session.commit()
    return ticket


def test_ticket_page_shows_payloads_as_text(agent_client, hostile_ticket, payload):
    page = agent_client.get(f"/desk/tickets/{hostile_ticket.number}").get_data(as_text=True)
    assert markup_from_mail(page) == []
    assert "Help &lt;" in page or "Help &#34;" in page or "Help javascript" in page


def test_queue_and_its_fragment_show_payloads_as_text(agent_client, hostile_ticket):
    for url, headers in (("/desk/", {}),
                         ("/desk/?known_calamities=", {"HX-Request": "true",
                                                       "HX-Target": "queue-results"}),
                         ("/desk/?q=help", {})):
        page = agent_client.get(url, headers=headers).get_data(as_text=True)
        assert markup_from_mail(page) == [], url


def test_held_mail_pages_show_payloads_as_text(agent_client, payload):
    held = make_held_message(raw_mail(sender=f'"{payload}" <x@evil.example>',
                                      subject=f"Hi {payload}", text=f"Text {payload}",
                                      attachment=(f"{payload}.txt", b"x")),
                             subject=f"Hi {payload}", detail=payload)
    assert db.session.get(HeldMessage, held.id)
    for url in ("/desk/held", f"/desk/held/{held.id}", f"/desk/held/{held.id}/source"):
        assert markup_from_mail(agent_client.get(url).get_data(as_text=True)) == [], url


def test_search_results_for_a_payload_query_are_text(agent_client, payload):
    page = agent_client.get("/desk/", query_string={"q": payload}).get_data(as_text=True)
    assert markup_from_mail(page) == []
