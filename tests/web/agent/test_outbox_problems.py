"""Mail that did not go out, on the ticket page: agents see why and can send it again."""
from datetime import UTC, datetime

import pytest
import sqlalchemy as sa

from helpdesk.extensions import db
from helpdesk.models import OutboxMessage, OutboxState, TicketEvent
from helpdesk.services.mail_out import outbox
from tests.conftest import post_form, sign_in
from tests.fixtures.factories import make_contact, make_ticket
from tests.web.agent.conftest import htmx


def _mail_that(ticket, state: OutboxState, error: str) -> OutboxMessage:
    """A mail about the ticket as the sender leaves it after it failed or was held back."""
    mail = outbox.queue_mail(to_address=ticket.raised_by.email, kind="acknowledgement",
                             subject=f"[#{ticket.number}] Export fails", body_text="Received.",
                             now=datetime.now(UTC), ticket=ticket)
    mail.state, mail.attempts, mail.last_error = state, 8, error
    db.session.commit()
    return mail


def _url(ticket, mail) -> str:
    return f"/desk/tickets/{ticket.number}/mail/{mail.id}/send-again"


@pytest.fixture
def ticket(app):
    return make_ticket(subject="Export fails")


def test_a_failed_mail_sent_again_is_pending_with_fresh_attempts_and_noted_in_the_history(
        agent_client, agent, ticket):
    mail = _mail_that(ticket, OutboxState.FAILED, "550 5.1.1 No such user")
    page = agent_client.get(f"/desk/tickets/{ticket.number}").get_data(as_text=True)
    assert _url(ticket, mail) in page and "Send again" in page

    response = post_form(agent_client, _url(ticket, mail))

    assert response.status_code == 303
    db.session.expire_all()
    assert (mail.state, mail.attempts, mail.last_error) == (OutboxState.PENDING, 0, None)
    [event] = db.session.scalars(
        sa.select(TicketEvent).where(TicketEvent.action == "mail_sent_again")).all()
    assert (event.actor_staff_id, event.ticket_id) == (agent.id, ticket.id)
    page = agent_client.get(f"/desk/tickets/{ticket.number}").get_data(as_text=True)
    assert 'id="outbox-problems"' not in page and "Mail sent again" in page


def test_sending_again_by_htmx_swaps_the_problem_list_and_the_history(agent_client, ticket):
    failed = _mail_that(ticket, OutboxState.FAILED, "550 5.1.1 No such user")
    held = _mail_that(ticket, OutboxState.HELD_BACK, "loop brake: 5 automatic mails")

    body = post_form(agent_client, _url(ticket, failed),
                     headers=htmx("outbox-problems")).get_data(as_text=True)

    assert body.lstrip().startswith('<section id="outbox-problems"')
    assert _url(ticket, held) in body and _url(ticket, failed) not in body
    history = body[body.index('id="history"'):]
    assert 'hx-swap-oob="true"' in history[:80] and "Mail sent again" in history


def test_a_mail_of_another_ticket_or_one_that_went_out_is_not_sent_again(agent_client, ticket):
    other = _mail_that(make_ticket(), OutboxState.FAILED, "550 5.1.1 No such user")
    sent = _mail_that(ticket, OutboxState.SENT, "")

    for mail, refusal in ((other, "This mail does not belong to this ticket."),
                          (sent, "Only mail that failed or was held back can be sent again.")):
        body = post_form(agent_client, _url(ticket, mail),
                         headers=htmx("outbox-problems")).get_data(as_text=True)
        assert 'role="alert"' in body and refusal in body
    db.session.expire_all()
    assert (other.state, sent.state) == (OutboxState.FAILED, OutboxState.SENT)


def test_only_signed_in_staff_with_a_csrf_token_can_send_mail_again(client, agent, ticket):
    mail = _mail_that(ticket, OutboxState.FAILED, "550 5.1.1 No such user")
    signed_out = post_form(client, _url(ticket, mail))
    assert signed_out.status_code == 302 and "/sign-in" in signed_out.headers["Location"]
    sign_in(client, make_contact())  # a customer's session is no staff session
    assert post_form(client, _url(ticket, mail)).status_code == 403
    sign_in(client, agent)
    assert client.post(_url(ticket, mail)).status_code == 400  # no CSRF token
    db.session.expire_all()
    assert mail.state == OutboxState.FAILED


def test_a_mail_released_meanwhile_by_a_colleague_is_not_released_twice(agent_client, ticket):
    mail = _mail_that(ticket, OutboxState.FAILED, "550 5.1.1 No such user")
    stale_page = agent_client.get(f"/desk/tickets/{ticket.number}")
    assert _url(ticket, mail) in stale_page.get_data(as_text=True)
    with db.engine.begin() as connection:  # released and sent while this page stood open
        connection.execute(sa.update(OutboxMessage).where(OutboxMessage.id == mail.id)
                           .values(state=OutboxState.SENT))

    body = post_form(agent_client, _url(ticket, mail),
                     headers=htmx("outbox-problems")).get_data(as_text=True)

    assert "Only mail that failed or was held back can be sent again." in body
    db.session.expire_all()
    assert mail.state == OutboxState.SENT
    assert db.session.scalars(sa.select(TicketEvent).where(
        TicketEvent.action == "mail_sent_again")).all() == []


def test_a_mail_to_an_address_no_longer_registered_is_not_sent_again(agent_client, ticket):
    mail = _mail_that(ticket, OutboxState.FAILED, "550 5.1.1 No such user")
    ticket.raised_by.email = "ann.new@customer.example"
    db.session.commit()

    body = post_form(agent_client, _url(ticket, mail),
                     headers=htmx("outbox-problems")).get_data(as_text=True)

    assert "no longer a registered contact" in body
    db.session.expire_all()
    assert mail.state == OutboxState.FAILED
