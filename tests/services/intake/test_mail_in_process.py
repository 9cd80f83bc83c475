"""`flask mail-in` and the worker as processes: killed mid-mail, the sender's retry counts once."""
import signal
import smtplib
import socket
import time

import pytest
import sqlalchemy as sa

from helpdesk.extensions import db
from helpdesk.models import MailReceipt, Ticket
from tests.fixtures.factories import make_contact
from tests.fixtures.mail import make_mail
from tests.fixtures.ports import free_port
from tests.fixtures.processes import flask_env

DESK = "support@desk.example"


@pytest.fixture
def env(app) -> dict:
    return flask_env(app, MAIL_DEFAULT_SENDER=DESK, MAIL_IN_PORT=str(free_port()))


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
