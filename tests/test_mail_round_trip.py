"""End to end through real servers: mail in over IMAP or the intake, acknowledgement out over
SMTP or into the catcher, reply in."""
import smtplib
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser

import sqlalchemy as sa

from helpdesk.extensions import db
from helpdesk.models import CaughtMail, HeldMessage, HeldReason, MessageKind, Ticket
from helpdesk.services.intake.ingest import ingest_once
from helpdesk.services.mail_out.sender import send_due_mail, send_job
from tests.fixtures.factories import make_contact
from tests.fixtures.mail import NOW, RECEIVED_AT, make_mail
from tests.fixtures.mail_in import DESK


def _reply_to(acknowledgement: EmailMessage, sender: str, subject: str) -> bytes:
    """What a mail client sends when the customer answers our mail and edits the subject."""
    reply = EmailMessage()
    reply["From"] = sender
    reply["To"] = str(acknowledgement["From"])
    reply["Subject"] = subject
    reply["Message-ID"] = "<answer.1@customer.example>"
    reply["In-Reply-To"] = str(acknowledgement["Message-ID"])
    reply["References"] = f'{acknowledgement["References"]} {acknowledgement["Message-ID"]}'
    reply.set_content("Here are the steps: 1. open report 2. export.")
    return reply.as_bytes(policy=policy.SMTP)


def test_a_reply_to_the_acknowledgement_with_a_new_subject_joins_the_same_ticket(
        app, mailbox, smtp_server):
    make_contact(email="ann@customer.example", language="en")
    mailbox.append(make_mail("Ann <ann@customer.example>", "Export fails"), RECEIVED_AT)

    ingest_once(NOW)
    send_due_mail(NOW)

    [arrival] = smtp_server.arrivals
    assert arrival.rcpt_tos == ["ann@customer.example"]
    acknowledgement = BytesParser(policy=policy.default).parsebytes(arrival.raw)
    [ticket] = db.session.scalars(sa.select(Ticket)).all()
    assert acknowledgement["Subject"] == f"[#{ticket.number}] Export fails"
    assert acknowledgement["Auto-Submitted"] == "auto-replied"

    mailbox.append(_reply_to(acknowledgement, "ann@customer.example",
                             "Steps for the export problem"), RECEIVED_AT)
    ingest_once(NOW)

    db.session.expire_all()
    [ticket] = db.session.scalars(sa.select(Ticket)).all()
    inbound = [m for m in ticket.messages if m.kind == MessageKind.INBOUND]
    assert [m.body_text.strip()[:14] for m in inbound] == ["It breaks.", "Here are the s"]


def _caught() -> list[tuple[list, EmailMessage]]:
    db.session.rollback()
    return [(mail.recipients, BytesParser(policy=policy.default).parsebytes(mail.raw))
            for mail in db.session.scalars(sa.select(CaughtMail).order_by(CaughtMail.id))]


def test_mail_pushed_over_smtp_and_lmtp_meets_its_acknowledgement_in_the_catcher(
        app, start_intake):
    """A development desk on one machine: the intake takes mail in, the catcher keeps what
    the desk sends back, and the customer's answer to it joins the same ticket."""
    app.config["MAIL_CATCHER"] = True
    make_contact(email="ann@customer.example", language="en")
    make_contact(email="piet@customer.example", is_super_user=False)
    smtp = start_intake()

    smtp.send(make_mail("Ann <ann@customer.example>", "Export fails"))
    smtp.send(make_mail("who@elsewhere.example", "Buy our stuff"),
              sender="who@elsewhere.example")
    smtp.send(make_mail("piet@customer.example", "May I ask?"), sender="piet@customer.example")
    send_job(NOW)

    [ticket] = db.session.scalars(sa.select(Ticket)).all()
    assert db.session.scalars(sa.select(HeldMessage.reason).order_by(HeldMessage.id)).all() == [
        HeldReason.UNKNOWN_SENDER, HeldReason.NOT_SUPER_USER]
    (ack_to, acknowledgement), (notice_to, notice) = _caught()
    assert (ack_to, acknowledgement["Subject"]) == (
        ["ann@customer.example"], f"[#{ticket.number}] Export fails")
    assert notice_to == ["piet@customer.example"]

    lmtp = start_intake(MAIL_IN_PROTOCOL="lmtp")
    with lmtp.client(smtplib.LMTP) as client:
        client.sendmail("ann@customer.example", [DESK], _reply_to(
            acknowledgement, "ann@customer.example", "Steps for the export problem"))

    db.session.expire_all()
    inbound = [m for m in db.session.get(Ticket, ticket.id).messages
               if m.kind == MessageKind.INBOUND]
    assert [m.body_text.strip()[:14] for m in inbound] == ["It breaks.", "Here are the s"]
