"""/healthz and /readyz: what a load balancer asks, answered without a session."""
import pytest
import sqlalchemy as sa

from helpdesk import create_app
from helpdesk.extensions import db
from tests.conftest import DATABASE, SECRET_KEY
from tests.fixtures.tcp_proxy import FaultyProxy


def test_healthz_answers_ok_without_a_session_cookie(client):
    response = client.get("/healthz")
    assert (response.status_code, response.text) == (200, "ok\n")
    assert "Set-Cookie" not in response.headers
    assert response.headers["Cache-Control"] == "no-store"


def test_readyz_is_ready_when_the_database_answers_and_is_migrated(client):
    response = client.get("/readyz")
    assert (response.status_code, response.text) == (200, "ready\n")
    assert "Set-Cookie" not in response.headers


def test_readyz_refuses_while_the_database_is_behind_the_code(app, client):
    with db.engine.begin() as connection:
        current = connection.scalar(sa.text("SELECT version_num FROM alembic_version"))
        connection.execute(sa.text("UPDATE alembic_version SET version_num = 'e7a1c4d9b2f6'"))
    try:
        response = client.get("/readyz")
    finally:
        with db.engine.begin() as connection:
            connection.execute(sa.text("UPDATE alembic_version SET version_num = :current"),
                               {"current": current})
    assert (response.status_code, response.text) == (503, "database migrations not current\n")


def _app_on(database_uri: str, tmp_path):
    return create_app({"TESTING": True, "SECRET_KEY": SECRET_KEY,
                       "SQLALCHEMY_DATABASE_URI": database_uri,
                       "BLOB_STORE": str(tmp_path / "other-blobs"),
                       "MAIL_DEFAULT_SENDER": "support@desk.example",
                       "SERVER_NAME": "desk.example"})


@pytest.mark.skipif(DATABASE != "postgresql", reason="a database server to stop")
def test_readyz_refuses_while_the_database_server_is_down_and_recovers(app, tmp_path):
    url = sa.make_url(app.config["SQLALCHEMY_DATABASE_URI"])
    proxy = FaultyProxy(url.port or 5432)
    proxied = url.set(host="127.0.0.1", port=proxy.port)
    other = _app_on(proxied.render_as_string(hide_password=False), tmp_path)
    client = other.test_client()
    assert client.get("/readyz").status_code == 200
    assert client.get("/healthz").status_code == 200
    proxy.close()
    down = client.get("/readyz")
    assert (down.status_code, down.text) == (503, "database unreachable\n")
    assert str(proxy.port) not in down.text and "127.0.0.1" not in down.text
    assert client.get("/healthz").status_code == 200  # the process itself is fine
    again = FaultyProxy(url.port or 5432, port=proxy.port)
    try:
        assert client.get("/readyz").status_code == 200
    finally:
        again.close()
        with other.app_context():
            db.engine.dispose()


@pytest.mark.skipif(DATABASE != "sqlite", reason="a database file to lose")
def test_readyz_refuses_when_the_database_file_is_gone(tmp_path):
    other = _app_on(f"sqlite:///{tmp_path / 'gone.sqlite'}", tmp_path)
    response = other.test_client().get("/readyz")
    # SQLite makes an empty file of a missing one: either way, not a desk that can serve.
    assert response.status_code == 503
    assert response.text in {"database unreachable\n", "database migrations not current\n"}
