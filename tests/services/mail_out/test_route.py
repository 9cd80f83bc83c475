"""Where outgoing mail goes: the catcher decided once, refused where it would catch in earnest."""
import os
import subprocess
import sys

import pytest

from helpdesk import ROOT, create_app
from helpdesk.services.mail_out import route
from helpdesk.settings import SettingError
from tests.fixtures.smtp import use_mail_settings

BARE = {"SQLALCHEMY_DATABASE_URI": "sqlite://", "SECRET_KEY": "x"}


def _catcher(**config) -> bool:
    return create_app({**BARE, **config}).config["MAIL_CATCHER"]


@pytest.mark.parametrize(("config", "catching"), [
    ({}, False),  # production, the default
    ({"ENVIRONMENT": "development"}, True),
    ({"ENVIRONMENT": "development", "DESK_URL": "http://localhost:8000"}, True),
    ({"ENVIRONMENT": "development", "MAIL_SERVER": "smtp.example"}, False),
    ({"ENVIRONMENT": "development", "MAIL_CATCHER": False}, False),
    ({"ENVIRONMENT": "development", "MAIL_CATCHER": True}, True),
    ({"MAIL_CATCHER": False}, False),
])
def test_the_catcher_is_on_in_development_without_a_mail_server_unless_told(config, catching):
    assert _catcher(**config) is catching


@pytest.mark.parametrize(("config", "refusal"), [
    ({"MAIL_CATCHER": True}, "HELPDESK_ENVIRONMENT is production"),
    ({"ENVIRONMENT": "development", "DESK_URL": "https://desk.example"},
     "not for a desk at an https HELPDESK_DESK_URL; set HELPDESK_MAIL_SERVER or "
     "HELPDESK_MAIL_CATCHER=false"),
    ({"ENVIRONMENT": "development", "MAIL_CATCHER": True, "DESK_URL": "https://desk.example"},
     "https HELPDESK_DESK_URL"),
    ({"ENVIRONMENT": "development", "DESK_URL": "http://test-desk.example:5000"},
     "only a desk on loopback may have it"),
    ({"ENVIRONMENT": "development", "MAIL_CATCHER": True, "DESK_URL": "http://10.1.2.3"},
     "only a desk on loopback may have it"),
    ({"ENVIRONMENT": "development", "MAIL_CATCHER": True, "MAIL_SERVER": "smtp.example"},
     "mail is caught or sent, not both"),
])
def test_a_desk_that_would_catch_mail_it_must_send_does_not_start(config, refusal):
    with pytest.raises(SettingError, match="^HELPDESK_MAIL_CATCHER: ") as refused:
        create_app({**BARE, **config})
    assert refusal in str(refused.value) and "\n" not in str(refused.value)


def test_an_https_production_desk_without_a_mail_server_starts_without_the_catcher():
    assert _catcher(DESK_URL="https://desk.example") is False


def test_the_mail_catcher_from_the_environment_is_refused_in_production(monkeypatch):
    monkeypatch.setenv("HELPDESK_MAIL_CATCHER", "true")
    with pytest.raises(SettingError, match="HELPDESK_ENVIRONMENT is production"):
        create_app(BARE)


def test_mail_out_says_in_one_line_where_mail_goes(app):
    assert route.mail_out_line() == ("mail out: none: mail waits in the outbox "
                                     "(set HELPDESK_MAIL_SERVER)")
    use_mail_settings(app, MAIL_SERVER="smtp.example", MAIL_PORT=465, MAIL_SECURITY="ssl")
    assert route.mail_out_line() == "mail out: SMTP on smtp.example:465 (ssl)"
    use_mail_settings(app, MAIL_SERVER="", MAIL_CATCHER=True, DESK_URL="http://127.0.0.1:5000")
    assert route.mail_out_line() == ("mail out: caught locally, see "
                                     "http://127.0.0.1:5000/dev/mail/")


def test_the_worker_says_where_mail_goes_before_it_runs(tmp_path):
    environment = {**os.environ, "HELPDESK_ENVIRONMENT": "development",
                   "HELPDESK_SECRET_KEY": "x", "HELPDESK_IMAP_USER": "",
                   "HELPDESK_SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'desk.sqlite'}"}
    environment.pop("HELPDESK_MAIL_SERVER", None)
    worker = subprocess.Popen([sys.executable, "-m", "flask", "--app", "app.py", "worker"],
                              cwd=ROOT, env=environment, stderr=subprocess.PIPE, text=True)
    try:
        lines = []
        while not lines or not lines[-1].startswith("Worker running"):
            line = worker.stderr.readline()
            assert line, f"the worker ended first: {lines}"
            lines.append(line)
    finally:
        worker.terminate()
        worker.wait(timeout=30)
    # Read up to "Worker running": said before it.
    assert "mail out: caught locally, see http://127.0.0.1:5000/dev/mail/\n" in lines
