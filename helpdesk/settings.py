"""Every setting an operator may give as HELPDESK_<NAME>: its type, unit and default.

Values from the environment are converted here, once, when the app is created, so a
duration is a timedelta and a number an int wherever the code reads it, and a bad value
stops the start with one line that names the variable and what it takes, instead of
failing a page later. Any setting may instead be given as HELPDESK_<NAME>_FILE, the path
of a file that holds the value (a secret mounted by systemd or a container runtime).
"""
from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from urllib.parse import SplitResult, urlsplit

import click
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

from helpdesk.logs import FORMATS as LOG_FORMATS

PREFIX = "HELPDESK_"
FILE_SUFFIX = "_FILE"  # HELPDESK_<NAME>_FILE: the value is that file's content
SECURITY_MODES = ("ssl", "starttls", "none")  # IMAP and SMTP alike
SENDER_AUTH_MODES = ("off", "log", "enforce")


class SettingError(click.ClickException):
    """A setting from the environment that cannot be used; the message names the variable.

    A click exception, so `flask run`, `flask worker` and every other command print this
    one line, without a traceback, and exit with status 2 as for a wrong option."""

    exit_code = 2

    def show(self, file=None) -> None:
        click.echo(self.format_message(), file=file, err=True)


@dataclass(frozen=True)
class Kind:
    """How one type of setting is read from text, and how it is described to an operator."""

    parse: Callable[[str], object]
    expected: str


def _text(raw: str) -> str:
    return raw


def _optional_text(raw: str) -> str | None:
    return raw or None


def integer(minimum: int = 0, maximum: int | None = None) -> Kind:
    """Whole numbers in a range, in plain digits."""

    def parse(raw: str) -> int:
        if not re.fullmatch(r"\s*[0-9]+\s*", raw):
            raise ValueError(raw)
        value = int(raw)
        if value < minimum or (maximum is not None and value > maximum):
            raise ValueError(raw)
        return value

    if maximum is None:
        return Kind(parse, f"a whole number of {minimum} or more")
    return Kind(parse, f"a whole number from {minimum} to {maximum}")


_BOOLEANS = {"1": True, "true": True, "yes": True, "on": True,
             "0": False, "false": False, "no": False, "off": False}


def _boolean(raw: str) -> bool:
    return _BOOLEANS[raw.strip().lower()]


_NUMBER = r"[0-9]+(?:\.[0-9]+)?"
_SPAN = re.compile(rf"(?:(?P<days>{_NUMBER})\s*d)?\s*(?:(?P<hours>{_NUMBER})\s*h)?\s*"
                   rf"(?:(?P<minutes>{_NUMBER})\s*m)?\s*(?:(?P<seconds>{_NUMBER})\s*s)?",
                   re.IGNORECASE)


def _parse_duration(raw: str, bare: str = "seconds") -> timedelta:
    """A span of time: a bare number counts `bare` ("600"), or units say it ("90s", "10m",
    "2h", "1d", "1h 30m")."""
    text = raw.strip()
    if re.fullmatch(_NUMBER, text):
        return timedelta(**{bare: float(text)})
    match = _SPAN.fullmatch(text)
    if not text or match is None:
        raise ValueError(raw)
    return timedelta(**{unit: float(amount) for unit, amount in match.groupdict().items()
                        if amount is not None})


def shown_span(span: timedelta) -> str:
    """A span in the largest unit that counts it whole: "1m", "90s", "2h"."""
    for suffix, unit in (("d", timedelta(days=1)), ("h", timedelta(hours=1)),
                         ("m", timedelta(minutes=1))):
        if span % unit == timedelta(0):
            return f"{span // unit}{suffix}"
    return f"{int(span.total_seconds())}s"


def duration(minimum: timedelta) -> Kind:
    """A span of time as a timedelta; a bare number is seconds, as in Flask's own settings."""

    def parse(raw: str) -> timedelta:
        value = _parse_duration(raw)
        if value < minimum:
            raise ValueError(raw)
        return value

    return Kind(parse, f"a duration of at least {shown_span(minimum)}, such as 600 (seconds), "
                       "10m or 2h")


def counted(unit: str) -> Kind:
    """A span of time as a whole number of `unit`, for a setting whose name says the unit
    (`_SECONDS`, `_MINUTES`): a bare number counts that unit, and "2m" or "1h" work too."""
    one = timedelta(**{unit: 1})

    def parse(raw: str) -> int:
        count, rest = divmod(_parse_duration(raw, bare=unit), one)
        if rest or count < 1:
            raise ValueError(raw)
        return count

    examples = {"seconds": "30, 90s or 2m", "minutes": "60, 90m or 2h"}[unit]
    return Kind(parse, f"a whole number of {unit} of 1 or more, such as {examples}")


def choice(*options: str) -> Kind:
    """One of a few words, in any case."""

    def parse(raw: str) -> str:
        value = raw.strip().lower()
        if value not in options:
            raise ValueError(raw)
        return value

    return Kind(parse, "one of " + ", ".join(options))


def _string_list(raw: str) -> tuple[str, ...]:
    value = json.loads(raw)
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        raise ValueError(raw)
    return tuple(value)


def split_http_address(raw: str) -> SplitResult:
    """An absolute http(s) address split up; ValueError for anything else."""
    parts = urlsplit(raw.strip())
    # Reading the port raises ValueError for one out of range.
    if parts.scheme not in ("http", "https") or not parts.hostname or parts.port == 0:
        raise ValueError(raw)
    return parts


def _http_address(raw: str) -> str:
    split_http_address(raw)
    return raw.strip()


def _database_url(raw: str) -> str:
    if raw.strip():
        try:
            make_url(raw.strip())
        except ArgumentError as error:
            raise ValueError(raw) from error
    return raw.strip()


def _folder(raw: str) -> str:
    if not raw.strip():
        raise ValueError(raw)
    return raw.strip()


def _optional_file(raw: str) -> str:
    path = raw.strip()
    if path and not Path(path).is_file():
        raise ValueError(raw)
    return path


TEXT = Kind(_text, "text")
OPTIONAL_TEXT = Kind(_optional_text, "text (empty for none)")
BOOLEAN = Kind(_boolean, "true or false (or 1/0, yes/no, on/off)")
# No limit a person lives through is shorter than a minute; a bare "30" meant as minutes is
# refused rather than read as half a minute.
DURATION = duration(minimum=timedelta(minutes=1))
SECONDS = counted("seconds")
MINUTES = counted("minutes")
STRING_LIST = Kind(_string_list, 'a JSON list of text, such as ["a", "b"]')
COUNT = integer(0)
POSITIVE = integer(1)
PORT = integer(1, 65535)
SECURITY = choice(*SECURITY_MODES)
HTTP_ADDRESS = Kind(_http_address, "an absolute http or https address, such as "
                                   "https://desk.example.com")
DATABASE_URL = Kind(_database_url, "a database URL, such as "
                                   "postgresql+psycopg://helpdesk@db.internal/helpdesk")
FOLDER = Kind(_folder, "a folder's path")
OPTIONAL_FILE = Kind(_optional_file, "the path of an existing file (empty for none)")


@dataclass(frozen=True)
class Setting:
    """One setting: its config key (the variable without HELPDESK_), type and default."""

    name: str
    kind: Kind
    default: object
    secret: bool = False  # may hold a password: an error does not repeat the value

    @property
    def variable(self) -> str:
        return PREFIX + self.name

    @property
    def file_variable(self) -> str:
        return self.variable + FILE_SUFFIX


MB = 1024 * 1024
SETTINGS: tuple[Setting, ...] = (
    # What this desk is: `development` (make run) allows what production must not (a mail catcher).
    Setting("ENVIRONMENT", choice("production", "development"), "production"),
    # Every process's log on stderr: `text` lines, or `json` objects one a line (helpdesk/logs.py).
    Setting("LOG_FORMAT", choice(*LOG_FORMATS), "text"),
    # Storage. Empty database and secret key: filled in by create_app in the instance folder.
    Setting("SQLALCHEMY_DATABASE_URI", DATABASE_URL, "", secret=True),
    Setting("SECRET_KEY", TEXT, "", secret=True),
    Setting("BLOB_STORE", FOLDER, "blobs"),  # relative paths are inside the instance folder
    # Sessions and sign-in.
    Setting("STAFF_SESSION_IDLE", DURATION, timedelta(minutes=30)),
    Setting("PORTAL_SESSION_IDLE", DURATION, timedelta(minutes=30)),
    # None: derived from DESK_URL, Secure `__Host-session` on https (helpdesk/desk_url.py).
    Setting("SESSION_COOKIE_SECURE", BOOLEAN, None),
    Setting("SESSION_COOKIE_NAME", OPTIONAL_TEXT, None),
    Setting("SIGN_IN_FAILURES_PER_ACCOUNT", POSITIVE, 5),
    Setting("SIGN_IN_FAILURES_PER_ADDRESS", POSITIVE, 20),
    Setting("SIGN_IN_FAILURE_WINDOW", DURATION, timedelta(minutes=15)),
    Setting("SIGN_IN_LINK_VALID", DURATION, timedelta(minutes=15)),
    Setting("PASSWORD_RESET_VALID", DURATION, timedelta(hours=1)),
    Setting("STAFF_INVITATION_VALID", DURATION, timedelta(days=3)),  # a manager's invitation
    # The processor's promises: an ended organisation's personal data is erased this many days
    # after it ended (the terms allow at most a year); an export's download link lives this long.
    Setting("RETENTION_DAYS", integer(1, 365), 365),
    Setting("EXPORT_LINK_VALID", DURATION, timedelta(days=1)),
    # Operations (docs/operations.md): backups the worker makes and keeps, the watchdog that
    # tells when mail stops, and the token that guards /metrics (empty: no /metrics).
    Setting("BACKUP_DIR", FOLDER, "backups"),  # relative paths are inside the instance folder
    Setting("BACKUP_INTERVAL", DURATION, timedelta(hours=24)),
    Setting("BACKUP_KEEP", POSITIVE, 7),
    Setting("WATCHDOG_MAIL_MINUTES", MINUTES, 15),
    Setting("WATCHDOG_WEBHOOK_URL", OPTIONAL_TEXT, None, secret=True),
    Setting("METRICS_TOKEN", OPTIONAL_TEXT, None, secret=True),
    # A worker holds each job it runs this long past its last renewal (a third of it apart):
    # a worker that dies hands its jobs to another this long after.
    Setting("WORKER_LEASE", duration(timedelta(seconds=3)), timedelta(seconds=60)),
    # Upload limits.
    Setting("MAX_ATTACHMENT_BYTES", POSITIVE, 25 * MB),
    Setting("MAX_ATTACHMENTS_PER_MESSAGE", POSITIVE, 10),
    Setting("MAX_CONTENT_LENGTH", POSITIVE, 60 * MB),
    # Incoming mail (IMAP).
    Setting("IMAP_HOST", TEXT, "127.0.0.1"),
    Setting("IMAP_PORT", PORT, 993),
    Setting("IMAP_USER", TEXT, ""),
    Setting("IMAP_PASSWORD", TEXT, "", secret=True),
    Setting("IMAP_FOLDER", TEXT, "INBOX"),
    Setting("IMAP_PROCESSED_FOLDER", TEXT, ""),  # empty: flag processed mail in place
    Setting("IMAP_SECURITY", SECURITY, "ssl"),
    Setting("IMAP_CA_FILE", OPTIONAL_FILE, ""),  # empty: the system's trusted certificates
    Setting("IMAP_TIMEOUT_SECONDS", SECONDS, 30),
    Setting("IMAP_POLL_SECONDS", SECONDS, 30),  # when the server offers no IDLE
    Setting("MAX_MESSAGE_BYTES", POSITIVE, 40 * MB),  # larger mail is held, not downloaded
    Setting("INGEST_MAX_ATTEMPTS", POSITIVE, 3),  # then a failing message is held
    Setting("INGEST_PARSE_WORKERS", COUNT, 1),  # 0: parse in the ingester itself
    Setting("INGEST_PARSE_SECONDS", SECONDS, 30),  # then one message's parse has failed
    Setting("INGEST_PARSE_MEMORY_MB", COUNT, 2048),  # a parsing worker's address space; 0: none
    Setting("NOT_SUPER_USER_NOTICE_INTERVAL", DURATION, timedelta(days=1)),
    Setting("SENDER_AUTH", choice(*SENDER_AUTH_MODES), "log"),
    Setting("AUTHSERV_ID", TEXT, ""),
    Setting("CALAMITY_ADDRESSES", STRING_LIST, ()),
    # Incoming mail pushed by a mail server (SMTP or LMTP; helpdesk/services/intake/mail_in.py).
    Setting("MAIL_IN_HOST", TEXT, "127.0.0.1"),
    Setting("MAIL_IN_PORT", integer(0, 65535), 0),  # 0: the worker runs no intake
    Setting("MAIL_IN_PROTOCOL", choice("smtp", "lmtp"), "smtp"),
    Setting("MAIL_IN_TLS_CERT", OPTIONAL_FILE, ""),  # both set: STARTTLS is offered
    Setting("MAIL_IN_TLS_KEY", OPTIONAL_FILE, ""),
    # None: the desk's own sender address and its calamity addresses.
    Setting("MAIL_IN_ADDRESSES", STRING_LIST, None),
    Setting("MAIL_IN_CLIENTS", STRING_LIST, ("127.0.0.0/8", "::1")),  # who may connect
    # Outgoing mail (SMTP).
    Setting("MAIL_SERVER", TEXT, ""),  # empty: no SMTP, mail waits in the outbox
    Setting("MAIL_PORT", PORT, 465),
    Setting("MAIL_SECURITY", SECURITY, "ssl"),  # TLS never falls back to plaintext
    Setting("MAIL_CA_FILE", OPTIONAL_FILE, None),  # None: the system's trusted certificates
    Setting("MAIL_USERNAME", OPTIONAL_TEXT, None),
    Setting("MAIL_PASSWORD", OPTIONAL_TEXT, None, secret=True),
    Setting("MAIL_DEFAULT_SENDER", TEXT, "support@helpdesk.invalid"),
    # None: on in development when there is no MAIL_SERVER; never in production.
    Setting("MAIL_CATCHER", BOOLEAN, None),
    Setting("MAIL_TIMEOUT_SECONDS", SECONDS, 30),
    Setting("OUTBOX_MAX_ATTEMPTS", POSITIVE, 8),
    Setting("OUTBOX_RETRY_SECONDS", SECONDS, 60),  # doubled for each next retry
    Setting("OUTBOX_LEASE_SECONDS", SECONDS, 60),  # a dead sender's mail goes again after it
    Setting("AUTOMATIC_MAILS_PER_RECIPIENT_PER_HOUR", POSITIVE, 5),
    # A breach the sweep finds later than this after its moment (the worker was not running)
    # is recorded as ever but reported in one summary to the managers, not a mail per ticket.
    Setting("ESCALATION_LATE_MINUTES", MINUTES, 60),
    # The agents' workspace: how often open pages refresh themselves (htmx polling).
    Setting("QUEUE_POLL_SECONDS", SECONDS, 20),
    Setting("QUEUE_PAGE_SIZE", POSITIVE, 50),
    Setting("PRESENCE_POLL_SECONDS", SECONDS, 15),
    # The desk as customers see it. DESK_URL is where people open it: every link in mail comes
    # from it, and requests naming another host are refused.
    Setting("DESK_URL", HTTP_ADDRESS, "http://127.0.0.1:5000"),
    Setting("TRUSTED_HOSTS", STRING_LIST, None),  # None: DESK_URL's host (and loopback names)
    Setting("PROXY_FIX", COUNT, 0),  # reverse proxies whose X-Forwarded-* are believed
    # None: "Service desk" in the reader's language (helpdesk/services/language.py).
    Setting("DESK_NAME", OPTIONAL_TEXT, None),
    Setting("PHONE_NUMBER", TEXT, "+31 20 123 4567"),
    Setting("PHONE_HOURS", TEXT, "10:00-17:00"),
    Setting("PORTAL_POLL_SECONDS", SECONDS, 20),  # an open ticket page looks for answers
)
BY_NAME = {setting.name: setting for setting in SETTINGS}


def defaults() -> dict[str, object]:
    """Every setting's default, by config key."""
    return {setting.name: setting.default for setting in SETTINGS}


def given_by(environ: Mapping[str, str]) -> frozenset[str]:
    """The config keys of the settings the environment gives (whatever their value)."""
    return frozenset(setting.name for setting in SETTINGS
                     if setting.variable in environ or setting.file_variable in environ)


def from_environment(environ: Mapping[str, str]) -> dict[str, object]:
    """The settings the environment gives, converted; SettingError names a bad one."""
    values: dict[str, object] = {}
    for setting in SETTINGS:
        given = _given_text(setting, environ)
        if given is None:
            continue
        variable, raw = given
        try:
            values[setting.name] = setting.kind.parse(raw)
        except (ValueError, KeyError, OverflowError) as error:
            # A file is where secrets are kept: what it holds is never repeated.
            hidden = setting.secret or variable == setting.file_variable
            got = "a value not shown here" if hidden else repr(raw)
            raise SettingError(f"{variable}: expected {setting.kind.expected}, "
                               f"got {got}") from error
    return values


def _given_text(setting: Setting, environ: Mapping[str, str]) -> tuple[str, str] | None:
    """The variable that gives a setting and its text: HELPDESK_<NAME> itself, or the content
    of the file HELPDESK_<NAME>_FILE names (without its final line break); None if neither."""
    path = environ.get(setting.file_variable)
    if path is None:
        raw = environ.get(setting.variable)
        return None if raw is None else (setting.variable, raw)
    if setting.variable in environ:
        raise SettingError(f"{setting.variable} and {setting.file_variable} are both set; "
                           "give only one of them")
    try:
        content = Path(path).read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise SettingError(f"{setting.file_variable}: cannot read {path}: "
                           "not UTF-8 text") from None
    except OSError as error:
        reason = error.strerror or type(error).__name__
        raise SettingError(f"{setting.file_variable}: cannot read {path}: {reason}") from None
    return setting.file_variable, content.removesuffix("\n").removesuffix("\r")
