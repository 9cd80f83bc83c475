"""End to end through real servers: mail in over IMAP, acknowledgement out over SMTP, reply in."""
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser

import sqlalchemy as sa

from helpdesk.extensions import db
from helpdesk.models import MessageKind, Ticket
from helpdesk.services.intake.ingest import ingest_once
from helpdesk.services.mail_out.sender import send_due_mail
from tests.fixtures.factories import make_contact
from tests.fixtures.mail import NOW, RECEIVED_AT, make_mail


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
