"""The receipt tells one mail delivered twice from a different mail that reuses its Message-ID."""
import hashlib
import re
from collections import Counter

import sqlalchemy as sa

from helpdesk.extensions import db
from helpdesk.models import HeldMessage, MailReceipt, Message, Ticket
from helpdesk.services.intake.ingest import ingest_once
from tests.fixtures.corpus import corpus_files
from tests.fixtures.factories import make_contact
from tests.fixtures.mail import NOW, RECEIVED_AT, make_mail
from tests.services.intake.test_ingest_corpus import register_senders


def delivered(raw: bytes, to: str, hop: str) -> bytes:
    """`raw` as one of the desk's addresses received it: trace headers added in transit."""
    trace = (f"Return-Path: <ann@customer.example>\r\n"
             f"Delivered-To: {to}\r\n"
             f"X-Original-To: {to}\r\n"
             f"Received: from {hop} (mx.customer.example [192.0.2.7])\r\n"
             f"\tby mx.desk.example with ESMTPS id {hop}; Mon, 23 Nov 2026 09:00:00 +0000\r\n"
             f"Authentication-Results: mx.desk.example; spf=pass smtp.mailfrom={hop}\r\n"
             f"ARC-Seal: i=1; a=rsa-sha256; d=desk.example; s=arc; cv=none; b={hop}\r\n")
    return trace.encode() + raw


def test_the_same_mail_delivered_to_two_desk_addresses_is_one_message(app, mailbox):
    make_contact(email="ann@customer.example")
    raw = make_mail("ann@customer.example", "Export fails", to="support@desk.example",
                    headers={"Cc": "sales@desk.example"}, message_id="one@customer.example")
    first = mailbox.append(delivered(raw, "support@desk.example", "relay1"), RECEIVED_AT)
    second = mailbox.append(delivered(raw, "sales@desk.example", "relay2"), RECEIVED_AT)

    report = ingest_once(NOW)

    assert report.counts == {"new ticket": 1, "duplicate": 1}
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Message)) == 1
    assert mailbox.flagged_uids() == [first, second]


def test_a_different_mail_reusing_a_message_id_becomes_its_own(app, mailbox):
    make_contact(email="ann@customer.example")
    mailbox.append(make_mail("ann@customer.example", "Export fails",
                             message_id="reused@customer.example"), RECEIVED_AT)
    mailbox.append(make_mail("ann@customer.example", "Printer on fire",
                             message_id="reused@customer.example"), RECEIVED_AT)

    report = ingest_once(NOW)

    assert report.counts == {"new ticket": 2}
    assert sorted(db.session.scalars(sa.select(Ticket.subject))) == [
        "Export fails", "Printer on fire"]
    assert db.session.scalar(sa.select(sa.func.count()).select_from(MailReceipt)) == 2


def test_a_reply_to_a_reused_message_id_joins_the_first_ticket(app, mailbox):
    make_contact(email="ann@customer.example")
    for subject in ("Export fails", "Printer on fire"):
        mailbox.append(make_mail("ann@customer.example", subject,
                                 message_id="reused@customer.example"), RECEIVED_AT)
    ingest_once(NOW)
    mailbox.append(make_mail("ann@customer.example", "Re: something",
                             in_reply_to="reused@customer.example"), RECEIVED_AT)

    assert ingest_once(NOW).counts == {"reply": 1}
    first = db.session.scalars(sa.select(Ticket).where(Ticket.subject == "Export fails")).one()
    assert [m.in_reply_to for m in first.messages] == [None, "reused@customer.example"]


def as_served(raw: bytes) -> bytes:
    """The bytes as IMAP serves them: every line ends in CRLF."""
    return raw.replace(b"\r\n", b"\n").replace(b"\n", b"\r\n")


def without_received(raw: bytes) -> bytes:
    """The bytes without the Received fields a relay puts on top."""
    return re.sub(rb"\A(?:Received:.*\r\n(?:[ \t].*\r\n)*)+", b"", raw)


def digest(raw: bytes) -> str:
    return hashlib.sha256(raw).hexdigest()


def test_every_file_of_the_corpus_is_a_ticket_message_a_held_message_or_a_copy(app, mailbox,
                                                                              mail_corpus):
    files = corpus_files()
    register_senders(mail_corpus, files)
    uid_of, first_served, first_relayed = {}, {}, {}
    for relative_path in files:
        raw = as_served((mail_corpus / relative_path).read_bytes())
        uid_of[relative_path] = mailbox.append(raw, RECEIVED_AT)
        first_served.setdefault(digest(raw), relative_path)
        first_relayed.setdefault(digest(without_received(raw)), relative_path)

    report = ingest_once(NOW)

    receipts = {r.uid: r for r in db.session.scalars(sa.select(MailReceipt))}
    kinds, problems = Counter(), []
    def exists(model, row_id):
        return db.session.get(model, row_id) is not None

    for relative_path, uid in uid_of.items():
        receipt = receipts.get(uid)
        raw = as_served((mail_corpus / relative_path).read_bytes())
        if receipt is not None and receipt.message_id is not None:
            kinds["ticket message"] += exists(Message, receipt.message_id)
        elif receipt is not None and receipt.held_message_id is not None:
            kinds["held message"] += exists(HeldMessage, receipt.held_message_id)
        elif receipt is None and first_served[digest(raw)] != relative_path:
            kinds["byte-identical copy"] += 1
        elif receipt is None and first_relayed[digest(without_received(raw))] != relative_path:
            kinds["the same mail with other Received fields"] += 1
        else:
            problems.append(relative_path)
    assert problems == []
    assert report.failed == 0 and report.counts["duplicate"] == 8
    assert sum(kinds.values()) == len(files) == 397
    assert kinds == {"ticket message": 315, "held message": 74, "byte-identical copy": 7,
                     "the same mail with other Received fields": 1}
