"""The worker's job table: each job runs on its interval, and one failing job stops nothing."""
import logging
import threading

from helpdesk.jobs import JOBS, Job, run_forever, run_once


def test_the_worker_sweeps_every_minute_fetches_mail_every_30_s_and_sends_every_10_s():
    intervals = {job.name: job.interval_seconds for job in JOBS}
    assert intervals == {"sla-sweep": 60, "calendar-recompute": 5, "mail-ingest": 30,
                         "mail-in": 60, "outbox-send": 10, "link-requests": 5, "exports": 30,
                         "organisation-status": 60, "stats-rollup": 300,
                         "retention": 3600, "erasure-files": 300, "backup": 60,
                         "watchdog": 60}


def test_a_failing_job_is_logged_and_the_next_job_still_runs(app, caplog):
    def broken(now):
        raise RuntimeError("database went away")

    with caplog.at_level(logging.INFO, logger="helpdesk.jobs"):
        results = run_once([Job("broken", broken, 60), Job("fine", lambda now: "3 done", 60)])
    assert results == [("broken", None), ("fine", "3 done")]
    assert "broken failed" in caplog.text and "database went away" in caplog.text
    assert "fine: 3 done" in caplog.text


def test_run_forever_runs_each_job_and_stops_when_asked(app):
    stop = threading.Event()
    ran = []

    def first(now):
        ran.append(("first", now.tzinfo is not None))

    def last(now):
        ran.append(("last", now.tzinfo is not None))
        stop.set()

    run_forever(stop, [Job("first", first, 3600), Job("last", last, 3600)])
    assert ran == [("first", True), ("last", True)]


def test_run_forever_repeats_a_job_after_its_interval(app):
    stop = threading.Event()
    runs = []

    def tick(now):
        runs.append(now)
        if len(runs) == 3:
            stop.set()

    run_forever(stop, [Job("tick", tick, 0)])
    assert len(runs) == 3 and runs == sorted(runs)


def test_a_pass_that_found_nothing_to_do_is_logged_quietly(app, caplog):
    with caplog.at_level(logging.DEBUG, logger="helpdesk.jobs"):
        run_once([Job("idle", lambda now: "", 60), Job("busy", lambda now: "1 done", 60)])
    levels = {record.getMessage(): record.levelno for record in caplog.records}
    assert levels == {"idle: ": logging.DEBUG, "busy: 1 done": logging.INFO}
