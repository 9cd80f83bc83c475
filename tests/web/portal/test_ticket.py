"""A ticket in the portal: the public conversation, replies, resolving, reopening, files."""
import hashlib
import io
from datetime import UTC, datetime, timedelta

import sqlalchemy as sa

from helpdesk.adapters.storage import blob_store
from helpdesk.extensions import db
from helpdesk.models import (
    Attachment,
    Category,
    Channel,
    MessageKind,
    ResponseRecord,
    TicketStatus,
)
from helpdesk.services.tickets import desk, lifecycle
from helpdesk.services.tickets.desk import CallOutcome
from helpdesk.services.tickets.uploads import Upload, attach
from tests.conftest import post_form, sign_in
from tests.fixtures.factories import make_contact, make_staff, make_ticket
from tests.fixtures.images import make_png

LIVE = {"HX-Request": "true", "HX-Target": "ticket-live", "X-Helpdesk-Background": "1"}
FORM = {"HX-Request": "true", "HX-Target": "message-form"}


def _answered(ticket, text="We are looking into it."):
    """The agent's public reply, with an internal note next to it."""
    agent = make_staff(name="Anna de Agent")
    now = datetime.now(UTC)
    note = lifecycle.add_note(ticket, agent, "Internal: customer is on the old plan.", now)
    attach(note, [Upload("internal.png", "image/png", make_png(rgb=(1, 2, 3)))])
    lifecycle.reply(ticket, agent, text, now)
    db.session.commit()
    return note


def test_conversation_shows_our_replies_and_never_internal_notes(portal, super_user):
    ticket = make_ticket(raised_by=super_user)
    _answered(ticket)
    page = portal.get(f"/portal/tickets/{ticket.number}").get_data(as_text=True)
    assert "We are looking into it." in page
    assert "Anna de Agent van de servicedesk" in page
    assert "Steps: open the report, press export." in page
    assert "Internal" not in page
    assert "internal.png" not in page
    assert "/attachments/" not in page


def test_polling_gets_only_the_conversation_and_sees_the_agents_reply(portal, super_user):
    ticket = make_ticket(raised_by=super_user)
    before = portal.get(f"/portal/tickets/{ticket.number}", headers=LIVE)
    html = before.get_data(as_text=True)
    assert html.lstrip().startswith('<section id="ticket-live"')
    assert "<html" not in html and "message-form" not in html
    assert 'hx-trigger="every 20s"' in html
    # Polling is not activity: it must not keep an idle session alive.
    assert """hx-headers='{"X-Helpdesk-Background": "1"}'""" in html
    assert "We are looking into it." not in html
    _answered(ticket)
    after = portal.get(f"/portal/tickets/{ticket.number}", headers=LIVE).get_data(as_text=True)
    assert "We are looking into it." in after
    assert "We wachten op uw antwoord." in after


def test_reply_with_a_file_adds_a_customer_message_and_starts_a_new_clock(portal, super_user):
    ticket = make_ticket(raised_by=super_user)
    _answered(ticket)
    assert ticket.status == TicketStatus.WAITING and ticket.response_due_at is None
    png = make_png()
    response = post_form(portal, f"/portal/tickets/{ticket.number}/reply", {
        "body": "Here is a screenshot.", "attachments": (io.BytesIO(png), "scherm één.png")},
        content_type="multipart/form-data")
    assert response.status_code == 303
    db.session.refresh(ticket)
    message = ticket.messages[-1]
    assert message.kind == MessageKind.INBOUND and message.body_text == "Here is a screenshot."
    assert message.author_contact_id == super_user.id
    assert ticket.status == TicketStatus.OPEN
    assert ticket.response_due_at is not None
    [attachment] = message.attachments
    assert attachment.filename == "scherm één.png"
    assert attachment.content_type == "image/png" and attachment.size == len(png)
    assert blob_store().read(attachment.storage_path) == png
    assert attachment.sha256 == hashlib.sha256(png).hexdigest()


def test_an_empty_reply_re_renders_the_form_in_place_and_as_a_page(portal, super_user):
    ticket = make_ticket(raised_by=super_user)
    url = f"/portal/tickets/{ticket.number}/reply"
    fragment = post_form(portal, url, {"body": "  "}, headers=FORM)
    assert fragment.status_code == 200
    assert fragment.get_data(as_text=True).lstrip().startswith('<form id="message-form"')
    assert "Schrijf een bericht, alstublieft." in fragment.get_data(as_text=True)
    page = post_form(portal, url, {"body": ""})
    assert page.status_code == 200
    assert page.get_data(as_text=True).startswith("<!doctype html>")
    assert "Schrijf een bericht, alstublieft." in page.get_data(as_text=True)
    assert len(ticket.messages) == 1


def test_mark_as_resolved_stops_the_clock(portal, super_user):
    ticket = make_ticket(raised_by=super_user)
    response = post_form(portal, f"/portal/tickets/{ticket.number}/resolve")
    assert response.status_code == 303
    db.session.refresh(ticket)
    assert ticket.status == TicketStatus.RESOLVED
    assert ticket.response_due_at is None
    assert ticket.events[-1].actor_contact_id == super_user.id
    page = portal.get(f"/portal/tickets/{ticket.number}").get_data(as_text=True)
    assert f"/portal/tickets/{ticket.number}/reopen" in page
    assert "Als opgelost markeren" not in page


def test_reopen_is_a_customer_message_that_starts_a_new_response_clock(portal, super_user):
    ticket = make_ticket(raised_by=super_user)
    _answered(ticket)
    post_form(portal, f"/portal/tickets/{ticket.number}/resolve")
    before = datetime.now(UTC)
    response = post_form(portal, f"/portal/tickets/{ticket.number}/reopen",
                         {"body": "It broke again this morning."})
    assert response.status_code == 303
    db.session.refresh(ticket)
    assert ticket.status == TicketStatus.OPEN
    assert ticket.messages[-1].body_text == "It broke again this morning."
    records = db.session.scalars(sa.select(ResponseRecord).filter_by(ticket_id=ticket.id)
                                 .order_by(ResponseRecord.id)).all()
    assert len(records) == 2
    assert records[0].met_at is not None
    assert records[1].received_at >= before and records[1].met_at is None
    assert not records[1].is_first
    assert ticket.response_due_at == records[1].due_at


def test_reopen_needs_a_message_and_a_resolved_ticket(portal, super_user):
    ticket = make_ticket(raised_by=super_user)
    open_ticket = post_form(portal, f"/portal/tickets/{ticket.number}/reopen",
                            {"body": "Again"}, headers=FORM)
    assert "Alleen een opgelost ticket kan heropend worden." in open_ticket.get_data(as_text=True)
    post_form(portal, f"/portal/tickets/{ticket.number}/resolve")
    empty = post_form(portal, f"/portal/tickets/{ticket.number}/reopen", {"body": ""},
                      headers=FORM)
    assert "Schrijf een bericht, alstublieft." in empty.get_data(as_text=True)
    db.session.refresh(ticket)
    assert ticket.status == TicketStatus.RESOLVED


def test_a_resolved_ticket_is_reopened_not_replied_to(portal, super_user):
    ticket = make_ticket(raised_by=super_user)
    post_form(portal, f"/portal/tickets/{ticket.number}/resolve")
    response = post_form(portal, f"/portal/tickets/{ticket.number}/reply", {"body": "Hi"},
                         headers=FORM)
    assert "Dit ticket is niet meer open." in response.get_data(as_text=True)
    assert len(ticket.messages) == 1


def test_a_closed_ticket_takes_no_messages(portal, super_user):
    ticket = make_ticket(raised_by=super_user)
    lifecycle.set_status(ticket, TicketStatus.CLOSED, None, datetime.now(UTC))
    db.session.commit()
    page = portal.get(f"/portal/tickets/{ticket.number}").get_data(as_text=True)
    assert "Dit ticket is gesloten." in page and 'id="message-form"' not in page
    for action in ("reply", "reopen"):
        post_form(portal, f"/portal/tickets/{ticket.number}/{action}", {"body": "Hello?"})
    post_form(portal, f"/portal/tickets/{ticket.number}/resolve")
    db.session.refresh(ticket)
    assert ticket.status == TicketStatus.CLOSED and len(ticket.messages) == 1


def test_colleagues_see_and_answer_the_same_tickets(client, super_user):
    colleague = make_contact(super_user.organisation, name="Tom Bakker")
    ticket = make_ticket(raised_by=super_user, subject="Shared problem")
    sign_in(client, colleague)
    listing = client.get("/portal/").get_data(as_text=True)
    assert "Shared problem" in listing and super_user.name in listing
    post_form(client, f"/portal/tickets/{ticket.number}/reply", {"body": "Same here."})
    db.session.refresh(ticket)
    assert ticket.messages[-1].sender == colleague.email


def test_the_list_shows_open_tickets_first_then_the_most_recent(portal, super_user):
    now = datetime.now(UTC)
    old_open = make_ticket(raised_by=super_user, subject="Old open", now=now - timedelta(days=9))
    resolved = make_ticket(raised_by=super_user, subject="Newest resolved", now=now)
    new_open = make_ticket(raised_by=super_user, subject="New open",
                           now=now - timedelta(days=1))
    lifecycle.set_status(resolved, TicketStatus.RESOLVED, super_user, now)
    db.session.commit()
    page = portal.get("/portal/").get_data(as_text=True)
    positions = [page.index(f"#{t.number}<") for t in (new_open, old_open, resolved)]
    assert positions == sorted(positions)


def test_posted_kind_status_assignee_and_organisation_are_ignored_on_a_reply(portal, super_user):
    ticket = make_ticket(raised_by=super_user)
    other = make_contact()
    agent = make_staff()
    post_form(portal, f"/portal/tickets/{ticket.number}/reply", {
        "body": "Thanks", "kind": "note", "status": "closed", "assignee_id": str(agent.id),
        "organisation_id": str(other.organisation_id), "ticket_id": "999",
        "author_contact_id": str(other.id), "category": "calamity", "channel": "phone"})
    db.session.refresh(ticket)
    message = ticket.messages[-1]
    assert message.kind == MessageKind.INBOUND
    assert message.author_contact_id == super_user.id
    assert ticket.status == TicketStatus.NEW
    assert ticket.assignee_id is None
    assert ticket.organisation_id == super_user.organisation_id
    assert ticket.category.value == "bug" and ticket.channel == Channel.PORTAL


def _file(ticket, name, content_type, content):
    attach(ticket.messages[0], [Upload(name, content_type, content)])
    db.session.commit()
    return db.session.scalar(sa.select(Attachment).filter_by(filename=name))


def test_an_image_is_shown_inline_and_other_files_download(portal, super_user):
    ticket = make_ticket(raised_by=super_user)
    png = make_png()
    image = _file(ticket, "shot.png", "image/png", png)
    pdf = _file(ticket, "report.pdf", "application/pdf", b"%PDF-1.4 report")
    # Mail can bring any claimed type; it is never served as something a browser runs.
    page = _file(ticket, "page.html", "text/html", b"<script>alert(1)</script>")

    shown = portal.get(f"/portal/tickets/{ticket.number}/attachments/{image.id}")
    assert shown.status_code == 200 and shown.data == png
    assert shown.mimetype == "image/png"
    assert shown.headers["Content-Disposition"].startswith("inline")
    assert "sandbox" in shown.headers["Content-Security-Policy"]
    assert shown.headers["X-Content-Type-Options"] == "nosniff"
    assert "no-store" in shown.headers["Cache-Control"]

    downloaded = portal.get(f"/portal/tickets/{ticket.number}/attachments/{pdf.id}")
    assert downloaded.mimetype == "application/pdf"
    assert downloaded.headers["Content-Disposition"] == "attachment; filename=report.pdf"

    opaque = portal.get(f"/portal/tickets/{ticket.number}/attachments/{page.id}")
    assert opaque.mimetype == "application/octet-stream"
    assert opaque.headers["Content-Disposition"].startswith("attachment")


def _logged_call(super_user, outcome, **fields):
    """A call the agent logged for the super-user, with an internal note."""
    call_at = datetime.now(UTC).replace(microsecond=0) - timedelta(minutes=40)
    return desk.log_call(
        make_staff(name="Anna de Agent"), super_user.id, category=Category.QUESTION,
        subject="Export to Excel", summary="Explained the export button on the report page.",
        internal_note="Internal: she sounded rushed.", call_at=call_at,
        call_ended_at=call_at + timedelta(minutes=10), outcome=outcome,
        now=datetime.now(UTC), **fields)


def test_a_logged_call_shows_as_a_phone_call_logged_by_the_agent_not_as_her_message(
        portal, super_user):
    ticket = _logged_call(super_user, CallOutcome.ANSWERED, status_after=TicketStatus.OPEN)
    page = portal.get(f"/portal/tickets/{ticket.number}").get_data(as_text=True)
    assert "Telefoongesprek met Eva Jansen, vastgelegd door Anna de Agent" in page
    assert "Explained the export button on the report page." in page
    assert 'class="message message-call"' in page and "message-inbound" not in page
    assert "sounded rushed" not in page and "Internal" not in page
    # Answered on the phone: no promise of a response still to come.
    assert "U krijgt onze reactie" not in page


def test_a_call_to_follow_up_promises_the_response_due_from_the_call(portal, super_user):
    ticket = _logged_call(super_user, CallOutcome.FOLLOW_UP)
    live = portal.get(f"/portal/tickets/{ticket.number}", headers=LIVE).get_data(as_text=True)
    assert "Telefoongesprek met Eva Jansen" in live and "sounded rushed" not in live
    assert ticket.response_due_at is not None and "U krijgt onze reactie" in live


def test_an_overdue_response_is_not_promised_for_a_moment_already_past(portal, super_user):
    now = datetime.now(UTC)
    fresh = make_ticket(raised_by=super_user, now=now)
    overdue = make_ticket(raised_by=super_user, now=now, received_at=now - timedelta(days=10))
    assert 'class="promise-due"' in portal.get(
        f"/portal/tickets/{fresh.number}").get_data(as_text=True)
    page = portal.get(f"/portal/tickets/{overdue.number}").get_data(as_text=True)
    assert 'class="promise-due"' not in page
    assert "U krijgt zo snel mogelijk onze reactie." in page
