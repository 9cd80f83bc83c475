"""Hand one composed message to the SMTP server: verified TLS that never falls back, timeouts.

Flask-Mail 0.10 opens its connection with smtplib's defaults: no timeout (a stalled server
hangs the worker) and TLS without certificate verification (smtplib's default SSL context
verifies nothing, for SMTP_SSL and STARTTLS alike). It also suppresses sending whenever the
app is TESTING. So the transport is smtplib itself, with a verifying SSL context and a
timeout; the settings keep Flask-Mail's MAIL_* names. smtplib's exceptions carry the
server's reply code, which tells a temporary refusal (4xx) from a permanent one (5xx).
"""
import ipaddress
import smtplib
import ssl
from dataclasses import dataclass
from email.message import EmailMessage
from email.policy import SMTP

from helpdesk.settings import SECURITY_MODES


class SendFailure(Exception):
    """The message was not accepted; `permanent` says a retry cannot help."""

    def __init__(self, reason: str, *, permanent: bool, connection: bool = False):
        super().__init__(reason)
        self.reason = reason
        self.permanent = permanent
        # No session with the server at all: other messages would fail the same way now.
        self.connection = connection


def is_loopback(host: str) -> bool:
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


@dataclass(frozen=True)
class SmtpSettings:
    host: str
    port: int
    security: str
    timeout_seconds: float
    username: str | None = None
    password: str | None = None
    ca_file: str | None = None

    @classmethod
    def from_config(cls, config) -> "SmtpSettings":
        """The MAIL_* settings; ValueError when they would send in plaintext over a network."""
        security = str(config["MAIL_SECURITY"]).strip().lower()
        host = str(config["MAIL_SERVER"]).strip()
        if not host:
            raise ValueError("outgoing mail is not configured: set HELPDESK_MAIL_SERVER")
        if security not in SECURITY_MODES:
            raise ValueError(f"MAIL_SECURITY must be ssl, starttls or none, not {security!r}")
        if security == "none" and not is_loopback(host):
            raise ValueError("MAIL_SECURITY none is only allowed for a loopback MAIL_SERVER")
        return cls(host=host, port=int(config["MAIL_PORT"]), security=security,
                   timeout_seconds=float(config["MAIL_TIMEOUT_SECONDS"]),
                   username=config.get("MAIL_USERNAME") or None,
                   password=config.get("MAIL_PASSWORD") or None,
                   ca_file=config.get("MAIL_CA_FILE") or None)


def _refusal(code: int, text: bytes | str) -> SendFailure:
    if isinstance(text, bytes):
        text = text.decode("utf-8", "replace")
    reason = f"{code} {text}".strip()
    return SendFailure(reason, permanent=500 <= code < 600)


class SmtpSession:
    """One connection, opened on first use and reused; any failure closes it."""

    def __init__(self, settings: SmtpSettings):
        self.settings = settings
        self._smtp: smtplib.SMTP | None = None

    def __enter__(self) -> "SmtpSession":
        return self

    def __exit__(self, *exc_info) -> None:
        self.close()

    def send(self, message: EmailMessage, envelope_from: str, recipients: list[str]) -> None:
        """Send to exactly `recipients` (the headers never add any); raise SendFailure."""
        data = message.as_bytes(policy=SMTP)
        smtp = self._connection()
        try:
            smtp.sendmail(envelope_from, recipients, data)
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

    def _connection(self) -> smtplib.SMTP:
        if self._smtp is not None:
            return self._smtp
        settings = self.settings
        # Verifies the certificate and that it names the host.
        context = ssl.create_default_context(cafile=settings.ca_file)
        try:
            if settings.security == "ssl":
                smtp = smtplib.SMTP_SSL(settings.host, settings.port, context=context,
                                        timeout=settings.timeout_seconds)
            else:
                smtp = smtplib.SMTP(settings.host, settings.port,
                                    timeout=settings.timeout_seconds)
        except (smtplib.SMTPException, OSError) as error:
            raise SendFailure(f"cannot connect to {settings.host}:{settings.port}: "
                              f"{type(error).__name__}: {error}", permanent=False,
                              connection=True) from error
        try:
            smtp.ehlo()
            if settings.security == "starttls":
                # Raises when the server does not offer STARTTLS: never go on in plaintext.
                smtp.starttls(context=context)
                smtp.ehlo()
            if settings.username:
                smtp.login(settings.username, settings.password or "")
        except (smtplib.SMTPException, OSError) as error:
            smtp.close()
            raise SendFailure(f"SMTP session with {settings.host} failed: "
                              f"{type(error).__name__}: {error}", permanent=False,
                              connection=True) from error
        self._smtp = smtp
        return smtp

    def close(self) -> None:
        if self._smtp is None:
            return
        try:
            self._smtp.quit()
        except (smtplib.SMTPException, OSError):
            self._smtp.close()
        self._smtp = None
