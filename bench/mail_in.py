"""Time mail pushed over SMTP to `flask mail-in`, from the start of sending to the 250.

    .venv/bin/python bench/mail_in.py [--mails 1000] [--databases sqlite,postgresql]

For each database: `flask mail-in` runs on a fresh, seeded database (as bench/ingest.py seeds
it) and N generated customer mails (a fifth replies, some HTML, some attachments) are sent one
at a time with smtplib, first over one connection, then over a fresh connection per mail. The
250 comes only once the mail is committed, so the time to it is the mail-to-ticket latency;
printed as p50, p95 and max, with mails per second. Compare bench/ingest.py's IMAP IDLE
latency (APPEND to committed ticket).
"""
from __future__ import annotations

import argparse
import os
import random
import shutil
import signal
import smtplib
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import sqlalchemy as sa

ROOT = Path(__file__).resolve().parent.parent
sys.path[0] = str(ROOT)  # as bench/ingest.py does: bench/queue.py would shadow the stdlib's

from bench.ingest import (  # noqa: E402
    SECRET_KEY,
    drop_database,
    flask_command,
    generated_mail,
    prepare_database,
)
from tests.fixtures.ports import free_port  # noqa: E402

DESK = "support@desk.example"


def start_intake(url: str, work: Path, port: int) -> subprocess.Popen:
    """`flask mail-in` on a loopback port, once it says it listens."""
    env = {**os.environ, "FLASK_APP": "app.py", "HELPDESK_SQLALCHEMY_DATABASE_URI": url,
           "HELPDESK_SECRET_KEY": SECRET_KEY, "HELPDESK_BLOB_STORE": str(work / "blobs"),
           "HELPDESK_MAIL_DEFAULT_SENDER": DESK, "HELPDESK_MAIL_IN_PORT": str(port)}
    intake = subprocess.Popen([flask_command(), "mail-in"], env=env, cwd=ROOT,
                              stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    for line in intake.stderr:
        if line.startswith("Mail in:"):
            # Keep reading, so its log never fills the pipe and blocks it.
            threading.Thread(target=intake.stderr.read, daemon=True).start()
            return intake
    raise RuntimeError(f"flask mail-in ended ({intake.wait()}) before it listened")


def send_all(port: int, mails: list[bytes], fresh_connections: bool) -> tuple[list[float], float]:
    """Each mail's seconds from the start of sending to its 250, and the whole run's seconds."""
    latencies = []
    started_all = time.perf_counter()
    client = None if fresh_connections else smtplib.SMTP("127.0.0.1", port, timeout=60)
    try:
        for raw in mails:
            started = time.perf_counter()
            if fresh_connections:
                client = smtplib.SMTP("127.0.0.1", port, timeout=60)
            refused = client.sendmail(_sender(raw), [DESK], raw)
            latencies.append(time.perf_counter() - started)
            if refused:
                raise RuntimeError(f"refused: {refused}")
            if fresh_connections:
                client.quit()
    finally:
        if client is not None and not fresh_connections:
            client.quit()
    return latencies, time.perf_counter() - started_all


def _sender(raw: bytes) -> str:
    header = raw.split(b"\r\n\r\n", 1)[0].decode()
    line = next(line for line in header.splitlines() if line.startswith("From:"))
    return line.split("<", 1)[1].split(">", 1)[0]


def report(label: str, latencies: list[float], seconds: float) -> None:
    latencies = sorted(latencies)
    p95 = latencies[max(0, round(0.95 * len(latencies)) - 1)]
    print(f"{label:34}: p50 {statistics.median(latencies) * 1000:6.1f} ms  "
          f"p95 {p95 * 1000:6.1f} ms  max {latencies[-1] * 1000:6.1f} ms  "
          f"{len(latencies) / seconds:6.1f} mails/s")


def bench_database(kind: str, count: int) -> None:
    work = Path(tempfile.mkdtemp(prefix=f"helpdesk-bench-mail-in-{kind}-"))
    url = prepare_database(kind, work, "bench_mail_in")
    port = free_port()
    intake = start_intake(url, work, port)
    try:
        rng = random.Random(42)
        ids: list[str] = []
        mails = []
        for n in range(2 * count):
            raw, message_id = generated_mail(n, ids, rng)
            mails.append(raw)
            ids.append(message_id)
        megabytes = sum(map(len, mails[:count])) / 1e6
        print(f"\n== {kind}: {count} mails ({megabytes:.1f} MB) each way, "
              f"sent one at a time to flask mail-in (SMTP)")
        report("one connection for all", *send_all(port, mails[:count], False))
        report("a fresh connection per mail", *send_all(port, mails[count:], True))
        engine = sa.create_engine(url)
        with engine.connect() as connection:
            receipts = connection.scalar(sa.text("SELECT count(*) FROM mail_receipt"))
        engine.dispose()
        print(f"  receipts committed: {receipts} of {2 * count} mails sent")
    finally:
        intake.send_signal(signal.SIGTERM)
        intake.wait(timeout=60)
        drop_database(kind, url)
        shutil.rmtree(work, ignore_errors=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mails", type=int, default=1000)
    parser.add_argument("--databases", default="sqlite,postgresql")
    options = parser.parse_args()
    for kind in options.databases.split(","):
        bench_database(kind.strip(), options.mails)


if __name__ == "__main__":
    main()
