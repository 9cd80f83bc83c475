"""Time from a mail's arrival to its ticket while the worker sweeps a large backlog.

    .venv/bin/python bench/worker_backlog.py [--db sqlite|postgresql] [--tickets 30000]
                                             [--backlog-hours 24] [--samples 10]

Per database: N open tickets (bench/sla_sweep.py's seed) whose escalations of the last
`backlog` hours were not taken (a worker that was down that long), a private Dovecot, and
`flask worker` started on them. While its first sweeps work through the backlog, one mail at a
time is APPENDed; printed are the time from each APPEND to its committed ticket with the number
of tickets still due at that moment, and how long the backlog took in all.
"""
import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# Replace this folder on the path: bench/queue.py would shadow the standard library's queue.
sys.path[0] = str(ROOT)

import sqlalchemy as sa  # noqa: E402
from flask_migrate import upgrade  # noqa: E402

from bench import sla_sweep  # noqa: E402
from helpdesk import create_app  # noqa: E402
from helpdesk.extensions import db  # noqa: E402
from helpdesk.models import AWAITING_DESK_STATUSES, Ticket  # noqa: E402
from helpdesk.services.escalation.sweep import SWEEP_BATCH  # noqa: E402
from helpdesk.services.tickets import lifecycle  # noqa: E402
from tests.fixtures.dovecot import PASSWORD, USER, start_dovecot  # noqa: E402
from tests.fixtures.mail import make_mail  # noqa: E402


def due_now(connection) -> int:
    """Tickets the sweep still has to escalate."""
    return connection.scalar(sa.select(sa.func.count()).select_from(Ticket).where(
        Ticket.next_escalation_at <= datetime.now(UTC),
        Ticket.status.in_(AWAITING_DESK_STATUSES)))


def ticketed(connection, subject: str) -> bool:
    return bool(connection.scalar(sa.select(sa.func.count()).select_from(Ticket)
                                  .where(Ticket.subject == subject)))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", choices=["sqlite", "postgresql"], action="append",
                        help="database to run on (repeatable; default: both)")
    parser.add_argument("--tickets", type=int, default=30_000)
    parser.add_argument("--backlog-hours", type=float, default=24)
    parser.add_argument("--samples", type=int, default=10)
    args = parser.parse_args()
    root = Path(tempfile.mkdtemp(prefix="helpdesk-bench-dovecot-"))
    server = start_dovecot(root)
    try:
        for database in args.db or ["sqlite", "postgresql"]:
            run(database, server, args.tickets, timedelta(hours=args.backlog_hours),
                args.samples)
    finally:
        server.stop()
        shutil.rmtree(root, ignore_errors=True)


def run(database: str, server, count: int, backlog: timedelta, samples: int) -> None:
    now = datetime.now(UTC)
    sla_sweep.SWEEP_AT = now  # the seed spreads the tickets over the two weeks before this
    with (tempfile.TemporaryDirectory(prefix="bench-backlog-") as scratch,
          sla_sweep.temporary_database(database, scratch) as url):
        app = create_app({"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "bench",
                          "BLOB_STORE": f"{scratch}/blobs"})
        with app.app_context():
            upgrade()
            sla_sweep.seed(count, now - backlog)
            lifecycle.next_ticket_number(count + 1)  # past the seed's numbers, 1001 to 1000 + N
            if database == "postgresql":  # the seed gave ids of its own: move the sequences on
                for table in db.metadata.sorted_tables:
                    if "id" in table.c and table.c.id.autoincrement is not False:
                        db.session.execute(sa.text(
                            f"SELECT setval(pg_get_serial_sequence('{table.name}', 'id'), "
                            f"(SELECT coalesce(max(id), 0) + 1 FROM \"{table.name}\"), false)"))
            db.session.commit()
            db.session.remove()
            db.engine.dispose()
        folder = f"backlog-{database}-{os.getpid()}"
        with server.client() as client:
            client.create_folder(folder)
        engine = sa.create_engine(url)
        with engine.connect() as connection:
            due_at_start = due_now(connection)
        print(f"\n== {database}: {count:,} open tickets, {due_at_start:,} due after "
              f"{backlog} without a worker; sweep batches of {SWEEP_BATCH}; "
              f"load average {os.getloadavg()[0]:.1f}")
        env = {**os.environ, "FLASK_APP": "app.py", "HELPDESK_SQLALCHEMY_DATABASE_URI": url,
               "HELPDESK_SECRET_KEY": "bench", "HELPDESK_BLOB_STORE": f"{scratch}/blobs",
               "HELPDESK_BACKUP_DIR": f"{scratch}/backups",
               "HELPDESK_IMAP_HOST": "127.0.0.1", "HELPDESK_IMAP_PORT": str(server.port),
               "HELPDESK_IMAP_USER": USER, "HELPDESK_IMAP_PASSWORD": PASSWORD,
               "HELPDESK_IMAP_FOLDER": folder, "HELPDESK_IMAP_SECURITY": "none",
               "HELPDESK_MAIL_DEFAULT_SENDER": "support@desk.example"}
        log_path = Path(scratch) / "worker.log"
        with open(log_path, "w") as worker_log:
            started = time.perf_counter()
            worker = subprocess.Popen([sys.executable, "-m", "flask", "worker"], cwd=ROOT,
                                      env=env, stdout=worker_log, stderr=subprocess.STDOUT)
            try:
                measure(server, folder, engine, samples, started)
            except Exception:
                print(log_path.read_text()[-4000:])
                raise
            finally:
                worker.terminate()
                worker.wait(timeout=60)
                engine.dispose()


def measure(server, folder: str, engine, samples: int, started: float) -> None:
    latencies, swept_at = [], None
    time.sleep(2)  # the worker starts; its first sweep is under way
    with server.client() as client:
        for n in range(samples):
            subject = f"Arrived during the sweep {n}"
            appended = time.perf_counter()
            client.append(folder, make_mail("user1@customer.example", subject))
            while True:
                with engine.connect() as connection:
                    if ticketed(connection, subject):
                        due = due_now(connection)
                        break
                if time.perf_counter() - appended > 120:
                    raise RuntimeError("a mail took over 120 s to become a ticket")
                time.sleep(0.01)
            latencies.append(time.perf_counter() - appended)
            print(f"  {time.perf_counter() - started:6.1f} s into the worker: ticket after "
                  f"{latencies[-1]:.2f} s, {due:,} tickets still due")
            time.sleep(1)
    while swept_at is None:
        with engine.connect() as connection:
            if not due_now(connection):
                swept_at = time.perf_counter() - started
        time.sleep(0.2)
    print(f"time to ticket: median {statistics.median(latencies):.2f} s, "
          f"max {max(latencies):.2f} s; the backlog was swept {swept_at:.1f} s after the start")


if __name__ == "__main__":
    main()
