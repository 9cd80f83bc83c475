"""Every setting the README lists works from the environment; a bad value stops the start."""
import re
from datetime import timedelta
from pathlib import Path

import pytest

from helpdesk import create_app
from helpdesk.extensions import db
from helpdesk.models import StaffRole
from helpdesk.settings import BOOLEAN, BY_NAME, MINUTES, SETTINGS, STRING_LIST, SettingError
from tests.conftest import (
    DATABASE,
    IsolatedClient,
    _empty_all_tables,
    _fresh_database_url,
    sign_in,
)
from tests.fixtures.factories import make_contact, make_staff, make_ticket

README = Path(__file__).resolve().parents[1] / "README.md"


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
    special = {"SQLALCHEMY_DATABASE_URI": database_uri, "SECRET_KEY": "from-the-environment",
               "BLOB_STORE": str(tmp_path / "env-blobs"), "DESK_URL": "https://localhost",
               "IMAP_CA_FILE": "/etc/ssl/certs/ca-certificates.crt",
               "MAIL_CA_FILE": "/etc/ssl/certs/ca-certificates.crt",
               "TRUSTED_HOSTS": '["localhost"]', "SESSION_COOKIE_NAME": "desk_session"}
    setting = BY_NAME[name]
    if name in special:
        return special[name]
    if setting.kind is MINUTES:
        return "5"
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


@pytest.mark.parametrize(("variable", "raw"), [
    ("HELPDESK_STAFF_SESSION_IDLE", "soon"),
    ("HELPDESK_PORTAL_SESSION_IDLE", "0"),
    ("HELPDESK_IMAP_PORT", "imap"),
    ("HELPDESK_MAIL_SECURITY", "tls"),
    ("HELPDESK_CALAMITY_ADDRESSES", "urgent@desk.example"),
    ("HELPDESK_SESSION_COOKIE_SECURE", "maybe"),
    ("HELPDESK_SIGN_IN_LINK_VALID", "999999999999999d"),
])
def test_a_bad_value_is_a_clear_error_at_start_up(variable, raw, monkeypatch):
    monkeypatch.setenv(variable, raw)
    with pytest.raises(SettingError, match=rf"^{variable}={raw!r} is not "):
        create_app({"SQLALCHEMY_DATABASE_URI": "sqlite://", "SECRET_KEY": "x"})


def test_durations_are_minutes_unless_they_say_their_unit(monkeypatch):
    monkeypatch.setenv("HELPDESK_STAFF_SESSION_IDLE", "5")
    monkeypatch.setenv("HELPDESK_PORTAL_SESSION_IDLE", "90s")
    monkeypatch.setenv("HELPDESK_PASSWORD_RESET_VALID", "2h")
    app = create_app({"SQLALCHEMY_DATABASE_URI": "sqlite://", "SECRET_KEY": "x"})
    assert app.config["STAFF_SESSION_IDLE"] == timedelta(minutes=5)
    assert app.config["PORTAL_SESSION_IDLE"] == timedelta(seconds=90)
    assert app.config["PASSWORD_RESET_VALID"] == timedelta(hours=2)
