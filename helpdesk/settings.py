"""Every setting an operator may give as HELPDESK_<NAME>: its type, unit and default.

Values from the environment are converted here, once, when the app is created, so a
duration is a timedelta and a number an int wherever the code reads it, and a bad value
stops the start with a sentence that names the variable instead of failing a page later.
"""
from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import timedelta

PREFIX = "HELPDESK_"
SECURITY_MODES = ("ssl", "starttls", "none")  # IMAP and SMTP alike
SENDER_AUTH_MODES = ("off", "log", "enforce")


class SettingError(ValueError):
    """A setting from the environment that cannot be used; the message names the variable."""


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
    """Whole numbers in a range."""

    def parse(raw: str) -> int:
        value = int(raw.strip())
        if value < minimum or (maximum is not None and value > maximum):
            raise ValueError(raw)
        return value

    upper = f" and {maximum}" if maximum is not None else " or more"
    return Kind(parse, f"a whole number of {minimum}{upper}")


_BOOLEANS = {"1": True, "true": True, "yes": True, "on": True,
             "0": False, "false": False, "no": False, "off": False}


def _boolean(raw: str) -> bool:
    return _BOOLEANS[raw.strip().lower()]


_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([smhd]?)\s*$", re.IGNORECASE)
_UNITS = {"s": "seconds", "m": "minutes", "": "minutes", "h": "hours", "d": "days"}


def _minutes(raw: str) -> timedelta:
    """A duration in minutes ("30"), or with a unit: "90s", "30m", "2h", "1d"."""
    match = _DURATION.match(raw)
    if not match:
        raise ValueError(raw)
    duration = timedelta(**{_UNITS[match.group(2).lower()]: float(match.group(1))})
    if duration <= timedelta(0):
        raise ValueError(raw)
    return duration


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


TEXT = Kind(_text, "text")
OPTIONAL_TEXT = Kind(_optional_text, "text (empty for none)")
BOOLEAN = Kind(_boolean, "true or false")
MINUTES = Kind(_minutes, 'a number of minutes (or with a unit: "90s", "2h", "1d")')
STRING_LIST = Kind(_string_list, 'a JSON list of text, e.g. ["a@example.com"]')
COUNT = integer(0)
POSITIVE = integer(1)
PORT = integer(1, 65535)
SECURITY = choice(*SECURITY_MODES)


@dataclass(frozen=True)
class Setting:
    """One setting: its config key (the variable without HELPDESK_), type and default."""

    name: str
    kind: Kind
    default: object

    @property
    def variable(self) -> str:
        return PREFIX + self.name


MB = 1024 * 1024
SETTINGS: tuple[Setting, ...] = (
    # Storage. Empty database and secret key: filled in by create_app in the instance folder.
    Setting("SQLALCHEMY_DATABASE_URI", TEXT, ""),
    Setting("SECRET_KEY", TEXT, ""),
    Setting("BLOB_STORE", TEXT, "blobs"),  # relative paths are inside the instance folder
    # Sessions and sign-in.
    Setting("STAFF_SESSION_IDLE", MINUTES, timedelta(minutes=30)),
    Setting("PORTAL_SESSION_IDLE", MINUTES, timedelta(minutes=30)),
    # None: derived from DESK_URL, Secure `__Host-session` on https (helpdesk/desk_url.py).
    Setting("SESSION_COOKIE_SECURE", BOOLEAN, None),
    Setting("SESSION_COOKIE_NAME", OPTIONAL_TEXT, None),
    Setting("SIGN_IN_FAILURES_PER_ACCOUNT", POSITIVE, 5),
    Setting("SIGN_IN_FAILURES_PER_ADDRESS", POSITIVE, 20),
    Setting("SIGN_IN_FAILURE_WINDOW", MINUTES, timedelta(minutes=15)),
    Setting("SIGN_IN_LINK_VALID", MINUTES, timedelta(minutes=15)),
    Setting("PASSWORD_RESET_VALID", MINUTES, timedelta(hours=1)),
    # Upload limits.
    Setting("MAX_ATTACHMENT_BYTES", POSITIVE, 25 * MB),
    Setting("MAX_ATTACHMENTS_PER_MESSAGE", POSITIVE, 10),
    Setting("MAX_CONTENT_LENGTH", POSITIVE, 60 * MB),
    # Incoming mail (IMAP).
    Setting("IMAP_HOST", TEXT, "127.0.0.1"),
    Setting("IMAP_PORT", PORT, 993),
    Setting("IMAP_USER", TEXT, ""),
    Setting("IMAP_PASSWORD", TEXT, ""),
    Setting("IMAP_FOLDER", TEXT, "INBOX"),
    Setting("IMAP_PROCESSED_FOLDER", TEXT, ""),  # empty: flag processed mail in place
    Setting("IMAP_SECURITY", SECURITY, "ssl"),
    Setting("IMAP_CA_FILE", TEXT, ""),  # empty: the system's trusted certificates
    Setting("IMAP_TIMEOUT_SECONDS", POSITIVE, 30),
    Setting("IMAP_POLL_SECONDS", POSITIVE, 30),  # when the server offers no IDLE
    Setting("MAX_MESSAGE_BYTES", POSITIVE, 40 * MB),  # larger mail is held, not downloaded
    Setting("INGEST_MAX_ATTEMPTS", POSITIVE, 3),  # then a failing message is held
    Setting("INGEST_PARSE_WORKERS", COUNT, 1),  # 0: parse in the ingester itself
    Setting("INGEST_PARSE_SECONDS", POSITIVE, 30),  # then one message's parse has failed
    Setting("INGEST_PARSE_MEMORY_MB", COUNT, 2048),  # a parsing worker's address space; 0: none
    Setting("NOT_SUPER_USER_NOTICE_INTERVAL", MINUTES, timedelta(days=1)),
    Setting("SENDER_AUTH", choice(*SENDER_AUTH_MODES), "log"),
    Setting("AUTHSERV_ID", TEXT, ""),
    Setting("CALAMITY_ADDRESSES", STRING_LIST, ()),
    # Outgoing mail (SMTP).
    Setting("MAIL_SERVER", TEXT, ""),  # empty: no SMTP, mail waits in the outbox
    Setting("MAIL_PORT", PORT, 465),
    Setting("MAIL_SECURITY", SECURITY, "ssl"),  # TLS never falls back to plaintext
    Setting("MAIL_CA_FILE", OPTIONAL_TEXT, None),  # None: the system's trusted certificates
    Setting("MAIL_USERNAME", OPTIONAL_TEXT, None),
    Setting("MAIL_PASSWORD", OPTIONAL_TEXT, None),
    Setting("MAIL_DEFAULT_SENDER", TEXT, "support@helpdesk.invalid"),
    Setting("MAIL_TIMEOUT_SECONDS", POSITIVE, 30),
    Setting("OUTBOX_MAX_ATTEMPTS", POSITIVE, 8),
    Setting("OUTBOX_RETRY_SECONDS", POSITIVE, 60),  # doubled for each next retry
    Setting("OUTBOX_LEASE_SECONDS", POSITIVE, 60),  # a dead sender's mail goes again after it
    Setting("AUTOMATIC_MAILS_PER_RECIPIENT_PER_HOUR", POSITIVE, 5),
    # A breach the sweep finds later than this after its moment (the worker was not running)
    # is recorded as ever but reported in one summary to the managers, not a mail per ticket.
    Setting("ESCALATION_LATE_MINUTES", POSITIVE, 60),
    # The agents' workspace: how often open pages refresh themselves (htmx polling).
    Setting("QUEUE_POLL_SECONDS", POSITIVE, 20),
    Setting("QUEUE_PAGE_SIZE", POSITIVE, 50),
    Setting("PRESENCE_POLL_SECONDS", POSITIVE, 15),
    # The desk as customers see it. DESK_URL is where people open it: every link in mail comes
    # from it, and requests naming another host are refused.
    Setting("DESK_URL", TEXT, "http://127.0.0.1:5000"),
    Setting("TRUSTED_HOSTS", STRING_LIST, None),  # None: DESK_URL's host (and loopback names)
    Setting("PROXY_FIX", COUNT, 0),  # reverse proxies whose X-Forwarded-* are believed
    Setting("DESK_NAME", TEXT, "Service desk"),
    Setting("PHONE_NUMBER", TEXT, "+31 20 123 4567"),
    Setting("PHONE_HOURS", TEXT, "10:00-17:00"),
    Setting("PORTAL_POLL_SECONDS", POSITIVE, 20),  # an open ticket page looks for answers
)
BY_NAME = {setting.name: setting for setting in SETTINGS}


def defaults() -> dict[str, object]:
    """Every setting's default, by config key."""
    return {setting.name: setting.default for setting in SETTINGS}


def from_environment(environ: Mapping[str, str]) -> dict[str, object]:
    """The settings the environment gives, converted; SettingError names a bad one."""
    values: dict[str, object] = {}
    for setting in SETTINGS:
        raw = environ.get(setting.variable)
        if raw is None:
            continue
        try:
            values[setting.name] = setting.kind.parse(raw)
        except (ValueError, KeyError, OverflowError) as error:
            raise SettingError(f"{setting.variable}={raw!r} is not {setting.kind.expected}"
                               ) from error
    return values
