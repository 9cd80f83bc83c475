"""`make run` as a newcomer runs it: web, worker and mail intake start and stop together."""
import os
import signal
import smtplib
import sqlite3
import subprocess
import threading
import time
import urllib.request
from pathlib import Path

import pytest

from tests.fixtures.ports import free_port

REPO = Path(__file__).resolve().parent.parent
pytestmark = pytest.mark.skipif(os.environ.get("HELPDESK_TEST_DATABASE") == "postgresql",
                                reason="make run is the SQLite desk; once is enough")


class MakeRun:
    """`make run` in a process group of its own, its output collected line by line."""

    def __init__(self, tmp_path: Path):
        self.web_port, self.mail_port = free_port(), free_port()
        self.database = tmp_path / "desk.sqlite"
        self.env = {**{k: v for k, v in os.environ.items() if not k.startswith("HELPDESK_")},
                    "HELPDESK_SQLALCHEMY_DATABASE_URI": f"sqlite:///{self.database}",
                    "HELPDESK_SECRET_KEY": "make-run-test",
                    "HELPDESK_BLOB_STORE": str(tmp_path / "blobs"),
                    "HELPDESK_BACKUP_DIR": str(tmp_path / "backups"),
                    "HELPDESK_MAIL_IN_PORT": str(self.mail_port)}
        self.lines: list[str] = []
        self.process: subprocess.Popen | None = None

    def start(self) -> None:
        self.lines.clear()
        self.process = subprocess.Popen(
            ["make", "--no-print-directory", "run", f"PORT={self.web_port}"], cwd=REPO,
            env=self.env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
            start_new_session=True)
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        for line in self.process.stdout:
            self.lines.append(line)

    @property
    def output(self) -> str:
        return "".join(self.lines)

    def wait_for(self, ready, what: str, seconds: float = 120) -> None:
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            if ready():
                return
            assert self.process.poll() is None, f"make run ended:\n{self.output}"
            time.sleep(0.2)
        raise AssertionError(f"{what} within {seconds} s:\n{self.output}")

    def web_answers(self) -> bool:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{self.web_port}/sign-in",
                                        timeout=2) as response:
                return response.status == 200
        except OSError:
            return False

    def intake_answers(self) -> bool:
        try:
            with smtplib.SMTP("127.0.0.1", self.mail_port, timeout=2) as client:
                return client.noop()[0] == 250
        except OSError:
            return False

    def flask(self, *args: str) -> subprocess.CompletedProcess:
        return subprocess.run([str(REPO / ".venv/bin/flask"), *args], cwd=REPO, env={
            **self.env, "FLASK_APP": "app.py"}, capture_output=True, text=True, timeout=60)

    def interrupt(self) -> None:
        """Ctrl-C, as the terminal sends it to the whole process group: everything stops."""
        os.killpg(self.process.pid, signal.SIGINT)
        self.process.wait(30)
        deadline = time.monotonic() + 15
        while self.web_answers() or self.intake_answers():
            assert time.monotonic() < deadline, f"still answering after Ctrl-C:\n{self.output}"
            time.sleep(0.2)

    def processes_running(self, command: str) -> list[int]:
        """The ids of this make run's `flask COMMAND` processes."""
        found = []
        for cmdline in Path("/proc").glob("[0-9]*/cmdline"):
            try:
                words = cmdline.read_bytes().split(b"\0")
                group = os.getpgid(int(cmdline.parent.name))
            except (OSError, ValueError):
                continue
            if group == self.process.pid and command.encode() in words and any(
                    word.endswith(b"/flask") for word in words):
                found.append(int(cmdline.parent.name))
        return found

    def rows(self, query: str) -> list[tuple]:
        with sqlite3.connect(self.database) as connection:
            return connection.execute(query).fetchall()


@pytest.fixture
def make_run(tmp_path):
    desk = MakeRun(tmp_path)
    yield desk
    if desk.process is not None and desk.process.poll() is None:
        os.killpg(desk.process.pid, signal.SIGKILL)
        desk.process.wait(10)


def test_make_run_takes_a_mail_to_a_ticket_catches_its_acknowledgement_and_stops_whole(
        make_run):
    make_run.start()
    make_run.wait_for(make_run.web_answers, "the web server answering")
    make_run.wait_for(make_run.intake_answers, "the mail intake answering")
    assert "agent@helpdesk.example" in make_run.output
    assert "mail in: SMTP on 127.0.0.1" in make_run.output
    assert "mail out: caught locally" in make_run.output

    sent = make_run.flask("mail", "send-demo", "--from", "eva@acme.example",
                          "--subject", "Export fails since this morning")
    assert sent.returncode == 0, sent.stderr

    make_run.wait_for(lambda: make_run.rows(
        "select count(*) from ticket where subject = 'Export fails since this morning'"
    ) == [(1,)], "the mail becoming a ticket", seconds=30)
    make_run.wait_for(lambda: make_run.rows(
        "select count(*) from caught_mail where subject like '%Export fails since this morning%'"
    )[0][0] >= 1, "the acknowledgement caught", seconds=30)

    make_run.interrupt()


def test_a_second_make_run_keeps_the_data_and_prints_the_logins_again(make_run):
    make_run.start()
    make_run.wait_for(make_run.web_answers, "the web server answering")
    tickets = make_run.rows("select count(*) from ticket")
    make_run.interrupt()
    assert tickets[0][0] > 200  # the demo's history

    make_run.start()
    make_run.wait_for(make_run.web_answers, "the web server answering again")
    assert make_run.rows("select count(*) from ticket") == tickets
    assert "agent@helpdesk.example" in make_run.output
    assert "eva@acme.example" in make_run.output
    make_run.interrupt()


def test_when_the_worker_stops_make_run_stops_the_web_server_too(make_run):
    make_run.start()
    make_run.wait_for(make_run.web_answers, "the web server answering")
    make_run.wait_for(make_run.intake_answers, "the mail intake answering")

    [worker] = make_run.processes_running("worker")
    os.kill(worker, signal.SIGTERM)

    make_run.process.wait(30)
    deadline = time.monotonic() + 15
    while make_run.web_answers():
        assert time.monotonic() < deadline, f"web outlived the worker:\n{make_run.output}"
        time.sleep(0.2)
