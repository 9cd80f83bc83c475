"""Outages of the servers the desk needs (database, IMAP, SMTP): said once, retried with backoff.

A loop that fails because a server is down says once what is down and since when, retries with
backoff, and says once when it is back and how long it was down; a fault of our own keeps its
traceback. One-shot commands exit with EX_TEMPFAIL, so cron and scripts can tell "try again
later" from a real error.
"""
import logging
import threading
from datetime import datetime, timedelta

import sqlalchemy as sa

from helpdesk.adapters.imap import MailboxError
from helpdesk.adapters.smtp import SendFailure

EX_TEMPFAIL = 75  # sysexits.h: a temporary failure, the caller may try again later
BACKOFF_FIRST_SECONDS = 1.0
BACKOFF_MAX_SECONDS = 60.0

DATABASE, IMAP_SERVER, SMTP_SERVER = "database", "IMAP server", "SMTP server"


class Unavailable(Exception):
    """A server the desk needs cannot be reached now; trying again later may work."""

    def __init__(self, service: str, detail: str):
        super().__init__(f"{service} unavailable: {detail}")
        self.service, self.detail = service, detail


def unavailable(error: BaseException) -> Unavailable | None:
    """The outage an error means, or None for a fault that trying again would not cure."""
    if isinstance(error, Unavailable):
        return error
    if isinstance(error, sa.exc.OperationalError | sa.exc.InterfaceError) or (
            isinstance(error, sa.exc.DBAPIError) and error.connection_invalidated):
        return Unavailable(DATABASE, _first_line(error.orig or error))
    if isinstance(error, MailboxError):
        return Unavailable(IMAP_SERVER, _first_line(error))
    if isinstance(error, SendFailure) and error.connection:
        return Unavailable(SMTP_SERVER, _first_line(error))
    return None


def _first_line(error: BaseException) -> str:
    lines = str(error).strip().splitlines()
    return lines[0] if lines else type(error).__name__


def _moment(now: datetime) -> str:
    return now.strftime("%Y-%m-%d %H:%M:%S %Z").strip()


def duration_text(elapsed: timedelta) -> str:
    """A duration for people: 2 h 5 min, 3 min 12 s, 40 s."""
    seconds = max(int(elapsed.total_seconds()), 0)
    hours, rest = divmod(seconds, 3600)
    minutes, seconds = divmod(rest, 60)
    if hours:
        return f"{hours} h {minutes} min"
    return f"{minutes} min {seconds} s" if minutes else f"{seconds} s"


class OutageTracker:
    """The failures of a loop's tasks: an outage is logged when it starts and when it ends.

    Threads may share one (the worker's jobs and its ingestion): a lock keeps it whole.
    """

    def __init__(self, log: logging.Logger):
        self.log = log
        self._lock = threading.Lock()
        self._since: dict[str, datetime] = {}  # service -> the first failure of this outage
        self._down_for: dict[str, set[str]] = {}  # task -> the services it found down
        self._failures: dict[str, int] = {}  # task -> failures in a row
        self._last_was_outage: dict[str, bool] = {}

    def failed(self, task: str, error: BaseException, now: datetime) -> None:
        """Note a failed attempt: an outage once, with its start; a fault with its traceback."""
        with self._lock:
            self._failed(task, error, now)

    def _failed(self, task: str, error: BaseException, now: datetime) -> None:
        self._failures[task] = self._failures.get(task, 0) + 1
        outage = unavailable(error)
        self._last_was_outage[task] = outage is not None
        if outage is None:
            self.log.error("%s failed", task, exc_info=error)
            return
        self._down_for.setdefault(task, set()).add(outage.service)
        if outage.service not in self._since:
            self._since[outage.service] = now
            self.log.error("%s down since %s: %s; retrying with backoff", outage.service,
                           _moment(now), outage.detail)

    def succeeded(self, task: str, now: datetime) -> None:
        """The task worked again: what it found down is back."""
        with self._lock:
            self._succeeded(task, now)

    def _succeeded(self, task: str, now: datetime) -> None:
        self._failures.pop(task, None)
        self._last_was_outage.pop(task, None)
        for service in sorted(self._down_for.pop(task, ())):
            since = self._since.pop(service, None)
            if since is not None:
                self.log.warning("%s back at %s, down for %s (since %s)", service,
                                 _moment(now), duration_text(now - since), _moment(since))

    def is_down(self, task: str) -> bool:
        """Whether the task's last attempt failed because a server was down."""
        return self._last_was_outage.get(task, False)

    def delay_seconds(self, task: str) -> float:
        """The backoff before the task's next attempt: 0 while it works, then 1, 2, 4 … 60 s."""
        failures = self._failures.get(task, 0)
        if not failures:
            return 0.0
        return min(BACKOFF_FIRST_SECONDS * 2 ** (failures - 1), BACKOFF_MAX_SECONDS)
