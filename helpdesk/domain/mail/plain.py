"""A plain text mail as a person's mail client writes it: for the demo and `mail send-demo`."""
from collections.abc import Mapping
from datetime import datetime
from email.headerregistry import Address
from email.message import EmailMessage
from email.policy import SMTP
from email.utils import format_datetime


def plain_mail(*, sender: str, to: str, subject: str, body: str, at: datetime,
               message_id: str, sender_name: str = "",
               headers: Mapping[str, str] | None = None) -> bytes:
    """RFC 5322 bytes (CRLF, as on the wire); `headers` come first, as a server's trace does."""
    mail = EmailMessage()
    for name, value in (headers or {}).items():
        mail[name] = value
    mail["From"] = Address(sender_name, addr_spec=sender)
    mail["To"] = to
    mail["Subject"] = subject
    mail["Date"] = format_datetime(at)
    mail["Message-ID"] = f"<{message_id}>"
    mail.set_content(body)
    return mail.as_bytes(policy=SMTP)
