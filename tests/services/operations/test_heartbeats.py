"""Leases and heartbeats: one worker runs a job at a time, a dead worker's job is taken over."""
from datetime import timedelta

import sqlalchemy as sa

from helpdesk.extensions import db
from helpdesk.models import JobHeartbeat
from helpdesk.services.operations import heartbeats

LEASE = timedelta(seconds=60)


def _row(job: str) -> JobHeartbeat:
    db.session.rollback()
    return db.session.scalar(sa.select(JobHeartbeat).where(JobHeartbeat.job == job))


def test_a_job_leased_to_one_worker_is_refused_to_another_until_the_lease_lapses(app, now):
    assert heartbeats.claim(["sla-sweep", "outbox-send"], "a:1", now, LEASE) == {
        "sla-sweep", "outbox-send"}
    assert heartbeats.claim(["sla-sweep", "stats-rollup"], "b:2", now, LEASE) == {"stats-rollup"}
    assert heartbeats.claim(["sla-sweep"], "b:2", now + LEASE - timedelta(seconds=1),
                            LEASE) == set()
    assert heartbeats.claim(["sla-sweep"], "b:2", now + LEASE, LEASE) == {"sla-sweep"}
    assert heartbeats.holder_of("sla-sweep", now + LEASE) == "b:2"


def test_the_holder_renews_its_own_lease(app, now):
    heartbeats.claim(["sla-sweep"], "a:1", now, LEASE)
    later = now + timedelta(seconds=50)
    assert heartbeats.claim(["sla-sweep"], "a:1", later, LEASE) == {"sla-sweep"}
    assert _row("sla-sweep").lease_until == later + LEASE
    assert heartbeats.claim(["sla-sweep"], "b:2", now + LEASE, LEASE) == set()


def test_a_released_lease_is_free_at_once_and_another_holder_cannot_release_it(app, now):
    heartbeats.claim(["sla-sweep"], "a:1", now, LEASE)
    heartbeats.release(["sla-sweep"], "b:2", now)
    assert heartbeats.holder_of("sla-sweep", now) == "a:1"
    heartbeats.release(["sla-sweep"], "a:1", now)
    assert heartbeats.holder_of("sla-sweep", now) is None
    assert heartbeats.claim(["sla-sweep"], "b:2", now, LEASE) == {"sla-sweep"}


def test_each_pass_records_its_outcome_and_duration(app, now):
    heartbeats.pass_started("sla-sweep", now)
    heartbeats.pass_finished("sla-sweep", now, now + timedelta(milliseconds=1500))
    heartbeats.pass_started("sla-sweep", now + timedelta(minutes=1))
    heartbeats.pass_finished("sla-sweep", now + timedelta(minutes=1),
                             now + timedelta(minutes=1, seconds=2),
                             RuntimeError("connection refused\nmore"))
    row = _row("sla-sweep")
    assert (row.runs, row.failures) == (2, 1)
    assert row.last_succeeded_at == now + timedelta(milliseconds=1500)
    assert row.last_failed_at == now + timedelta(minutes=1, seconds=2)
    assert row.last_error == "RuntimeError: connection refused"
    assert row.last_duration_ms == 2000
    assert row.last_started_at == now + timedelta(minutes=1)


def test_a_job_is_live_only_while_its_lease_lies_ahead(app, now):
    heartbeats.claim(["sla-sweep"], "a:1", now, LEASE)
    row = _row("sla-sweep")
    assert heartbeats.is_live(row, now + LEASE - timedelta(seconds=1))
    assert not heartbeats.is_live(row, now + LEASE)
