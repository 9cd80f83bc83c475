"""Time the manager dashboard on 100,000 tickets, on SQLite and PostgreSQL.

    .venv/bin/python bench/stats.py [--tickets 100000] [--runs 30] [--only sqlite|postgresql]

Each database is created for the run (PostgreSQL: a database on the local server; SQLite: a
file under /tmp), migrated, seeded with the demo desk and `--tickets` bulk tickets (topped up
with internal notes to about five messages a ticket), and dropped afterwards unless `--keep`.
`--reuse URL` times an existing seeded database instead. The statistics rollup is brought up to
date first, as the worker keeps it (its time is printed). Prints p50/p95 of the statistics
service and of the dashboard page (Flask test client, signed in as the demo manager) for the
last 30 days and the last 12 months.
"""
import argparse
import math
import os
import sys
import time
import uuid
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

import sqlalchemy as sa

# Replace this folder on the path: bench/queue.py would shadow the standard library's queue.
sys.path[0] = str(Path(__file__).resolve().parent.parent)

from flask_migrate import upgrade  # noqa: E402

from helpdesk import create_app  # noqa: E402
from helpdesk.domain.periods import local_today, preset_period  # noqa: E402
from helpdesk.extensions import db  # noqa: E402
from helpdesk.models import Message, MessageKind, StaffMember, StaffRole, Ticket  # noqa: E402
from helpdesk.services import demo  # noqa: E402
from helpdesk.services.promise.calendar_settings import configured_calendar  # noqa: E402
from helpdesk.services.stats import figures, rollup  # noqa: E402

POSTGRES_SERVER = os.environ.get("HELPDESK_BENCH_POSTGRES",
                                 "postgresql+psycopg://postgres@127.0.0.1:5432")
PERIODS = (("30 days", "last_30_days"), ("12 months", "last_12_months"))
MESSAGES_PER_TICKET = 5


@contextmanager
def bench_database(kind: str, keep: bool):
    """A new, empty database URL of the given kind, dropped afterwards unless kept."""
    name = f"helpdesk_bench_stats_{os.getpid()}_{uuid.uuid4().hex[:6]}"
    if kind == "sqlite":
        path = Path("/tmp") / f"{name}.sqlite"
        try:
            yield f"sqlite:///{path}"
        finally:
            if not keep:
                path.unlink(missing_ok=True)
        return
    admin = sa.create_engine(f"{POSTGRES_SERVER}/test", isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(sa.text(f'CREATE DATABASE "{name}"'))
    try:
        yield f"{POSTGRES_SERVER}/{name}"
    finally:
        if not keep:
            with admin.connect() as connection:
                connection.execute(sa.text(f'DROP DATABASE "{name}" WITH (FORCE)'))
        admin.dispose()


def make_app(url: str):
    return create_app({"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "bench-secret",
                       "BLOB_STORE": "/tmp/helpdesk-bench-blobs", "SERVER_NAME": "desk.bench"})


def seed(app, tickets: int, now: datetime) -> None:
    with app.app_context():
        upgrade()
        demo.seed_demo(now)
        started = time.perf_counter()
        demo.seed_bulk_tickets(tickets, now)
        top_up_with_notes(tickets * MESSAGES_PER_TICKET)
        analyse()
        print(f"  seeded {tickets} tickets in {time.perf_counter() - started:.0f} s",
              flush=True)


def roll_up(app, now: datetime) -> None:
    """What the worker's stats-rollup job does in the background, timed."""
    with app.app_context():
        started = time.perf_counter()
        days = rollup.refresh(now, configured_calendar().timezone)
        print(f"  rolled up {days} days in {time.perf_counter() - started:.1f} s", flush=True)
        analyse()


def top_up_with_notes(target: int) -> None:
    """Internal notes (never responses) until the message table has about `target` rows."""
    while (missing := target - db.session.scalar(sa.select(sa.func.count(Message.id)))) > 0:
        every = max(1, math.ceil(db.session.scalar(sa.select(sa.func.count(Ticket.id))) / missing))
        db.session.execute(sa.insert(Message).from_select(
            ["ticket_id", "kind", "sender", "created_at", "body_text"],
            sa.select(Ticket.id, sa.literal(MessageKind.NOTE.value), sa.literal("Bench"),
                      Ticket.updated_at, sa.literal("Internal note"))
            .where(Ticket.id % every == 0).limit(missing)))
        db.session.commit()


def analyse() -> None:
    if db.engine.dialect.name == "postgresql":
        with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
            connection.execute(sa.text("VACUUM ANALYZE"))
    else:
        with db.engine.begin() as connection:
            connection.execute(sa.text("ANALYZE"))


def percentile(samples: list[float], p: int) -> float:
    ordered = sorted(samples)
    return ordered[max(0, math.ceil(p * len(ordered) / 100) - 1)]


def timed(action, runs: int) -> tuple[float, float]:
    action()  # warm the caches once, as a running server would be
    samples = []
    for _ in range(runs):
        started = time.perf_counter()
        action()
        samples.append((time.perf_counter() - started) * 1000)
    return percentile(samples, 50), percentile(samples, 95)


def measure(app, runs: int, now: datetime) -> None:
    with app.app_context():
        counts = {model.__name__: db.session.scalar(sa.select(sa.func.count()).select_from(model))
                  for model in (Ticket, Message)}
        print(f"  {counts['Ticket']} tickets, {counts['Message']} messages", flush=True)
        calendar = configured_calendar()
        manager = db.session.scalar(sa.select(StaffMember).filter_by(role=StaffRole.MANAGER))
        client = app.test_client()
        for label, preset in PERIODS:
            period = preset_period(preset, local_today(now, calendar.timezone))

            def service(period=period):
                figures.dashboard(figures.StatsFilter(period), now, calendar)
                db.session.remove()

            def page(preset=preset):
                with client.session_transaction() as session:
                    session["_user_id"] = manager.get_id()
                    session["_fresh"] = True
                    session["seen_at"] = datetime.now(UTC).timestamp()
                response = client.get(f"/manage/stats?period={preset}")
                assert response.status_code == 200, response.status_code

            service_p50, service_p95 = timed(service, runs)
            page_p50, page_p95 = timed(page, runs)
            print(f"  {label:>9}: service p50 {service_p50:6.1f} ms  p95 {service_p95:6.1f} ms"
                  f"   page p50 {page_p50:6.1f} ms  p95 {page_p95:6.1f} ms", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tickets", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=30)
    parser.add_argument("--only", choices=("sqlite", "postgresql"))
    parser.add_argument("--keep", action="store_true", help="keep the databases afterwards")
    parser.add_argument("--reuse", metavar="URL", help="time an already seeded database")
    args = parser.parse_args()
    now = datetime.now(UTC)
    if args.reuse:
        print(f"{args.reuse}:")
        app = make_app(args.reuse)
        roll_up(app, now)
        measure(app, args.runs, now)
        return
    for kind in [args.only] if args.only else ["sqlite", "postgresql"]:
        with bench_database(kind, args.keep) as url:
            print(f"{kind} ({url if args.keep else 'dropped afterwards'}):", flush=True)
            app = make_app(url)
            seed(app, args.tickets, now)
            roll_up(app, now)
            measure(app, args.runs, now)
            with app.app_context():
                db.engine.dispose()


if __name__ == "__main__":
    main()
