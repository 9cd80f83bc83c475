"""Every mail the desk writes by itself says so on the wire (Auto-Submitted, RFC 3834)."""
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa

from helpdesk.domain.mail.compose import compose
from helpdesk.extensions import db
from helpdesk.models import Category, Channel, OutboxMessage, StaffRole
from helpdesk.services.escalation import sweep
from helpdesk.services.mail_out import sender
from helpdesk.services.notifications import customer_mail
from helpdesk.services.portal import link_mail
from helpdesk.services.tickets import lifecycle
from tests.conftest import post_form
from tests.fixtures.factories import make_contact, make_staff

# Monday 30 November 2026, 10:00 in Amsterdam.
RECEIVED = datetime(2026, 11, 30, 9, 0, tzinfo=UTC)


def _wire(row: OutboxMessage):
    return compose(sender._outgoing_mail(row, RECEIVED))


def _open(category=Category.BUG):
    ticket, _ = lifecycle.open_ticket(
        raised_by=make_contact(), subject="Export fails", category=category,
        channel=Channel.EMAIL, body_text="Steps: export", received_at=RECEIVED, now=RECEIVED)
    db.session.commit()
    return ticket


def _sweep_on_time(ticket):
    """Sweep at each of the ticket's escalation moments, as a worker that keeps running."""
    while ticket.next_escalation_at is not None:
        sweep.sweep(ticket.next_escalation_at)
        db.session.refresh(ticket)


def _every_automatic_kind(client):
    """Make the desk write one mail of every automatic kind."""
    make_staff(StaffRole.AGENT)
    make_staff(StaffRole.MANAGER)
    ticket = _open()
    customer_mail.queue_acknowledgement(ticket, RECEIVED)
    customer_mail.queue_resolved_notice(ticket, RECEIVED)
    customer_mail.queue_not_super_user_notice(make_contact(is_super_user=False), RECEIVED,
                                              subject="Hello", in_reply_to=None)
    db.session.commit()
    _sweep_on_time(ticket)  # due soon and breach
    _sweep_on_time(_open(Category.CALAMITY))  # the alert to all staff, then its reminder
    _open()
    sweep.sweep(RECEIVED + timedelta(days=20))  # a breach found late: the summary
    super_user = make_contact()
    post_form(client, "/portal/sign-in/link", {"email": super_user.email})
    post_form(client, "/portal/password-reset", {"email": super_user.email})
    link_mail.answer_link_requests(datetime.now(UTC))


AUTOMATIC_KINDS = {"acknowledgement", "resolved", "not_super_user", "due_soon", "breach",
                   "calamity", "calamity_renotify", "late_breaches", "sign_in_link",
                   "password_reset"}


def test_every_automatic_mail_carries_auto_submitted(client):
    _every_automatic_kind(client)
    rows = db.session.scalars(sa.select(OutboxMessage).order_by(OutboxMessage.id)).all()
    assert {row.kind for row in rows} == AUTOMATIC_KINDS
    for row in rows:
        wire = _wire(row)
        assert wire["Auto-Submitted"] in ("auto-generated", "auto-replied"), row.kind
        assert wire["X-Auto-Response-Suppress"] == "All", row.kind


@pytest.mark.parametrize("kind", ["sign_in_link", "password_reset"])
def test_links_by_mail_are_auto_generated(client, kind):
    _every_automatic_kind(client)
    [row] = db.session.scalars(sa.select(OutboxMessage).filter_by(kind=kind)).all()
    assert _wire(row)["Auto-Submitted"] == "auto-generated"


def test_an_agents_reply_is_not_marked_automatic(app):
    ticket = _open()
    agent = make_staff(StaffRole.AGENT)
    message = lifecycle.reply(ticket, agent, "Try again now.", RECEIVED)
    customer_mail.queue_reply(ticket, message, RECEIVED)
    db.session.commit()
    [reply] = db.session.scalars(sa.select(OutboxMessage).filter_by(kind="reply")).all()
    assert "Auto-Submitted" not in _wire(reply)
