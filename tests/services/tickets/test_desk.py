"""What agents do to tickets: each use case commits its change with its mail and history."""
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa

from helpdesk.adapters.storage import blob_store
from helpdesk.extensions import db
from helpdesk.models import (
    Attachment,
    AuditEntry,
    Category,
    Channel,
    Message,
    MessageKind,
    OutboxMessage,
    ResponseRecord,
    TicketEvent,
    TicketStatus,
)
from helpdesk.services import Refusal
from helpdesk.services.tickets import desk, queue
from helpdesk.services.tickets.uploads import Upload
from tests.fixtures.factories import make_contact, make_organisation, make_staff, make_ticket

NOW = datetime(2026, 11, 30, 9, 0, tzinfo=UTC)  # Monday 10:00 in Amsterdam


def _outbox(ticket):
    return db.session.scalars(sa.select(OutboxMessage).where(OutboxMessage.ticket_id == ticket.id)
                              .order_by(OutboxMessage.id)).all()


def _actions(ticket):
    return [e.action for e in db.session.scalars(
        sa.select(TicketEvent).where(TicketEvent.ticket_id == ticket.id)
        .order_by(TicketEvent.at, TicketEvent.id))]


def test_reply_goes_through_the_outbox_with_its_attachments_stored(app):
    ticket, agent = make_ticket(now=NOW), make_staff()
    message = desk.reply(ticket, agent, "Fixed in tonight's release.", NOW,
                         files=[Upload("log.txt", "text/plain", b"trace")])
    db.session.expire_all()
    [mail] = _outbox(ticket)
    assert (mail.kind, mail.message_id, mail.automatic) == ("reply", message.id, False)
    assert message.message_id == mail.smtp_message_id
    [attachment] = db.session.scalars(sa.select(Attachment)).all()
    assert attachment.message_id == message.id and attachment.filename == "log.txt"
    assert blob_store().read(attachment.storage_path) == b"trace"
    assert ticket.status == TicketStatus.WAITING and ticket.first_response_at == NOW


def test_reply_that_resolves_also_sends_the_resolved_notice(app):
    ticket = make_ticket(now=NOW)
    desk.reply(ticket, make_staff(), "Solved.", NOW, status_after=TicketStatus.RESOLVED)
    assert [m.kind for m in _outbox(ticket)] == ["reply", "resolved"]
    assert ticket.status == TicketStatus.RESOLVED


def test_empty_replies_change_nothing(app):
    ticket, agent = make_ticket(now=NOW), make_staff()
    with pytest.raises(Refusal):
        desk.reply(ticket, agent, "   ", NOW, files=[Upload("log.txt", "text/plain", b"x")])
    db.session.rollback()
    assert _outbox(ticket) == [] and ticket.status == TicketStatus.NEW
    assert db.session.scalar(sa.select(Attachment.id)) is None


def test_closed_tickets_take_no_replies(app):
    ticket, agent = make_ticket(now=NOW), make_staff()
    desk.set_status(ticket, agent, TicketStatus.CLOSED, NOW)
    with pytest.raises(Refusal, match="gesloten ticket"):
        desk.reply(ticket, agent, "Hello?", NOW)


def test_note_is_internal_and_no_response(app):
    ticket = make_ticket(now=NOW)
    message = desk.add_note(ticket, make_staff(), "Customer called, very upset.", NOW)
    assert message.kind == MessageKind.NOTE
    assert ticket.first_response_at is None and ticket.response_due_at is not None
    assert _outbox(ticket) == []


def test_assign_to_a_colleague_and_back_to_nobody(app):
    ticket, agent, colleague = make_ticket(now=NOW), make_staff(), make_staff(name="Cor")
    desk.assign(ticket, agent, colleague.id, NOW)
    assert ticket.assignee == colleague
    desk.assign(ticket, agent, None, NOW + timedelta(minutes=1))
    assert ticket.assignee is None
    events = db.session.scalars(sa.select(TicketEvent).filter_by(action="assigned")
                                .order_by(TicketEvent.at)).all()
    assert [(e.before, e.after) for e in events] == [(None, "Cor"), ("Cor", None)]
    with pytest.raises(Refusal):
        desk.assign(ticket, agent, make_staff(active=False).id, NOW)


def test_resolving_tells_the_customer_once(app):
    ticket, agent = make_ticket(now=NOW), make_staff()
    desk.set_status(ticket, agent, TicketStatus.RESOLVED, NOW)
    desk.set_status(ticket, agent, TicketStatus.RESOLVED, NOW)
    assert [m.kind for m in _outbox(ticket)] == ["resolved"]
    assert ticket.response_due_at is None
    with pytest.raises(Refusal):
        desk.set_status(ticket, agent, TicketStatus.NEW, NOW)


def test_category_change_recomputes_the_clock(app):
    # Received Friday 16:30: a bug is due Monday 16:30 ...
    friday = datetime(2026, 12, 4, 15, 30, tzinfo=UTC)
    ticket = make_ticket(now=friday, received_at=friday)
    assert ticket.response_due_at == datetime(2026, 12, 7, 15, 30, tzinfo=UTC)
    desk.set_category(ticket, make_staff(), Category.QUESTION, friday)
    assert ticket.response_due_at == datetime(2026, 12, 7, 15, 30, tzinfo=UTC)
    with pytest.raises(Refusal, match="calamiteit"):
        desk.set_category(ticket, make_staff(), Category.CALAMITY, friday)


def test_marking_a_calamity_runs_its_clock_at_all_hours_and_keeps_the_reason(app):
    friday = datetime(2026, 12, 4, 15, 30, tzinfo=UTC)
    ticket, agent = make_ticket(now=friday, received_at=friday), make_staff()
    with pytest.raises(Refusal):
        desk.mark_calamity(ticket, agent, "  ", friday)
    desk.mark_calamity(ticket, agent, "Production database gone", friday)
    assert ticket.category == Category.CALAMITY
    assert ticket.response_due_at == friday + timedelta(hours=1)
    desk.clear_calamity(ticket, agent, Category.OUTAGE, "Only one user affected", friday)
    assert ticket.category == Category.OUTAGE
    assert ticket.response_due_at == datetime(2026, 12, 7, 15, 30, tzinfo=UTC)
    reasons = [(e.action, e.after) for e in db.session.scalars(
        sa.select(TicketEvent).where(TicketEvent.action.in_(["calamity_marked",
                                                             "calamity_cleared"]))
        .order_by(TicketEvent.id))]
    assert reasons == [("calamity_marked", "Production database gone"),
                       ("calamity_cleared", "Only one user affected")]


def test_merge_moves_messages_closes_the_source_and_notes_it_on_both(app):
    organisation = make_organisation()
    eva = make_contact(organisation)
    target = make_ticket(raised_by=eva, now=NOW - timedelta(hours=2))
    agent = make_staff()
    desk.reply(target, agent, "Looking into it", NOW - timedelta(hours=1))
    source = make_ticket(raised_by=make_contact(organisation), now=NOW,
                         body_text="Same problem here")
    desk.merge(source, agent, target.number, NOW)
    db.session.expire_all()
    bodies = [m.body_text for m in db.session.scalars(
        sa.select(Message).where(Message.ticket_id == target.id).order_by(Message.created_at))]
    assert bodies[-1] == "Same problem here" and len(bodies) == 3
    assert source.merged_into_id == target.id and source.status == TicketStatus.CLOSED
    assert "merged_into" in _actions(source) and "merged_from" in _actions(target)
    # The unanswered message now waits on the target, with the due moment it had.
    assert target.status == TicketStatus.OPEN
    assert target.response_due_at == datetime(2026, 12, 1, 8, 0, tzinfo=UTC)


def test_merge_only_within_one_organisation_and_never_twice(app):
    agent = make_staff()
    first, second = make_ticket(now=NOW), make_ticket(now=NOW)
    with pytest.raises(Refusal, match="dezelfde organisatie"):
        desk.merge(first, agent, second.number, NOW)
    with pytest.raises(Refusal, match="met zichzelf"):
        desk.merge(first, agent, first.number, NOW)
    with pytest.raises(Refusal, match="geen ticket"):
        desk.merge(first, agent, 999999, NOW)


CALL_AT = datetime(2026, 11, 30, 8, 15, tzinfo=UTC)  # 09:15 local, before NOW
CALL_ENDED_AT = CALL_AT + timedelta(minutes=12)


def _log_call(agent, contact, outcome, **overrides):
    fields = {"category": Category.BUG, "subject": "Cannot log in",
              "summary": "Reset the password together.", "call_at": CALL_AT,
              "call_ended_at": CALL_ENDED_AT, "outcome": outcome, "now": NOW}
    return desk.log_call(agent, contact.id, **{**fields, **overrides})


def test_a_call_answered_on_the_phone_is_the_first_response_at_its_end_and_mails_nothing(app):
    contact, agent = make_contact(name="Sanne"), make_staff(name="Anna")
    ticket = _log_call(agent, contact, desk.CallOutcome.ANSWERED,
                       status_after=TicketStatus.RESOLVED)
    assert ticket.channel == Channel.PHONE and ticket.created_at == CALL_AT
    assert ticket.first_response_at == CALL_ENDED_AT
    assert ticket.status == TicketStatus.RESOLVED and ticket.response_due_at is None
    [record] = db.session.scalars(sa.select(ResponseRecord)).all()
    assert (record.is_first, record.met_at, record.breached) == (True, CALL_ENDED_AT, False)
    assert record.promise_seconds_to_response == 12 * 60
    [call] = ticket.messages
    assert call.kind == MessageKind.CALL and call.body_text == "Reset the password together."
    assert (call.author_contact, call.author_staff, call.call_ended_at) == (
        contact, agent, CALL_ENDED_AT)
    assert _outbox(ticket) == []
    assert "call_answered" in _actions(ticket)


def test_an_answered_call_can_keep_the_ticket_open_without_a_response_owed(app):
    ticket = _log_call(make_staff(), make_contact(), desk.CallOutcome.ANSWERED,
                       status_after=TicketStatus.OPEN)
    assert ticket.status == TicketStatus.OPEN and ticket.response_due_at is None
    assert ticket.first_response_at == CALL_ENDED_AT and _outbox(ticket) == []


def test_a_calamity_answered_on_the_phone_is_no_banner_and_reminds_no_manager(app):
    ticket = _log_call(make_staff(), make_contact(), desk.CallOutcome.ANSWERED,
                       category=Category.CALAMITY, status_after=TicketStatus.OPEN)
    assert ticket.first_response_at == CALL_ENDED_AT and ticket.next_escalation_at is None
    assert queue.open_calamities(NOW) == []
    # Staff are told of every calamity; the customer, who has the answer, gets no mail.
    assert {m.kind for m in _outbox(ticket)} == {"calamity"}


def test_a_call_to_follow_up_owes_a_response_due_from_the_call_and_is_confirmed_once(app):
    ticket = _log_call(make_staff(), make_contact(), desk.CallOutcome.FOLLOW_UP)
    assert ticket.status == TicketStatus.NEW and ticket.first_response_at is None
    assert ticket.response_due_at == CALL_AT + timedelta(hours=24)
    [confirmation] = _outbox(ticket)
    assert confirmation.kind == "call_confirmation"
    assert "Bedankt voor uw telefoontje" in confirmation.body_text
    assert "Reset the password together." in confirmation.body_text
    # Not the acknowledgement: a bug by phone is not asked for its steps again.
    assert "stappen" not in confirmation.body_text
    assert confirmation.headers["Auto-Submitted"] == "auto-generated"
    assert ticket.events[0].actor_staff_id is not None


def test_the_internal_note_of_a_call_is_a_note_not_part_of_the_summary(app):
    ticket = _log_call(make_staff(), make_contact(), desk.CallOutcome.FOLLOW_UP,
                       internal_note="Sounded annoyed; manager knows.")
    call, note = ticket.messages
    assert call.kind == MessageKind.CALL and "annoyed" not in call.body_text
    assert note.kind == MessageKind.NOTE and note.body_text == "Sounded annoyed; manager knows."
    assert "annoyed" not in _outbox(ticket)[0].body_text


def test_a_call_cannot_be_logged_later_than_now_or_for_a_non_super_user(app):
    agent = make_staff()
    with pytest.raises(Refusal, match="in de toekomst"):
        _log_call(agent, make_contact(), desk.CallOutcome.FOLLOW_UP,
                  call_at=NOW + timedelta(minutes=1), call_ended_at=None)
    with pytest.raises(Refusal, match="in de toekomst"):
        _log_call(agent, make_contact(), desk.CallOutcome.ANSWERED,
                  call_at=NOW - timedelta(minutes=1), call_ended_at=NOW + timedelta(minutes=5))
    with pytest.raises(Refusal, match="voordat het begint"):
        _log_call(agent, make_contact(), desk.CallOutcome.ANSWERED,
                  call_ended_at=CALL_AT - timedelta(minutes=1))
    with pytest.raises(Refusal, match="superuser"):
        _log_call(agent, make_contact(is_super_user=False), desk.CallOutcome.FOLLOW_UP)
    with pytest.raises(Refusal, match="superuser"):
        _log_call(agent, make_contact(active=False), desk.CallOutcome.FOLLOW_UP)
    assert db.session.scalar(sa.select(Message.id)) is None


def test_opening_a_ticket_is_audited_with_who_and_when(app):
    ticket, agent = make_ticket(now=NOW), make_staff()
    desk.open_ticket_view(ticket, agent, NOW)
    [entry] = db.session.scalars(sa.select(AuditEntry)).all()
    assert (entry.staff_id, entry.action, entry.subject_type, entry.subject_id, entry.at) == (
        agent.id, "view_ticket", "ticket", ticket.id, NOW)
