"""The periodic jobs the worker runs, declared as data: a function of `now` and an interval."""
import logging
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime

from helpdesk.extensions import db
from helpdesk.outages import OutageTracker
from helpdesk.services import escalation, ingest, outbox_sender, recompute, stats_rollup

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Job:
    name: str
    # Returns a summary for the log; a falsy summary means the pass found nothing to do.
    run: Callable[[datetime], object]
    interval_seconds: int


JOBS: tuple[Job, ...] = (
    Job("sla-sweep", escalation.sweep, 60),
    Job("calendar-recompute", recompute.run_pending, 5),
    # Polling; `flask ingest` alongside uses IDLE for mail within seconds (one lock, no double).
    Job("mail-ingest", ingest.ingest_job, 30),
    Job("outbox-send", outbox_sender.send_job, 10),
    # Days settle one by one; a changed day is read live until this rolls it up again.
    Job("stats-rollup", stats_rollup.refresh_job, 300),
)


def run_job(job: Job, now: datetime, tracker: OutageTracker | None = None) -> object | None:
    """Run one pass of a job; a failing job is logged (an outage once) and the worker carries on."""
    tracker = tracker or OutageTracker(log)
    try:
        summary = job.run(now)
    except Exception as error:  # noqa: BLE001 - the worker outlives any one failure
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
    return [(job.name, run_job(job, datetime.now(UTC), tracker)) for job in jobs]


def run_forever(stop: threading.Event, jobs: Iterable[Job] = JOBS) -> None:
    """Run each job every `interval_seconds` (backing off while it fails) until `stop` is set."""
    jobs = tuple(jobs)
    tracker = OutageTracker(log)
    next_run = dict.fromkeys((job.name for job in jobs), 0.0)
    while not stop.is_set():
        for job in jobs:
            if stop.is_set():
                break
            if time.monotonic() >= next_run[job.name]:
                run_job(job, datetime.now(UTC), tracker)
                next_run[job.name] = time.monotonic() + max(
                    job.interval_seconds, tracker.delay_seconds(job.name))
        stop.wait(max(0.0, min(next_run.values()) - time.monotonic()))
