"""The application factory and its configuration."""
from helpdesk import create_app
from helpdesk.extensions import db


def test_factory_takes_a_test_config(app):
    assert app.testing
    assert app.config["MAIL_DEFAULT_SENDER"] == "support@desk.example"


def test_environment_overrides_defaults(monkeypatch, tmp_path):
    monkeypatch.setenv("HELPDESK_IMAP_FOLDER", "Support")
    monkeypatch.setenv("HELPDESK_IMAP_PORT", "1143")
    app = create_app({"SQLALCHEMY_DATABASE_URI": "sqlite://", "SECRET_KEY": "x",
                      "BLOB_STORE": str(tmp_path)})
    assert app.config["IMAP_FOLDER"] == "Support"
    assert app.config["IMAP_PORT"] == 1143


def test_default_database_is_sqlite_in_the_instance_folder(tmp_path, monkeypatch):
    monkeypatch.delenv("HELPDESK_SQLALCHEMY_DATABASE_URI", raising=False)
    app = create_app({"SECRET_KEY": "x"})
    assert app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite:///")
    assert app.config["SQLALCHEMY_DATABASE_URI"].endswith("instance/helpdesk.sqlite")


def test_a_sqlite_database_logs_ahead_and_syncs_every_commit_to_disk(tmp_path):
    app = create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'desk.sqlite'}",
                      "SECRET_KEY": "x", "BLOB_STORE": str(tmp_path / "blobs")})
    with app.app_context(), db.engine.connect() as connection:
        assert connection.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert connection.exec_driver_sql("PRAGMA synchronous").scalar() == 2  # FULL
        db.engine.dispose()


def test_secret_key_is_generated_per_instance_not_taken_from_the_repository(tmp_path):
    config = {"SQLALCHEMY_DATABASE_URI": "sqlite://"}
    first = create_app(config)
    second = create_app(config)
    assert len(first.config["SECRET_KEY"]) == 64
    assert first.config["SECRET_KEY"] == second.config["SECRET_KEY"]


def test_pages_carry_a_same_origin_content_security_policy(client):
    response = client.get("/sign-in")
    assert response.status_code == 200
    policy = response.headers["Content-Security-Policy"]
    assert "default-src 'self'" in policy and "script-src 'self'" in policy
    assert "unsafe-inline" not in policy
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["X-Frame-Options"] == "DENY"


def test_htmx_is_served_from_our_own_static_folder(client):
    page = client.get("/sign-in").get_data(as_text=True)
    assert 'src="/static/vendor/htmx.min.js"' in page
    assert "http" not in page.split("<body")[0].replace("http-equiv", "")
    assert client.get("/static/vendor/htmx.min.js").status_code == 200
