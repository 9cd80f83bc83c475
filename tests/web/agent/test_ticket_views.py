"""The ticket page and its actions: each works as a plain form post and as an htmx fragment."""
import io
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa

from helpdesk.extensions import db
from helpdesk.models import (
    Attachment,
    AuditEntry,
    CannedReply,
    Category,
    MessageKind,
    OutboxMessage,
    TicketStatus,
)
from helpdesk.services.tickets import desk, lifecycle, presence
from tests.conftest import post_form
from tests.fixtures.factories import make_contact, make_organisation, make_staff, make_ticket
from tests.web.agent.conftest import htmx

# The viewer, the ticket, its messages with attachments, events, responses, colleagues, canned
# replies, the calendar (its clock and the page's time zone), who else is on it, the calamity
# banner, mail that did not go out, the outbox's count (this desk has no outgoing mail); then the
# audit entry (with the chain's head: locked, then moved on) and the presence, committed together;
# and whether the desk has teams (visibility).
TICKET_PAGE_STATEMENTS = 18


@pytest.fixture
def ticket(app):
    return make_ticket(subject="Export fails", body_text="Steps: open, export.\n\n"
                       "On Mon, 30 Nov 2026, Eva wrote:\n> older text")


def _url(ticket, action=""):
    return f"/desk/tickets/{ticket.number}" + (f"/{action}" if action else "")


def test_ticket_page_shows_conversation_controls_history_and_sla(agent_client, ticket):
    page = agent_client.get(_url(ticket)).get_data(as_text=True)
    for element_id in ("ticket-summary", "conversation", "reply-form", "note-form", "history",
                       "ticket-controls", "merge-form", "presence"):
        assert f'id="{element_id}"' in page
    assert "Steps: open, export." in page
    assert '<details class="quoted"><summary>' in page  # the quote is folded
    assert "Response times" in page and "Ticket created" in page


def test_opening_the_ticket_is_audited(agent_client, agent, ticket):
    agent_client.get(_url(ticket))
    entry = db.session.scalar(sa.select(AuditEntry).filter_by(action="view_ticket"))
    assert (entry.staff_id, entry.subject_id) == (agent.id, ticket.id)


def _statements_to_open(client, ticket) -> int:
    statements = []
    url = _url(ticket)  # the test's own reload of an expired ticket is not the page's

    def count(conn, cursor, statement, parameters, context, executemany):
        statements.append(statement)

    sa.event.listen(db.engine, "before_cursor_execute", count)
    try:
        assert client.get(url).status_code == 200
    finally:
        sa.event.remove(db.engine, "before_cursor_execute", count)
    return len(statements)


def test_the_ticket_page_runs_a_fixed_number_of_queries_however_long_the_conversation(
        agent_client, agent, ticket):
    bare = make_ticket(subject="Just arrived")
    now = datetime.now(UTC)
    for minute in range(6):
        at = now - timedelta(minutes=50 - 2 * minute)
        lifecycle.reply(ticket, agent, f"Answer {minute}", at)
        message = lifecycle.add_inbound_message(ticket, ticket.raised_by, f"Thanks {minute}",
                                              received_at=at, now=at)
        lifecycle.add_note(ticket, make_staff(name=f"Colleague {minute}"), "Note", at)
        db.session.flush()
        db.session.add(Attachment(message_id=message.id, filename=f"log{minute}.txt",
                                  content_type="text/plain", size=3, sha256="0" * 64,
                                  storage_path=f"blobs/{minute}"))
        presence.touch(ticket, make_staff(name=f"Watcher {minute}"), now)
    db.session.commit()
    _statements_to_open(agent_client, bare)  # the trail's first entry ever writes its head row
    # Every page part reads its rows in one query: no query per message, event or colleague.
    assert _statements_to_open(agent_client, ticket) == _statements_to_open(agent_client, bare)
    assert _statements_to_open(agent_client, ticket) <= TICKET_PAGE_STATEMENTS


def test_reply_without_javascript_redirects_back_to_the_ticket(agent_client, ticket):
    response = post_form(agent_client, _url(ticket, "reply"),
                         {"body": "We are on it.", "status_after": "waiting"})
    assert response.status_code == 303 and response.headers["Location"].endswith(_url(ticket))
    assert db.session.scalar(sa.select(OutboxMessage.kind)) == "reply"
    page = agent_client.get(_url(ticket)).get_data(as_text=True)
    assert "Your reply is on its way." in page and "We are on it." in page


def test_reply_with_htmx_returns_a_fresh_form_and_updates_the_rest_out_of_band(agent_client,
                                                                               ticket):
    response = post_form(agent_client, _url(ticket, "reply"),
                         {"body": "We are on it.", "status_after": "waiting"},
                         headers=htmx("reply-form"))
    body = response.get_data(as_text=True)
    assert response.status_code == 200 and body.startswith('<form id="reply-form"')
    assert "We are on it." not in body[:body.index("</form>")]  # the draft is gone
    for element_id in ("ticket-summary", "conversation", "history", "ticket-controls"):
        assert f'id="{element_id}" ' in body and 'hx-swap-oob="true"' in body
    assert "Waiting on customer" in body and "Your reply is on its way." not in body


def test_reply_with_an_attachment_stores_it(agent_client, ticket):
    post_form(agent_client, _url(ticket, "reply"),
              {"body": "See attached", "status_after": "waiting",
               "attachments": (io.BytesIO(b"%PDF-1.7"), "manual.pdf", "application/pdf")},
              content_type="multipart/form-data", headers=htmx("reply-form"))
    attachment = db.session.scalar(sa.select(Attachment))
    assert attachment.filename == "manual.pdf" and attachment.size == 8


def test_a_file_of_a_refused_type_re_renders_the_form_and_sends_nothing(agent_client, ticket):
    response = post_form(agent_client, _url(ticket, "reply"),
                         {"body": "See attached", "status_after": "waiting",
                          "attachments": (io.BytesIO(b"MZ\x90\x00"), "tool.exe",
                                          "application/octet-stream")},
                         content_type="multipart/form-data", headers=htmx("reply-form"))
    body = response.get_data(as_text=True)
    assert response.status_code == 200 and "tool.exe" in body and 'role="alert"' in body
    assert "See attached" in body  # the draft is kept
    assert db.session.scalar(sa.select(OutboxMessage.id)) is None


def test_empty_reply_re_renders_the_form_with_the_error_and_status_200(agent_client, ticket):
    fragment = post_form(agent_client, _url(ticket, "reply"),
                         {"body": " ", "status_after": "waiting"}, headers=htmx("reply-form"))
    assert fragment.status_code == 200
    assert 'role="alert"' in fragment.get_data(as_text=True)
    page = post_form(agent_client, _url(ticket, "reply"), {"body": " ", "status_after": "open"})
    assert page.status_code == 200 and "<html" in page.get_data(as_text=True)
    assert db.session.scalar(sa.select(OutboxMessage.id)) is None


def test_inserting_a_canned_reply_keeps_the_draft_and_sends_nothing(agent_client, ticket):
    canned = CannedReply(title="Thanks", body="Thank you for your patience.", language="en")
    db.session.add(canned)
    db.session.commit()
    response = post_form(agent_client, _url(ticket, "reply"),
                         {"body": "Hello Eva,", "canned": str(canned.id), "insert": "1",
                          "status_after": "waiting"}, headers=htmx("reply-form"))
    body = response.get_data(as_text=True)
    assert "Hello Eva,\n\nThank you for your patience." in body
    assert db.session.scalar(sa.select(OutboxMessage.id)) is None


@pytest.mark.parametrize("with_htmx", [False, True])
def test_note_is_added_as_page_and_as_fragment(agent_client, ticket, with_htmx):
    response = post_form(agent_client, _url(ticket, "note"), {"body": "Called Eva."},
                         headers=htmx("note-form") if with_htmx else {})
    assert response.status_code == (200 if with_htmx else 303)
    if with_htmx:
        assert response.get_data(as_text=True).startswith('<form id="note-form"')
    db.session.expire_all()
    assert [m.kind for m in ticket.messages] == [MessageKind.INBOUND, MessageKind.NOTE]


@pytest.mark.parametrize("with_htmx", [False, True])
def test_assign_to_me_as_page_and_as_fragment(agent_client, agent, ticket, with_htmx):
    response = post_form(agent_client, _url(ticket, "assign"), {"to_me": "1"},
                         headers=htmx("ticket-controls") if with_htmx else {})
    assert response.status_code == (200 if with_htmx else 303)
    if with_htmx:
        assert response.get_data(as_text=True).startswith('<section id="ticket-controls"')
    db.session.expire_all()
    assert ticket.assignee_id == agent.id


def test_assign_to_someone_else(agent_client, ticket):
    colleague = make_staff(name="Cor Collega")
    post_form(agent_client, _url(ticket, "assign"), {"assignee": str(colleague.id)})
    db.session.expire_all()
    assert ticket.assignee_id == colleague.id


@pytest.mark.parametrize("with_htmx", [False, True])
def test_resolving_as_page_and_as_fragment_notifies_the_customer(agent_client, ticket,
                                                                 with_htmx):
    response = post_form(agent_client, _url(ticket, "status"), {"status": "resolved"},
                         headers=htmx("ticket-controls") if with_htmx else {})
    assert response.status_code == (200 if with_htmx else 303)
    db.session.expire_all()
    assert ticket.status == TicketStatus.RESOLVED
    assert db.session.scalar(sa.select(OutboxMessage.kind)) == "resolved"


@pytest.mark.parametrize("with_htmx", [False, True])
def test_category_change_as_page_and_as_fragment(agent_client, ticket, with_htmx):
    response = post_form(agent_client, _url(ticket, "category"), {"category": "question"},
                         headers=htmx("ticket-controls") if with_htmx else {})
    assert response.status_code == (200 if with_htmx else 303)
    db.session.expire_all()
    assert ticket.category == Category.QUESTION


@pytest.mark.parametrize("with_htmx", [False, True])
def test_mark_and_clear_calamity_as_page_and_as_fragment(agent_client, ticket, with_htmx):
    headers = htmx("ticket-controls") if with_htmx else {}
    response = post_form(agent_client, _url(ticket, "calamity"),
                         {"reason": "All orders gone"}, headers=headers)
    assert response.status_code == (200 if with_htmx else 303)
    db.session.expire_all()
    assert ticket.category == Category.CALAMITY
    assert "All orders gone" in agent_client.get(_url(ticket)).get_data(as_text=True)
    post_form(agent_client, _url(ticket, "calamity"),
              {"reason": "One user only", "category": "bug"}, headers=headers)
    db.session.expire_all()
    assert ticket.category == Category.BUG


def test_calamity_without_a_reason_is_refused_with_status_200(agent_client, ticket):
    response = post_form(agent_client, _url(ticket, "calamity"), {"reason": ""},
                         headers=htmx("ticket-controls"))
    assert response.status_code == 200 and 'role="alert"' in response.get_data(as_text=True)
    db.session.expire_all()
    assert ticket.category == Category.BUG


@pytest.mark.parametrize("with_htmx", [False, True])
def test_merge_as_page_and_as_fragment(agent_client, with_htmx):
    organisation = make_organisation()
    target = make_ticket(raised_by=make_contact(organisation), subject="Original")
    source = make_ticket(raised_by=make_contact(organisation), subject="Duplicate")
    response = post_form(agent_client, _url(source, "merge"), {"target": f"#{target.number}"},
                         headers=htmx("merge-form") if with_htmx else {})
    assert response.status_code == (200 if with_htmx else 303)
    db.session.expire_all()
    assert source.merged_into_id == target.id and source.status == TicketStatus.CLOSED
    assert f"#{target.number}" in agent_client.get(_url(source)).get_data(as_text=True)


def test_merge_accepts_the_reference_as_a_mail_subject_tags_it(agent_client):
    organisation = make_organisation()
    target = make_ticket(raised_by=make_contact(organisation), subject="Original")
    source = make_ticket(raised_by=make_contact(organisation), subject="Duplicate")
    post_form(agent_client, _url(source, "merge"), {"target": f"[#{target.number}]"},
              headers=htmx("merge-form"))
    db.session.expire_all()
    assert source.merged_into_id == target.id


def test_merge_across_organisations_is_refused_in_the_form(agent_client):
    source, target = make_ticket(), make_ticket()
    response = post_form(agent_client, _url(source, "merge"), {"target": str(target.number)},
                         headers=htmx("merge-form"))
    body = response.get_data(as_text=True)
    assert response.status_code == 200 and body.startswith('<form id="merge-form"')
    assert "same organisation" in body


def test_actions_refuse_a_missing_csrf_token(agent_client, ticket):
    for action, data in (("reply", {"body": "x", "status_after": "waiting"}),
                         ("note", {"body": "x"}), ("assign", {"to_me": "1"}),
                         ("status", {"status": "closed"}), ("category", {"category": "wish"}),
                         ("calamity", {"reason": "x"}), ("merge", {"target": "1"}),
                         ("presence", {})):
        response = agent_client.post(_url(ticket, action), data=data,
                                     headers=htmx("reply-form"))
        assert response.status_code == 400, action
    db.session.expire_all()
    assert ticket.status == TicketStatus.NEW and len(ticket.messages) == 1


def test_presence_shows_who_else_is_on_the_ticket_and_who_is_replying(agent_client, ticket):
    colleague = make_staff(name="Bram Bezig")
    presence.touch(ticket, colleague, datetime.now(UTC), replying=True)
    db.session.commit()
    page = agent_client.get(_url(ticket)).get_data(as_text=True)
    assert "Bram Bezig is writing a reply" in page
    fragment = post_form(agent_client, _url(ticket, "presence"), {"body": "draft"},
                         headers=htmx("presence", **{"X-Helpdesk-Background": "1"}))
    assert fragment.get_data(as_text=True).startswith('<div id="presence"')
    assert "Bram Bezig is writing a reply" in fragment.get_data(as_text=True)


def test_presence_check_in_records_the_draft_for_colleagues(agent_client, agent, ticket):
    post_form(agent_client, _url(ticket, "presence"), {"body": "half a reply"},
              headers=htmx("presence"))
    watcher = make_staff()
    [row] = presence.others_on(ticket, watcher, datetime.now(UTC), timedelta(minutes=1))
    assert row.staff_id == agent.id and row.replying_at is not None


def test_remote_images_are_allowed_only_on_the_page_that_asked_for_them(agent_client, ticket):
    message = ticket.messages[0]
    message.body_html = '<p>Logo</p><img data-remote-src="https://cdn.example/logo.png">'
    db.session.commit()
    plain = agent_client.get(_url(ticket))
    assert "https:" not in plain.headers["Content-Security-Policy"]
    assert "Load remote images" in plain.get_data(as_text=True)
    loaded = agent_client.get(f"{_url(ticket)}?images={message.id}")
    assert "img-src 'self' data: https: http:" in loaded.headers["Content-Security-Policy"]
    assert 'src="https://cdn.example/logo.png"' in loaded.get_data(as_text=True)


def test_mail_html_is_shown_inside_an_htmx_free_zone(agent_client, ticket):
    ticket.messages[0].body_html = "<p>Rich <b>text</b></p>"
    db.session.commit()
    page = agent_client.get(_url(ticket)).get_data(as_text=True)
    assert '<div class="body mail-html" hx-disable><p>Rich <b>text</b></p></div>' in page


def test_closed_ticket_offers_no_reply_form(agent_client, agent, ticket):
    desk.set_status(ticket, agent, TicketStatus.CLOSED, datetime.now(UTC))
    page = agent_client.get(_url(ticket)).get_data(as_text=True)
    assert "This ticket is closed; it takes no replies." in page
    assert 'name="status_after"' not in page


def test_presence_check_in_without_htmx_goes_back_to_the_ticket(agent_client, ticket):
    response = post_form(agent_client, _url(ticket, "presence"), {"body": ""})
    assert response.status_code == 303 and response.headers["Location"].endswith(_url(ticket))


def test_the_history_says_why_an_escalation_went_without_its_own_mail(agent_client):
    from helpdesk.services.escalation import sweep
    received = datetime(2026, 11, 30, 9, 0, tzinfo=UTC)
    ticket = make_ticket(now=received, received_at=received)
    sweep.sweep(received + timedelta(days=5))
    page = agent_client.get(_url(ticket)).get_data(as_text=True)
    assert "Due soon</strong>: no notice, the response was overdue by then" in page
    assert "Response overdue</strong>: found late, reported to the managers in one summary" \
        in page
