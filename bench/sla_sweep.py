"""Time one escalation sweep over 100,000 open tickets on SQLite and PostgreSQL.

    .venv/bin/python bench/sla_sweep.py [--db sqlite|postgresql] [--tickets 100000]
                                        [--backlog-minutes N]

Each run builds its own database (a temporary SQLite file; a PostgreSQL database on
postgresql+psycopg://postgres@127.0.0.1:5432 that is dropped afterwards). The open tickets are
received over the two weeks before the sweep instant, so their due-soon and due moments are
spread over two weeks. Every escalation up to one sweep interval before the instant is taken
already (flags, events, next_escalation_at), as the worker leaves them; the timed sweep does
what one worker pass does in steady state (the first pass of a fresh worker also loads its
templates and locale data, so the next pass is timed too). Prints the figures and the plan.
"""
import argparse
import os
import random
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

# Replace this folder on the path: bench/queue.py would shadow the standard library's queue.
sys.path[0] = str(Path(__file__).resolve().parent.parent)

import sqlalchemy as sa  # noqa: E402
from flask_migrate import upgrade  # noqa: E402
from sqlalchemy.ext.compiler import compiles  # noqa: E402

from helpdesk import create_app  # noqa: E402
from helpdesk.domain.sla import BREACH, DUE_SOON, deadline_for, escalation_steps  # noqa: E402
from helpdesk.extensions import db  # noqa: E402
from helpdesk.jobs import JOBS  # noqa: E402
from helpdesk.models import (  # noqa: E402
    Category,
    Channel,
    Contact,
    Organisation,
    OrganisationStatus,
    OutboxMessage,
    ResponseRecord,
    StaffMember,
    StaffRole,
    Ticket,
    TicketEvent,
    TicketStatus,
)
from helpdesk.services.escalation import sweep  # noqa: E402
from helpdesk.services.promise.calendar_settings import (  # noqa: E402
    configured_calendar,
    configured_policy,
)

POSTGRES_SERVER = os.environ.get("HELPDESK_BENCH_POSTGRES",
                                 "postgresql+psycopg://postgres@127.0.0.1:5432")
AMS = ZoneInfo("Europe/Amsterdam")
# A Wednesday morning in office hours: due moments of yesterday's mail fall around now.
SWEEP_AT = datetime(2026, 12, 9, 11, 0, tzinfo=AMS).astimezone(UTC)
SWEEP_INTERVAL = timedelta(seconds=next(j.interval_seconds for j in JOBS if j.name == "sla-sweep"))
BATCH = 5000
TARGET_SECONDS = 0.5


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", choices=["sqlite", "postgresql"], action="append",
                        help="database to run on (repeatable; default: both)")
    parser.add_argument("--tickets", type=int, default=100_000)
    parser.add_argument("--backlog-minutes", type=int,
                        help="time since the last sweep (default: the sweep job's interval)")
    args = parser.parse_args()
    backlog = timedelta(minutes=args.backlog_minutes) if args.backlog_minutes else SWEEP_INTERVAL
    for database in args.db or ["sqlite", "postgresql"]:
        run(database, args.tickets, backlog)


def run(database: str, count: int, backlog: timedelta) -> None:
    with (tempfile.TemporaryDirectory(prefix="bench-sla-") as scratch,
          temporary_database(database, scratch) as url):
        app = create_app({"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "bench",
                          "BLOB_STORE": f"{scratch}/blobs"})
        with app.app_context():
            upgrade()
            started = time.perf_counter()
            seed(count, SWEEP_AT - backlog)
            seeded = time.perf_counter() - started
            db.session.execute(sa.text("ANALYZE"))
            db.session.commit()
            report(database, count, seeded, backlog)
            db.session.remove()
            db.engine.dispose()


class temporary_database:
    """A fresh database URL for one run (SQLite in `scratch`), removed afterwards."""

    def __init__(self, database: str, scratch: str):
        self.database, self.scratch = database, scratch

    def __enter__(self) -> str:
        if self.database == "sqlite":
            return f"sqlite:///{self.scratch}/bench.sqlite"
        self.name = f"helpdesk_bench_{os.getpid()}"
        self.admin = sa.create_engine(f"{POSTGRES_SERVER}/postgres", isolation_level="AUTOCOMMIT")
        with self.admin.connect() as connection:
            connection.execute(sa.text(f'DROP DATABASE IF EXISTS "{self.name}"'))
            connection.execute(sa.text(f'CREATE DATABASE "{self.name}"'))
        return f"{POSTGRES_SERVER}/{self.name}"

    def __exit__(self, *exc) -> None:
        if self.database == "sqlite":
            return
        with self.admin.connect() as connection:
            connection.execute(sa.text(f'DROP DATABASE "{self.name}" WITH (FORCE)'))
        self.admin.dispose()


def seed(count: int, now: datetime) -> None:
    """Staff, organisations and `count` open tickets as the last sweep, at `now`, left them."""
    rng = random.Random(7)
    db.session.execute(sa.insert(StaffMember), [
        {"email": f"{role.value}{n}@desk.example", "name": f"{role.value.title()} {n}",
         "role": role, "password_hash": "-", "totp_secret": "-", "language": ("nl", "en")[n % 2],
         "session_token": f"{role.value}{n}", "active": True, "created_at": now}
        for role, number in ((StaffRole.AGENT, 8), (StaffRole.MANAGER, 2)) for n in range(number)])
    db.session.execute(sa.insert(Organisation), [
        {"id": n, "slug": f"org-{n}", "name": f"Organisation {n}",
         "status": OrganisationStatus.ACTIVE, "created_at": now} for n in range(1, 21)])
    db.session.execute(sa.insert(Contact), [
        {"id": n, "organisation_id": 1 + n % 20, "email": f"user{n}@customer.example",
         "name": f"User {n}", "is_super_user": True, "language": "nl",
         "session_token": f"user{n}", "created_at": now} for n in range(1, 101)])
    agents = db.session.scalars(sa.select(StaffMember.id)
                                .where(StaffMember.role == StaffRole.AGENT)).all()
    calendar, policy = configured_calendar(), configured_policy()
    categories = [c for c in Category if c != Category.CALAMITY]
    span_seconds = int(timedelta(days=14).total_seconds())
    for first in range(1, count + 1, BATCH):
        tickets, records, events = [], [], []
        for ticket_id in range(first, min(first + BATCH, count + 1)):
            received = SWEEP_AT - timedelta(seconds=rng.randrange(60, span_seconds))
            category = rng.choice(categories)
            contact_id = rng.randrange(1, 101)
            deadline = deadline_for(received, category, calendar, policy)
            steps = escalation_steps(category, received, deadline.due_soon_at,
                                     deadline.response_due_at, policy)
            done = [step for step in steps if step.at <= now]
            pending = [step for step in steps if step.at > now]
            tickets.append({
                "id": ticket_id, "number": 1000 + ticket_id, "subject": f"Export fails {ticket_id}",
                "category": category, "channel": Channel.EMAIL,
                "status": rng.choice([TicketStatus.NEW, TicketStatus.OPEN]),
                "organisation_id": 1 + contact_id % 20, "raised_by_id": contact_id,
                "assignee_id": rng.choice(agents) if rng.random() < 0.7 else None,
                "created_at": received, "updated_at": received, "details": {},
                "response_due_at": deadline.response_due_at, "due_soon_at": deadline.due_soon_at,
                "next_escalation_at": pending[0].at if pending else None,
                "due_soon": any(step.name == DUE_SOON for step in done),
                "breached": any(step.name == BREACH for step in done),
            })
            records.append({
                "id": ticket_id, "ticket_id": ticket_id, "is_first": True, "category": category,
                "received_at": received, "clock_started_at": deadline.clock_started_at,
                "due_at": deadline.response_due_at,
                "breached": any(step.name == BREACH for step in done),
            })
            events.extend({"ticket_id": ticket_id, "at": step.at,
                           "action": sweep.STEP_ACTIONS[step.name],
                           "once_key": sweep.once_key(step.name, ticket_id, ticket_id)}
                          for step in done)
        # Core inserts: one executemany per table, without the ORM's per-row bookkeeping.
        db.session.execute(Ticket.__table__.insert(), tickets)
        db.session.execute(ResponseRecord.__table__.insert(), records)
        if events:
            db.session.execute(TicketEvent.__table__.insert(), events)
        db.session.commit()


def report(database: str, count: int, seeded: float, backlog: timedelta) -> None:
    print(f"\n== {database}: {count:,} open tickets (seeded in {seeded:.1f} s; "
          f"load average {os.getloadavg()[0]:.1f}); last sweep {backlog} before")
    print("query plan of the sweep's one query:")
    for line in query_plan(database):
        print(f"    {line}")
    started = time.perf_counter()
    sweep.due_ticket_ids(SWEEP_AT)
    print(f"the query alone: {(time.perf_counter() - started) * 1000:.1f} ms")
    db.session.commit()
    next_pass = SWEEP_AT + SWEEP_INTERVAL
    for label, at in (("first sweep of a fresh worker", SWEEP_AT),
                      ("the next sweep, a minute on", next_pass),
                      ("a rerun of that minute", next_pass)):
        due = db.session.scalar(sa.select(sa.func.count()).select_from(Ticket).where(
            Ticket.next_escalation_at <= at))
        db.session.commit()
        started = time.perf_counter()
        result, batches = sweep.sweep(at), 1
        while result.more:  # a backlog takes several of the worker's rounds, one after another
            following = sweep.sweep(at)
            result.tickets += following.tickets
            result.escalations += following.escalations
            result.conflicts += following.conflicts
            result.failed += following.failed
            result.more, batches = following.more, batches + 1
        seconds = time.perf_counter() - started
        verdict = "under" if seconds < TARGET_SECONDS else "OVER"
        local = at.astimezone(AMS).strftime("%a %Y-%m-%d %H:%M")
        print(f"{label} ({local} Europe/Amsterdam, {due} tickets due): {seconds:.3f} s, "
              f"{verdict} the {TARGET_SECONDS} s target; {result} in {batches} batch(es)")
    mails = db.session.scalar(sa.select(sa.func.count()).select_from(OutboxMessage))
    print(f"outbox: {mails} notification mails")


class Explain(sa.sql.expression.Executable, sa.sql.expression.ClauseElement):
    """EXPLAIN in front of a statement, with its parameters bound as the app binds them."""

    inherit_cache = False

    def __init__(self, prefix: str, statement):
        self.prefix, self.statement = prefix, statement


@compiles(Explain)
def _compile_explain(element, compiler, **kw):
    return f"{element.prefix} {compiler.process(element.statement, **kw)}"


def query_plan(database: str) -> list[str]:
    """The plan of the sweep's query, as sweep.due_ticket_ids sends it."""
    statement = (sa.select(Ticket.id)
                 .where(Ticket.next_escalation_at <= SWEEP_AT,
                        Ticket.status.in_([TicketStatus.NEW, TicketStatus.OPEN]))
                 .order_by(Ticket.next_escalation_at, Ticket.id))
    if database == "sqlite":
        return [row[-1] for row in db.session.execute(Explain("EXPLAIN QUERY PLAN", statement))]
    explain = Explain("EXPLAIN (ANALYZE, COSTS OFF)", statement)
    return [row[0] for row in db.session.execute(explain)]


if __name__ == "__main__":
    main()
