"""`flask mail send-demo`: a customer's plain mail, handed to the desk's own SMTP intake."""
import secrets
from datetime import datetime

from flask import current_app

from helpdesk.adapters.smtp import SendFailure, hand_over
from helpdesk.domain.mail.plain import plain_mail
from helpdesk.services import Refusal
from helpdesk.services.mail_out.outbox import desk_address
from helpdesk.services.people.directory import normalise_email

DEMO_INTAKE_PORT = 2525  # where `make run` takes mail in, when the desk's settings say none


def send_demo_mail(*, sender: str, subject: str, body: str, to: str | None,
                   now: datetime) -> str:
    """Send it to MAIL_IN_HOST:MAIL_IN_PORT (or make run's 2525) as any mail client would;
    its Message-ID."""
    host = current_app.config["MAIL_IN_HOST"]
    port = current_app.config["MAIL_IN_PORT"] or DEMO_INTAKE_PORT
    sender, to = normalise_email(sender), normalise_email(to or desk_address())
    message_id = f"{secrets.token_hex(8)}@{sender.rpartition('@')[2]}"
    raw = plain_mail(sender=sender, to=to, subject=subject, body=body, at=now,
                     message_id=message_id)
    try:
        hand_over(host, port, sender, [to], raw,
                  timeout_seconds=float(current_app.config["MAIL_TIMEOUT_SECONDS"]))
    except SendFailure as failure:
        if failure.connection:
            raise Refusal("nothing listens on %(host)s:%(port)s: is `make run` running?",
                          host=host, port=port) from None
        raise Refusal("The desk's intake did not take the mail: %(reason)s",
                      reason=failure.reason) from None
    return message_id
