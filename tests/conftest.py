"""Fixtures shared by the whole suite: the app on SQLite or PostgreSQL, clients, sign-in."""
import contextvars
import os
import shutil
import tempfile
import uuid
from datetime import UTC, datetime
from pathlib import Path

import jinja2
import pytest
import sqlalchemy as sa
from flask.testing import FlaskClient
from flask_migrate import upgrade
from itsdangerous import URLSafeTimedSerializer

from helpdesk import create_app
from helpdesk.extensions import db

pytest_plugins = ["tests.fixtures.factories", "tests.fixtures.smtp", "tests.fixtures.dovecot",
                  "tests.fixtures.transactions", "tests.fixtures.corpus",
                  "tests.fixtures.browser", "tests.fixtures.mail_in", "tests.fixtures.processes"]

# HELPDESK_TEST_DATABASE=postgresql runs the suite on PostgreSQL (make test does both).
DATABASE = os.environ.get("HELPDESK_TEST_DATABASE", "sqlite")
POSTGRES_SERVER = os.environ.get("HELPDESK_TEST_POSTGRES",
                                 "postgresql+psycopg://postgres@127.0.0.1:5432")
SECRET_KEY = "test-secret-key"
# Browser tests keep their screenshots in docs/screenshots only when asked (make screenshots),
# so a test run leaves the working tree as it found it.
SCREENSHOTS = (Path(__file__).resolve().parents[1] / "docs" / "screenshots"
               if os.environ.get("HELPDESK_SCREENSHOTS") == "1"
               else Path(tempfile.gettempdir()) / "helpdesk-screenshots")
SCREENSHOTS.mkdir(parents=True, exist_ok=True)


def pytest_report_header(config):
    return f"helpdesk database: {DATABASE}"


@pytest.fixture(scope="session")
def database_url(tmp_path_factory):
    """A migrated, empty database for this test session (its own, so runs never collide)."""
    if DATABASE == "postgresql":
        name = f"helpdesk_test_{os.getpid()}_{uuid.uuid4().hex[:6]}"
        admin = sa.create_engine(f"{POSTGRES_SERVER}/test", isolation_level="AUTOCOMMIT")
        with admin.connect() as connection:
            connection.execute(sa.text(f'CREATE DATABASE "{name}"'))
        url = f"{POSTGRES_SERVER}/{name}"
        _migrate(url, tmp_path_factory.mktemp("instance"))
        yield url
        with admin.connect() as connection:
            connection.execute(sa.text(f'DROP DATABASE "{name}" WITH (FORCE)'))
        admin.dispose()
    else:
        template = tmp_path_factory.mktemp("db") / "template.sqlite"
        _migrate(f"sqlite:///{template}", tmp_path_factory.mktemp("instance"))
        yield f"sqlite:///{template}"


def _migrate(url: str, instance) -> None:
    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": SECRET_KEY,
                      "BLOB_STORE": str(instance / "blobs")})
    with app.app_context():
        upgrade()
        db.engine.dispose()


def _fresh_database_url(database_url: str, tmp_path) -> str:
    """SQLite: a copy of the migrated template; PostgreSQL: the same database, emptied."""
    if DATABASE == "postgresql":
        return database_url
    copy = tmp_path / "helpdesk.sqlite"
    shutil.copyfile(database_url.removeprefix("sqlite:///"), copy)
    return f"sqlite:///{copy}"


def _empty_all_tables() -> None:
    """Delete every row and restart every sequence, as a fresh database would have them.

    DELETE, children first, rather than TRUNCATE: on tables this small TRUNCATE costs
    about 0.2 s a test (it makes new files for 29 tables), DELETE under 0.01 s.
    """
    with db.engine.begin() as connection:
        for table in reversed(db.metadata.sorted_tables):
            connection.execute(table.delete())
        connection.execute(sa.text(
            "SELECT setval(oid, 1, false) FROM pg_class WHERE relkind = 'S'"))


class SharedTemplateCode(jinja2.BytecodeCache):
    """Compiled templates, kept for the whole run rather than for one test's app.

    Each test builds its own app, so each would compile every template it renders again:
    that was a fifth of a web test's time. Jinja checks each template's source against the
    checksum stored with its code, so an edited template is compiled afresh.
    """

    def __init__(self):
        self.code: dict[str, bytes] = {}

    def load_bytecode(self, bucket: jinja2.bccache.Bucket) -> None:
        if bucket.key in self.code:
            bucket.bytecode_from_string(self.code[bucket.key])

    def dump_bytecode(self, bucket: jinja2.bccache.Bucket) -> None:
        self.code[bucket.key] = bucket.bytecode_to_string()


TEMPLATE_CODE = SharedTemplateCode()


class IsolatedClient(FlaskClient):
    """Runs each request in its own app context, as in production: a fresh `g` and session.

    The `app` fixture keeps an app context pushed for factories; without this, requests
    would share its `g` (and its cached locale) and its database session.
    """

    def open(self, *args, **kwargs):
        return contextvars.Context().run(super().open, *args, **kwargs)


@pytest.fixture
def app(database_url, tmp_path):
    app = create_app({
        "TESTING": True,
        "SECRET_KEY": SECRET_KEY,
        "SQLALCHEMY_DATABASE_URI": _fresh_database_url(database_url, tmp_path),
        "BLOB_STORE": str(tmp_path / "blobs"),
        "BACKUP_DIR": str(tmp_path / "backups"),
        "MAIL_DEFAULT_SENDER": "support@desk.example",
        "SERVER_NAME": "desk.example",
    })
    app.test_client_class = IsolatedClient
    app.jinja_env.bytecode_cache = TEMPLATE_CODE
    with app.app_context():
        if DATABASE == "postgresql":
            _empty_all_tables()
        yield app
        db.session.remove()
        db.engine.dispose()


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


@pytest.fixture
def now():
    """A fixed instant for tests that pass time explicitly: Mon 30 Nov 2026 10:00 in Amsterdam."""
    return datetime(2026, 11, 30, 9, 0, tzinfo=UTC)


def csrf_token(client) -> str:
    """A valid CSRF token for this client's session, made as Flask-WTF makes them."""
    raw = uuid.uuid4().hex
    with client.session_transaction() as session:
        raw = session.setdefault("csrf_token", raw)
    return URLSafeTimedSerializer(SECRET_KEY, salt="wtf-csrf-token").dumps(raw)


def sign_in(client, person) -> None:
    """Put a signed-in session for `person` on the client (the real flow has its own tests)."""
    with client.session_transaction() as session:
        session["_user_id"] = person.get_id()
        session["_fresh"] = True
        session["seen_at"] = datetime.now(UTC).timestamp()


def post_form(client, url: str, data: dict | None = None, **kwargs):
    """POST a form with a valid CSRF token, as a browser would."""
    return client.post(url, data={**(data or {}), "csrf_token": csrf_token(client)}, **kwargs)
