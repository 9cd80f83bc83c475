"""The periodic jobs the worker runs, declared as data: a function of `now` and an interval.

Mail ingestion runs beside them in its own thread (IDLE), so a long job never keeps mail
waiting; jobs that may take minutes (a backup, a rollup) run in a lane of their own, so the
sweep and the outbox never wait for them. Long jobs work in bounded batches, and one that has
more to do says so (a summary with `more` set) and runs again right after the other jobs of
its lane had their turn.

A worker runs only the jobs whose lease it holds (`services.operations.heartbeats`), so any
number of workers, on any machines, never run one job twice at once; the others stand by and
take a job over when its worker stops renewing its lease.
"""
import logging
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from flask import current_app

from helpdesk.extensions import db
from helpdesk.outages import OutageTracker
from helpdesk.services import Refusal
from helpdesk.services.escalation import sweep
from helpdesk.services.intake import ingest, mail_in
from helpdesk.services.mail_out import sender
from helpdesk.services.operations import backups, heartbeats, watchdog
from helpdesk.services.people import directory
from helpdesk.services.portal import link_mail
from helpdesk.services.privacy import erasure_files, export_requests, retention
from helpdesk.services.promise import recompute
from helpdesk.services.stats import rollup

log = logging.getLogger(__name__)


PROMPT, LONG = "prompt", "long"
# How long a stopping worker waits for its jobs' current steps before it leaves them: within
# systemd's and most supervisors' 10 s, and every step is safe to abandon (its transaction is
# rolled back, a backup's files are written under a temporary name).
STOP_SECONDS = 8.0


@dataclass(frozen=True)
class Job:
    name: str
    # Returns a summary for the log; a falsy summary means the pass found nothing to do.
    run: Callable[[datetime], object]
    interval_seconds: int
    # Runs until the event is set, beside the other jobs, in the running worker (`run` is then
    # its one pass for `flask worker --once`); it says outages through the jobs' tracker.
    forever: Callable[[threading.Event, Callable[[], datetime], OutageTracker], None] | None = None
    lane: str = PROMPT  # LONG for a job that may take minutes, run beside the prompt ones


JOBS: tuple[Job, ...] = (
    Job("sla-sweep", sweep.sweep, 60),
    Job("calendar-recompute", recompute.run_pending, 5),
    # IDLE in a thread of its own: mail within seconds, whatever the other jobs are doing.
    Job("mail-ingest", ingest.ingest_job, 30, forever=ingest.ingest_job_forever),
    # Mail pushed by the mail server (HELPDESK_MAIL_IN_PORT): answered as it comes.
    Job("mail-in", mail_in.mail_in_job, 60, forever=mail_in.mail_in_job_forever),
    Job("outbox-send", sender.send_job, 10),
    # Sign-in and reset links: the request only queued them (no timing tells who exists).
    Job("link-requests", link_mail.answer_link_requests, 5),
    # Super-users' exports: built one a pass, their files removed when the link expires.
    Job("exports", export_requests.exports_job, 30, lane=LONG),
    # A status a manager dated ahead (suspended from the 1st) takes effect when its day begins.
    Job("organisation-status", directory.apply_due_status_changes, 60),
    # Days settle one by one; a changed day is read live until this rolls it up again.
    Job("stats-rollup", rollup.refresh_job, 300, lane=LONG),
    # Ended organisations' personal data, RETENTION_DAYS after they ended (notice 30 days ahead).
    Job("retention", retention.retention_job, 3600, lane=LONG),
    # Files an erasure listed but did not get to delete (it crashed after its commit).
    Job("erasure-files", erasure_files.finish_pending_files, 300, lane=LONG),
    # A verified backup every BACKUP_INTERVAL; the job only looks each minute whether one is due.
    Job("backup", backups.backup_job, 60, lane=LONG),
    # Mail not fetched, a login refused, an outbox stuck, a job silent, a backup too old.
    Job("watchdog", watchdog.check, 60),
)




def chosen(only: Iterable[str] = (), skip: Iterable[str] = ()) -> tuple[Job, ...]:
    """The jobs a worker runs: all of them, only some, or all but some (names checked)."""
    only, skip = set(only), set(skip)
    known = {job.name for job in JOBS}
    if unknown := sorted((only | skip) - known):
        raise Refusal("Unknown job %(names)s; the jobs are %(known)s.",
                      names=", ".join(unknown), known=", ".join(job.name for job in JOBS))
    picked = tuple(job for job in JOBS if (not only or job.name in only) and job.name not in skip)
    if not picked:
        raise Refusal("No job is left to run.")
    return picked


def run_job(job: Job, now: datetime, tracker: OutageTracker | None = None,
            clock: Callable[[], datetime] | None = None) -> object | None:
    """Run one pass of a job; a failing job is logged (an outage once) and the worker carries on.

    The pass's start, end, outcome and duration go into the job's heartbeat."""
    tracker = tracker or OutageTracker(log)
    clock = clock or _now
    failure = None
    _record(heartbeats.pass_started, job.name, now, tracker=tracker)
    try:
        summary = job.run(now)
    except Exception as error:  # the worker outlives any one failure
        db.session.rollback()
        tracker.failed(job.name, error, now)
        failure, summary = error, None
    finally:
        db.session.remove()
        _record(heartbeats.pass_finished, job.name, now, clock(), failure, tracker=tracker)
    if failure is None:
        tracker.succeeded(job.name, now)
        log.log(logging.INFO if summary else logging.DEBUG, "%s: %s", job.name, summary)
    return summary


def _record(step: Callable[..., None], *args: object, tracker: OutageTracker) -> None:
    """A heartbeat write that fails (the database is down) is the job's outage, not a crash."""
    try:
        step(*args)
    except Exception as error:
        tracker.failed("heartbeats", error, _now())


def run_once(jobs: Iterable[Job] = JOBS, tracker: OutageTracker | None = None,
             holder: str | None = None) -> list[tuple[str, object | None]]:
    """One pass of every job, in table order; a job another live worker runs is left to it."""
    tracker = tracker or OutageTracker(log)
    holder = holder or heartbeats.worker_identity()
    results = []
    for job in jobs:
        try:
            held = heartbeats.claim([job.name], holder, _now(), _lease())
            other = None if held else heartbeats.holder_of(job.name, _now())
        except Exception as error:  # the database is down: this job fails, as it would
            tracker.failed(job.name, error, _now())
            results.append((job.name, None))
            continue
        if not held:
            results.append((job.name, Skipped(other)))
            continue
        results.append((job.name, run_job(job, _now(), tracker)))
        _record(heartbeats.release, [job.name], holder, _now(), tracker=tracker)
    return results


@dataclass(frozen=True)
class Skipped:
    """A job `run_once` left alone because another worker holds its lease."""
    holder: str | None

    def __str__(self) -> str:
        return f"skipped, the worker {self.holder or '(another)'} runs it"


def _now() -> datetime:
    return datetime.now(UTC)


def _lease() -> timedelta:
    return current_app.config["WORKER_LEASE"]


class Leases:
    """The jobs this worker holds, renewed by a thread of their own (also while a job runs).

    A job counts as held only until its lease would lapse by this worker's own clock, so a
    worker that cannot reach the database to renew stops before another may take over."""

    def __init__(self, names: Iterable[str], holder: str, tracker: OutageTracker):
        self.names, self.holder, self.tracker = tuple(names), holder, tracker
        self._until: dict[str, float] = {}
        self._lock = threading.Lock()
        self.on_claimed: Callable[[str], None] = lambda name: None
        self.lease = _lease()

    def renew(self) -> None:
        """Claim or renew every lease this worker wants; note which it holds."""
        asked_at = time.monotonic()
        try:
            held = heartbeats.claim(self.names, self.holder, _now(), self.lease)
        except Exception as error:  # the database is down: the leases run out by themselves
            self.tracker.failed("leases", error, _now())
            return
        self.tracker.succeeded("leases", _now())
        until = asked_at + self.lease.total_seconds()
        with self._lock:
            newly = held - {name for name in self._until if self.holds(name)}
            self._until = {name: until for name in held}
        for name in sorted(newly):
            log.info("%s: this worker (%s) runs it", name, self.holder)
            self.on_claimed(name)

    def holds(self, name: str) -> bool:
        return self._until.get(name, 0.0) > time.monotonic()

    def keep_renewing(self, stop: threading.Event) -> None:
        while not stop.wait(self.lease.total_seconds() / 3):
            self.renew()

    def release(self) -> None:
        try:
            heartbeats.release(self.names, self.holder, _now())
        except Exception as error:  # they lapse by themselves
            self.tracker.failed("leases", error, _now())


def run_forever(stop: threading.Event, jobs: Iterable[Job] = JOBS,
                holder: str | None = None) -> None:
    """Run each job whose lease this worker holds every `interval_seconds` (backing off while
    it fails) until `stop` is set; then give its jobs STOP_SECONDS to finish their step."""
    jobs = tuple(jobs)
    # One tracker for all: an outage the jobs and the ingestion both meet is said once.
    tracker = OutageTracker(log)
    leases = Leases((job.name for job in jobs), holder or heartbeats.worker_identity(), tracker)
    threads: list[threading.Thread] = []
    forever = {job.name: job for job in jobs if job.forever is not None}

    def start_beside(name: str) -> None:
        """A job that runs beside the others starts once this worker holds its lease."""
        if name in forever:
            threads.append(_start_beside(forever.pop(name), stop, tracker))

    leases.on_claimed = start_beside
    leases.renew()
    threads.append(_start_thread("leases", lambda: leases.keep_renewing(stop)))
    for lane in sorted({job.lane for job in jobs if job.forever is None}):
        periodic = tuple(job for job in jobs if job.forever is None and job.lane == lane)
        threads.append(_start_thread(
            f"{lane} jobs", lambda periodic=periodic: _run_lane(stop, periodic, leases, tracker)))
    # Woken twice a second: a SIGTERM the kernel hands to another thread is only flagged, and
    # the main thread runs its handler once it runs Python code again.
    while not stop.wait(0.5):
        pass
    deadline = time.monotonic() + STOP_SECONDS
    for thread in list(threads):
        thread.join(max(0.0, deadline - time.monotonic()))
    left = [thread.name for thread in threads if thread.is_alive()]
    if left:
        log.warning("stopping without waiting longer for: %s", ", ".join(left))
    leases.release()


def _run_lane(stop: threading.Event, periodic: tuple[Job, ...], leases: Leases,
              tracker: OutageTracker) -> None:
    """Run a lane's jobs in table order, each on its interval, until `stop` is set."""
    next_run = dict.fromkeys((job.name for job in periodic), 0.0)
    while not stop.is_set():
        for job in periodic:
            if stop.is_set():
                break
            if time.monotonic() < next_run[job.name]:
                continue
            if not leases.holds(job.name):
                next_run[job.name] = time.monotonic() + 1.0  # another worker runs it
                continue
            summary = run_job(job, _now(), tracker)
            if getattr(summary, "more", False):
                next_run[job.name] = 0.0  # the next batch, once the others had their turn
                continue
            next_run[job.name] = time.monotonic() + max(
                job.interval_seconds, tracker.delay_seconds(job.name))
        stop.wait(max(0.0, min(next_run.values()) - time.monotonic()))


def _start_thread(name: str, target: Callable[[], None]) -> threading.Thread:
    """A thread with the app's context and its own session."""
    app = current_app._get_current_object()

    def run() -> None:
        with app.app_context():
            try:
                target()
            except Exception:  # the other jobs go on; the log says why
                log.exception("%s stopped", name)
            finally:
                db.session.remove()

    thread = threading.Thread(target=run, name=name, daemon=True)
    thread.start()
    return thread


def _start_beside(job: Job, stop: threading.Event, tracker: OutageTracker) -> threading.Thread:
    """Run a job's `forever` in a thread of its own."""
    def forever() -> None:
        _record(heartbeats.pass_started, job.name, _now(), tracker=tracker)
        job.forever(stop, _now, tracker)

    return _start_thread(job.name, forever)
