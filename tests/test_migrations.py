"""Migrations that move stored data: run on a database of their own, on both engines."""
import os
import uuid
from datetime import UTC, datetime

import pytest
import sqlalchemy as sa
from flask_migrate import check, downgrade, upgrade

from helpdesk import create_app
from helpdesk.extensions import db
from helpdesk.models import Category, Channel, StaffRole
from helpdesk.services.escalation import sweep
from helpdesk.services.privacy import audit_chain
from helpdesk.services.stats import rollup
from helpdesk.services.tickets import lifecycle
from tests.conftest import DATABASE, POSTGRES_SERVER, SECRET_KEY
from tests.fixtures.factories import make_contact, make_staff

DIGEST = "ab" + "0" * 62
RAW_PATH = f"ab/{DIGEST}.eml"


@pytest.fixture
def empty_database(tmp_path):
    """A database of its own, not yet migrated."""
    if DATABASE != "postgresql":
        yield f"sqlite:///{tmp_path / 'migrated.sqlite'}"
        return
    name = f"helpdesk_migration_{os.getpid()}_{uuid.uuid4().hex[:6]}"
    admin = sa.create_engine(f"{POSTGRES_SERVER}/test", isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(sa.text(f'CREATE DATABASE "{name}"'))
    yield f"{POSTGRES_SERVER}/{name}"
    with admin.connect() as connection:
        connection.execute(sa.text(f'DROP DATABASE "{name}" WITH (FORCE)'))
    admin.dispose()


@pytest.fixture
def migration_app(empty_database, tmp_path):
    app = create_app({"SQLALCHEMY_DATABASE_URI": empty_database, "SECRET_KEY": SECRET_KEY,
                      "BLOB_STORE": str(tmp_path / "blobs")})
    with app.app_context():
        yield app
        db.session.remove()
        db.engine.dispose()


def test_raw_mail_paths_become_raw_mail_rows_and_come_back_on_downgrade(migration_app):
    upgrade(revision="e2c4a7b9f013")
    received = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
    with db.engine.begin() as connection:
        connection.execute(sa.text(
            "INSERT INTO held_message (id, raw_path, sender, subject, reason, received_at) "
            "VALUES (1, :path, 'x@elsewhere.example', 'Hi', 'unknown sender', :at)"),
            {"path": RAW_PATH, "at": received})
        connection.execute(sa.text(
            "INSERT INTO mail_receipt (dedupe_key, raw_path, received_at, mailbox, "
            "held_message_id) VALUES ('message-id:a@b', :path, :at, 'INBOX', 1), "
            "('message-id:big@b', NULL, :at, 'INBOX', NULL)"),
            {"path": RAW_PATH, "at": received})

    upgrade()

    with db.engine.connect() as connection:
        [(raw_id, digest, path, content)] = connection.execute(sa.text(
            "SELECT id, sha256, blob_path, content FROM raw_mail")).all()
        assert (digest, path, content) == (DIGEST, RAW_PATH, None)
        assert connection.scalar(sa.text("SELECT raw_mail_id FROM held_message")) == raw_id
        assert connection.execute(sa.text(
            "SELECT raw_mail_id FROM mail_receipt ORDER BY id")).scalars().all() == [
            raw_id, None]

    downgrade(revision="e2c4a7b9f013")

    with db.engine.connect() as connection:
        assert connection.scalar(sa.text("SELECT raw_path FROM held_message")) == RAW_PATH
        assert connection.execute(sa.text(
            "SELECT raw_path FROM mail_receipt ORDER BY id")).scalars().all() == [RAW_PATH, None]
        assert "raw_mail" not in sa.inspect(connection).get_table_names()


def test_subjects_and_names_stored_before_are_put_on_one_line(migration_app):
    upgrade(revision="f4b8d2e6a1c7")
    at = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
    with db.engine.begin() as connection:
        connection.execute(sa.text(
            "INSERT INTO organisation (id, slug, name, status, created_at) "
            "VALUES (1, 'acme', :name, 'active', :at)"), {"name": "Acme\r\nB.V.", "at": at})
        connection.execute(sa.text(
            "INSERT INTO held_message (id, sender, subject, reason, received_at) VALUES "
            "(1, 'x@elsewhere.example', :subject, 'unknown sender', :at), "
            "(2, 'y@elsewhere.example', 'Fine', 'unknown sender', :at)"),
            {"subject": "Invoice\n\x1b[31mBcc: all", "at": at})

    upgrade()

    with db.engine.connect() as connection:
        assert connection.scalar(sa.text("SELECT name FROM organisation")) == "Acme B.V."
        assert connection.execute(sa.text(
            "SELECT subject FROM held_message ORDER BY id")).scalars().all() == [
            "Invoice [31mBcc: all", "Fine"]


# SQLite cannot reflect the queue's expression index; Alembic says so and compares the rest.
@pytest.mark.filterwarnings("ignore:Skipped unsupported reflection of expression-based index")
@pytest.mark.filterwarnings("ignore:autogenerate skipping metadata-specified expression-based")
def test_the_migrations_build_exactly_the_schema_the_models_describe(migration_app):
    upgrade()

    check()  # `flask db check`: exits non-zero when autogenerate would write a migration


def _without_foreign_keys(connection) -> None:
    if DATABASE == "postgresql":
        connection.execute(sa.text("SET session_replication_role = replica"))
    else:
        connection.execute(sa.text("PRAGMA foreign_keys=OFF"))


def test_a_logged_call_is_a_message_kind_of_its_own_and_search_still_finds_messages(
        migration_app):
    upgrade(revision="f4b8d2e6a1c7")
    insert = sa.text(
        "INSERT INTO message (ticket_id, kind, sender, created_at, body_text) "
        "VALUES (1, :kind, 'anna', :at, :body)")
    received = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
    with db.engine.begin() as connection:
        _without_foreign_keys(connection)  # a message of no ticket is enough here
        connection.execute(insert, {"kind": "inbound", "at": received, "body": "older words"})

    upgrade()

    with db.engine.begin() as connection:
        _without_foreign_keys(connection)
        connection.execute(insert, {"kind": "call", "at": received, "body": "printer fixed"})
        with pytest.raises(sa.exc.IntegrityError), connection.begin_nested():
            connection.execute(insert, {"kind": "gossip", "at": received, "body": "x"})
        if DATABASE != "postgresql":  # the full-text triggers were made again on the copy
            found = connection.execute(sa.text(
                "SELECT rowid FROM message_search WHERE message_search MATCH :q"),
                {"q": "printer OR older"}).scalars().all()
            assert len(found) == 2

    downgrade(revision="f4b8d2e6a1c7")

    with db.engine.connect() as connection:
        assert connection.execute(sa.text("SELECT kind FROM message ORDER BY id")
                                  ).scalars().all() == ["inbound", "inbound"]
        columns = {c["name"] for c in sa.inspect(connection).get_columns("message")}
        assert "call_ended_at" not in columns


def test_a_kept_breach_is_restored_from_its_notice_and_the_rollup_summed_anew(migration_app):
    upgrade()
    received = datetime(2026, 12, 7, 9, 0, tzinfo=UTC)
    agent = make_staff(StaffRole.AGENT)
    calamity, _ = lifecycle.open_ticket(
        raised_by=make_contact(), subject="Down", category=Category.CALAMITY,
        channel=Channel.PORTAL, body_text="Down", received_at=received, now=received)
    db.session.commit()
    sweep.sweep(datetime(2026, 12, 7, 10, 5, tzinfo=UTC))  # the breach notice
    lifecycle.set_category(calamity, Category.BUG, agent, datetime(2026, 12, 7, 10, 30, tzinfo=UTC))
    lifecycle.reply(calamity, agent, "Fixed", datetime(2026, 12, 7, 11, 0, tzinfo=UTC))
    db.session.commit()
    rollup.refresh(datetime(2026, 12, 20, tzinfo=UTC), "Europe/Amsterdam")
    db.session.remove()

    downgrade(revision="f4b8d2e6a1c7")  # as stored before: the missed 10:00 is lost
    upgrade()

    with db.engine.connect() as connection:
        kept = connection.scalar(sa.text("SELECT breached_due_at FROM response_record"))
        assert connection.scalar(sa.text("SELECT count(*) FROM stats_rollup_day")) == 0
    # The moment of the breach notice: the sweep that found 10:00 passed without a response.
    kept = kept if isinstance(kept, datetime) else datetime.fromisoformat(kept)
    kept = kept.replace(tzinfo=UTC) if kept.tzinfo is None else kept.astimezone(UTC)
    assert kept == datetime(2026, 12, 7, 10, 5, tzinfo=UTC)


def test_entries_written_before_the_chain_are_chained_in_id_order(migration_app):
    upgrade(revision="1a3d50255aa8")
    at = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
    with db.engine.begin() as connection:
        connection.execute(sa.text(
            "INSERT INTO organisation (id, slug, name, status, created_at) "
            "VALUES (1, 'acme', 'Acme', 'active', :at)"), {"at": at})
        connection.execute(sa.text(
            "INSERT INTO audit_entry (id, at, action, subject_type, subject_id, detail) VALUES "
            "(1, :at, 'organisation_add', 'organisation', 1, NULL), "
            "(2, :at, 'export', 'organisation', 1, 'cli')"), {"at": at})

    upgrade()

    assert audit_chain.verify() == audit_chain.Verdict(2)
    with db.engine.connect() as connection:
        assert connection.execute(sa.text(
            "SELECT organisation_id FROM audit_entry ORDER BY id")).scalars().all() == [1, 1]
