"""The running worker: mail is ingested beside the periodic jobs, never behind them."""
import threading
import time
from dataclasses import replace
from datetime import UTC, datetime

import sqlalchemy as sa

from helpdesk.extensions import db
from helpdesk.jobs import JOBS, Job, run_forever
from helpdesk.models import Ticket
from tests.fixtures.factories import make_contact
from tests.fixtures.mail import make_mail

SWEEP_SECONDS = 8.0


def _ticketed(subject: str) -> bool:
    db.session.rollback()  # see what the worker committed
    return db.session.scalar(sa.select(sa.func.count()).where(Ticket.subject == subject)) == 1


def test_mail_arriving_during_a_long_sweep_is_ingested_while_the_sweep_runs(app, mailbox):
    make_contact(email="ann@customer.example")
    sweeping, swept, ticketed = threading.Event(), threading.Event(), threading.Event()

    def long_sweep(now):
        sweeping.set()
        # As a sweep over a large backlog takes; it may end early once the mail is a ticket,
        # for a worker that ingested only after its sweep would still wait the full time.
        ticketed.wait(SWEEP_SECONDS)
        swept.set()
        return ""

    table = tuple(replace(job, run=long_sweep) if job.name == "sla-sweep" else job
                  for job in JOBS)
    stop = threading.Event()

    def work():
        with app.app_context():
            run_forever(stop, table)
            db.session.remove()

    worker = threading.Thread(target=work, daemon=True)
    worker.start()
    try:
        assert sweeping.wait(10)
        time.sleep(1)  # the ingester is idling by now
        arrived = time.monotonic()
        mailbox.append(make_mail("ann@customer.example", "During the sweep"))
        while not _ticketed("During the sweep") and time.monotonic() - arrived < 30:
            time.sleep(0.02)
        to_ticket = time.monotonic() - arrived
        sweep_still_running = not swept.is_set()
    finally:
        ticketed.set()
        stop.set()
        worker.join(30)

    print(f"\ntime from arrival to ticket during a sweep of up to {SWEEP_SECONDS:.0f} s: "
          f"{to_ticket:.2f} s")
    assert sweep_still_running
    assert to_ticket < 5  # IDLE: seconds, not the rest of the sweep
    assert not worker.is_alive()


def test_a_job_that_has_more_to_do_runs_again_at_once_after_the_others(app):
    stop = threading.Event()
    ran = []

    class Batch:
        def __init__(self, more: bool):
            self.more = more

        def __bool__(self) -> bool:
            return True

    def long_job(now):
        ran.append("long")
        return Batch(more=len([r for r in ran if r == "long"]) < 3)

    def other(now):
        ran.append("other")
        if ran.count("long") == 3 or len(ran) > 50:
            stop.set()
        return ""

    started = time.monotonic()
    run_forever(stop, [Job("long", long_job, 3600), Job("other", other, 0)])
    assert ran[:6] == ["long", "other", "long", "other", "long", "other"]
    assert time.monotonic() - started < 5
    assert datetime.now(UTC)  # the loop ended when asked
