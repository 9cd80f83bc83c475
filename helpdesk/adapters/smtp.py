"""Hand one composed message to the SMTP server through Flask-Mail: verified TLS, timeouts.

Flask-Mail is the mail extension: `mail.init_app` reads its MAIL_* settings, whose
MAIL_USE_SSL and MAIL_USE_TLS are derived here from the desk's MAIL_SECURITY. Its stock
Connection opens smtplib with the library's defaults: no timeout (a stalled server would hang
the worker) and TLS without certificate verification (smtplib's default SSL context verifies
nothing). VerifiedConnection opens the host with a timeout and a verifying SSL context
instead, and STARTTLS never falls back to plaintext. Flask-Mail suppresses sending when the
app is TESTING; MAIL_SUPPRESS_SEND is False always, because a desk that must not send has no
MAIL_SERVER and its mail waits in the outbox, visibly, instead of being marked sent. The desk
composes the exact MIME bytes itself (its Message-ID, threading headers), so Flask-Mail's
Message, which builds its own, is not used: the bytes go to the host as they are. smtplib's
exceptions carry the server's reply code, which tells a temporary refusal (4xx) from a
permanent one (5xx).
"""
import smtplib
import ssl
from collections.abc import Mapping
from email.message import EmailMessage
from email.policy import SMTP

from flask_mail import Connection

from helpdesk.adapters.network import is_loopback
from helpdesk.settings import SECURITY_MODES


class SendFailure(Exception):
    """The message was not accepted; `permanent` says a retry cannot help."""

    def __init__(self, reason: str, *, permanent: bool, connection: bool = False):
        super().__init__(reason)
        self.reason = reason
        self.permanent = permanent
        # No session with the server at all: other messages would fail the same way now.
        self.connection = connection


def flask_mail_settings(config: Mapping) -> dict[str, bool]:
    """Flask-Mail's TLS switches and MAIL_SUPPRESS_SEND, from the desk's MAIL_SECURITY."""
    security = str(config["MAIL_SECURITY"]).strip().lower()
    if security not in SECURITY_MODES:
        raise ValueError(f"MAIL_SECURITY must be ssl, starttls or none, not {security!r}")
    return {"MAIL_USE_SSL": security == "ssl", "MAIL_USE_TLS": security == "starttls",
            "MAIL_SUPPRESS_SEND": False}


def connect(app) -> "VerifiedConnection":
    """A connection to the app's mail server; ValueError for none, or for plaintext on a network."""
    state = app.extensions["mail"]
    host = str(state.server).strip()
    if not host:
        raise ValueError("outgoing mail is not configured: set HELPDESK_MAIL_SERVER")
    if not (state.use_ssl or state.use_tls) and not is_loopback(host):
        raise ValueError("MAIL_SECURITY none is only allowed for a loopback MAIL_SERVER")
    return VerifiedConnection(state, timeout_seconds=float(app.config["MAIL_TIMEOUT_SECONDS"]),
                              ca_file=app.config.get("MAIL_CA_FILE") or None)


def _refusal(code: int, text: bytes | str) -> SendFailure:
    if isinstance(text, bytes):
        text = text.decode("utf-8", "replace")
    reason = f"{code} {text}".strip()
    return SendFailure(reason, permanent=500 <= code < 600)


class VerifiedConnection(Connection):
    """Flask-Mail's connection, opened on first send and reused; any failure closes it.

    Not opened on `with`, as Flask-Mail's is: a run with nothing due never contacts the server.
    """

    def __init__(self, mail, *, timeout_seconds: float, ca_file: str | None = None):
        super().__init__(mail)
        self.timeout_seconds = timeout_seconds
        self.ca_file = ca_file

    def __enter__(self) -> "VerifiedConnection":
        return self

    def __exit__(self, *exc_info) -> None:
        self.close()

    def send_composed(self, message: EmailMessage, envelope_from: str,
                      recipients: list[str]) -> None:
        """Send to exactly `recipients` (the headers never add any); raise SendFailure."""
        data = message.as_bytes(policy=SMTP)
        if self.host is None:
            self.host = self.configure_host()
        try:
            self.host.sendmail(envelope_from, recipients, data)
        except smtplib.SMTPRecipientsRefused as error:
            self.close()
            code, text = next(iter(error.recipients.values()))
            raise _refusal(code, text) from error
        except smtplib.SMTPResponseException as error:
            self.close()
            raise _refusal(error.smtp_code, error.smtp_error) from error
        except (smtplib.SMTPException, OSError) as error:  # disconnects, timeouts
            self.close()
            raise SendFailure(f"{type(error).__name__}: {error}", permanent=False,
                              connection=True) from error

    def configure_host(self) -> smtplib.SMTP:
        """Open with the timeout and a verifying context; STARTTLS when asked, or nothing."""
        mail = self.mail
        # Verifies the certificate and that it names the host.
        context = ssl.create_default_context(cafile=self.ca_file)
        try:
            if mail.use_ssl:
                host = smtplib.SMTP_SSL(mail.server, mail.port, context=context,
                                        timeout=self.timeout_seconds)
            else:
                host = smtplib.SMTP(mail.server, mail.port, timeout=self.timeout_seconds)
        except (smtplib.SMTPException, OSError) as error:
            raise SendFailure(f"cannot connect to {mail.server}:{mail.port}: "
                              f"{type(error).__name__}: {error}", permanent=False,
                              connection=True) from error
        try:
            host.ehlo()
            if mail.use_tls:
                # Raises when the server does not offer STARTTLS: never go on in plaintext.
                host.starttls(context=context)
                host.ehlo()
            if mail.username:
                host.login(mail.username, mail.password or "")
        except (smtplib.SMTPException, OSError) as error:
            host.close()
            raise SendFailure(f"SMTP session with {mail.server} failed: "
                              f"{type(error).__name__}: {error}", permanent=False,
                              connection=True) from error
        return host

    def close(self) -> None:
        if self.host is None:
            return
        try:
            self.host.quit()
        except (smtplib.SMTPException, OSError):
            self.host.close()
        self.host = None


def hand_over(host: str, port: int, envelope_from: str, recipients: list[str], raw: bytes, *,
              timeout_seconds: float) -> None:
    """Give finished bytes to an SMTP server as they are, in plaintext (a desk's own intake).

    SendFailure as for the outbox; `connection` when no session came about at all.
    """
    try:
        host_session = smtplib.SMTP(host, port, timeout=timeout_seconds)
    except (smtplib.SMTPException, OSError) as error:
        raise SendFailure(f"{type(error).__name__}: {error}", permanent=False,
                          connection=True) from error
    try:
        host_session.sendmail(envelope_from, recipients, raw)
    except smtplib.SMTPRecipientsRefused as error:
        code, text = next(iter(error.recipients.values()))
        raise _refusal(code, text) from error
    except smtplib.SMTPResponseException as error:
        raise _refusal(error.smtp_code, error.smtp_error) from error
    except (smtplib.SMTPException, OSError) as error:
        raise SendFailure(f"{type(error).__name__}: {error}", permanent=False) from error
    finally:
        host_session.close()
