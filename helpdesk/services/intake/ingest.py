"""Fetch mail from the IMAP folder into tickets: exactly once, in UID order, one ingester at a time.

Per message: keep the raw bytes, commit the ticket message or held message with its receipt, then
flag or move the message on the server, then advance the folder position. A crash before the
commit leaves the message unflagged and the position where it was; a crash after the commit is
recognised on the next pass by the receipt, so nothing is lost and nothing is ingested twice.

A message can also kill the process (an out-of-memory kill, a crash in a parser, a parse that
never ends). So before a batch's work starts, the folder's state says durably which UIDs are
being attempted; when a pass died in a batch, the next pass takes those messages one by one
and counts each attempt, committed, before the work that could kill it. A message that killed
the ingester as often as failing messages may fail is held as unparsable, and the mailbox goes
on: its neighbours in the batch become tickets.
"""
from __future__ import annotations

import logging
import threading
from collections import Counter
from collections.abc import Callable, Iterator
from concurrent.futures import Future
from dataclasses import dataclass, field
from datetime import datetime

import sqlalchemy as sa
from flask import current_app

from helpdesk.adapters.imap import (
    Envelope,
    ImapConfigError,
    ImapSession,
    ImapSettings,
    MailboxError,
    open_session,
)
from helpdesk.extensions import db
from helpdesk.models import IngestFailure, MailboxState, MailReceipt
from helpdesk.outages import OutageTracker
from helpdesk.services import Refusal
from helpdesk.services.intake.inbound_mail import (
    Kept,
    MailSource,
    Result,
    Staging,
    commit_staged,
    keep,
    stage_failing,
    stage_kept,
    stage_too_large,
)
from helpdesk.services.intake.mailbox_lock import mailbox_lock
from helpdesk.services.intake.parse_ahead import AheadParser, Parsed, Unparsed, ahead_parser
from helpdesk.services.intake.routing import sender_auth_mode
from helpdesk.services.promise.calendar_settings import SlaTerms
from helpdesk.services.transaction import job

log = logging.getLogger(__name__)

# Bodies are downloaded, and committed, in batches: few round trips and commits, bounded memory.
FETCH_BATCH_BYTES = 16 * 1024 * 1024
FETCH_BATCH_MESSAGES = 100
ALREADY_INGESTED = "already ingested"  # a pass's count of mail it had stored before
IDLE_RENEW_SECONDS = 120  # a pass this often whatever IDLE says; servers drop IDLE at 30 min
# Failures of the database, the disk or the server are not the message's fault: not counted.
_INFRASTRUCTURE_ERRORS = (MailboxError, sa.exc.OperationalError, sa.exc.InterfaceError, OSError)
# What an attempt counted before the work says until the work ends; shown if it never does.
DIED_WHILE_INGESTING = ("the ingester stopped while ingesting it (killed, out of memory, "
                        "crashed, or parsing it did not end)")


class ParseFailed(Exception):
    """The parsing worker could not parse a message within its limits."""


@dataclass
class PassReport:
    """What one pass over the folder did."""

    mailbox: str
    counts: Counter = field(default_factory=Counter)
    failed: int = 0
    busy: bool = False
    rescanned: bool = False

    def summary(self) -> str:
        if self.busy:
            return f"{self.mailbox}: another ingester is working on this mailbox"
        parts = [f"{count} {outcome}" for outcome, count in sorted(self.counts.items())]
        if self.failed:
            parts.append(f"{self.failed} failed (retried on the next pass)")
        rescan = " (UIDVALIDITY changed: rescanned)" if self.rescanned else ""
        return f"{self.mailbox}{rescan}: {', '.join(parts) or 'no new mail'}"


def imap_settings() -> ImapSettings:
    try:
        return ImapSettings.from_config(current_app.config)
    except ImapConfigError as error:
        raise Refusal("Incoming mail cannot be fetched: %(error)s", error=str(error)) from None


def ingest_once(now: datetime) -> PassReport:
    """Ingest what is in the mailbox now, then disconnect (`flask ingest --once`, the worker)."""
    settings = imap_settings()
    sender_auth_mode()  # a bad setting stops here, not as a failure of every message
    with mailbox_lock(settings.mailbox) as locked:
        if not locked:
            return PassReport(settings.mailbox, busy=True)
        try:
            with open_session(settings) as session:
                return run_pass(session, now)
        except MailboxError as error:  # a refused login, too, is what the folder's state says
            record_pass_error(settings.mailbox, error, now)
            raise


def ingest_job(now: datetime) -> str:
    """The worker's job: one pass when a mailbox is configured; its summary, "" if nothing new."""
    if not current_app.config["IMAP_USER"]:
        return ""  # no mailbox configured (a development desk): nothing to fetch
    report = ingest_once(now)
    return report.summary() if report.counts or report.failed or report.rescanned else ""


def ingest_job_forever(stop: threading.Event, clock: Callable[[], datetime],
                       tracker: OutageTracker | None = None) -> None:
    """The worker's ingestion beside its other jobs: IDLE until stopped, when a mailbox is set."""
    if current_app.config["IMAP_USER"]:
        ingest_forever(stop, clock, tracker)


def ingest_forever(stop: threading.Event, clock: Callable[[], datetime],
                   tracker: OutageTracker | None = None) -> None:
    """Ingest until `stop` is set: a pass, then IDLE (or a poll interval); reconnect on failure.

    `tracker`: the worker's, shared with its other jobs, so an outage they meet is said once.
    """
    settings = imap_settings()
    sender_auth_mode()
    poll_seconds = float(current_app.config["IMAP_POLL_SECONDS"])
    task = f"ingesting {settings.mailbox}"
    # A server that is down: said once, and once when it is back.
    tracker = tracker or OutageTracker(log)
    while not stop.is_set():
        try:
            with open_session(settings) as session:
                while not stop.is_set():
                    took_mail = False
                    with mailbox_lock(settings.mailbox) as locked:
                        if locked:
                            report = run_pass(session, clock())
                            _log_report(report)
                            took_mail = _took_new_mail(report)
                        else:
                            session.select()
                    tracker.succeeded(task, clock())
                    if took_mail:
                        continue  # mail that came meanwhile was announced to the pass, not IDLE
                    if session.can_idle:
                        session.idle(IDLE_RENEW_SECONDS if locked else poll_seconds, stop.is_set)
                    else:
                        stop.wait(poll_seconds)
        except Exception as error:  # the worker outlives any one failure
            db.session.rollback()
            record_pass_error(settings.mailbox, error, clock())
            tracker.failed(task, error, clock())
            stop.wait(tracker.delay_seconds(task))


def _took_new_mail(report: PassReport) -> bool:
    """Whether a pass took new mail in without a failure: more may have come meanwhile.

    The server announces new mail to whichever command comes next, and during a pass that is
    one of the pass's own (FETCH, STORE, MOVE): the NOOP before IDLE hears nothing, and the
    mail would wait for IDLE_RENEW_SECONDS. A pass that found nothing new (or met a failure,
    which waits for a later pass on purpose) goes to IDLE as ever.
    """
    return not report.failed and any(outcome != ALREADY_INGESTED for outcome in report.counts)


def _log_report(report: PassReport) -> None:
    if report.counts or report.failed or report.rescanned:
        log.info("%s", report.summary())


@job
def run_pass(session: ImapSession, now: datetime) -> PassReport:
    """Everything above the folder's last position, in UID order; the caller holds the lock.

    The folder's state says when the pass ended, what stopped it, and how much mail it left.
    """
    mailbox = session.settings.mailbox
    report = PassReport(mailbox)
    uidvalidity = session.select()
    state = _position(mailbox, uidvalidity, report)
    try:
        _ingest_folder(session, state, report, now)
    except Exception as error:
        db.session.rollback()
        record_pass_error(mailbox, error, now)
        raise
    _passed(state, report.failed, now)  # the failed are retried by the next pass
    return report


def _ingest_folder(session: ImapSession, state: MailboxState, report: PassReport,
                   now: datetime) -> None:
    """The pass's work, counted in the report."""
    mailbox, uidvalidity = state.mailbox, state.uidvalidity
    last_uid = state.last_uid
    died_through = state.attempting_through_uid or 0  # a pass died in a batch up to this UID
    envelopes = session.envelopes_after(last_uid)
    if not envelopes:
        return
    done = set(db.session.scalars(
        sa.select(MailReceipt.uid).where(MailReceipt.mailbox == mailbox,
                                         MailReceipt.uidvalidity == uidvalidity,
                                         MailReceipt.uid > last_uid)))
    failures = {f.uid: f for f in db.session.scalars(
        sa.select(IngestFailure).where(IngestFailure.mailbox == mailbox,
                                       IngestFailure.uidvalidity == uidvalidity,
                                       IngestFailure.uid > last_uid))}
    folder = _FolderPass(session, mailbox, uidvalidity, now, SlaTerms.configured(),
                         current_app.config["MAX_MESSAGE_BYTES"], failures)
    stuck = False  # a failed message keeps the position below it until it is dealt with
    batches = list(_batches(envelopes, done, folder.limit))
    workers = current_app.config["INGEST_PARSE_WORKERS"] if len(batches) > 1 else 0
    config = current_app.config
    with ahead_parser(workers, config["MAX_ATTACHMENT_BYTES"], config["INGEST_PARSE_SECONDS"],
                      config["INGEST_PARSE_MEMORY_MB"]) as parser:
        for batch, pending, bodies, parsing in _fetched(session, batches, done, folder, parser):
            parsed = parser.result(parsing)
            if parsed is None or any(e.uid <= died_through for e in pending):
                # A parsing worker died on it, or a pass died in it: each attempt counted first.
                outcomes = folder.one_by_one(
                    pending, bodies, parsed or {},
                    careful=lambda uid, failed=parsed is None: failed or uid <= died_through)
            else:
                _attempting(state, batch[-1].uid)  # durably, before the work that could kill
                outcomes = folder.all_at_once(pending, bodies, parsed)
                if outcomes is None:
                    outcomes = folder.one_by_one(pending, bodies, parsed)
            del bodies
            finished: list[int] = []
            for envelope in batch:
                outcome = outcomes.get(envelope.uid)
                if envelope.uid in done:
                    report.counts[ALREADY_INGESTED] += 1
                    finished.append(envelope.uid)
                elif isinstance(outcome, Exception):
                    report.failed += 1
                    stuck = True
                elif outcome is None:
                    report.counts["vanished"] += 1  # expunged by someone else meanwhile
                else:
                    report.counts[outcome.outcome.value] += 1
                    finished.append(envelope.uid)
                if not stuck:
                    last_uid = envelope.uid
            session.mark_processed(finished)
            _advance(state, last_uid, [u for u in finished if u in failures], batch[-1].uid)


_Fetched = tuple[list[Envelope], list[Envelope], dict[int, bytes], Future | None]


def _fetched(session: ImapSession, batches: list[list[Envelope]], done: set[int],
             folder: _FolderPass, parser: AheadParser) -> Iterator[_Fetched]:
    """Each batch with its envelopes still to ingest, their bodies and their parsing.

    With a parsing worker, the next batch is fetched, and its parsing started, before a batch
    is handed out to be stored; the first is parsed by the ingester while the worker starts.
    Without one, each batch is stored before the next is fetched.
    """
    previous: _Fetched | None = None
    for batch in batches:
        pending = [e for e in batch if e.uid not in done]
        try:
            bodies = session.fetch_raw([e.uid for e in pending if e.size <= folder.limit])
        except MailboxError:
            if previous is not None:
                yield previous  # fetched whole: stored before the failure stops the pass
            raise
        parsing = None if previous is None else parser.start(
            {uid: raw for uid, raw in bodies.items() if not folder.given_up(uid)})
        if previous is not None:
            yield previous
        previous = (batch, pending, bodies, parsing)
        if not parser.working:
            yield previous
            previous = None
    if previous is not None:
        yield previous


@dataclass
class _FolderPass:
    """One pass over a folder: ingests a batch in one transaction, or message by message."""

    session: ImapSession
    mailbox: str
    uidvalidity: int
    now: datetime
    sla_terms: SlaTerms
    limit: int
    failures: dict[int, IngestFailure]

    @job
    def all_at_once(self, pending: list[Envelope], bodies: dict[int, bytes],
                    parsed: dict[int, Parsed]) -> dict[int, Result | None] | None:
        """The batch in one commit (the fast way); None when any message fails.

        Every message is kept and parsed first (unless `parsed` has it already), so one query
        finds the receipts and one the senders of them all; files are synced once, before
        the commit.
        """
        staging = Staging.batch(len(pending))
        try:
            kept = {e.uid: _keep(bodies[e.uid], staging, parsed.get(e.uid))
                    for e in pending if e.uid in bodies and not self.given_up(e.uid)}
            staging.look_up(kept.values())
            with db.session.no_autoflush:  # one flush inserts the batch, just before its commit
                outcomes = {e.uid: self._stage(e, bodies.get(e.uid), staging, kept.get(e.uid))
                            for e in pending}
            staging.before_commit()
            db.session.commit()
        except _INFRASTRUCTURE_ERRORS:
            db.session.rollback()
            raise
        except Exception:  # one_by_one finds the culprit
            db.session.rollback()
            log.info("a batch of %s failed; ingesting it message by message", self.mailbox)
            return None
        return outcomes

    @job
    def one_by_one(self, pending: list[Envelope], bodies: dict[int, bytes],
                   parsed: dict[int, Parsed],
                   careful: Callable[[int], bool] = lambda uid: False,
                   ) -> dict[int, Result | Exception | None]:
        """Each message in its own commit; a failing one is counted and skipped.

        A `careful` message has its attempt counted, and committed, before it is worked on:
        if the work kills the process, the attempt still counts.
        """
        outcomes: dict[int, Result | Exception | None] = {}
        for envelope in pending:
            counted = (careful(envelope.uid) and envelope.uid in bodies
                       and envelope.size <= self.limit and not self.given_up(envelope.uid))
            try:
                if counted:
                    self._count_attempt(envelope)
                staging = Staging.batch()
                result = self._stage(envelope, bodies.get(envelope.uid), staging,
                                     parsed=parsed.get(envelope.uid), trying=counted)
                outcomes[envelope.uid] = commit_staged(result, staging) if result else None
            except _INFRASTRUCTURE_ERRORS:
                db.session.rollback()
                raise
            except Exception as error:  # one bad message never stops the rest
                db.session.rollback()
                log.exception("ingesting UID %s of %s failed", envelope.uid, self.mailbox)
                self.failures[envelope.uid] = _count_failure(
                    self._source(envelope), error, self.now, counted=counted)
                outcomes[envelope.uid] = error
        return outcomes

    def _count_attempt(self, envelope: Envelope) -> None:
        log.info("ingesting UID %s of %s with its attempt counted first", envelope.uid,
                 self.mailbox)
        self.failures[envelope.uid] = _count_failure(
            self._source(envelope), DIED_WHILE_INGESTING, self.now)

    def _source(self, envelope: Envelope) -> MailSource:
        return MailSource(self.mailbox, self.uidvalidity, envelope.uid)

    def given_up(self, uid: int) -> bool:
        """Failed every allowed attempt: held unparsed from now on."""
        failure = self.failures.get(uid)
        return (failure is not None
                and failure.attempts >= current_app.config["INGEST_MAX_ATTEMPTS"])

    def _stage(self, envelope: Envelope, raw: bytes | None, staging: Staging,
               kept: Kept | None = None, parsed: Parsed | None = None,
               trying: bool = False) -> Result | None:
        """One message by its size, its failure count and its bytes; None when it vanished.

        `trying`: its attempt was just counted, so the count includes this attempt, which is
        made (held only when the deaths it caused used up every attempt, not one before).
        """
        source, received_at = self._source(envelope), envelope.internal_date
        if envelope.size > self.limit:
            return stage_too_large(self.session.fetch_header(envelope.uid), envelope.size,
                                   received_at=received_at, now=self.now, source=source,
                                   staging=staging)
        if raw is None:
            return None
        if not trying and self.given_up(envelope.uid):
            failure = self.failures[envelope.uid]
            return stage_failing(raw, f"failed {failure.attempts} times: {failure.last_error}",
                                 received_at=received_at, now=self.now, source=source,
                                 staging=staging)
        return stage_kept(kept or _keep(raw, staging, parsed), received_at=received_at,
                          now=self.now, source=source, sla_terms=self.sla_terms, staging=staging)


def _keep(raw: bytes, staging: Staging, parsed: Parsed | None) -> Kept:
    """Keep and parse a message, unless the parsing worker parsed it (or failed to)."""
    if isinstance(parsed, Unparsed):
        raise ParseFailed(parsed.error)
    return keep(raw, staging.store, parsed)


def _batches(envelopes: list[Envelope], done: set[int], limit: int) -> Iterator[list[Envelope]]:
    batch: list[Envelope] = []
    size = 0
    for envelope in envelopes:
        downloads = envelope.uid not in done and envelope.size <= limit
        if batch and (len(batch) >= FETCH_BATCH_MESSAGES
                      or (downloads and size + envelope.size > FETCH_BATCH_BYTES)):
            yield batch
            batch, size = [], 0
        batch.append(envelope)
        size += envelope.size if downloads else 0
    if batch:
        yield batch


@job
def _position(mailbox: str, uidvalidity: int, report: PassReport) -> MailboxState:
    """The folder's last position; a new UIDVALIDITY starts a rescan (receipts stop repeats)."""
    state = db.session.scalar(sa.select(MailboxState).where(MailboxState.mailbox == mailbox))
    if state is None:
        state = MailboxState(mailbox=mailbox, uidvalidity=uidvalidity, last_uid=0)
        db.session.add(state)
    elif state.uidvalidity != uidvalidity:
        log.warning("UIDVALIDITY of %s changed from %s to %s: rescanning", mailbox,
                    state.uidvalidity, uidvalidity)
        state.uidvalidity, state.last_uid = uidvalidity, 0
        report.rescanned = True
    db.session.commit()
    return state


@job
def _passed(state: MailboxState, waiting: int, now: datetime) -> None:
    """A pass ran through: when, and the mail it left in the folder (failed, retried next)."""
    state.last_pass_at, state.last_error, state.mail_waiting = now, None, waiting
    state.last_success_at = now
    db.session.commit()


@job
def record_pass_error(mailbox: str, error: Exception, now: datetime) -> None:
    """What stopped a pass over a folder whose state exists; a failure to say so is logged."""
    try:
        state = db.session.scalar(sa.select(MailboxState).where(MailboxState.mailbox == mailbox))
        if state is not None:
            state.last_pass_at = now
            state.last_error = f"{type(error).__name__}: {error}"[:500]
            db.session.commit()
    except Exception:  # the database may be what failed: the original error goes on
        db.session.rollback()
        log.exception("could not record the failed pass over %s", mailbox)


@job
def _attempting(state: MailboxState, through_uid: int) -> None:
    """Say durably that the messages up to `through_uid` are being worked on (one commit)."""
    if (state.attempting_through_uid or 0) < through_uid:
        state.attempting_through_uid = through_uid
        db.session.commit()


@job
def _advance(state: MailboxState, last_uid: int, recovered: list[int],
             finished_through: int) -> None:
    """After the server has the flags: move the position, forget failures that came right,
    and the attempt of a batch whose work ended."""
    if (state.attempting_through_uid or 0) and finished_through >= state.attempting_through_uid:
        state.attempting_through_uid = None
    if recovered:
        db.session.execute(sa.delete(IngestFailure).where(
            IngestFailure.mailbox == state.mailbox, IngestFailure.uidvalidity == state.uidvalidity,
            IngestFailure.uid.in_(recovered)))
    if last_uid > state.last_uid:
        state.last_uid = last_uid
    db.session.commit()


@job
def _count_failure(source: MailSource, error: Exception | str, now: datetime, *,
                   counted: bool = False) -> IngestFailure:
    """One more failed attempt, committed; `counted`: the attempt was counted before it."""
    failure = db.session.scalar(sa.select(IngestFailure).where(
        IngestFailure.mailbox == source.mailbox, IngestFailure.uidvalidity == source.uidvalidity,
        IngestFailure.uid == source.uid))
    if failure is None:
        failure = IngestFailure(mailbox=source.mailbox, uidvalidity=source.uidvalidity,
                                uid=source.uid, attempts=0)
        db.session.add(failure)
    if not counted or not failure.attempts:
        failure.attempts += 1
    failure.last_error = (error if isinstance(error, str)
                          else f"{type(error).__name__}: {error}")[:500]
    failure.last_attempt_at = now
    db.session.commit()
    return failure
