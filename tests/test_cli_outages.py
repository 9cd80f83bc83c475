"""Commands facing a server that is down, run as cron runs them: exit 75 and one line."""
import os
import shutil
import subprocess
import sys
import threading
import time
from urllib.parse import urlsplit

import pytest

from helpdesk import ROOT
from helpdesk.extensions import db
from helpdesk.outages import BACKOFF_FIRST_SECONDS, EX_TEMPFAIL
from helpdesk.services.intake.mailbox_lock import mailbox_lock
from helpdesk.services.mail_out import outbox
from tests.conftest import DATABASE, SECRET_KEY
from tests.fixtures.factories import make_contact
from tests.fixtures.mail import NOW
from tests.fixtures.ports import free_port
from tests.fixtures.tcp_proxy import FaultyProxy

UNREACHABLE_DATABASE = "postgresql+psycopg://desk@127.0.0.1:1/helpdesk"


def _env(app, **settings) -> dict:
    env = {key: value for key, value in os.environ.items() if not key.startswith("HELPDESK_")}
    env.update(FLASK_APP="app.py", HELPDESK_SECRET_KEY=SECRET_KEY,
               HELPDESK_SQLALCHEMY_DATABASE_URI=app.config["SQLALCHEMY_DATABASE_URI"],
               HELPDESK_BLOB_STORE=app.config["BLOB_STORE"],
               HELPDESK_BACKUP_DIR=app.config["BACKUP_DIR"])
    for name, value in settings.items():
        env[f"HELPDESK_{name}"] = str(value)
    return env


def _flask(env: dict, *args: str, timeout: float = 60) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "flask", *args], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=timeout)


def _one_line(result: subprocess.CompletedProcess) -> str:
    output = result.stdout + result.stderr
    assert "Traceback" not in output
    assert output.count("\n") == 1, output
    return output


def _mailbox_settings(mailbox, **overrides) -> dict:
    return {key: value for key, value in mailbox.config(**overrides).items()}


def test_ingest_once_with_the_database_down_exits_75_with_one_line(app, mailbox):
    env = _env(app, **_mailbox_settings(mailbox))
    env["HELPDESK_SQLALCHEMY_DATABASE_URI"] = UNREACHABLE_DATABASE
    result = _flask(env, "ingest", "--once")
    assert result.returncode == EX_TEMPFAIL
    assert _one_line(result).startswith("Error: database unavailable: ")


def test_ingest_once_with_the_imap_server_down_exits_75_with_one_line(app, mailbox):
    result = _flask(_env(app, **_mailbox_settings(mailbox, IMAP_PORT=free_port())),
                    "ingest", "--once")
    assert result.returncode == EX_TEMPFAIL
    assert _one_line(result).startswith(
        "Error: IMAP server unavailable: IMAP connect failed: ConnectionRefusedError")


def test_ingest_once_that_finds_another_ingester_at_work_exits_75_with_one_line(app, mailbox):
    with mailbox_lock(f"desk@127.0.0.1:{mailbox.server.port}/{mailbox.folder}") as locked:
        assert locked
        result = _flask(_env(app, **_mailbox_settings(mailbox)), "ingest", "--once")
    assert result.returncode == EX_TEMPFAIL
    assert "another ingester is working on this mailbox" in _one_line(result)


def _queue_a_mail() -> None:
    outbox.queue_mail(to_address=make_contact().email, kind="reply", subject="Hello",
                      body_text="Hello", now=NOW, automatic=False)
    db.session.commit()


def test_outbox_send_that_cannot_reach_the_server_exits_75_with_one_line(app):
    _queue_a_mail()
    result = _flask(_env(app, MAIL_SERVER="127.0.0.1", MAIL_PORT=free_port(),
                         MAIL_SECURITY="none"), "outbox", "send")
    assert result.returncode == EX_TEMPFAIL
    assert _one_line(result).startswith("Error: SMTP server unavailable: cannot connect to")


def test_outbox_send_whose_tls_check_fails_exits_75_with_one_line(app, smtp_server):
    _queue_a_mail()
    # The test server offers no STARTTLS: the desk does not go on in plaintext.
    result = _flask(_env(app, MAIL_SERVER="127.0.0.1", MAIL_PORT=smtp_server.port,
                         MAIL_SECURITY="starttls"), "outbox", "send")
    assert result.returncode == EX_TEMPFAIL
    assert "STARTTLS" in _one_line(result)
    assert smtp_server.arrivals == []


def _collect_lines(stream, lines: list[str]) -> None:
    for line in stream:
        lines.append(line)


def _wait_for_line(lines: list[str], text: str, timeout: float = 30) -> None:
    """Until a line of the worker's output holds `text`, polling its output as it comes."""
    deadline = time.monotonic() + timeout
    while not any(text in line for line in lines):
        assert time.monotonic() < deadline, f"no {text!r} within {timeout} s:\n{''.join(lines)}"
        time.sleep(0.05)


def test_the_worker_says_once_the_database_is_down_and_once_it_is_back(app, tmp_path):
    env = _env(app)
    if DATABASE == "postgresql":
        address = urlsplit(app.config["SQLALCHEMY_DATABASE_URI"])
        port = free_port()
        env["HELPDESK_SQLALCHEMY_DATABASE_URI"] = app.config["SQLALCHEMY_DATABASE_URI"].replace(
            address.netloc, f"{address.netloc.rpartition('@')[0]}@127.0.0.1:{port}")

        def come_back():
            return FaultyProxy(address.port, port=port)
    else:
        missing = tmp_path / "not-yet" / "helpdesk.sqlite"
        env["HELPDESK_SQLALCHEMY_DATABASE_URI"] = f"sqlite:///{missing}"

        def come_back():
            missing.parent.mkdir()
            shutil.copyfile(app.config["SQLALCHEMY_DATABASE_URI"].removeprefix("sqlite:///"),
                            missing)

    worker = subprocess.Popen([sys.executable, "-m", "flask", "worker"], cwd=ROOT, env=env,
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    lines: list[str] = []
    reader = threading.Thread(target=_collect_lines, args=(worker.stdout, lines), daemon=True)
    reader.start()
    proxy = None
    try:
        _wait_for_line(lines, "database down since")
        # Its first failure said so; the retries after 1 and 3 s must find it down and say nothing.
        time.sleep(3 * BACKOFF_FIRST_SECONDS + 0.5)
        proxy = come_back()
        _wait_for_line(lines, "database back at")
    finally:
        worker.terminate()
        worker.wait(timeout=30)
        reader.join(timeout=30)
        if proxy is not None:
            proxy.close()

    output = "".join(lines)
    assert "Traceback" not in output
    assert output.count("database down since") == 1, output
    assert output.count("database back at") == 1, output


@pytest.mark.parametrize("command", [["held"], ["sla", "sweep"], ["stats", "rollup"]])
def test_other_commands_with_the_database_down_exit_75_with_one_line(app, command):
    env = _env(app)
    env["HELPDESK_SQLALCHEMY_DATABASE_URI"] = UNREACHABLE_DATABASE
    result = _flask(env, *command)
    assert result.returncode == EX_TEMPFAIL
    assert _one_line(result).startswith("Error: database unavailable: ")


def test_worker_once_with_the_database_down_says_so_once_and_exits_75(app):
    env = _env(app)
    env["HELPDESK_SQLALCHEMY_DATABASE_URI"] = UNREACHABLE_DATABASE
    result = _flask(env, "worker", "--once")
    output = result.stdout + result.stderr
    assert result.returncode == EX_TEMPFAIL
    assert "Traceback" not in output
    assert output.count("database down since") == 1
    assert "sla-sweep: failed, see the log" in output
