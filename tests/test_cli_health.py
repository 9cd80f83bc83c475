"""`flask health`: the desk's status as lines or JSON, exit 0 when all is well and 1 when not."""
import json
from datetime import timedelta

import time_machine

from helpdesk.extensions import db
from helpdesk.models import Backup, BackupState
from helpdesk.services.operations import heartbeats

JOBS = ("outbox-send", "sla-sweep")


def _running_desk(now) -> None:
    """A worker holds every job, which ran a minute ago; last night's backup was verified."""
    heartbeats.claim(JOBS, "worker-1:42", now, timedelta(seconds=60))
    for job in JOBS:
        heartbeats.pass_started(job, now - timedelta(minutes=1))
        heartbeats.pass_finished(job, now - timedelta(minutes=1),
                                 now - timedelta(minutes=1) + timedelta(milliseconds=40))
    db.session.add(Backup(started_at=now - timedelta(hours=8), finished_at=now - timedelta(hours=8),
                          state=BackupState.VERIFIED, path="/backups/nightly"))
    db.session.commit()


def test_health_of_a_running_desk_prints_its_figures_and_exits_0(runner, now):
    _running_desk(now)
    with time_machine.travel(now, tick=False):
        result = runner.invoke(args=["health"])
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert "job sla-sweep: run by worker-1:42, last success 2026-11-30 08:59:00 UTC, " \
           "last pass 40 ms, 1 runs, 0 failed" in lines
    assert "backup: last verified 2026-11-30 01:00:00 UTC" in lines
    assert lines[-1] == "all is well"
    assert not [line for line in lines if line.startswith("problem:")]


def test_health_says_each_problem_in_one_line_and_exits_1(runner, now):
    _running_desk(now)
    heartbeats.release(["outbox-send"], "worker-1:42", now)
    with time_machine.travel(now + timedelta(days=2), tick=False):
        result = runner.invoke(args=["health"])
    assert result.exit_code == 1
    problems = [line for line in result.output.splitlines() if line.startswith("problem:")]
    assert problems == ["problem: job outbox-send: no worker runs it",
                        "problem: job sla-sweep: no worker runs it",
                        "problem: backup: the last verified backup is 2 d 8 h old"]
    assert result.output.splitlines()[-1] == "3 problem(s)"


def test_health_json_is_the_status_and_keeps_the_exit_code(runner, now):
    with time_machine.travel(now, tick=False):
        result = runner.invoke(args=["health", "--json"])
    assert result.exit_code == 1
    shown = json.loads(result.output)
    assert shown["ok"] is False
    assert shown["problems"] == ["worker: no job has run yet (is `flask worker` running?)",
                                 "backup: no verified backup yet"]
    assert shown["checked_at"] == now.isoformat()
