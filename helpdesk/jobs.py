"""The periodic jobs the worker runs, declared as data: a function of `now` and an interval."""
import logging
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime

from helpdesk.extensions import db
from helpdesk.services import (
    escalation,
    ingest,
    outbox_sender,
    portal_mail,
    recompute,
    stats_rollup,
)

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
    # Sign-in and reset links: the request only queued them (no timing tells who exists).
    Job("link-requests", portal_mail.answer_link_requests, 5),
    # Days settle one by one; a changed day is read live until this rolls it up again.
    Job("stats-rollup", stats_rollup.refresh_job, 300),
)


def run_job(job: Job, now: datetime) -> object | None:
    """Run one pass of a job; a failing job is logged and the worker carries on."""
    try:
        summary = job.run(now)
    except Exception:
        db.session.rollback()
        log.exception("job %s failed", job.name)
        return None
    finally:
        db.session.remove()
    log.log(logging.INFO if summary else logging.DEBUG, "%s: %s", job.name, summary)
    return summary


def run_once(jobs: Iterable[Job] = JOBS) -> list[tuple[str, object | None]]:
    """One pass of every job, in table order."""
    return [(job.name, run_job(job, datetime.now(UTC))) for job in jobs]


def run_forever(stop: threading.Event, jobs: Iterable[Job] = JOBS) -> None:
    """Run each job every `interval_seconds` until `stop` is set."""
    jobs = tuple(jobs)
    next_run = dict.fromkeys((job.name for job in jobs), 0.0)
    while not stop.is_set():
        for job in jobs:
            if stop.is_set():
                break
            if time.monotonic() >= next_run[job.name]:
                run_job(job, datetime.now(UTC))
                next_run[job.name] = time.monotonic() + job.interval_seconds
        stop.wait(max(0.0, min(next_run.values()) - time.monotonic()))
