"""Every setting the README lists works from the environment; a bad value stops the start."""
import os
import re
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from helpdesk import create_app
from helpdesk.extensions import db
from helpdesk.models import StaffRole
from helpdesk.settings import (
    BOOLEAN,
    BY_NAME,
    DATABASE_URL,
    DURATION,
    HTTP_ADDRESS,
    MINUTES,
    OPTIONAL_FILE,
    PORT,
    SECONDS,
    SETTINGS,
    STRING_LIST,
    SettingError,
    from_environment,
)
from tests.conftest import (
    DATABASE,
    IsolatedClient,
    _empty_all_tables,
    _fresh_database_url,
    sign_in,
)
from tests.fixtures.factories import make_contact, make_staff, make_ticket

ROOT = Path(__file__).resolve().parents[1]
README = ROOT / "README.md"


def readme_variables() -> list[str]:
    """The variables of the README's settings table; `_PORT` after `HELPDESK_IMAP_HOST`
    is HELPDESK_IMAP_PORT."""
    names = []
    for line in README.read_text().splitlines():
        if not line.startswith("| `HELPDESK_"):
            continue
        cell = line.split("|")[1]
        tokens = re.findall(r"`(_?[A-Z][A-Z0-9_]*)`", cell)
        family = "_".join(tokens[0].split("_")[:2])
        names += [family + token if token.startswith("_") else token for token in tokens]
    return list(dict.fromkeys(names))


def sample(name: str, tmp_path: Path, database_uri: str) -> str:
    """A sensible value, other than the default, for one setting."""
    ca_file = tmp_path / "ca.pem"  # a CA file must exist
    ca_file.touch()
    special = {"SQLALCHEMY_DATABASE_URI": database_uri, "SECRET_KEY": "from-the-environment",
               "BLOB_STORE": str(tmp_path / "env-blobs"), "DESK_URL": "https://localhost",
               "IMAP_CA_FILE": str(ca_file), "MAIL_CA_FILE": str(ca_file),
               "TRUSTED_HOSTS": '["localhost"]', "SESSION_COOKIE_NAME": "desk_session",
               "MAIL_IN_PROTOCOL": "lmtp", "ENVIRONMENT": "development", "LOG_FORMAT": "json",
               "MAIL_IN_TLS_CERT": str(ca_file), "MAIL_IN_TLS_KEY": str(ca_file),
               "MAIL_IN_CLIENTS": '["192.0.2.0/24"]',
               "MAIL_CATCHER": "false",  # a catcher is refused in production
               "RETENTION_DAYS": "180", "BACKUP_DIR": str(tmp_path / "env-backups"),
               "WATCHDOG_WEBHOOK_URL": "http://127.0.0.1:9/hook", "WORKER_LEASE": "90s"}
    setting = BY_NAME[name]
    if name in special:
        return special[name]
    if setting.kind is DURATION:
        return "600"
    if setting.kind is BOOLEAN:
        return "true"
    if setting.kind is STRING_LIST:
        return '["urgent@desk.example"]'
    if isinstance(setting.default, int):
        return str(setting.default + 1) if name != "IMAP_PORT" else "143"
    if name.endswith("_SECURITY"):
        return "starttls"
    if name == "SENDER_AUTH":
        return "off"
    return "set from the environment"


def test_the_readme_lists_every_setting_and_only_real_ones():
    listed = readme_variables()
    assert [name for name in listed if name.removeprefix("HELPDESK_") not in BY_NAME] == []
    assert len(listed) == len(SETTINGS)


@pytest.mark.parametrize("variable", readme_variables())
def test_a_setting_from_the_environment_works_on_signed_in_pages(
        variable, database_url, tmp_path, monkeypatch):
    name = variable.removeprefix("HELPDESK_")
    database_uri = _fresh_database_url(database_url, tmp_path)
    value = sample(name, tmp_path, database_uri)
    monkeypatch.setenv(variable, value)
    config = {"TESTING": True, "SQLALCHEMY_DATABASE_URI": database_uri,
              "BLOB_STORE": str(tmp_path / "blobs"), "SECRET_KEY": "test"}
    app = create_app({key: v for key, v in config.items() if key != name})
    app.test_client_class = IsolatedClient

    setting = BY_NAME[name]
    assert app.config[name] == setting.kind.parse(value)
    if setting.default is not None:
        assert type(app.config[name]) is type(setting.default)
    with app.app_context():
        if DATABASE == "postgresql":
            _empty_all_tables()
        staff, contact = make_staff(StaffRole.MANAGER), make_contact()
        ticket = make_ticket(raised_by=contact)
        pages = [(staff, ["/desk/", f"/desk/tickets/{ticket.number}", "/manage/stats"]),
                 (contact, ["/portal/", f"/portal/tickets/{ticket.number}"])]
        for person, urls in pages:
            client = app.test_client()
            sign_in(client, person)
            for url in urls:
                response = client.get(url, base_url="https://localhost")
                assert response.status_code == 200, (url, response.status_code, response.location)
                assert b"signed out" not in response.data.lower()
        db.session.remove()
        db.engine.dispose()


@pytest.mark.parametrize(("kind", "raw", "value"), [
    (DURATION, "600", timedelta(minutes=10)),
    (DURATION, " 90 ", timedelta(seconds=90)),
    (DURATION, "600s", timedelta(minutes=10)),
    (DURATION, "10m", timedelta(minutes=10)),
    (DURATION, "2h", timedelta(hours=2)),
    (DURATION, "1.5H", timedelta(minutes=90)),
    (DURATION, "1d", timedelta(days=1)),
    (DURATION, "1h 30m", timedelta(minutes=90)),
    (DURATION, "1d2h3m4s", timedelta(days=1, hours=2, minutes=3, seconds=4)),
    (SECONDS, "30", 30),
    (SECONDS, "2m", 120),
    (SECONDS, "1h", 3600),
    (MINUTES, "60", 60),
    (MINUTES, "2h", 120),
    (MINUTES, "120s", 2),
    (PORT, "1143", 1143),
    (BOOLEAN, "Yes", True),
    (BOOLEAN, "0", False),
    (STRING_LIST, '["a@desk.example", "b@desk.example"]', ("a@desk.example", "b@desk.example")),
    (HTTP_ADDRESS, " https://desk.example.com/support ", "https://desk.example.com/support"),
    (HTTP_ADDRESS, "http://127.0.0.1:5000", "http://127.0.0.1:5000"),
    (DATABASE_URL, "postgresql+psycopg://helpdesk@db.internal/helpdesk",
     "postgresql+psycopg://helpdesk@db.internal/helpdesk"),
    (DATABASE_URL, "", ""),
    (OPTIONAL_FILE, str(README), str(README)),
    (OPTIONAL_FILE, "", ""),
])
def test_each_type_reads_its_forms(kind, raw, value):
    assert kind.parse(raw) == value


@pytest.mark.parametrize(("variable", "raw", "expected"), [
    ("HELPDESK_STAFF_SESSION_IDLE", "ten",
     "a duration of at least 1m, such as 600 (seconds), 10m or 2h"),
    ("HELPDESK_STAFF_SESSION_IDLE", "30", "a duration of at least 1m"),  # 30 seconds
    ("HELPDESK_PORTAL_SESSION_IDLE", "0", "a duration of at least 1m"),
    ("HELPDESK_PORTAL_SESSION_IDLE", "-10m", "a duration"),
    ("HELPDESK_SIGN_IN_FAILURE_WINDOW", "10m2h", "a duration"),  # units largest first
    ("HELPDESK_PASSWORD_RESET_VALID", "h", "a duration"),
    ("HELPDESK_SIGN_IN_LINK_VALID", "999999999999999d", "a duration"),
    ("HELPDESK_NOT_SUPER_USER_NOTICE_INTERVAL", "1 week", "a duration"),
    ("HELPDESK_IMAP_TIMEOUT_SECONDS", "1.5s", "a whole number of seconds of 1 or more"),
    ("HELPDESK_OUTBOX_RETRY_SECONDS", "0", "a whole number of seconds of 1 or more"),
    ("HELPDESK_ESCALATION_LATE_MINUTES", "90s", "a whole number of minutes of 1 or more"),
    ("HELPDESK_IMAP_PORT", "imap", "a whole number from 1 to 65535"),
    ("HELPDESK_MAIL_PORT", "70000", "a whole number from 1 to 65535"),
    ("HELPDESK_MAX_CONTENT_LENGTH", "1e6", "a whole number of 1 or more"),
    ("HELPDESK_PROXY_FIX", "-1", "a whole number of 0 or more"),
    ("HELPDESK_MAIL_SECURITY", "tls", "one of ssl, starttls, none"),
    ("HELPDESK_SENDER_AUTH", "strict", "one of off, log, enforce"),
    ("HELPDESK_CALAMITY_ADDRESSES", "urgent@desk.example", "a JSON list of text"),
    ("HELPDESK_TRUSTED_HOSTS", '"localhost"', "a JSON list of text"),
    ("HELPDESK_SESSION_COOKIE_SECURE", "maybe", "true or false"),
    ("HELPDESK_DESK_URL", "desk.example.com", "an absolute http or https address"),
    ("HELPDESK_DESK_URL", "https://desk.example.com:99999", "an absolute http or https address"),
    ("HELPDESK_MAIL_CA_FILE", "/nowhere/ca.pem", "the path of an existing file"),
    ("HELPDESK_BLOB_STORE", " ", "a folder's path"),
])
def test_a_bad_value_is_one_line_naming_the_variable_and_what_it_takes(variable, raw, expected):
    with pytest.raises(SettingError) as refused:
        from_environment({variable: raw})
    message = str(refused.value)
    assert message.startswith(f"{variable}: expected {expected}")
    assert message.endswith(f", got {raw!r}")
    assert "\n" not in message


def test_a_bad_database_url_is_not_repeated_as_it_may_hold_a_password():
    with pytest.raises(SettingError) as refused:
        from_environment({"HELPDESK_SQLALCHEMY_DATABASE_URI": "postgresql://desk:s3cret@db:x/"})
    assert str(refused.value) == (
        "HELPDESK_SQLALCHEMY_DATABASE_URI: expected a database URL, such as "
        "postgresql+psycopg://helpdesk@db.internal/helpdesk, got a value not shown here")


def test_a_bad_value_stops_create_app(monkeypatch):
    monkeypatch.setenv("HELPDESK_STAFF_SESSION_IDLE", "soon")
    with pytest.raises(SettingError, match=r"^HELPDESK_STAFF_SESSION_IDLE: expected "):
        create_app({"SQLALCHEMY_DATABASE_URI": "sqlite://", "SECRET_KEY": "x"})


@pytest.mark.parametrize("command", [["routes"], ["worker", "--once"]])
def test_a_flask_command_with_a_bad_value_prints_that_one_line(command, tmp_path):
    environment = {**os.environ, "HELPDESK_STAFF_SESSION_IDLE": "ten",
                   "HELPDESK_SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'desk.sqlite'}"}
    finished = subprocess.run([sys.executable, "-m", "flask", "--app", "app.py", *command],
                              cwd=ROOT, env=environment, capture_output=True, text=True,
                              timeout=60)
    assert finished.returncode == 2
    assert finished.stderr == ("HELPDESK_STAFF_SESSION_IDLE: expected a duration of at least 1m,"
                               " such as 600 (seconds), 10m or 2h, got 'ten'\n")
    assert finished.stdout == ""


def test_a_bare_number_of_seconds_is_a_working_idle_limit(
        database_url, tmp_path, monkeypatch):
    monkeypatch.setenv("HELPDESK_STAFF_SESSION_IDLE", "600")
    app = create_app({"TESTING": True, "SECRET_KEY": "test",
                      "SQLALCHEMY_DATABASE_URI": _fresh_database_url(database_url, tmp_path),
                      "BLOB_STORE": str(tmp_path / "blobs")})
    app.test_client_class = IsolatedClient
    assert app.config["STAFF_SESSION_IDLE"] == timedelta(minutes=10)
    with app.app_context():
        if DATABASE == "postgresql":
            _empty_all_tables()
        client = app.test_client()
        sign_in(client, make_staff())
        assert client.get("/desk/").status_code == 200
        with client.session_transaction() as session:
            session["seen_at"] = (datetime.now(UTC) - timedelta(seconds=590)).timestamp()
        assert client.get("/desk/").status_code == 200
        with client.session_transaction() as session:
            session["seen_at"] = (datetime.now(UTC) - timedelta(seconds=610)).timestamp()
        response = client.get("/desk/")
        assert response.status_code == 302 and response.location.startswith("/sign-in")
        db.session.remove()
        db.engine.dispose()


def test_only_declared_settings_are_read_from_the_environment(monkeypatch):
    monkeypatch.setenv("HELPDESK_BABEL_DEFAULT_TIMEZONE", "Mars/Olympus_Mons")
    monkeypatch.setenv("HELPDESK_STAFF_SESION_IDLE", "600")  # misspelt: not a setting
    app = create_app({"SQLALCHEMY_DATABASE_URI": "sqlite://", "SECRET_KEY": "x"})
    assert "BABEL_DEFAULT_TIMEZONE" not in app.config  # the business calendar's setting
    assert "STAFF_SESION_IDLE" not in app.config


def test_a_retention_period_longer_than_the_terms_allow_is_refused():
    with pytest.raises(SettingError, match="HELPDESK_RETENTION_DAYS: expected a whole number "
                                           "from 1 to 365, got '400'"):
        from_environment({"HELPDESK_RETENTION_DAYS": "400"})


def test_a_setting_given_as_a_file_takes_its_content_without_the_final_line_break(tmp_path):
    secret = tmp_path / "mail-password"
    secret.write_text("s3cret with spaces \n")
    lease = tmp_path / "lease"
    lease.write_text("90s\r\n")
    values = from_environment({"HELPDESK_MAIL_PASSWORD_FILE": str(secret),
                               "HELPDESK_WORKER_LEASE_FILE": str(lease)})
    assert values == {"MAIL_PASSWORD": "s3cret with spaces ", "WORKER_LEASE": timedelta(seconds=90)}


def test_a_secret_key_file_is_what_create_app_signs_with(tmp_path, monkeypatch):
    key_file = tmp_path / "secret_key"
    key_file.write_text("key-from-a-file\n")
    monkeypatch.setenv("HELPDESK_SECRET_KEY_FILE", str(key_file))
    app = create_app({"SQLALCHEMY_DATABASE_URI": "sqlite://"})
    assert app.config["SECRET_KEY"] == "key-from-a-file"
    assert "SECRET_KEY" in app.extensions["settings_given"]["environment"]


def test_a_setting_given_both_ways_is_refused_in_one_line(tmp_path):
    secret = tmp_path / "key"
    secret.write_text("from-the-file")
    with pytest.raises(SettingError) as refused:
        from_environment({"HELPDESK_SECRET_KEY": "from-the-variable",
                          "HELPDESK_SECRET_KEY_FILE": str(secret)})
    assert str(refused.value) == ("HELPDESK_SECRET_KEY and HELPDESK_SECRET_KEY_FILE are both "
                                  "set; give only one of them")


@pytest.mark.parametrize("problem", ["missing", "folder", "unreadable", "not text"])
def test_an_unreadable_file_names_its_variable_and_path_but_not_its_content(problem, tmp_path):
    path = tmp_path / "imap-password"
    if problem == "folder":
        path.mkdir()
    elif problem == "unreadable":
        path.write_text("hunter2")
        path.chmod(0)
        if os.access(path, os.R_OK):
            pytest.skip("running as root: every file is readable")
    elif problem == "not text":
        path.write_bytes(b"hunter2\xff\xfe")
    with pytest.raises(SettingError) as refused:
        from_environment({"HELPDESK_IMAP_PASSWORD_FILE": str(path)})
    message = str(refused.value)
    assert message.startswith(f"HELPDESK_IMAP_PASSWORD_FILE: cannot read {path}: ")
    assert "hunter2" not in message and "\n" not in message


def test_a_bad_value_from_a_file_names_the_file_variable_and_does_not_repeat_it(tmp_path):
    idle = tmp_path / "idle"
    idle.write_text("ten minutes\n")
    with pytest.raises(SettingError) as refused:
        from_environment({"HELPDESK_STAFF_SESSION_IDLE_FILE": str(idle)})
    assert str(refused.value) == (
        "HELPDESK_STAFF_SESSION_IDLE_FILE: expected a duration of at least 1m, such as 600 "
        "(seconds), 10m or 2h, got a value not shown here")


def test_no_setting_is_another_settings_file_variable():
    variables = {setting.variable for setting in SETTINGS}
    assert [s.file_variable for s in SETTINGS if s.file_variable in variables] == []

