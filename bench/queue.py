"""Benchmark the agents' queue, search and ticket view at 100,000 tickets, over real HTTP.

For SQLite and PostgreSQL each: seed the demo desk and bulk tickets into a database of its own,
serve the app with gunicorn on a free loopback port, sign in with a session cookie, time
requests (p50/p95), and show the query plans of the queue and search queries and of every
query the ticket view runs.

    .venv/bin/python bench/queue.py [--tickets N] [--requests N] [--databases sqlite,postgresql]
                                    [--keep] [--reuse]

Seeding takes minutes: `--keep` seeds and keeps the databases (bench/out/queue.sqlite and
`helpdesk_bench_queue`), and `--reuse` migrates those and times them again instead of seeding.
"""
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# This file shares its name with the standard library's queue module, which psycopg imports:
# run from the repository root instead of this folder.
sys.path[0] = str(ROOT)

import argparse  # noqa: E402
import http.client  # noqa: E402
import os  # noqa: E402
import subprocess  # noqa: E402
import time  # noqa: E402
from datetime import UTC, datetime  # noqa: E402

import sqlalchemy as sa  # noqa: E402
from flask_migrate import upgrade  # noqa: E402

from helpdesk import create_app  # noqa: E402
from helpdesk.extensions import db  # noqa: E402
from helpdesk.models import Message, StaffMember, Ticket  # noqa: E402
from helpdesk.services import demo  # noqa: E402
from helpdesk.services.tickets.queue import QueueFilters, queue_query  # noqa: E402
from tests.fixtures.ports import free_port  # noqa: E402

OUT = ROOT / "bench" / "out"
POSTGRES_SERVER = os.environ.get("HELPDESK_BENCH_POSTGRES",
                                 "postgresql+psycopg://postgres@127.0.0.1:5432")
KEPT_POSTGRES_DATABASE = "helpdesk_bench_queue"
SECRET_KEY = "bench-secret-key"
TARGETS_MS = {"queue": 50, "filtered": 50, "search": 200, "broad search": 200, "ticket": 50}


def make_app(url: str):
    return create_app({"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": SECRET_KEY,
                       "BLOB_STORE": str(OUT / "blobs")})


def seed(app, tickets: int) -> None:
    """Migrate, seed the demo desk and bulk tickets, and let the planner know the sizes."""
    with app.app_context():
        upgrade()
        now = datetime.now(UTC)
        demo.seed_demo(now)
        started, done = time.monotonic(), 0

        def progress(count: int) -> None:
            nonlocal done
            done += count
            print(f"\r  seeded {done:,}/{tickets:,} tickets", end="", flush=True)

        demo.seed_bulk_tickets(tickets, now, progress=progress)
        print(f" in {time.monotonic() - started:.0f} s")
    analyse(app)


def analyse(app) -> None:
    """Let the planner know the sizes (a migration's new index has no statistics yet)."""
    with app.app_context(), db.engine.connect().execution_options(
            isolation_level="AUTOCOMMIT") as connection:
        connection.execute(sa.text("ANALYZE"))


def scenario(app) -> dict:
    """The signed-in agent's cookie and the requests to time."""
    with app.app_context():
        agent = db.session.scalar(sa.select(StaffMember).filter_by(email="agent@helpdesk.example"))
        counts = (db.session.scalar(sa.select(sa.func.count()).select_from(Ticket)),
                  db.session.scalar(sa.select(sa.func.count()).select_from(Message)))
        # A ticket from the middle of the history with a full conversation.
        number = db.session.scalar(
            sa.select(Ticket.number).join(Message).group_by(Ticket.number)
            .having(sa.func.count() >= 5).order_by(Ticket.number)
            .offset(counts[0] // 2 // 10).limit(1))
        # A word from one bulk subject: "Export naar CSV (1234)" -> "1234", ~10 tickets.
        subject = db.session.scalar(sa.select(Ticket.subject).where(Ticket.number == number))
        word = subject.rsplit("(", 1)[-1].rstrip(")")
        serializer = app.session_interface.get_signing_serializer(app)
        cookie = serializer.dumps({"_user_id": agent.get_id(), "_fresh": True,
                                   "seen_at": time.time()})
    return {
        "cookie": f"{app.config['SESSION_COOKIE_NAME']}={cookie}",
        "counts": counts, "agent": agent, "word": word,
        "paths": {
            "queue": "/desk/",
            "filtered": "/desk/?assignee=me&category=bug",
            "search": f"/desk/?q={word}",
            "broad search": "/desk/?q=foutmelding",
            "ticket": f"/desk/tickets/{number}",
        },
    }


def serve(url: str, port: int) -> subprocess.Popen:
    env = {**os.environ, "HELPDESK_SQLALCHEMY_DATABASE_URI": url,
           "HELPDESK_SECRET_KEY": SECRET_KEY, "HELPDESK_BLOB_STORE": str(OUT / "blobs")}
    gunicorn = Path(sys.executable).with_name("gunicorn")
    server = subprocess.Popen(
        [str(gunicorn), "--workers", "2", "--bind", f"127.0.0.1:{port}", "app:app"],
        cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    for _ in range(100):
        try:
            get(port, "/sign-in", "")
            return server
        except OSError:
            time.sleep(0.1)
    server.terminate()
    raise RuntimeError("gunicorn did not start")


def get(port: int, path: str, cookie: str) -> tuple[int, bytes]:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    connection.request("GET", path, headers={"Cookie": cookie} if cookie else {})
    response = connection.getresponse()
    body = response.read()
    connection.close()
    return response.status, body


def time_requests(port: int, path: str, cookie: str, count: int) -> list[float]:
    for _ in range(10):  # warm up both workers and their caches
        get(port, path, cookie)
    timings = []
    for _ in range(count):
        started = time.perf_counter()
        status, body = get(port, path, cookie)
        timings.append((time.perf_counter() - started) * 1000)
        if status != 200:
            raise RuntimeError(f"{path} answered {status}: {body[:200]!r}")
    return timings


def cpu_per_request(app, paths: dict, cookie: str, count: int = 50) -> dict[str, float]:
    """Median CPU milliseconds per request in this process (Flask's test client), a figure
    other programs on a shared machine cannot inflate the way they do wall-clock latency."""
    client = app.test_client()
    name, _, value = cookie.partition("=")
    client.set_cookie(name, value)
    results = {}
    for label, path in paths.items():
        client.get(path)
        spent = []
        for _ in range(count):
            started = time.process_time()
            client.get(path)
            spent.append((time.process_time() - started) * 1000)
        results[label] = percentile(spent, 0.5)
    return results


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))]


def explain(app, word: str) -> None:
    """The plans of the queue and search queries, and whether any reads every ticket."""
    with app.app_context():
        agent = db.session.scalar(sa.select(StaffMember).filter_by(email="agent@helpdesk.example"))
        dialect = db.engine.dialect.name
        now = datetime.now(UTC)
        for name, args in (("queue", {}), ("filtered", {"assignee": "me", "category": "bug"}),
                           ("search", {"q": word}), ("broad search", {"q": "foutmelding"})):
            query = queue_query(QueueFilters.from_args(args), agent, now).limit(51)
            sql = str(query.compile(db.engine, compile_kwargs={"literal_binds": True}))
            if dialect == "sqlite":
                plan = [row[-1] for row in db.session.execute(sa.text(f"EXPLAIN QUERY PLAN {sql}"))]
                full = [line for line in plan if line.startswith(("SCAN ticket", "SCAN message"))
                        and "INDEX" not in line]
            else:
                plan = [row[0] for row in db.session.execute(sa.text(f"EXPLAIN ANALYZE {sql}"))]
                full = [line for line in plan
                        if "Seq Scan on ticket" in line or "Seq Scan on message" in line]
            print(f"\n  plan: {name} {args}")
            for line in plan:
                print(f"    {line}")
            print(f"    -> {'FULL SCAN: ' + '; '.join(full) if full else 'no full scan'}")


def explain_ticket_view(app, path: str, cookie: str) -> None:
    """The plan of every query one ticket view runs, as the test client makes them."""
    statements = []

    def collect(conn, cursor, statement, parameters, context, executemany):
        statements.append((statement, parameters))

    client = app.test_client()
    name, _, value = cookie.partition("=")
    client.set_cookie(name, value)
    with app.app_context():
        sa.event.listen(db.engine, "before_cursor_execute", collect)
        try:
            client.get(path)
        finally:
            sa.event.remove(db.engine, "before_cursor_execute", collect)
        print(f"\n  ticket view {path}: {len(statements)} statements")
        prefix = "EXPLAIN QUERY PLAN " if db.engine.dialect.name == "sqlite" else "EXPLAIN "
        with db.engine.connect() as connection:
            for statement, parameters in statements:
                print(f"\n  > {' '.join(statement.split())[:300]}")
                if not statement.lstrip().upper().startswith("SELECT"):
                    continue
                for row in connection.exec_driver_sql(prefix + statement, parameters):
                    print(f"      {row[-1]}")


def database_url(database: str, keep: bool, reuse: bool) -> tuple[str, callable]:
    """The database's URL, empty unless `reuse` finds it kept, and how to drop it unless kept."""
    keep = keep or reuse
    if database == "sqlite":
        database_file = OUT / ("queue.sqlite" if keep else f"queue_{os.getpid()}.sqlite")
        if not reuse:
            database_file.unlink(missing_ok=True)
        return (f"sqlite:///{database_file}",
                (lambda: None) if keep else (lambda: database_file.unlink(missing_ok=True)))
    name = KEPT_POSTGRES_DATABASE if keep else f"helpdesk_bench_{os.getpid()}"
    admin = sa.create_engine(f"{POSTGRES_SERVER}/postgres", isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        exists = connection.scalar(sa.text("SELECT 1 FROM pg_database WHERE datname = :name"),
                                   {"name": name}) is not None
        if exists and not reuse:
            connection.execute(sa.text(f'DROP DATABASE "{name}" WITH (FORCE)'))
        if not (exists and reuse):
            connection.execute(sa.text(f'CREATE DATABASE "{name}"'))

    def cleanup():
        if not keep:
            with admin.connect() as connection:
                connection.execute(sa.text(f'DROP DATABASE "{name}" WITH (FORCE)'))
        admin.dispose()
    return f"{POSTGRES_SERVER}/{name}", cleanup


def seeded_tickets(app) -> int:
    with app.app_context():
        if not sa.inspect(db.engine).has_table("ticket"):
            return 0
        return db.session.scalar(sa.select(sa.func.count()).select_from(Ticket))


def run(database: str, tickets: int, count: int, *, keep: bool, reuse: bool) -> dict:
    print(f"\n== {database}")
    url, cleanup = database_url(database, keep, reuse)
    try:
        app = make_app(url)
        if reuse and seeded_tickets(app) >= tickets:
            print("  reusing the kept database, migrated to the current schema")
            with app.app_context():
                upgrade()
            analyse(app)
        elif reuse:
            raise SystemExit(f"{url} is not seeded with {tickets:,} tickets: run with --keep")
        else:
            seed(app, tickets)
        setup = scenario(app)
        print(f"  {setup['counts'][0]:,} tickets, {setup['counts'][1]:,} messages")
        port = free_port()
        server = serve(url, port)
        try:
            results = {}
            for label, path in setup["paths"].items():
                timings = time_requests(port, path, setup["cookie"], count)
                results[label] = (percentile(timings, 0.5), percentile(timings, 0.95))
                p50, p95 = results[label]
                verdict = "ok" if p95 < TARGETS_MS[label] else "OVER TARGET"
                print(f"  {label:<13} {path:<38} p50 {p50:6.1f} ms  p95 {p95:6.1f} ms"
                      f"  (target p95 < {TARGETS_MS[label]} ms: {verdict})")
        finally:
            server.terminate()
            server.wait(timeout=10)
        cpu = cpu_per_request(app, setup["paths"], setup["cookie"])
        print("  CPU per request in-process (median): " + ", ".join(
            f"{label} {ms:.1f} ms" for label, ms in cpu.items()))
        explain(app, setup["word"])
        explain_ticket_view(app, setup["paths"]["ticket"], setup["cookie"])
        with app.app_context():
            db.engine.dispose()
        return {label: (*timing, cpu[label]) for label, timing in results.items()}
    finally:
        cleanup()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tickets", type=int, default=100_000)
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--databases", default="sqlite,postgresql")
    parser.add_argument("--keep", action="store_true", help="keep the seeded databases")
    parser.add_argument("--reuse", action="store_true",
                        help="time the databases kept by --keep instead of seeding new ones")
    args = parser.parse_args()
    OUT.mkdir(parents=True, exist_ok=True)
    summary = {db_name: run(db_name, args.tickets, args.requests, keep=args.keep,
                            reuse=args.reuse)
               for db_name in args.databases.split(",")}
    print("\n== summary (ms over HTTP p50 / p95, and CPU per request)")
    for db_name, results in summary.items():
        for label, (p50, p95, cpu) in results.items():
            print(f"  {db_name:<11} {label:<13} p50 {p50:6.1f}  p95 {p95:6.1f}  cpu {cpu:5.1f}")


if __name__ == "__main__":
    main()
