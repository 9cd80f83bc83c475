"""Log lines: text or JSON objects one a line, addresses masked and link tokens cut out."""
import contextlib
import json
import logging
import signal
import smtplib
import time
from datetime import datetime, timedelta

import pytest

from helpdesk import logs
from tests.fixtures.ports import free_port
from tests.fixtures.processes import flask_env

TOKEN = "Zq3kT9xW_pL2mN8vB4cR6yH1jF5dS7aG0eU-iO3wQx8"  # as secrets.token_urlsafe(32) makes


def _record(message: str, *args: object, exc_info=None) -> logging.LogRecord:
    return logging.LogRecord("helpdesk.services.mail_out.sender", logging.WARNING, __file__, 1,
                             message, args, exc_info)


def _raised(text: str):
    try:
        raise ValueError(text)
    except ValueError as error:
        return (type(error), error, error.__traceback__)


@pytest.mark.parametrize(("text", "shown"), [
    ("outbox 7 sent to eva@acme.example as <a1b2@desk.example>",
     "outbox 7 sent to e***@acme.example as <a***@desk.example>"),
    ("refused recipient 'tom.de.vries+desk@mail.devries.example' from ('10.0.0.1', 25)",
     "refused recipient 't***@mail.devries.example' from ('10.0.0.1', 25)"),
    ("3 bytes from <>: 250 OK", "3 bytes from <>: 250 OK"),
    (f'"GET /portal/sign-in/link/{TOKEN} HTTP/1.1" 200',
     '"GET /portal/sign-in/link/<token> HTTP/1.1" 200'),
    ("GET /desk/tickets/1042 and /manage/organisations/bakkerij-de-vries",
     "GET /desk/tickets/1042 and /manage/organisations/bakkerij-de-vries"),
])
def test_addresses_are_masked_and_link_tokens_cut_out(text, shown):
    assert logs.redact(text) == shown


def test_a_json_line_has_time_level_logger_message_and_the_exception_masked():
    record = _record("outbox %s to %s cannot be composed", 7, "eva@acme.example",
                     exc_info=_raised("no such contact: eva@acme.example"))
    line = logs.JsonLines().format(record)
    assert "\n" not in line
    fields = json.loads(line)
    assert fields.keys() == {"time", "level", "logger", "message", "exception"}
    assert datetime.fromisoformat(fields["time"]).utcoffset() == timedelta(0)
    assert fields["level"] == "WARNING"
    assert fields["logger"] == "helpdesk.services.mail_out.sender"
    assert fields["message"] == "outbox 7 to e***@acme.example cannot be composed"
    assert fields["exception"].startswith("Traceback (most recent call last):")
    assert fields["exception"].endswith("ValueError: no such contact: e***@acme.example")
    assert "eva@" not in line


def test_a_text_line_masks_the_message_and_the_traceback():
    record = _record("outbox %s to %s failed", 7, "eva@acme.example",
                     exc_info=_raised("refused: eva@acme.example"))
    text = logs.TextLines().format(record)
    assert " WARNING helpdesk.services.mail_out.sender: outbox 7 to e***@acme.example failed\n" \
        in text
    assert text.endswith("ValueError: refused: e***@acme.example")
    assert "eva@" not in text


@contextlib.contextmanager
def bare_root():
    """The root logger as a fresh process has it (no handlers, level WARNING), for a while:
    pytest's own handlers are set aside and put back."""
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    root.handlers.clear()
    root.setLevel(logging.WARNING)
    try:
        yield root
    finally:
        root.handlers[:] = handlers
        root.setLevel(level)


def test_configuring_again_replaces_the_handler_and_writes_to_the_stderr_of_the_moment(capsys):
    with bare_root() as root:
        logs.configure("text")
        logs.configure("json", logging.INFO)
        assert len(root.handlers) == 1 and root.level == logging.INFO
        logging.getLogger("helpdesk.jobs").info("sla-sweep: %s", "1 escalated")
    line = json.loads(capsys.readouterr().err)
    assert (line["logger"], line["message"]) == ("helpdesk.jobs", "sla-sweep: 1 escalated")


def test_a_logging_setup_of_someone_else_is_kept():
    theirs = logging.NullHandler()
    with bare_root() as root:
        root.addHandler(theirs)
        logs.configure("json", logging.DEBUG)
        assert root.handlers == [theirs] and root.level == logging.WARNING


def _intake(port: int, timeout: float = 30) -> smtplib.SMTP:
    """An SMTP session with the worker's intake, once its mail-in job listens."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            return smtplib.SMTP("127.0.0.1", port, timeout=30)
        except ConnectionRefusedError:
            assert time.monotonic() < deadline, f"nothing listens on {port}"
            time.sleep(0.1)


def test_a_worker_logging_json_writes_only_json_lines_with_addresses_masked(app, processes):
    port = free_port()
    env = flask_env(app, LOG_FORMAT="json", WORKER_LEASE="3s", MAIL_IN_PORT=str(port),
                    MAIL_DEFAULT_SENDER="support@desk.example")
    worker = processes(env, "worker")
    worker.wait_for("Worker running")
    with _intake(port) as client:
        client.ehlo("sender.example")
        client.mail("ann@customer.example")
        code, _ = client.rcpt("stranger@elsewhere.example")
        assert code == 550
    worker.wait_for("refused recipient")
    assert worker.end(signal.SIGTERM) == 0, worker.output
    lines = [json.loads(line) for line in worker.lines]
    assert all({"time", "level", "logger", "message"} <= line.keys() for line in lines)
    assert any(line["message"].startswith("Worker running") for line in lines)
    refused = [line["message"] for line in lines if "refused recipient" in line["message"]]
    assert refused[0].startswith("mail in: refused recipient 's***@elsewhere.example'")
    assert "stranger@" not in worker.output
