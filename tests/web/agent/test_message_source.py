"""A customer's mail as it arrived, from the ticket page: for staff only, every read audited."""
from datetime import UTC, datetime

import sqlalchemy as sa

from helpdesk.extensions import db
from helpdesk.models import AuditEntry, Message, MessageKind, Ticket
from tests.conftest import sign_in
from tests.fixtures.factories import make_contact, make_ticket
from tests.fixtures.mail import accept_mail, make_mail

RAW = make_mail("ann@customer.example", "Export fails", "It <b>breaks</b>.",
                headers={"Authentication-Results": "mx.desk.example; dmarc=pass"})


def _mailed_ticket() -> tuple[Ticket, Message]:
    make_contact(email="ann@customer.example")
    now = datetime.now(UTC)
    accept_mail(RAW, received_at=now, now=now)
    ticket = db.session.scalars(sa.select(Ticket)).one()
    return ticket, ticket.messages[0]


def _url(ticket, message, suffix="source") -> str:
    return f"/desk/tickets/{ticket.number}/messages/{message.id}/{suffix}"


def test_an_agent_reads_and_downloads_the_mail_as_it_arrived_and_each_read_is_audited(
        agent_client, agent):
    ticket, message = _mailed_ticket()
    page = agent_client.get(f"/desk/tickets/{ticket.number}").get_data(as_text=True)
    assert _url(ticket, message) in page

    source = agent_client.get(_url(ticket, message)).get_data(as_text=True)
    download = agent_client.get(_url(ticket, message, "source.eml"))

    assert "Authentication-Results: mx.desk.example; dmarc=pass" in source
    assert "It &lt;b&gt;breaks&lt;/b&gt;." in source  # shown as text, never as markup
    assert download.data == RAW
    assert download.headers["Content-Disposition"].startswith("attachment;")
    assert "sandbox" in download.headers["Content-Security-Policy"]
    reads = db.session.scalars(sa.select(AuditEntry).filter_by(action="message_view_raw")).all()
    assert [(r.staff_id, r.subject_id) for r in reads] == [(agent.id, message.id)] * 2


def test_a_message_of_another_ticket_or_without_a_source_is_not_found(agent_client):
    ticket, message = _mailed_ticket()
    portal_ticket = make_ticket()
    typed = portal_ticket.messages[0]
    assert typed.kind == MessageKind.INBOUND and typed.raw_mail_id is None

    assert agent_client.get(_url(portal_ticket, message)).status_code == 404
    assert agent_client.get(_url(portal_ticket, typed)).status_code == 404
    page = agent_client.get(f"/desk/tickets/{portal_ticket.number}").get_data(as_text=True)
    assert "/source" not in page
    assert db.session.scalars(
        sa.select(AuditEntry).filter_by(action="message_view_raw")).all() == []


def test_customers_cannot_read_a_source(client):
    ticket, message = _mailed_ticket()
    sign_in(client, ticket.raised_by)
    for suffix in ("source", "source.eml"):
        response = client.get(_url(ticket, message, suffix))
        assert response.status_code in (302, 303, 401, 403)
        assert RAW not in response.data
