"""The outbox worker: claim due mail, send it over SMTP, retry, fail or hold it back.

In development the catcher stands in for the server (catcher.py): the same claims and leases.

Delivery is at least once, never silently lost. A worker claims one row at a time with a
lease that it commits before talking to the server (on PostgreSQL the claim skips rows that
another worker is claiming: FOR UPDATE SKIP LOCKED; on SQLite the single UPDATE runs under
the database's write lock), so two workers never send one row. After the server accepted
the message the row is marked sent in a second commit. A crash between the server's
acceptance and that commit leaves the row claimed; once the lease runs out a later run sends
it again, with the same Message-ID, so mail clients see a duplicate of the same message.
That is the only way a row goes twice: at most one duplicate per such crash.

The lease is short (OUTBOX_LEASE_SECONDS), so a dead sender's rows go again within a minute;
a live sender renews the lease of the row it is sending from a heartbeat thread, so a long
SMTP conversation never loses it. Each later row of a batch is claimed at its own moment
(`now` advanced by the time the batch has taken), never with a lease that ran out waiting.

The loop brake is decided here, at send time, when we know what really went out: an
automatic mail to a recipient who already had AUTOMATIC_MAILS_PER_RECIPIENT_PER_HOUR
automatic mails sent (or being sent) in the past hour is held back, and agents see it.
"""
import logging
import threading
import time
from collections.abc import Callable, Collection
from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa
from flask import current_app

from helpdesk.adapters.smtp import SendFailure, VerifiedConnection, connect
from helpdesk.adapters.storage import blob_store
from helpdesk.domain.mail.compose import (
    OutgoingAttachment,
    OutgoingMail,
    compose,
    envelope_address,
)
from helpdesk.extensions import db
from helpdesk.models import Message, OutboxMessage, OutboxState
from helpdesk.outages import SMTP_SERVER, Unavailable
from helpdesk.services import Refusal
from helpdesk.services.language import desk_name, speaking
from helpdesk.services.mail_out import route
from helpdesk.services.mail_out.catcher import CatchingConnection
from helpdesk.services.mail_out.outbox import desk_address
from helpdesk.services.transaction import job

log = logging.getLogger(__name__)

MAX_RETRY_DELAY = timedelta(hours=6)
SEND_BATCH = 50  # mails per worker pass; a longer queue goes on in the next round
LOOP_BRAKE_WINDOW = timedelta(hours=1)


@dataclass
class SendReport:
    sent: int = 0
    retrying: int = 0
    failed: int = 0
    held_back: int = 0
    # Set when the server could not be reached, which ends the run early.
    connection_error: str | None = None
    more: bool = False  # the run stopped at its limit: more mail may be due

    def summary(self) -> str:
        counts = {"sent": self.sent, "retrying": self.retrying, "failed": self.failed,
                  "held back": self.held_back}
        return ", ".join(f"{count} {name}" for name, count in counts.items() if count)

    __str__ = summary

    def __bool__(self) -> bool:
        return bool(self.summary())


def send_job(now: datetime) -> SendReport | str:
    """The worker's job: send a batch of what is due, to the SMTP server or the catcher."""
    if route.route() == route.NOWHERE:
        return ""  # mail waits in the outbox, visible to agents, and staff pages say so
    report = send_due_mail(now, limit=SEND_BATCH)
    if report.connection_error:  # the worker says so once per outage
        raise Unavailable(SMTP_SERVER, f"{report.connection_error} ({report.summary()})")
    return report


def claim_lease() -> timedelta:
    """How long a claim holds without renewal: what a crashed sender's row waits."""
    return timedelta(seconds=float(current_app.config["OUTBOX_LEASE_SECONDS"]))


def batch_clock(now: datetime) -> Callable[[], datetime]:
    """`now`, advanced by the time a batch has taken since."""
    start = time.monotonic()
    return lambda: now + timedelta(seconds=time.monotonic() - start)


def retry_delay(attempts: int, first_delay: timedelta) -> timedelta:
    """Exponential backoff: the first delay, doubled after every further attempt."""
    return min(first_delay * 2 ** max(attempts - 1, 0), MAX_RETRY_DELAY)


def _connection(clock: Callable[[], datetime]) -> VerifiedConnection | CatchingConnection:
    """The catcher when it is on (development), else the SMTP server."""
    if route.route() == route.CATCHER:
        return CatchingConnection(clock)
    try:
        return connect(current_app)
    except ValueError as error:
        raise Refusal("Outgoing mail cannot be sent: %(error)s", error=str(error)) from None


def _envelope_from() -> str:
    """The desk address for MAIL FROM, checked before any mail is claimed."""
    try:
        address = envelope_address(desk_address())
    except ValueError as error:
        raise Refusal("MAIL_DEFAULT_SENDER: %(error)s", error=str(error)) from None
    if "@" not in address:
        raise Refusal("MAIL_DEFAULT_SENDER must be an email address.")
    return address


@job
def send_due_mail(now: datetime, limit: int = 200,
                  only: Collection[int] | None = None) -> SendReport:
    """Send what is due (of `only` these rows, if given), one row per commit; stop early when
    the server cannot be reached."""
    report = SendReport()
    envelope_from = _envelope_from()
    clock, moment = batch_clock(now), now
    with _connection(clock) as smtp:
        for _ in range(limit):
            outgoing = claim_next(moment, only)
            if outgoing is None:
                break
            failure = _deliver(outgoing, smtp, envelope_from, moment, clock, report)
            if failure is not None and failure.connection:
                report.connection_error = failure.reason
                break
            moment = clock()  # the next row is leased and stamped at its own moment
        else:
            report.more = True  # the limit, not the queue, ended the run
    return report


def _unclaimed(now: datetime):
    return sa.or_(OutboxMessage.claimed_until.is_(None), OutboxMessage.claimed_until <= now)


@job
def claim_next(now: datetime, only: Collection[int] | None = None) -> OutboxMessage | None:
    """Lease the next due row (of `only` these, if given) to this worker and commit, or None."""
    due = (
        sa.select(OutboxMessage.id)
        .where(OutboxMessage.state == OutboxState.PENDING, OutboxMessage.next_attempt_at <= now,
               _unclaimed(now), OutboxMessage.id.in_(only) if only is not None else sa.true())
        .order_by(OutboxMessage.next_attempt_at, OutboxMessage.id)
        .limit(1)
        .with_for_update(skip_locked=True)
    )
    claimed_id = db.session.scalar(
        sa.update(OutboxMessage)
        .where(OutboxMessage.id == due.scalar_subquery(),
               OutboxMessage.state == OutboxState.PENDING, _unclaimed(now))
        .values(claimed_until=now + claim_lease())
        .returning(OutboxMessage.id)
    )
    db.session.commit()
    return db.session.get(OutboxMessage, claimed_id) if claimed_id is not None else None


def _renew(connection, row_id: int, held_until: datetime, now: datetime,
           lease: timedelta) -> datetime | None:
    """Extend a lease this sender still holds (`held_until` unchanged) and commit; None if lost."""
    renewed = connection.execute(
        sa.update(OutboxMessage)
        .where(OutboxMessage.id == row_id, OutboxMessage.state == OutboxState.PENDING,
               OutboxMessage.claimed_until == held_until)
        .values(claimed_until=now + lease)
        .execution_options(synchronize_session=False))
    connection.commit()
    return now + lease if renewed.rowcount == 1 else None


class LeaseHeartbeat:
    """Renews one row's lease every third of the lease while the server takes its time."""

    def __init__(self, row_id: int, held_until: datetime, clock: Callable[[], datetime]):
        self.row_id, self.held_until, self.clock = row_id, held_until, clock
        self._lease = claim_lease()  # read here: the thread has no app context
        self._engine = db.engine
        self.interval_seconds = self._lease.total_seconds() / 3
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._beat, name=f"lease-{row_id}", daemon=True)

    def __enter__(self) -> "LeaseHeartbeat":
        self._thread.start()
        return self

    def __exit__(self, *exc_info) -> None:
        self._stop.set()
        self._thread.join()

    def _beat(self) -> None:
        with self._engine.connect() as connection:
            while not self._stop.wait(self.interval_seconds):
                try:
                    renewed = _renew(connection, self.row_id, self.held_until, self.clock(),
                                     self._lease)
                except Exception:  # the send goes on; the lease may run out
                    log.warning("outbox %s: could not renew the lease", self.row_id,
                                exc_info=True)
                    connection.rollback()
                    continue
                if renewed is None:
                    log.warning("outbox %s: the lease was lost to another sender", self.row_id)
                    return
                self.held_until = renewed


def loop_brake_engaged(outgoing: OutboxMessage, now: datetime) -> bool:
    """Whether the recipient had their hourly share of automatic mail already."""
    limit = current_app.config["AUTOMATIC_MAILS_PER_RECIPIENT_PER_HOUR"]
    recent = db.session.scalar(
        sa.select(sa.func.count()).select_from(OutboxMessage).where(
            OutboxMessage.to_address == outgoing.to_address,
            OutboxMessage.automatic.is_(True),
            OutboxMessage.id != outgoing.id,
            sa.or_(
                sa.and_(OutboxMessage.state == OutboxState.SENT,
                        OutboxMessage.sent_at > now - LOOP_BRAKE_WINDOW),
                # Claimed by another worker right now: counts as sent, so two never pass.
                sa.and_(OutboxMessage.state == OutboxState.PENDING,
                        OutboxMessage.claimed_until > now),
            ),
        )
    )
    return recent >= limit


def _outgoing_mail(outgoing: OutboxMessage, now: datetime) -> OutgoingMail:
    attachments = ()
    if outgoing.message_id is not None:
        message = db.session.get(Message, outgoing.message_id)
        store = blob_store()
        attachments = tuple(
            OutgoingAttachment(a.filename, a.content_type, store.read(a.storage_path))
            for a in message.attachments
        )
    with speaking(outgoing.language):  # the sender's name in the mail's language
        from_name = desk_name()
    return OutgoingMail(
        from_name=from_name, from_address=desk_address(),
        to_address=outgoing.to_address, subject=outgoing.subject,
        message_id=outgoing.smtp_message_id, date=now, body_text=outgoing.body_text,
        body_html=outgoing.body_html, language=outgoing.language, headers=outgoing.headers,
        attachments=attachments,
    )


@job
def _deliver(outgoing: OutboxMessage, smtp: VerifiedConnection | CatchingConnection,
             envelope_from: str,
             now: datetime, clock: Callable[[], datetime],
             report: SendReport) -> SendFailure | None:
    """Send one claimed row and record the outcome in its own commit."""
    row_id, recipient, held_until = outgoing.id, outgoing.to_address, outgoing.claimed_until
    if outgoing.automatic and loop_brake_engaged(outgoing, now):
        limit = current_app.config["AUTOMATIC_MAILS_PER_RECIPIENT_PER_HOUR"]
        _finish(outgoing, OutboxState.HELD_BACK,
                f"loop brake: {limit} automatic mails to {recipient} in the past hour")
        report.held_back += 1
        log.warning("outbox %s to %s held back by the loop brake", row_id, recipient)
        return None
    try:
        message = compose(_outgoing_mail(outgoing, now))
        recipients = [envelope_address(recipient)]
    except (ValueError, OSError) as error:  # an unsafe header; an attachment missing on disk
        outgoing.attempts += 1
        _finish(outgoing, OutboxState.FAILED, f"cannot compose: {error}")
        report.failed += 1
        log.error("outbox %s to %s cannot be composed: %s", row_id, recipient, error)
        return None
    db.session.commit()  # no transaction stays open while the server takes its time
    try:
        with LeaseHeartbeat(row_id, held_until, clock):
            smtp.send_composed(message, envelope_from, recipients)
    except SendFailure as failure:
        _record_failure(outgoing, failure, now, report)
        return failure
    outgoing.attempts += 1
    outgoing.sent_at = now
    _finish(outgoing, OutboxState.SENT, None)
    report.sent += 1
    log.info("outbox %s sent to %s as <%s>", row_id, recipient, outgoing.smtp_message_id)
    return None


def _record_failure(outgoing: OutboxMessage, failure: SendFailure, now: datetime,
                    report: SendReport) -> None:
    outgoing.attempts += 1
    max_attempts = current_app.config["OUTBOX_MAX_ATTEMPTS"]
    if failure.permanent or outgoing.attempts >= max_attempts:
        _finish(outgoing, OutboxState.FAILED, failure.reason)
        report.failed += 1
        log.error("outbox %s to %s failed after %s attempt(s): %s", outgoing.id,
                  outgoing.to_address, outgoing.attempts, failure.reason)
        return
    first_delay = timedelta(seconds=current_app.config["OUTBOX_RETRY_SECONDS"])
    outgoing.next_attempt_at = now + retry_delay(outgoing.attempts, first_delay)
    _finish(outgoing, OutboxState.PENDING, failure.reason)
    report.retrying += 1
    # No session with the server at all: the caller says once that the server is down.
    log.log(logging.INFO if failure.connection else logging.WARNING,
            "outbox %s to %s will be retried at %s: %s", outgoing.id, outgoing.to_address,
            outgoing.next_attempt_at.isoformat(), failure.reason)


@job
def _finish(outgoing: OutboxMessage, state: OutboxState, error: str | None) -> None:
    outgoing.state = state
    outgoing.last_error = error[:500] if error else None
    outgoing.claimed_until = None
    db.session.commit()
