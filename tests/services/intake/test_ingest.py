"""Mail in through a real Dovecot: who may open tickets, threading, holding and the receipts."""
import hashlib
from datetime import timedelta
from email import policy
from email.message import EmailMessage

import pytest
import sqlalchemy as sa

from helpdesk.adapters.storage import blob_store
from helpdesk.extensions import db
from helpdesk.models import (
    Category,
    Channel,
    HeldMessage,
    HeldReason,
    MailboxState,
    MailReceipt,
    Message,
    MessageKind,
    OrganisationStatus,
    OutboxMessage,
    ResponseRecord,
    Ticket,
    TicketStatus,
)
from helpdesk.services.intake import ingest, parse_ahead
from helpdesk.services.intake.ingest import ingest_once
from helpdesk.services.intake.raw_mail import raw_bytes
from helpdesk.services.notifications import customer_mail
from helpdesk.services.tickets import lifecycle
from tests.fixtures.factories import make_contact, make_organisation, make_staff, make_ticket
from tests.fixtures.mail import NOW, RECEIVED_AT, make_mail

EARLIER = RECEIVED_AT - timedelta(days=3)


def all_of(model):
    return db.session.scalars(sa.select(model).order_by(model.id)).all()


def held_reasons() -> list[HeldReason]:
    return [h.reason for h in all_of(HeldMessage)]


def outbox_kinds() -> list[str]:
    return [m.kind for m in all_of(OutboxMessage)]


def test_mail_from_a_super_user_opens_a_ticket_and_queues_an_acknowledgement(app, mailbox):
    ann = make_contact(email="ann@customer.example", language="en")
    raw = make_mail("Ann <Ann@Customer.EXAMPLE>", "[bug] Export fails",
                    "Steps: open the report.", html="<p>Steps: <b>open</b></p>",
                    attachments=(("trace.log", "text/plain", b"Traceback ..."),))
    uid = mailbox.append(raw, RECEIVED_AT)

    report = ingest_once(NOW)

    ticket = db.session.scalars(sa.select(Ticket)).one()
    assert (ticket.raised_by, ticket.channel, ticket.category, ticket.subject) == (
        ann, Channel.EMAIL, Category.BUG, "Export fails")
    message = ticket.messages[0]
    assert message.created_at == RECEIVED_AT  # the server's INTERNALDATE
    [receipt] = all_of(MailReceipt)
    assert (receipt.received_at, receipt.stored_at) == (RECEIVED_AT, NOW)  # the latency's ends
    assert "<b>open</b>" in message.body_html
    assert raw_bytes(message.raw_mail) == raw
    [attachment] = message.attachments
    assert attachment.sha256 == hashlib.sha256(b"Traceback ...").hexdigest()
    assert blob_store().read(attachment.storage_path) == b"Traceback ..."
    [ack] = all_of(OutboxMessage)
    assert (ack.kind, ack.to_address, ack.language) == ("acknowledgement", ann.email, "en")
    [receipt] = all_of(MailReceipt)
    assert (receipt.message_id, receipt.uid) == (message.id, uid)
    assert mailbox.flagged_uids() == [uid]
    assert db.session.scalars(sa.select(MailboxState.last_uid)).one() == uid
    assert report.counts == {"new ticket": 1}


def test_processed_mail_moves_to_the_processed_folder_when_one_is_configured(app, mailbox):
    make_contact(email="ann@customer.example")
    app.config["IMAP_PROCESSED_FOLDER"] = mailbox.processed_folder
    mailbox.append(make_mail("ann@customer.example"), RECEIVED_AT)
    ingest_once(NOW)
    assert mailbox.uids() == []
    assert len(mailbox.uids(mailbox.processed_folder)) == 1
    assert len(all_of(Ticket)) == 1


def test_calamity_address_and_plus_tag_set_the_category_and_escalate(app, mailbox):
    make_contact(email="ann@customer.example")
    agent = make_staff()
    app.config["CALAMITY_ADDRESSES"] = ("noodgeval@desk.example",)
    mailbox.append(make_mail("ann@customer.example", "Alles plat", to="noodgeval@desk.example"),
                   RECEIVED_AT)
    mailbox.append(make_mail("ann@customer.example", "Traag", to="support+storing@desk.example"),
                   RECEIVED_AT)
    mailbox.append(make_mail("ann@customer.example", "Wens: donker thema"), RECEIVED_AT)
    ingest_once(NOW)
    calamity, outage, wish = all_of(Ticket)
    assert (calamity.category, outage.category, wish.category) == (
        Category.CALAMITY, Category.OUTAGE, Category.WISH)
    assert wish.subject == "donker thema"
    assert calamity.next_escalation_at < outage.next_escalation_at
    # All hands at once, as a calamity from the portal: the agent is mailed in the same commit.
    alerts = db.session.scalars(sa.select(OutboxMessage).where(
        OutboxMessage.to_address == agent.email)).all()
    assert [(m.ticket_id, m.kind) for m in alerts] == [(calamity.id, "calamity")]


def test_reply_with_the_subject_tag_joins_its_ticket_and_reopens_it_when_resolved(app, mailbox):
    ann = make_contact(email="ann@customer.example")
    ticket = make_ticket(raised_by=ann, now=EARLIER)
    lifecycle.set_status(ticket, TicketStatus.RESOLVED, make_staff(), EARLIER)
    db.session.commit()
    mailbox.append(make_mail("ann@customer.example", f"Re: [#{ticket.number}] Export fails",
                             "Still broken."), RECEIVED_AT)

    report = ingest_once(NOW)

    assert all_of(Ticket) == [ticket]
    assert [m.body_text for m in ticket.messages][-1].startswith("Still broken.")
    assert ticket.status == TicketStatus.OPEN
    assert outbox_kinds() == []  # no acknowledgement for a reply
    assert report.counts == {"reply": 1}


def test_reply_by_headers_joins_by_any_stored_message_id_inbound_or_ours(app, mailbox):
    ann = make_contact(email="ann@customer.example")
    by_inbound = make_ticket(raised_by=ann, now=EARLIER, message_id="first@customer.example")
    by_reply = make_ticket(raised_by=ann, now=EARLIER)
    answer = lifecycle.reply(by_reply, make_staff(), "Try again?", EARLIER)
    customer_mail.queue_reply(by_reply, answer, EARLIER)
    by_ack = make_ticket(raised_by=ann, now=EARLIER)
    ack = customer_mail.queue_acknowledgement(by_ack, EARLIER)
    db.session.commit()
    mailbox.append(make_mail("ann@customer.example", "Re: no tag here",
                             in_reply_to="first@customer.example"), RECEIVED_AT)
    mailbox.append(make_mail("ann@customer.example", "Re: no tag either",
                             references=f"<x@elsewhere.example> <{answer.message_id}>"),
                   RECEIVED_AT)
    mailbox.append(make_mail("ann@customer.example", "Thanks",
                             in_reply_to=ack.smtp_message_id), RECEIVED_AT)

    ingest_once(NOW)

    assert len(all_of(Ticket)) == 3
    assert [len(t.messages) for t in (by_inbound, by_reply, by_ack)] == [2, 3, 2]


def test_reply_to_a_closed_ticket_opens_a_follow_up_that_links_it(app, mailbox):
    ann = make_contact(email="ann@customer.example")
    old = make_ticket(raised_by=ann, now=EARLIER)
    lifecycle.set_status(old, TicketStatus.CLOSED, make_staff(), EARLIER)
    db.session.commit()
    mailbox.append(make_mail("ann@customer.example", f"Re: [#{old.number}] Export fails"),
                   RECEIVED_AT)
    ingest_once(NOW)
    follow_up = db.session.scalar(sa.select(Ticket).where(Ticket.id != old.id))
    assert follow_up.follows_up_id == old.id
    assert follow_up.subject == "Export fails"
    assert len(old.messages) == 1 and old.status == TicketStatus.CLOSED
    assert outbox_kinds() == ["acknowledgement"]


def test_reply_from_a_super_user_of_another_organisation_is_held(app, mailbox):
    ticket = make_ticket(raised_by=make_contact(), now=EARLIER, message_id="q@customer.example")
    make_contact(email="bob@other.example")  # a super-user, but of another organisation
    mailbox.append(make_mail("bob@other.example", f"Re: [#{ticket.number}] Export fails"),
                   RECEIVED_AT)
    mailbox.append(make_mail("bob@other.example", "Re: hi", in_reply_to="q@customer.example"),
                   RECEIVED_AT)
    ingest_once(NOW)
    assert held_reasons() == [HeldReason.OTHER_ORGANISATION] * 2
    assert len(ticket.messages) == 1
    assert outbox_kinds() == []


def test_unknown_sender_is_held_and_not_answered(app, mailbox):
    make_contact(email="ann@customer.example")
    uid = mailbox.append(make_mail("stranger@elsewhere.example",
                                   headers={"Reply-To": "ann@customer.example"}), RECEIVED_AT)
    ingest_once(NOW)
    [held] = all_of(HeldMessage)
    assert (held.reason, held.sender, held.subject) == (
        HeldReason.UNKNOWN_SENDER, "stranger@elsewhere.example", "Export fails")
    assert raw_bytes(held.raw_mail).startswith(b"Reply-To")
    assert all_of(Ticket) == [] and outbox_kinds() == []
    assert mailbox.flagged_uids() == [uid]


def test_contact_who_is_not_a_super_user_is_held_and_answered_once(app, mailbox):
    organisation = make_organisation(name="Acme")
    make_contact(organisation, email="ann@customer.example", name="Ann Admin")
    cees = make_contact(organisation, email="cees@customer.example", is_super_user=False,
                        language="en")
    mailbox.append(make_mail("cees@customer.example", "Printer"), RECEIVED_AT)
    mailbox.append(make_mail("cees@customer.example", "Printer again"), RECEIVED_AT)
    ingest_once(NOW)
    assert held_reasons() == [HeldReason.NOT_SUPER_USER] * 2
    [notice] = all_of(OutboxMessage)
    assert (notice.kind, notice.to_address, notice.language) == (
        "not_super_user", cees.email, "en")
    assert "only the super-users of Acme" in notice.body_text
    assert "Ann Admin <ann@customer.example>" in notice.body_text
    assert notice.headers["Auto-Submitted"] == "auto-replied"
    assert all_of(Ticket) == []


@pytest.mark.parametrize(("status", "reason"), [
    (OrganisationStatus.SUSPENDED, HeldReason.ORGANISATION_SUSPENDED),
    (OrganisationStatus.ENDED, HeldReason.ORGANISATION_ENDED),
])
def test_mail_from_a_suspended_or_ended_organisation_is_held(app, mailbox, status, reason):
    make_contact(make_organisation(status=status), email="ann@customer.example")
    mailbox.append(make_mail("ann@customer.example"), RECEIVED_AT)
    ingest_once(NOW)
    assert held_reasons() == [reason]
    assert all_of(Ticket) == [] and outbox_kinds() == []


@pytest.mark.parametrize("header", [
    ("Auto-Submitted", "auto-replied"), ("Precedence", "bulk"), ("X-Autoreply", "yes"),
    ("List-Id", "<news.customer.example>"), ("X-Auto-Response-Suppress", "All"),
    ("Return-Path", "<>"),
])
def test_automatic_mail_from_a_super_user_is_held_and_never_answered(app, mailbox, header):
    make_contact(email="ann@customer.example")
    mailbox.append(make_mail("ann@customer.example", "Out of office",
                             headers=dict([header])), RECEIVED_AT)
    ingest_once(NOW)
    assert held_reasons() == [HeldReason.AUTOMATIC_REPLY]
    assert all_of(Ticket) == [] and outbox_kinds() == []


def bounce() -> bytes:
    report = EmailMessage()
    report["From"] = "Mail Delivery System <MAILER-DAEMON@mx.customer.example>"
    report["To"] = "support@desk.example"
    report["Subject"] = "Undelivered Mail Returned to Sender"
    report.set_content("Your message could not be delivered.")
    status = EmailMessage()
    status.set_content("Reporting-MTA: dns; mx.customer.example\n", subtype="plain")
    report.add_attachment(status)
    report.replace_header("Content-Type", report.get("Content-Type").replace(
        "multipart/mixed", "multipart/report; report-type=delivery-status"))
    return report.as_bytes(policy=policy.SMTP)


def test_bounce_is_held_as_a_bounce(app, mailbox):
    make_contact(email="mailer-daemon@mx.customer.example")
    mailbox.append(bounce(), RECEIVED_AT)
    ingest_once(NOW)
    assert held_reasons() == [HeldReason.BOUNCE]
    assert outbox_kinds() == []


def test_ambiguous_from_is_held_and_reply_to_never_stands_in(app, mailbox):
    make_contact(email="ann@customer.example")
    mailbox.append(make_mail("ann@customer.example, eve@evil.example"), RECEIVED_AT)
    ingest_once(NOW)
    [held] = all_of(HeldMessage)
    assert (held.reason, held.detail) == (HeldReason.UNPARSABLE, "several mailboxes in From")


def test_outlook_msg_file_is_held_as_unparsable_with_its_raw_bytes(app, mailbox):
    # No line-break bytes: the server would normalise them to CRLF.
    raw = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(b for b in range(1, 256)
                                                     if b not in b"\r\n") * 4
    mailbox.append(raw, RECEIVED_AT)
    ingest_once(NOW)
    [held] = all_of(HeldMessage)
    assert (held.reason, held.detail) == (HeldReason.UNPARSABLE,
                                          "not an RFC 5322 message (Outlook .msg)")
    assert raw_bytes(held.raw_mail) == raw


def test_same_message_delivered_twice_is_ingested_once(app, mailbox):
    make_contact(email="ann@customer.example")
    raw = make_mail("ann@customer.example")
    first, second = mailbox.append(raw, RECEIVED_AT), mailbox.append(raw, RECEIVED_AT)
    report = ingest_once(NOW)
    assert len(all_of(Ticket)) == 1 and outbox_kinds() == ["acknowledgement"]
    assert len(all_of(MailReceipt)) == 1
    assert report.counts == {"new ticket": 1, "duplicate": 1}
    assert mailbox.flagged_uids() == [first, second]


def test_mail_without_message_id_is_deduplicated_by_its_raw_bytes(app, mailbox):
    make_contact(email="ann@customer.example")
    raw = make_mail("ann@customer.example", message_id="")
    mailbox.append(raw, RECEIVED_AT)
    mailbox.append(raw, RECEIVED_AT)
    ingest_once(NOW)
    [receipt] = all_of(MailReceipt)
    assert receipt.dedupe_key == f"sha256:{hashlib.sha256(raw).hexdigest()}"
    assert len(all_of(Ticket)) == 1


def test_message_over_the_size_limit_is_held_without_downloading_its_body(app, mailbox):
    make_contact(email="ann@customer.example")
    app.config["MAX_MESSAGE_BYTES"] = 20_000
    raw = make_mail("ann@customer.example", "Huge scan",
                    attachments=(("scan.pdf", "application/pdf", b"%PDF" * 10_000),))
    uid = mailbox.append(raw, RECEIVED_AT)
    log_before = len(mailbox.server.log())
    ingest_once(NOW)
    # Dovecot logs what each session read: the header, never a body. (The APPEND session's
    # own logout line may land after log_before too, so the ingester's line is picked out.)
    ingest_log = mailbox.server.wait_for_log("hdr_count=1", since=log_before)
    [ingest_session] = [line for line in ingest_log.splitlines() if "hdr_count=1" in line]
    assert "body_count=0 body_bytes=0" in ingest_session
    [held] = all_of(HeldMessage)
    assert (held.reason, held.sender, held.subject, held.raw_mail) == (
        HeldReason.TOO_LARGE, "ann@customer.example", "Huge scan", None)
    assert f"{len(raw)} bytes" in held.detail
    assert mailbox.flagged_uids() == [uid] and mailbox.uids() == [uid]  # left on the server


def test_oversized_attachment_becomes_a_note_and_stays_in_the_raw_message(app, mailbox):
    make_contact(email="ann@customer.example")
    app.config["MAX_ATTACHMENT_BYTES"] = 10_000
    raw = make_mail("ann@customer.example", attachments=(
        ("small.txt", "text/plain", b"small"), ("big.bin", "application/octet-stream",
                                                  b"\x01" * 20_000)))
    mailbox.append(raw, RECEIVED_AT)
    ingest_once(NOW)
    ticket = db.session.scalars(sa.select(Ticket)).one()
    inbound, note = ticket.messages
    assert [a.filename for a in inbound.attachments] == ["small.txt"]
    assert "big.bin" in inbound.parse_problem
    assert note.kind == MessageKind.NOTE and "big.bin" in note.body_text
    assert raw_bytes(inbound.raw_mail) == raw


def test_inline_image_is_stored_with_its_content_id(app, mailbox):
    make_contact(email="ann@customer.example")
    mail = EmailMessage()
    mail["From"], mail["To"], mail["Subject"] = "ann@customer.example", "s@desk.example", "Look"
    mail.set_content("See the picture.")
    mail.add_alternative('<p>See <img src="cid:shot1@customer"></p>', subtype="html")
    mail.get_payload()[1].add_related(b"\x89PNG fake", maintype="image", subtype="png",
                                      cid="<shot1@customer>")
    mailbox.append(mail.as_bytes(policy=policy.SMTP), RECEIVED_AT)
    ingest_once(NOW)
    [attachment] = db.session.scalars(sa.select(Message)).one().attachments
    assert (attachment.content_id, attachment.content_type) == ("shot1@customer", "image/png")


AUTH_CONFIG = {"SENDER_AUTH": "enforce", "AUTHSERV_ID": "mx.desk.example"}


def test_enforce_mode_holds_mail_whose_trusted_dmarc_result_is_not_pass(app, mailbox):
    make_contact(email="ann@customer.example")
    app.config.update(AUTH_CONFIG)
    mailbox.append(make_mail("ann@customer.example", "Passes", headers={
        "Authentication-Results": "mx.desk.example; spf=pass smtp.mailfrom=customer.example;"
                                  " dmarc=pass header.from=customer.example"}), RECEIVED_AT)
    mailbox.append(make_mail("ann@customer.example", "Fails", headers={
        "Authentication-Results": "mx.desk.example; dmarc=fail header.from=customer.example"}),
        RECEIVED_AT)
    ingest_once(NOW)
    [ticket] = all_of(Ticket)
    assert ticket.subject == "Passes"
    assert "dmarc=pass" in ticket.messages[0].sender_auth
    [held] = all_of(HeldMessage)
    assert (held.reason, held.subject) == (HeldReason.SENDER_AUTH_FAILED, "Fails")
    assert "dmarc=fail" in held.detail


def test_enforce_mode_holds_a_dmarc_pass_for_another_domain_than_the_from(app, mailbox):
    make_contact(email="ann@customer.example")
    app.config.update(AUTH_CONFIG)
    mailbox.append(make_mail("ann@customer.example", "Unaligned", headers={
        "Authentication-Results": "mx.desk.example; dmarc=pass header.from=attacker.example"}),
        RECEIVED_AT)
    mailbox.append(make_mail("ann@customer.example", "No header.from", headers={
        "Authentication-Results": "mx.desk.example; dmarc=pass"}), RECEIVED_AT)
    ingest_once(NOW)
    assert all_of(Ticket) == []
    held = sorted(all_of(HeldMessage), key=lambda h: h.subject)
    assert [(h.reason, h.subject) for h in held] == [
        (HeldReason.SENDER_AUTH_FAILED, "No header.from"),
        (HeldReason.SENDER_AUTH_FAILED, "Unaligned")]
    assert "pass for attacker.example, not customer.example" in held[1].detail


def test_log_mode_shows_agents_an_unaligned_dmarc_pass_as_a_fail(app, mailbox):
    make_contact(email="ann@customer.example")
    app.config.update(SENDER_AUTH="log", AUTHSERV_ID="mx.desk.example")
    mailbox.append(make_mail("ann@customer.example", headers={
        "Authentication-Results": "mx.desk.example; dmarc=pass header.from=attacker.example"}),
        RECEIVED_AT)
    ingest_once(NOW)
    [ticket] = all_of(Ticket)
    assert ticket.messages[0].sender_auth.startswith("dmarc=fail")


def test_forged_authentication_results_from_an_untrusted_server_are_ignored(app, mailbox):
    make_contact(email="ann@customer.example")
    app.config.update(AUTH_CONFIG)
    forged = make_mail("ann@customer.example", "Forged", headers={
        "Authentication-Results": "evil.example; dmarc=pass header.from=customer.example"})
    mailbox.append(forged, RECEIVED_AT)
    ingest_once(NOW)
    assert held_reasons() == [HeldReason.SENDER_AUTH_FAILED]
    assert "no Authentication-Results from mx.desk.example" in all_of(HeldMessage)[0].detail


def test_log_mode_keeps_the_sender_authentication_result_but_does_not_hold(app, mailbox):
    make_contact(email="ann@customer.example")
    app.config.update(SENDER_AUTH="log", AUTHSERV_ID="mx.desk.example")
    mailbox.append(make_mail("ann@customer.example", headers={
        "Authentication-Results": "mx.desk.example; dmarc=fail header.from=customer.example"}),
        RECEIVED_AT)
    ingest_once(NOW)
    [ticket] = all_of(Ticket)
    assert ticket.messages[0].sender_auth.startswith("dmarc=fail")


def test_replies_to_a_ticket_opened_earlier_in_the_same_pass_join_it_with_one_clock(app, mailbox):
    make_contact(email="ann@customer.example")
    mailbox.append(make_mail("ann@customer.example", "Export fails",
                             message_id="first@customer.example"), RECEIVED_AT)
    mailbox.append(make_mail("ann@customer.example", "Re: Export fails", "Also on Monday.",
                             in_reply_to="first@customer.example"), RECEIVED_AT)
    mailbox.append(make_mail("ann@customer.example", "Re: [#1000] Export fails", "And today."),
                   RECEIVED_AT)

    report = ingest_once(NOW)

    [ticket] = all_of(Ticket)
    assert ticket.number == 1000
    assert [m.body_text.split()[0] for m in ticket.messages] == ["It", "Also", "And"]
    assert len(all_of(ResponseRecord)) == 1  # the first message's clock still runs
    assert outbox_kinds() == ["acknowledgement"]
    assert report.counts == {"new ticket": 1, "reply": 2}


def test_ticket_numbers_stay_consecutive_when_a_pass_opens_fewer_tickets_than_mails(app, mailbox):
    make_contact(email="ann@customer.example")
    mailbox.append(make_mail("stranger@elsewhere.example"), RECEIVED_AT)
    mailbox.append(make_mail("ann@customer.example", "Export fails"), RECEIVED_AT)
    mailbox.append(make_mail("ann@customer.example", "Re: [#1000] Export fails"), RECEIVED_AT)
    ingest_once(NOW)
    mailbox.append(make_mail("ann@customer.example", "Printer"), RECEIVED_AT)
    ingest_once(NOW)
    assert [t.number for t in all_of(Ticket)] == [1000, 1001]


def test_replies_to_tickets_of_an_earlier_pass_keep_a_running_clock_and_restart_a_met_one(
        app, mailbox):
    make_contact(email="ann@customer.example")
    mailbox.append(make_mail("ann@customer.example", "Export fails"), EARLIER)
    mailbox.append(make_mail("ann@customer.example", "Printer"), EARLIER)
    ingest_once(EARLIER)
    owed, answered = all_of(Ticket)
    lifecycle.reply(answered, make_staff(), "Fixed, try again.", EARLIER + timedelta(hours=1),
                  status_after=TicketStatus.OPEN)
    db.session.commit()
    for subject in ("Re: [#1000] Export fails", "Re: [#1000] Export fails",
                    "Re: [#1001] Printer"):
        mailbox.append(make_mail("ann@customer.example", subject), RECEIVED_AT)

    assert ingest_once(NOW).counts == {"reply": 3}

    def clocks(ticket):
        return [(r.received_at, r.met_at is None) for r in db.session.scalars(
            sa.select(ResponseRecord).where(ResponseRecord.ticket_id == ticket.id)
            .order_by(ResponseRecord.id))]

    assert clocks(owed) == [(EARLIER, True)]
    assert clocks(answered) == [(EARLIER, False), (RECEIVED_AT, True)]


def test_a_long_pass_parsed_ahead_by_a_worker_process_stores_what_the_ingester_would(
        app, mailbox, monkeypatch):
    make_contact(email="ann@customer.example")
    monkeypatch.setattr(ingest, "FETCH_BATCH_MESSAGES", 2)
    parsed_by_the_worker = []
    real_result = parse_ahead.AheadParser.result
    monkeypatch.setattr(parse_ahead.AheadParser, "result", lambda parser, parsing: (
        parsed_by_the_worker.extend(real_result(parser, parsing)) or real_result(parser, parsing)))
    mails = [
        make_mail("ann@customer.example", "Export fails", html="<p>It <b>breaks</b></p>",
                  message_id="first@customer.example"),
        make_mail("stranger@elsewhere.example", "Hello"),
        make_mail("Ann <ANN@customer.example>", "Re: [#1000] Export fails", "Also today.",
                  attachments=(("trace.log", "text/plain", b"Traceback ..."),)),
        make_mail("ann@customer.example", "Printer", "It jams.",
                  headers={"Auto-Submitted": "auto-replied"}),
        make_mail("ann@customer.example", "Re: Export fails", "And now.",
                  in_reply_to="first@customer.example"),
    ]
    for raw in mails:
        mailbox.append(raw, RECEIVED_AT)

    report = ingest_once(NOW)

    assert len(parsed_by_the_worker) == 3  # every batch but the first
    assert report.counts == {"new ticket": 1, "reply": 2, "held": 2}
    [ticket] = all_of(Ticket)
    assert [m.body_text for m in ticket.messages] == ["It breaks.", "Also today.", "And now."]
    assert "<b>breaks</b>" in ticket.messages[0].body_html
    assert ticket.messages[1].attachments[0].sha256 == hashlib.sha256(b"Traceback ...").hexdigest()
    assert held_reasons() == [HeldReason.UNKNOWN_SENDER, HeldReason.AUTOMATIC_REPLY]
    assert [raw_bytes(m.raw_mail) for m in ticket.messages] == [mails[0], mails[2], mails[4]]
    assert mailbox.flagged_uids() == [1, 2, 3, 4, 5]


def test_a_mailed_subject_and_sender_name_are_stored_on_one_line(app, mailbox):
    make_contact(email="ann@customer.example")

    def raw(sender: str, subject: str) -> bytes:
        return (f"From: {sender}\r\nTo: support@desk.example\r\nSubject: {subject}\r\n"
                "Date: Mon, 30 Nov 2026 09:00:00 +0100\r\n"
                f"Message-ID: <{hashlib.sha256(subject.encode()).hexdigest()[:20]}@c.example>\r\n"
                "\r\nIt breaks.\r\n").encode()

    mailbox.append(raw("=?utf-8?q?Ann=0D=0ASmith?= <ann@customer.example>",
                       "=?utf-8?q?Export=0D=0ABcc=3A_x=00?="), RECEIVED_AT)
    mailbox.append(raw("=?utf-8?q?Str=0Anger?= <who@elsewhere.example>",
                       "=?utf-8?q?Held=0D=0Asubject?="), RECEIVED_AT)
    ingest_once(NOW)
    db.session.expire_all()
    [ticket] = all_of(Ticket)
    assert ticket.subject == "Export Bcc: x"
    assert "\n" not in ticket.messages[0].sender and "\r" not in ticket.messages[0].sender
    [held] = all_of(HeldMessage)
    assert held.subject == "Held subject"
