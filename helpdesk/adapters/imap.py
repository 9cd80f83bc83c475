"""A thin IMAPClient session: TLS that fails closed, a timeout on every call, UID bookkeeping."""
from __future__ import annotations

import logging
import ssl
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime

from imapclient import IMAPClient, SocketTimeout
from imapclient.exceptions import IMAPClientError, LoginError

from helpdesk.adapters.network import is_loopback
from helpdesk.settings import SECURITY_MODES

log = logging.getLogger(__name__)

# Headers of a message too large to download: enough to name the sender and subject.
HEADER_PEEK_BYTES = 64 * 1024
FLAGGED = b"\\Flagged"


class ImapConfigError(ValueError):
    """The IMAP settings are unusable (one line, shown to the operator)."""


class MailboxError(Exception):
    """The server dropped, refused or stopped answering: retry later, nothing is lost."""


class MailboxLoginRefused(MailboxError):
    """The server refused the credentials: retrying will not help until someone fixes them."""


@dataclass(frozen=True)
class ImapSettings:
    """Where to fetch mail and how to protect the connection."""

    host: str
    port: int
    user: str
    password: str
    folder: str = "INBOX"
    processed_folder: str = ""  # empty: flag processed mail instead of moving it
    security: str = "ssl"
    timeout_seconds: float = 30
    ca_file: str = ""  # empty: the system's trusted certificates

    @classmethod
    def from_config(cls, config: Mapping) -> ImapSettings:
        settings = cls(
            host=config["IMAP_HOST"], port=int(config["IMAP_PORT"]), user=config["IMAP_USER"],
            password=config["IMAP_PASSWORD"], folder=config["IMAP_FOLDER"],
            processed_folder=config["IMAP_PROCESSED_FOLDER"],
            security=str(config["IMAP_SECURITY"]).lower(),
            timeout_seconds=float(config["IMAP_TIMEOUT_SECONDS"]),
            ca_file=config.get("IMAP_CA_FILE", ""),
        )
        settings.check()
        return settings

    @property
    def mailbox(self) -> str:
        """The name under which this folder's position and lock are kept."""
        return f"{self.user}@{self.host}:{self.port}/{self.folder}"[:200]

    def check(self) -> None:
        if self.security not in SECURITY_MODES:
            raise ImapConfigError(f"IMAP_SECURITY must be ssl, starttls or none, "
                                  f"not {self.security!r}")
        if self.security == "none" and not is_loopback(self.host):
            raise ImapConfigError("IMAP_SECURITY none is allowed for a loopback host only")
        if not self.user:
            raise ImapConfigError("IMAP_USER is not set")
        if self.timeout_seconds <= 0:
            raise ImapConfigError("IMAP_TIMEOUT_SECONDS must be positive")


@dataclass(frozen=True)
class Envelope:
    """What we learn about a message before deciding to download it."""

    uid: int
    size: int
    internal_date: datetime  # aware UTC: when the server received it


@contextmanager
def _translated(action: str) -> Iterator[None]:
    """Every failure of the server or the network becomes one MailboxError."""
    try:
        yield
    except LoginError as error:
        raise MailboxLoginRefused(f"IMAP {action} refused: {error}") from error
    except (IMAPClientError, OSError) as error:  # ssl and socket errors are OSErrors
        raise MailboxError(f"IMAP {action} failed: {type(error).__name__}: {error}") from error


class ImapSession:
    """One logged-in connection with the configured folder selected."""

    def __init__(self, settings: ImapSettings, client: IMAPClient):
        self.settings = settings
        self.client = client

    def select(self) -> int:
        """Select the folder read-write; returns its UIDVALIDITY."""
        with _translated("select"):
            info = self.client.select_folder(self.settings.folder)
        return int(info[b"UIDVALIDITY"])

    def envelopes_after(self, last_uid: int) -> list[Envelope]:
        """Size and arrival time of every message with a UID above last_uid, in UID order."""
        with _translated("search"):
            # "n:*" always includes the highest UID, even when it is below n: filter.
            uids = [uid for uid in self.client.search(["UID", f"{last_uid + 1}:*"])
                    if uid > last_uid]
            if not uids:
                return []
            found = self.client.fetch(sorted(uids), ["RFC822.SIZE", "INTERNALDATE"])
        return [
            Envelope(uid=uid, size=int(data[b"RFC822.SIZE"]),
                     internal_date=_aware_utc(data[b"INTERNALDATE"]))
            for uid, data in sorted(found.items())
        ]

    def fetch_raw(self, uids: list[int]) -> dict[int, bytes]:
        """The whole messages, without setting \\Seen (BODY.PEEK)."""
        with _translated("fetch"):
            found = self.client.fetch(uids, ["BODY.PEEK[]"])
        return {uid: bytes(data[b"BODY[]"]) for uid, data in found.items() if b"BODY[]" in data}

    def fetch_header(self, uid: int) -> bytes:
        """At most HEADER_PEEK_BYTES of a message's header block, for a message we won't pull."""
        with _translated("fetch header"):
            found = self.client.fetch([uid], [f"BODY.PEEK[HEADER]<0.{HEADER_PEEK_BYTES}>"])
        data = found.get(uid, {})
        return bytes(next((v for k, v in data.items() if k.startswith(b"BODY[HEADER]")), b""))

    def mark_processed(self, uids: list[int]) -> None:
        """After the commit: move to the processed folder, or flag in place."""
        if not uids:
            return
        target = self.settings.processed_folder
        with _translated("mark processed"):
            if not target:
                self.client.add_flags(uids, [FLAGGED], silent=True)
            elif self.client.has_capability("MOVE"):
                self.client.move(uids, target)
            else:
                self.client.copy(uids, target)
                self.client.add_flags(uids, [b"\\Deleted"], silent=True)
                self.client.uid_expunge(uids)

    @property
    def can_idle(self) -> bool:
        return self.client.has_capability("IDLE")

    def idle(self, seconds: float, stop: Callable[[], bool]) -> bool:
        """Wait in IDLE until the server reports a change, `seconds` pass or stop() is true."""
        deadline = time.monotonic() + seconds
        with _translated("idle"):
            # Mail that came in since our last command is reported by NOOP, not by IDLE.
            _, responses = self.client.noop()
            changed = any(_is_change(r) for r in responses)
            if changed or stop():
                return changed
            self.client.idle()
            try:
                while not changed and not stop():
                    left = deadline - time.monotonic()
                    if left <= 0:
                        break
                    # Short slices keep the stop check responsive; each is one poll() call.
                    wait = min(left, 1.0)
                    started = time.monotonic()
                    responses = self.client.idle_check(timeout=wait)
                    if not responses and time.monotonic() - started < wait / 2:
                        break  # woken without a response: the server hung up, DONE will say
                    changed = any(_is_change(r) for r in responses)
            finally:
                self.client.idle_done()
        return changed

    def close(self) -> None:
        try:
            self.client.logout()
        except Exception:  # the connection may be gone already
            try:
                self.client.shutdown()
            except Exception as error:
                log.debug("IMAP connection did not close cleanly: %s", error)


def _is_change(response: tuple) -> bool:
    """EXISTS (new mail) and EXPUNGE responses mean there may be work; "OK still here" not."""
    return len(response) > 1 and response[1] in (b"EXISTS", b"EXPUNGE", b"RECENT")


def _aware_utc(value: datetime) -> datetime:
    if value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    return value.astimezone(UTC)


def tls_context(settings: ImapSettings) -> ssl.SSLContext:
    """A verifying context: certificate and host name are always checked."""
    context = ssl.create_default_context(cafile=settings.ca_file or None)
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    return context


@contextmanager
def open_session(settings: ImapSettings) -> Iterator[ImapSession]:
    """Connect, secure, log in and select; never falls back to plaintext."""
    settings.check()
    timeout = SocketTimeout(connect=settings.timeout_seconds, read=settings.timeout_seconds)
    context = tls_context(settings) if settings.security != "none" else None
    with _translated("connect"):
        client = IMAPClient(settings.host, settings.port, ssl=settings.security == "ssl",
                            ssl_context=context, timeout=timeout)
    session = ImapSession(settings, client)
    try:
        with _translated("login"):
            client.normalise_times = False  # aware INTERNALDATEs, not local naive times
            if settings.security == "starttls":
                client.starttls(context)  # raises when not offered: no plaintext fallback
            client.login(settings.user, settings.password)
            if settings.processed_folder and not client.folder_exists(settings.processed_folder):
                client.create_folder(settings.processed_folder)
        yield session
    finally:
        session.close()
