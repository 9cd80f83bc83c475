"""`flask worker` as a service: several workers share the jobs, a stop takes seconds."""
import signal
import socket
import time

import sqlalchemy as sa

from helpdesk.extensions import db
from helpdesk.jobs import JOBS
from helpdesk.models import JobHeartbeat
from tests.fixtures.processes import flask_env

ALL_JOBS = {job.name for job in JOBS}


def _holders() -> dict[str, str | None]:
    db.session.rollback()  # see what the workers committed
    rows = db.session.execute(sa.select(JobHeartbeat.job, JobHeartbeat.lease_holder,
                                        JobHeartbeat.lease_until))
    return {job: holder and holder.rsplit(":", 1)[1] for job, holder, _ in rows}


def _wait_until(condition, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, f"not {what} in {timeout} s: {_holders()}"
        time.sleep(0.1)


def _env(app, **settings: str) -> dict:
    return flask_env(app, WORKER_LEASE="3s", MAIL_IN_PORT="0", **settings)


def test_a_worker_stops_within_ten_seconds_of_sigterm_and_frees_its_jobs_at_once(app, processes):
    worker = processes(_env(app), "worker")
    worker.wait_for("Worker running")
    pid = str(worker.popen.pid)
    _wait_until(lambda: _holders() == dict.fromkeys(ALL_JOBS, pid), 30, "all jobs held")
    asked = time.monotonic()
    assert worker.end(signal.SIGTERM) == 0, worker.output
    assert time.monotonic() - asked < 10
    assert _holders() == dict.fromkeys(ALL_JOBS, None)


def test_a_second_worker_stands_by_and_takes_every_job_over_when_the_first_dies(app, processes):
    first = processes(_env(app), "worker")
    first.wait_for("Worker running")
    first_pid = str(first.popen.pid)
    _wait_until(lambda: _holders() == dict.fromkeys(ALL_JOBS, first_pid), 30, "held by the first")
    second = processes(_env(app), "worker")
    second.wait_for("Worker running")
    time.sleep(2)  # the second has asked for the leases at least twice
    assert _holders() == dict.fromkeys(ALL_JOBS, first_pid)
    assert first.end(signal.SIGKILL) == -signal.SIGKILL
    second_pid = str(second.popen.pid)
    _wait_until(lambda: _holders() == dict.fromkeys(ALL_JOBS, second_pid), 10,
                "taken over by the second")
    second.wait_for("sla-sweep: this worker", 10)  # it says so (its output may lag the rows)


def test_workers_given_disjoint_jobs_each_run_their_own(app, processes):
    intake = processes(_env(app), "worker", "--jobs", "mail-ingest,mail-in")
    rest = processes(_env(app), "worker", "--skip", "mail-ingest,mail-in")
    intake.wait_for("Worker running mail-ingest, mail-in;")
    rest.wait_for("Worker running")
    intake_pid, rest_pid = str(intake.popen.pid), str(rest.popen.pid)
    expected = {name: intake_pid if name.startswith("mail-") else rest_pid for name in ALL_JOBS}
    _wait_until(lambda: _holders() == expected, 30, "split between them")


def test_an_unknown_job_is_refused_in_one_line(app, processes):
    worker = processes(_env(app), "worker", "--jobs", "sla-sweep,coffee")
    assert worker.end(None) != 0
    assert worker.output.strip().splitlines()[-1].startswith("Error: Unknown job coffee;")


def test_worker_once_leaves_a_job_to_the_worker_that_runs_it(app, processes, runner):
    worker = processes(_env(app), "worker", "--jobs", "sla-sweep")
    worker.wait_for("Worker running")
    _wait_until(lambda: _holders().get("sla-sweep") == str(worker.popen.pid), 30, "held")
    result = runner.invoke(args=["worker", "--once", "--jobs", "sla-sweep,outbox-send"])
    assert result.exit_code == 0, result.output
    host = socket.gethostname()
    assert f"sla-sweep: skipped, the worker {host}:{worker.popen.pid} runs it" in result.output
    assert "outbox-send: " in result.output and "outbox-send: skipped" not in result.output
