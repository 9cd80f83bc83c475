"""Backups and the restore drill: back up, change, restore, find the backup moment exactly."""
import hashlib
import json
import os
import uuid
from datetime import timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa
from flask_babel import force_locale

from helpdesk import create_app
from helpdesk.adapters.storage import blob_store
from helpdesk.extensions import db
from helpdesk.models import Attachment, Backup, BackupState, Ticket
from helpdesk.services import Refusal
from helpdesk.services.intake.raw_mail import RAW_MAIL_INLINE_BYTES, keep_raw
from helpdesk.services.operations import backups
from helpdesk.services.operations.readiness import readiness_problem
from tests.conftest import DATABASE, POSTGRES_SERVER, SECRET_KEY
from tests.fixtures.factories import make_contact, make_ticket
from tests.fixtures.held import make_held_message, raw_mail


@pytest.fixture(autouse=True)
def _console_english(app):
    """These refusals are the operator's, who reads them in English (the CLI's locale)."""
    with force_locale("en"):
        yield


def _desk_with_files(now):
    """Tickets with an attachment and raw mail large enough to live in the blob store."""
    contact = make_contact()
    ticket = make_ticket(raised_by=contact, now=now)
    [message] = ticket.messages
    path, digest = blob_store().put(b"%PDF-1.4 the report")
    db.session.add(Attachment(message_id=message.id, filename="report.pdf", size=19,
                              content_type="application/pdf", sha256=digest, storage_path=path))
    message.raw_mail = keep_raw(raw_mail(sender=contact.email, text="x" * RAW_MAIL_INLINE_BYTES),
                                blob_store())
    db.session.commit()
    make_held_message()
    return ticket


def _every_row() -> dict[str, list]:
    """Every row of every table but the backups' own record, in a stable order."""
    with db.engine.connect() as connection:
        return {table.name: sorted((tuple(row) for row in connection.execute(sa.select(table))),
                                   key=repr)
                for table in db.metadata.sorted_tables if table.name != "backup"}


def _blob_files(app) -> dict[str, bytes]:
    store = Path(app.config["BLOB_STORE"])
    return {path.relative_to(store).as_posix(): path.read_bytes()
            for path in store.rglob("*") if path.is_file()}


def _flip_a_byte(path: Path, at: int = 100) -> None:
    content = bytearray(path.read_bytes())
    content[min(at, len(content) - 1)] ^= 0x01
    path.write_bytes(bytes(content))


def test_a_restore_brings_back_every_row_and_file_of_the_backup_moment(app, now):
    ticket = _desk_with_files(now)
    rows_then, files_then = _every_row(), _blob_files(app)
    made = backups.make_backup(now)

    ticket.subject = "Changed after the backup"
    make_ticket(now=now)
    blob_store().put(b"a file written after the backup")
    db.session.execute(sa.delete(Attachment))
    db.session.commit()
    assert _every_row() != rows_then

    done = backups.restore_backup(made.path, now + timedelta(hours=1), force=True)

    assert _every_row() == rows_then
    assert _blob_files(app) == files_then
    assert done.files == len(files_then)
    restored = db.session.get(Backup, made.backup_id)
    assert restored.state == BackupState.VERIFIED
    assert readiness_problem(db.engine, app.extensions["migrate"].directory) is None


def test_a_backup_records_its_manifest_digest_and_checks_its_own_restore(app, now):
    _desk_with_files(now)
    made = backups.make_backup(now)
    record = db.session.get(Backup, made.backup_id)
    assert record.state == BackupState.VERIFIED
    manifest = backups.check_backup(made.path)
    assert manifest["database"]["rows"]["ticket"] == 1
    assert record.manifest_sha256 == (made.path / "manifest.sha256").read_text().split()[0]
    assert {entry["path"] for entry in manifest["files"]} >= {
        f"blobs/{path}" for path in _blob_files(app)}
    assert not list(made.path.parent.glob(".*.partial"))


@pytest.mark.parametrize("damaged", ["database", "blob", "manifest"])
def test_a_backup_with_one_flipped_byte_is_refused_and_the_desk_is_left_alone(app, now, damaged):
    _desk_with_files(now)
    made = backups.make_backup(now)
    manifest = json.loads((made.path / "manifest.json").read_text())
    blob = next(e["path"] for e in manifest["files"] if e["path"].startswith("blobs/"))
    name = {"database": manifest["database"]["file"], "blob": blob,
            "manifest": "manifest.json"}[damaged]
    _flip_a_byte(made.path / name)
    make_ticket(now=now)

    with pytest.raises(Refusal) as refused:
        backups.restore_backup(made.path, now, force=True)

    assert str(refused.value) == (f"The backup in {made.path} is damaged: {name} does not "
                                  "match its digest.")
    assert db.session.scalar(sa.select(sa.func.count(Ticket.id))) == 2


def test_a_restore_over_a_desk_with_data_needs_force(app, now):
    _desk_with_files(now)
    made = backups.make_backup(now)
    with pytest.raises(Refusal, match="not empty; restore over it with --force"):
        backups.restore_backup(made.path, now)


@pytest.fixture
def empty_desk(tmp_path):
    """A second desk on a database that was never migrated, with a blob store of its own."""
    if DATABASE == "postgresql":
        name = f"helpdesk_empty_{uuid.uuid4().hex[:8]}"
        server = sa.create_engine(f"{POSTGRES_SERVER}/test", isolation_level="AUTOCOMMIT")
        with server.connect() as connection:
            connection.execute(sa.text(f'CREATE DATABASE "{name}"'))
        url = f"{POSTGRES_SERVER}/{name}"
    else:
        url = f"sqlite:///{tmp_path / 'empty.sqlite'}"
    desk = create_app({"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": SECRET_KEY,
                       "BLOB_STORE": str(tmp_path / "other-blobs"),
                       "BACKUP_DIR": str(tmp_path / "other-backups")})
    yield desk
    with desk.app_context():
        db.engine.dispose()
    if DATABASE == "postgresql":
        with server.connect() as connection:
            connection.execute(sa.text(f'DROP DATABASE "{name}" WITH (FORCE)'))
        server.dispose()


def test_a_backup_restored_on_a_new_machine_is_a_working_desk(app, now, empty_desk):
    _desk_with_files(now)
    rows_then, files_then = _every_row(), _blob_files(app)
    made = backups.make_backup(now)

    with empty_desk.app_context():
        backups.restore_backup(made.path, now)
        assert _every_row() == rows_then
        assert _blob_files(empty_desk) == files_then
        assert readiness_problem(db.engine, empty_desk.extensions["migrate"].directory) is None
        db.session.remove()


def test_a_restore_waits_for_the_workers_to_stop(app, now):
    from helpdesk.services.operations import heartbeats

    made = backups.make_backup(now)
    heartbeats.claim(["sla-sweep"], "host-b:42", now, timedelta(minutes=1))
    with pytest.raises(Refusal, match="Stop the workers first: host-b:42 still run jobs."):
        backups.restore_backup(made.path, now, force=True)


def test_the_worker_backs_up_once_an_interval_and_keeps_the_newest(app, now):
    app.config.update(BACKUP_INTERVAL=timedelta(hours=24), BACKUP_KEEP=2)
    first = backups.backup_job(now)
    assert first is not None
    assert backups.backup_job(now + timedelta(hours=23)) is None
    backups.backup_job(now + timedelta(hours=24))
    backups.backup_job(now + timedelta(hours=48))

    kept = db.session.scalars(sa.select(Backup).order_by(Backup.id)).all()
    assert [backup.removed_at is None for backup in kept] == [False, True, True]
    assert not Path(kept[0].path).exists() and Path(kept[2].path).is_dir()
    assert backups.last_good_backup() == kept[2]
    assert backups.age_of(kept[2], now + timedelta(hours=50)) == timedelta(hours=2)


def test_a_failed_backup_is_recorded_and_tried_again_after_15_minutes(app, now, tmp_path):
    blocked = tmp_path / "not-a-folder"
    blocked.write_text("a file where the backups should go")
    app.config["BACKUP_DIR"] = str(blocked)
    with pytest.raises(Refusal, match="The backup failed"):
        backups.backup_job(now)
    failed = db.session.scalars(sa.select(Backup)).one()
    assert failed.state == BackupState.FAILED and failed.error

    app.config["BACKUP_DIR"] = str(tmp_path / "backups-now")
    assert backups.backup_job(now + timedelta(minutes=14)) is None
    assert backups.backup_job(now + timedelta(minutes=15)) is not None


def test_a_backup_cut_off_by_a_crash_is_given_up_and_its_leftovers_removed(app, now):
    made = backups.make_backup(now)
    cut_off = Backup(started_at=now + timedelta(hours=1), state=BackupState.RUNNING,
                     path=str(made.path.parent / "helpdesk-cut-off"))
    db.session.add(cut_off)
    db.session.commit()
    leftover = made.path.parent / ".helpdesk-cut-off.partial"
    leftover.mkdir()

    assert backups.backup_job(now + timedelta(hours=12)) is None  # a backup may still be running
    backups.backup_job(now + timedelta(hours=13, minutes=1))
    assert cut_off.state == BackupState.FAILED and cut_off.error == "interrupted"
    assert not leftover.exists()


def _resign(folder: Path, change) -> None:
    """Edit a backup's manifest and give it a matching digest, as a forger would."""
    manifest = json.loads((folder / "manifest.json").read_text())
    change(manifest)
    content = json.dumps(manifest).encode()
    (folder / "manifest.json").write_bytes(content)
    (folder / "manifest.sha256").write_text(f"{hashlib.sha256(content).hexdigest()}  x\n")


@pytest.mark.parametrize("forged", ["blobs/../../../outside", "blobs//tmp/outside",
                                    "/tmp/outside", "secret.txt"])
def test_a_manifest_naming_a_file_outside_the_backup_is_refused(app, now, tmp_path, forged):
    _desk_with_files(now)
    made = backups.make_backup(now)
    _resign(made.path, lambda m: m["files"].append({"path": forged, "size": 1, "sha256": "0"}))
    with pytest.raises(Refusal, match="is not a file a backup holds"):
        backups.restore_backup(made.path, now, force=True)


def test_a_dump_the_database_cannot_load_leaves_the_desk_as_it_was(app, now):
    _desk_with_files(now)
    made = backups.make_backup(now)
    make_ticket(now=now)
    rows_then = _every_row()
    database = made.path / backups.check_backup(made.path)["database"]["file"]
    database.write_bytes(database.read_bytes()[:4096])  # cut short, and signed anew

    def cut_short(manifest):
        [entry] = [e for e in manifest["files"] if e["path"] == database.name]
        entry["size"], entry["sha256"] = 4096, hashlib.sha256(database.read_bytes()).hexdigest()

    _resign(made.path, cut_short)
    with pytest.raises(Refusal, match="The restore failed, the database is as it was"):
        backups.restore_backup(made.path, now, force=True)
    db.session.remove()
    assert _every_row() == rows_then


def test_a_backup_of_a_newer_desk_is_refused_before_anything_changes(app, now):
    made = backups.make_backup(now)
    _resign(made.path, lambda m: m.update(migrations=["ffffffffffff"]))
    with pytest.raises(Refusal, match="of a newer desk .migration ffffffffffff."):
        backups.restore_backup(made.path, now, force=True)


def test_a_backup_whose_folder_fell_silent_for_30_minutes_is_given_up(app, now):
    made = backups.make_backup(now)
    cut_off = Backup(started_at=now + timedelta(hours=1), state=BackupState.RUNNING,
                     path=str(made.path.parent / "helpdesk-killed"))
    db.session.add(cut_off)
    db.session.commit()
    leftover = made.path.parent / ".helpdesk-killed.partial"
    leftover.mkdir()
    written = (now + timedelta(hours=1, minutes=1)).timestamp()
    os.utime(leftover, (written, written))

    assert backups.backup_job(now + timedelta(hours=1, minutes=30)) is None  # still writing
    backups.backup_job(now + timedelta(hours=1, minutes=32))
    assert cut_off.state == BackupState.FAILED and not leftover.exists()


def test_a_backup_stopped_by_any_error_is_recorded_failed(app, now, monkeypatch):
    def broken(*args):
        raise KeyboardInterrupt

    monkeypatch.setattr(backups.snapshots, "write_snapshot", broken)
    with pytest.raises(KeyboardInterrupt):
        backups.make_backup(now)
    [record] = db.session.scalars(sa.select(Backup)).all()
    assert (record.state, record.error) == (BackupState.FAILED, "KeyboardInterrupt")
    assert not list(Path(app.config["BACKUP_DIR"]).glob(".*.partial"))
