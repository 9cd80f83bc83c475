"""`flask mail-in` and the worker as processes: killed mid-mail, the sender's retry counts once."""
import os
import signal
import smtplib
import socket
import subprocess
import sys
import threading
import time

import pytest
import sqlalchemy as sa

from helpdesk import ROOT
from helpdesk.extensions import db
from helpdesk.models import MailReceipt, Ticket
from tests.conftest import SECRET_KEY
from tests.fixtures.factories import make_contact
from tests.fixtures.mail import make_mail
from tests.fixtures.ports import free_port

DESK = "support@desk.example"


class Process:
    """A flask command with its output collected line by line as it comes."""

    def __init__(self, env: dict, *args: str):
        self.popen = subprocess.Popen([sys.executable, "-m", "flask", *args], cwd=ROOT, env=env,
                                      stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                      text=True)
        self.lines: list[str] = []
        self.reader = threading.Thread(target=self._collect, daemon=True)
        self.reader.start()

    def _collect(self) -> None:
        for line in self.popen.stdout:
            self.lines.append(line)

    @property
    def output(self) -> str:
        return "".join(self.lines)

    def wait_for(self, text: str, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while not any(text in line for line in self.lines):
            assert self.popen.poll() is None or any(text in line for line in self.lines), \
                f"ended ({self.popen.returncode}) before {text!r}:\n{self.output}"
            assert time.monotonic() < deadline, f"no {text!r} in {timeout} s:\n{self.output}"
            time.sleep(0.05)

    def end(self, signum: int | None = signal.SIGTERM) -> int:
        """Its exit code, once it ended: sent `signum` first, or (None) of its own accord."""
        if signum is not None and self.popen.poll() is None:
            self.popen.send_signal(signum)
        code = self.popen.wait(60)
        self.reader.join(30)
        return code


@pytest.fixture
def env(app) -> dict:
    port = free_port()
    environ = {key: value for key, value in os.environ.items()
               if not key.startswith("HELPDESK_")}
    environ.update(FLASK_APP="app.py", HELPDESK_SECRET_KEY=SECRET_KEY,
                   HELPDESK_SQLALCHEMY_DATABASE_URI=app.config["SQLALCHEMY_DATABASE_URI"],
                   HELPDESK_BLOB_STORE=app.config["BLOB_STORE"],
                   HELPDESK_MAIL_DEFAULT_SENDER=DESK, HELPDESK_MAIL_IN_PORT=str(port))
    return environ


@pytest.fixture
def processes():
    started: list[Process] = []

    def start(env: dict, *args: str) -> Process:
        process = Process(env, *args)
        started.append(process)
        return process

    yield start
    for process in started:
        process.end(signal.SIGKILL)


def count(model) -> int:
    db.session.rollback()  # see what the other process committed
    return db.session.scalar(sa.select(sa.func.count()).select_from(model))


def _reply(connection: socket.socket) -> bytes:
    data = b""
    while not data.endswith(b"\r\n") or data.splitlines()[-1][3:4] == b"-":
        chunk = connection.recv(4096)
        assert chunk, f"the server hung up after {data!r}"
        data += chunk
    return data


def test_an_intake_killed_in_the_middle_of_data_loses_nothing_and_the_retry_counts_once(
        app, env, processes):
    make_contact(email="ann@customer.example")
    raw = make_mail("ann@customer.example", "Export fails", "It breaks.\r\n" * 2000)
    port = int(env["HELPDESK_MAIL_IN_PORT"])
    intake = processes(env, "mail-in")
    intake.wait_for("Mail in: SMTP on 127.0.0.1")

    with socket.create_connection(("127.0.0.1", port), timeout=30) as connection:
        assert _reply(connection).startswith(b"220 ")
        for command, expected in ((b"EHLO sender.example", b"250"),
                                  (b"MAIL FROM:<ann@customer.example>", b"250"),
                                  (f"RCPT TO:<{DESK}>".encode(), b"250"),
                                  (b"DATA", b"354")):
            connection.sendall(command + b"\r\n")
            assert _reply(connection).startswith(expected)
        connection.sendall(raw[:len(raw) // 2])
        intake.end(signal.SIGKILL)  # as the kernel or a power cut ends it

    assert count(MailReceipt) == count(Ticket) == 0
    again = processes(env, "mail-in")
    again.wait_for("Mail in: SMTP on 127.0.0.1")
    # The sending server's retry, whole; and once more, as after a 250 it did not see.
    for _ in range(2):
        with smtplib.SMTP("127.0.0.1", port, timeout=60) as client:
            assert client.sendmail("ann@customer.example", [DESK], raw) == {}

    assert count(Ticket) == count(MailReceipt) == 1
    assert again.end() == 0
    assert "smtp: " in again.output and "Ok: duplicate" in again.output


def test_the_worker_runs_the_intake_beside_its_jobs_and_says_so(app, env, processes):
    make_contact(email="ann@customer.example")
    worker = processes(env, "worker")
    worker.wait_for(f"mail in: SMTP on 127.0.0.1:{env['HELPDESK_MAIL_IN_PORT']}")
    worker.wait_for("Worker running")

    deadline = time.monotonic() + 60
    while True:  # the intake's thread starts listening beside the jobs
        try:
            client = smtplib.SMTP("127.0.0.1", int(env["HELPDESK_MAIL_IN_PORT"]), timeout=60)
            break
        except ConnectionRefusedError:
            assert time.monotonic() < deadline, worker.output
            time.sleep(0.05)
    with client:
        client.sendmail("ann@customer.example", [DESK], make_mail("ann@customer.example"))

    assert count(Ticket) == 1
    assert worker.end() == 0
    assert "Traceback" not in worker.output


def test_mail_in_without_a_port_refuses_in_one_line(app, env, processes):
    env["HELPDESK_MAIL_IN_PORT"] = "0"

    intake = processes(env, "mail-in")

    assert intake.end(None) == 1
    assert intake.output == ("Error: Mail in has no port: set HELPDESK_MAIL_IN_PORT "
                             "or pass --port.\n")


def test_mail_in_on_a_port_in_use_says_so_in_one_line(app, env, processes):
    with socket.create_server(("127.0.0.1", 0)) as taken:
        port = taken.getsockname()[1]
        intake = processes(env, "mail-in", "--port", str(port))
        assert intake.end(None) == 1

    assert intake.output == (f"Error: Mail in cannot listen on SMTP on 127.0.0.1:{port}: "
                             "Address already in use\n")
