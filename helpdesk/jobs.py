"""The periodic jobs the worker runs, declared as data: a function of `now` and an interval.

Mail ingestion runs beside them in its own thread (IDLE), so a long job never keeps mail
waiting; long jobs work in bounded batches, and one that has more to do says so (a summary
with `more` set) and runs again right after the other jobs had their turn.
"""
import logging
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime

from flask import current_app

from helpdesk.extensions import db
from helpdesk.outages import OutageTracker
from helpdesk.services.escalation import sweep
from helpdesk.services.intake import ingest, mail_in
from helpdesk.services.mail_out import sender
from helpdesk.services.people import directory
from helpdesk.services.portal import link_mail
from helpdesk.services.privacy import erasure_files, export_requests, retention
from helpdesk.services.promise import recompute
from helpdesk.services.stats import rollup

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Job:
    name: str
    # Returns a summary for the log; a falsy summary means the pass found nothing to do.
    run: Callable[[datetime], object]
    interval_seconds: int
    # Runs until the event is set, beside the other jobs, in the running worker (`run` is then
    # its one pass for `flask worker --once`); it says outages through the jobs' tracker.
    forever: Callable[[threading.Event, Callable[[], datetime], OutageTracker], None] | None = None


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
    Job("exports", export_requests.exports_job, 30),
    # A status a manager dated ahead (suspended from the 1st) takes effect when its day begins.
    Job("organisation-status", directory.apply_due_status_changes, 60),
    # Days settle one by one; a changed day is read live until this rolls it up again.
    Job("stats-rollup", rollup.refresh_job, 300),
    # Ended organisations' personal data, RETENTION_DAYS after they ended (notice 30 days ahead).
    Job("retention", retention.retention_job, 3600),
    # Files an erasure listed but did not get to delete (it crashed after its commit).
    Job("erasure-files", erasure_files.finish_pending_files, 300),
)


def run_job(job: Job, now: datetime, tracker: OutageTracker | None = None) -> object | None:
    """Run one pass of a job; a failing job is logged (an outage once) and the worker carries on."""
    tracker = tracker or OutageTracker(log)
    try:
        summary = job.run(now)
    except Exception as error:  # the worker outlives any one failure
        db.session.rollback()
        tracker.failed(job.name, error, now)
        return None
    finally:
        db.session.remove()
    tracker.succeeded(job.name, now)
    log.log(logging.INFO if summary else logging.DEBUG, "%s: %s", job.name, summary)
    return summary


def run_once(jobs: Iterable[Job] = JOBS,
             tracker: OutageTracker | None = None) -> list[tuple[str, object | None]]:
    """One pass of every job, in table order."""
    tracker = tracker or OutageTracker(log)
    return [(job.name, run_job(job, _now(), tracker)) for job in jobs]


def _now() -> datetime:
    return datetime.now(UTC)


def run_forever(stop: threading.Event, jobs: Iterable[Job] = JOBS) -> None:
    """Run each job every `interval_seconds` (backing off while it fails) until `stop` is set."""
    jobs = tuple(jobs)
    # One tracker for all: an outage the jobs and the ingestion both meet is said once.
    tracker = OutageTracker(log)
    beside = [_start_beside(job, stop, tracker) for job in jobs if job.forever is not None]
    periodic = tuple(job for job in jobs if job.forever is None)
    next_run = dict.fromkeys((job.name for job in periodic), 0.0)
    while periodic and not stop.is_set():
        for job in periodic:
            if stop.is_set():
                break
            if time.monotonic() >= next_run[job.name]:
                summary = run_job(job, _now(), tracker)
                if getattr(summary, "more", False):
                    next_run[job.name] = 0.0  # the next batch, once the others had their turn
                    continue
                next_run[job.name] = time.monotonic() + max(
                    job.interval_seconds, tracker.delay_seconds(job.name))
        stop.wait(max(0.0, min(next_run.values()) - time.monotonic()))
    stop.wait()
    for thread in beside:
        thread.join()


def _start_beside(job: Job, stop: threading.Event, tracker: OutageTracker) -> threading.Thread:
    """Run a job's `forever` in a thread of its own, with its own app context and session."""
    app = current_app._get_current_object()

    def run() -> None:
        with app.app_context():
            try:
                job.forever(stop, _now, tracker)
            except Exception:  # the other jobs go on; the log says why
                log.exception("job %s stopped", job.name)
            finally:
                db.session.remove()

    thread = threading.Thread(target=run, name=job.name, daemon=True)
    thread.start()
    return thread
