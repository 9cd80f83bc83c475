"""Time mail ingestion against a private Dovecot, on SQLite and PostgreSQL, next to a bare floor.

    .venv/bin/python bench/ingest.py [--messages 2000] [--latency-samples 50]
                                     [--databases sqlite,postgresql]

For each database: N generated messages (a fifth replies, some HTML, some attachments) are
appended to a fresh folder; then the floor (imapclient fetch in batches, parse with
policy.default, one insert per message; committed per message, and per batch as the ingester
does) and `flask ingest --once` each run in their own process, timed, with their peak memory
(VmHWM). Then `flask ingest` runs as the worker does (IDLE) and the time from an
APPEND to the committed ticket is measured over single messages; last, the peak memory of
ingesting one message with a 25 MB attachment.
"""
from __future__ import annotations

import argparse
import os
import random
import resource
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from pathlib import Path

import sqlalchemy as sa

ROOT = Path(__file__).resolve().parent.parent
# Replace this folder on the path: bench/queue.py would shadow the standard library's queue.
sys.path[0] = str(ROOT)

from tests.fixtures.dovecot import PASSWORD, USER, start_dovecot  # noqa: E402

POSTGRES_SERVER = os.environ.get("HELPDESK_TEST_POSTGRES",
                                 "postgresql+psycopg://postgres@127.0.0.1:5432")
SECRET_KEY = "bench-secret-key"
ORGANISATIONS = 5
SUPER_USERS_PER_ORGANISATION = 4
FLOOR_BATCH = 100  # as the ingester fetches (and commits) in batches of 100
FLOOR_TABLE = sa.Table(
    "floor_message", sa.MetaData(), sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("message_id", sa.String(998)), sa.Column("sender", sa.String(254)),
    sa.Column("subject", sa.String(300)), sa.Column("body", sa.Text))


def generated_mail(n: int, earlier_ids: list[str], rng: random.Random) -> tuple[bytes, str]:
    """A customer mail: a fifth are replies, every fourth has HTML, every tenth an attachment."""
    org, person = n % ORGANISATIONS, (n // ORGANISATIONS) % SUPER_USERS_PER_ORGANISATION
    message_id = f"bench.{n}.{uuid.uuid4().hex[:8]}@customer{org}.example"
    mail = EmailMessage()
    mail["From"] = f"Person {person} <p{person}@customer{org}.example>"
    mail["To"] = "support@desk.example"
    mail["Message-ID"] = f"<{message_id}>"
    mail["Date"] = "Mon, 23 Nov 2026 10:00:00 +0100"
    body = " ".join(rng.choice(("export", "report", "fails", "since", "yesterday", "the",
                                "button", "login", "slow", "invoice")) for _ in range(150))
    same_org = [i for i in earlier_ids[-50:] if i.endswith(f"@customer{org}.example")]
    if n % 5 == 4 and same_org:
        mail["Subject"] = "Re: Export fails"
        mail["In-Reply-To"] = f"<{same_org[-1]}>"
        mail["References"] = f"<{same_org[-1]}>"
    else:
        mail["Subject"] = f"Export fails {n}"
    mail.set_content(body)
    if n % 4 == 0:
        mail.add_alternative(f"<html><body><p>{body}</p><p><b>Regards</b></p></body></html>",
                             subtype="html")
    if n % 10 == 3:
        mail.add_attachment(rng.randbytes(rng.randint(20_000, 80_000)),
                            maintype="application", subtype="octet-stream",
                            filename=f"log-{n}.bin")
    return mail.as_bytes(policy=policy.SMTP), message_id


def big_attachment_mail(megabytes: int) -> bytes:
    mail = EmailMessage()
    mail["From"] = "p0@customer0.example"
    mail["To"] = "support@desk.example"
    mail["Subject"] = "Database dump"
    mail["Message-ID"] = f"<big.{uuid.uuid4().hex}@customer0.example>"
    mail.set_content("The dump is attached.")
    mail.add_attachment(random.Random(1).randbytes(megabytes * 1024 * 1024),
                        maintype="application", subtype="octet-stream", filename="dump.bin")
    return mail.as_bytes(policy=policy.SMTP)


def prepare_database(kind: str, work: Path, name: str = "bench") -> str:
    """A migrated, empty database with organisations and super-users; returns its URL."""
    if kind == "postgresql":
        name = f"helpdesk_{name}_{os.getpid()}"
        admin = sa.create_engine(f"{POSTGRES_SERVER}/postgres", isolation_level="AUTOCOMMIT")
        with admin.connect() as connection:
            connection.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}"'))
            connection.execute(sa.text(f'CREATE DATABASE "{name}"'))
        admin.dispose()
        url = f"{POSTGRES_SERVER}/{name}"
    else:
        url = f"sqlite:///{work / f'{name}.sqlite'}"
    subprocess.run([sys.executable, __file__, "seed", url, str(work)], check=True, cwd=ROOT)
    return url


def drop_database(kind: str, url: str) -> None:
    if kind == "postgresql":
        name = url.rsplit("/", 1)[1]
        admin = sa.create_engine(f"{POSTGRES_SERVER}/postgres", isolation_level="AUTOCOMMIT")
        with admin.connect() as connection:
            connection.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def seed(url: str, work: str) -> None:
    """Run in a child process: migrate and register the customers."""
    from flask_migrate import upgrade

    from helpdesk import create_app
    from helpdesk.services.people import directory

    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": SECRET_KEY,
                      "BLOB_STORE": f"{work}/blobs"})
    now = datetime.now(UTC)
    with app.app_context():
        upgrade()
        for org in range(ORGANISATIONS):
            directory.add_organisation(f"customer-{org}", f"Customer {org}", now)
            for person in range(SUPER_USERS_PER_ORGANISATION):
                directory.add_contact(f"p{person}@customer{org}.example", f"customer-{org}",
                                   f"Person {person}", now, super_user=True)
        from helpdesk.extensions import db
        FLOOR_TABLE.create(db.engine)


def floor(url: str, port: int, folder: str, commit_each: bool) -> None:
    """Run in a child process: the bare minimum an ingester does, for comparison."""
    from imapclient import IMAPClient

    engine = sa.create_engine(url)
    insert = FLOOR_TABLE.insert()
    parser = BytesParser(policy=policy.default)
    with IMAPClient("127.0.0.1", port, ssl=False, timeout=30) as client:
        client.login(USER, PASSWORD)
        client.select_folder(folder, readonly=True)
        uids = client.search("ALL")
        with engine.connect() as connection:
            for start in range(0, len(uids), FLOOR_BATCH):
                fetched = client.fetch(uids[start:start + FLOOR_BATCH], ["BODY.PEEK[]"])
                for data in fetched.values():
                    mail = parser.parsebytes(data[b"BODY[]"])
                    body = mail.get_body(("plain", "html"))
                    connection.execute(insert, {
                        "message_id": str(mail["Message-ID"]), "sender": str(mail["From"]),
                        "subject": str(mail["Subject"]),
                        "body": body.get_content() if body else ""})
                    if commit_each:
                        connection.commit()
                connection.commit()
    engine.dispose()
    print(f"peak_mb={peak_mb()}")


def peak_mb() -> int:
    """This process's peak resident memory, in MB."""
    # VmHWM starts afresh at exec; ru_maxrss keeps the high-water mark of the forking parent.
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) // 1024
    return 0


def run_flask(args: list[str]) -> None:
    """Run in a child process: a flask command, then report its peak memory."""
    from flask.cli import main as flask_main

    sys.argv = ["flask", *args]
    try:
        flask_main()
    except SystemExit as exit_:
        if exit_.code:
            raise
    # The largest of its own children (the parsing worker), which have all ended by now.
    print(f"worker_peak_mb={resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss // 1024}")
    print(f"peak_mb={peak_mb()}")


def run_measured(args: list[str], env: dict) -> tuple[float, int, str]:
    """(seconds, peak resident MB, output) of a child that ends by printing peak_mb=N."""
    seconds, _, peak, output = run_timed(args, env)
    return seconds, peak, output


def run_timed(args: list[str], env: dict) -> tuple[float, float, int, str]:
    """(seconds, CPU seconds of the child and its own children, peak MB, output)."""
    cpu_before = _children_cpu()
    started = time.perf_counter()
    done = subprocess.run(args, env=env, cwd=ROOT, capture_output=True, check=False)
    seconds = time.perf_counter() - started
    cpu = _children_cpu() - cpu_before
    output = (done.stdout + done.stderr).decode(errors="replace")
    if done.returncode:
        raise RuntimeError(f"{' '.join(args)} failed:\n{output}")
    lines = done.stdout.decode(errors="replace").strip().splitlines()
    return seconds, cpu, int(lines[-1].removeprefix("peak_mb=")), "\n".join(lines[:-1])


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def flask_env(url: str, port: int, folder: str, work: Path) -> dict:
    return {**os.environ, "FLASK_APP": "app.py", "HELPDESK_SQLALCHEMY_DATABASE_URI": url,
            "HELPDESK_SECRET_KEY": SECRET_KEY, "HELPDESK_BLOB_STORE": str(work / "blobs"),
            "HELPDESK_IMAP_HOST": "127.0.0.1", "HELPDESK_IMAP_PORT": str(port),
            "HELPDESK_IMAP_USER": USER, "HELPDESK_IMAP_PASSWORD": PASSWORD,
            "HELPDESK_IMAP_FOLDER": folder, "HELPDESK_IMAP_SECURITY": "none",
            "HELPDESK_MAIL_DEFAULT_SENDER": "support@desk.example"}


def flask_command() -> str:
    return str(Path(sys.executable).with_name("flask"))


def fill_folder(server, folder: str, messages: list[bytes]) -> None:
    with server.client() as client:
        client.create_folder(folder)
        for start in range(0, len(messages), 200):
            client.multiappend(folder, messages[start:start + 200])


def measure_latency(server, url: str, work: Path, samples: int) -> list[float]:
    """APPEND one message at a time while `flask ingest` runs; seconds until it is committed."""
    folder = f"latency-{url.split(':')[0]}"
    with server.client() as client:
        client.create_folder(folder)
    worker = subprocess.Popen([flask_command(), "ingest"], env=flask_env(url, server.port,
                              folder, work), cwd=ROOT, stdout=subprocess.DEVNULL,
                              stderr=subprocess.DEVNULL)
    engine = sa.create_engine(url)
    query = sa.text("SELECT count(*) FROM message WHERE message_id = :id")
    latencies = []
    rng = random.Random(7)
    try:
        time.sleep(3)  # start-up and the first (empty) pass
        with server.client() as client:
            for n in range(samples):
                raw, message_id = generated_mail(10_000 + n * 5, [], rng)
                started = time.perf_counter()
                client.append(folder, raw)
                while True:
                    with engine.connect() as connection:
                        if connection.scalar(query, {"id": message_id}):
                            break
                    if time.perf_counter() - started > 30:
                        raise RuntimeError("a message took over 30 s to arrive")
                    time.sleep(0.005)
                latencies.append(time.perf_counter() - started)
                time.sleep(rng.uniform(0.05, 0.25))  # mail arrives one at a time, not in bursts
    finally:
        worker.send_signal(signal.SIGTERM)
        worker.wait(timeout=30)
        engine.dispose()
    return latencies


def bench_database(kind: str, server, count: int, samples: int) -> None:
    work = Path(tempfile.mkdtemp(prefix=f"helpdesk-bench-{kind}-"))
    url = prepare_database(kind, work)
    try:
        rng = random.Random(42)
        messages, ids = [], []
        for n in range(count):
            raw, message_id = generated_mail(n, ids, rng)
            messages.append(raw)
            ids.append(message_id)
        folder = f"bench-{kind}"
        fill_folder(server, folder, messages)
        megabytes = sum(map(len, messages)) / 1e6
        print(f"\n== {kind}: {count} messages ({megabytes:.1f} MB) in folder {folder}")

        for commits in ("each", "batch"):
            seconds, cpu, peak, _ = run_timed([sys.executable, __file__, "floor", url,
                                               str(server.port), folder, commits], os.environ)
            print(f"floor, commit per {commits:5}                : {seconds:6.2f} s "
                  f"{count / seconds:7.1f} msg/s  peak {peak} MB  CPU {cpu:5.2f} s")
        seconds, cpu, peak, output = run_timed(
            [sys.executable, __file__, "flask", "ingest", "--once"],
            flask_env(url, server.port, folder, work))
        *summary, worker_peak = output.splitlines()
        print(f"flask ingest --once (whole command)     : {seconds:6.2f} s "
              f"{count / seconds:7.1f} msg/s  peak {peak} MB  CPU {cpu:5.2f} s")
        print(f"  {summary[-1]}")
        print(f"  its parsing worker's peak: {worker_peak.removeprefix('worker_peak_mb=')} MB")
        # The same in one process, on a database and folder of its own.
        single_url = prepare_database(kind, work, "bench_single")
        fill_folder(server, f"{folder}-single", messages)
        try:
            single, cpu, peak, _ = run_timed(
                [sys.executable, __file__, "flask", "ingest", "--once"],
                {**flask_env(single_url, server.port, f"{folder}-single", work),
                 "HELPDESK_INGEST_PARSE_WORKERS": "0"})
        finally:
            drop_database(kind, single_url)
        print(f"  the same without a parsing worker     : {single:6.2f} s "
              f"{count / single:7.1f} msg/s  peak {peak} MB  CPU {cpu:5.2f} s")
        empty_folder = f"empty-{kind}"
        fill_folder(server, empty_folder, [])
        startup, _, _ = run_measured([sys.executable, __file__, "flask", "ingest", "--once"],
                                     flask_env(url, server.port, empty_folder, work))
        print(f"  the same without start-up ({startup:.2f} s on an empty folder): "
              f"{count / (seconds - startup):7.1f} msg/s")

        latencies = measure_latency(server, url, work, samples)
        latencies.sort()
        p95 = latencies[max(0, round(0.95 * len(latencies)) - 1)]
        print(f"latency APPEND -> committed ticket, {len(latencies)} single messages: "
              f"median {statistics.median(latencies):.3f} s, p95 {p95:.3f} s, "
              f"max {latencies[-1]:.3f} s")

        big_folder = f"big-{kind}"
        fill_folder(server, big_folder, [big_attachment_mail(25)])
        seconds, peak, output = run_measured(
            [sys.executable, __file__, "flask", "ingest", "--once"],
            flask_env(url, server.port, big_folder, work))
        print(f"one message with a 25 MB attachment      : {seconds:6.2f} s  peak {peak} MB")
        print(f"  {output.splitlines()[-2]}")
    finally:
        drop_database(kind, url)
        shutil.rmtree(work, ignore_errors=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=2000)
    parser.add_argument("--latency-samples", type=int, default=50)
    parser.add_argument("--databases", default="sqlite,postgresql")
    options = parser.parse_args()
    root = Path(tempfile.mkdtemp(prefix="helpdesk-bench-dovecot-"))
    server = start_dovecot(root)
    try:
        for kind in options.databases.split(","):
            bench_database(kind.strip(), server, options.messages, options.latency_samples)
    finally:
        server.stop()
        shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "seed":
        seed(sys.argv[2], sys.argv[3])
    elif len(sys.argv) > 1 and sys.argv[1] == "flask":
        run_flask(sys.argv[2:])
    elif len(sys.argv) > 1 and sys.argv[1] == "floor":
        floor(sys.argv[2], int(sys.argv[3]), sys.argv[4], commit_each=sys.argv[5] == "each")
    else:
        main()
