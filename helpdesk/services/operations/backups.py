"""Backups of the whole desk, and the restore: the database as of one moment, the blob store,
and a manifest of sizes and SHA-256 digests; each backup is restored into a scratch database
and compared before it counts as good.

A backup folder is written under a temporary name and renamed once verified, so a crash or a
SIGTERM never leaves a folder that looks complete. `sha256sum -c manifest.sha256` checks the
manifest by hand, and the manifest names every other file's digest.
"""
import hashlib
import json
import os
import shutil
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path, PurePosixPath

import sqlalchemy as sa
from flask import current_app
from flask_migrate import upgrade

from helpdesk.adapters import snapshots
from helpdesk.adapters.private_files import FILE_MODE, private_folder, write_private
from helpdesk.adapters.storage import fsync_path
from helpdesk.extensions import db
from helpdesk.models import Backup, BackupState, JobHeartbeat
from helpdesk.services import Refusal
from helpdesk.services.operations import heartbeats
from helpdesk.services.transaction import job

MANIFEST, MANIFEST_DIGEST, BLOBS = "manifest.json", "manifest.sha256", "blobs"
FORMAT = 1
# A failed backup is tried again this soon, not a whole interval later.
RETRY_AFTER = timedelta(minutes=15)
# A backup still "running" after this long, or whose folder has not changed for SILENT_AFTER,
# was cut off (its worker stopped or was killed); a running one writes a file at least every
# few minutes, and its scratch restore takes minutes.
STALE_AFTER = timedelta(hours=12)
SILENT_AFTER = timedelta(minutes=30)
CHUNK = 1 << 20
ENGINE_NAMES = {snapshots.SQLITE: "SQLite", snapshots.POSTGRESQL: "PostgreSQL"}


@dataclass(frozen=True)
class BackupMade:
    backup_id: int
    path: Path
    size_bytes: int
    rows: int
    files: int

    def __str__(self) -> str:
        return (f"backup {self.backup_id} in {self.path}: {self.rows} rows, {self.files} files, "
                f"{self.size_bytes} bytes, restored into a scratch database and compared")


@dataclass(frozen=True)
class RestoreDone:
    backup_id: int
    made_at: str
    rows: int
    files: int

    def __str__(self) -> str:
        return (f"restored backup {self.backup_id} of {self.made_at}: {self.rows} rows, "
                f"{self.files} files; migrations are current")


@job
def make_backup(now: datetime, output: str | Path | None = None) -> BackupMade:
    """Write, verify and record one backup in `output` (the configured BACKUP_DIR if None)."""
    began = time.monotonic()
    kind = snapshots.engine_kind(db.engine)
    root = Path(output or current_app.config["BACKUP_DIR"]).resolve()
    record = Backup(started_at=now, state=BackupState.RUNNING, path="")
    db.session.add(record)
    db.session.flush()
    record.path = str(root / f"helpdesk-{now:%Y%m%dT%H%M%SZ}-{record.id}")
    # Committed before the snapshot: a restored desk finds this backup's own row in it.
    db.session.commit()
    folder = Path(record.path)
    partial = _partial_folder(folder)
    try:
        private_folder(partial)  # and the backup folder, when it is the first backup
        tables = _table_names()
        database_file = snapshots.FILE_NAMES[kind]
        counts = snapshots.write_snapshot(db.engine, partial / database_file, tables)
        entries = [_entry(partial, database_file)]
        entries += _copy_blobs(Path(current_app.config["BLOB_STORE"]), partial,
                               _last_verified_folder(record.id))
        manifest = {"format": FORMAT, "backup_id": record.id, "made_at": now.isoformat(),
                    "engine": kind, "migrations": sorted(_database_heads()),
                    "database": {"file": database_file, "rows": counts}, "files": entries}
        manifest_digest = _write_manifest(partial, manifest)
        _check_files(partial, manifest)
        restored = snapshots.scratch_row_counts(db.engine, partial / database_file, tables)
        if restored != counts:
            differing = sorted(t for t in tables if restored.get(t) != counts.get(t))
            raise snapshots.SnapshotError(
                f"the restored copy's rows differ in {', '.join(differing)}")
        _sync_tree(partial)
        os.replace(partial, folder)
        fsync_path(root)
    except BaseException as error:  # whatever stopped it, the record says so
        shutil.rmtree(partial, ignore_errors=True)
        db.session.rollback()
        reason = str(error) or type(error).__name__
        record.state, record.error = BackupState.FAILED, reason[:Backup.error.type.length]
        record.finished_at = now + timedelta(seconds=time.monotonic() - began)
        db.session.commit()
        if isinstance(error, OSError | snapshots.SnapshotError | Refusal):
            raise Refusal("The backup failed: %(error)s", error=reason) from None
        raise
    record.state, record.manifest_sha256 = BackupState.VERIFIED, manifest_digest
    record.size_bytes = sum(entry["size"] for entry in entries)
    record.finished_at = now + timedelta(seconds=time.monotonic() - began)
    db.session.commit()
    return BackupMade(record.id, folder, record.size_bytes, sum(counts.values()), len(entries))


def check_backup(folder: str | Path) -> dict:
    """The backup's manifest, once it and every file it names match their digests."""
    folder = Path(folder)
    if not (folder / MANIFEST).is_file() or not (folder / MANIFEST_DIGEST).is_file():
        raise Refusal("%(path)s is not a backup of the desk: it has no manifest.", path=str(folder))
    written = (folder / MANIFEST_DIGEST).read_text(errors="replace").split()
    content = (folder / MANIFEST).read_bytes()
    if not written or written[0] != hashlib.sha256(content).hexdigest():
        raise Refusal("The backup in %(path)s is damaged: %(file)s does not match its digest.",
                      path=str(folder), file=MANIFEST)
    manifest = json.loads(content)
    if manifest.get("format") != FORMAT:
        raise Refusal("The backup in %(path)s has format %(format)s; this desk reads format "
                      "%(known)s.", path=str(folder), format=manifest.get("format"), known=FORMAT)
    database_file = snapshots.FILE_NAMES.get(manifest.get("engine"))
    for entry in manifest["files"]:
        name = PurePosixPath(entry["path"])
        inside = (name.parts[0] == BLOBS and len(name.parts) > 1) if name.parts else False
        if (str(name) != entry["path"] or name.is_absolute() or ".." in name.parts
                or not (inside or entry["path"] == database_file)):
            raise Refusal("The backup in %(path)s is damaged: %(file)s is not a file a backup "
                          "holds.", path=str(folder), file=entry["path"])
    if manifest["database"]["file"] != database_file:
        raise Refusal("The backup in %(path)s is damaged: %(file)s is not a file a backup "
                      "holds.", path=str(folder), file=manifest["database"]["file"])
    _check_files(folder, manifest)
    return manifest


@job
def restore_backup(folder: str | Path, now: datetime, *, force: bool = False) -> RestoreDone:
    """Replace the desk's database and blob store by a backup, checked first, then migrate."""
    folder = Path(folder).resolve()
    manifest = check_backup(folder)
    kind = snapshots.engine_kind(db.engine)
    if manifest["engine"] != kind:
        raise Refusal("The backup holds a %(engine)s database; this desk runs on %(target)s.",
                      engine=ENGINE_NAMES[manifest["engine"]], target=ENGINE_NAMES[kind])
    if holders := _live_workers(now):
        raise Refusal("Stop the workers first: %(holders)s still run jobs.",
                      holders=", ".join(holders))
    if not force and _holds_data():
        raise Refusal("The desk's database is not empty; restore over it with --force.")
    if unknown := sorted(set(manifest["migrations"]) - _known_revisions()):
        raise Refusal("The backup's database is of a newer desk (migration %(revision)s); "
                      "restore it with that version's code.", revision=", ".join(unknown))
    store = Path(current_app.config["BLOB_STORE"])
    try:
        # Files first, without removing any: the database is replaced only once they are in.
        wanted = _add_blobs(folder, store, manifest)
    except OSError as error:
        raise Refusal("The restore failed, the database is as it was: %(error)s",
                      error=str(error)) from None
    db.session.remove()
    try:
        snapshots.restore_snapshot(db.engine, folder / manifest["database"]["file"])
    except snapshots.SnapshotError as error:
        raise Refusal("The restore failed, the database is as it was: %(error)s",
                      error=str(error)) from None
    _remove_other_blobs(store, wanted)
    with db.engine.connect() as connection:
        counts = snapshots.row_counts(connection, manifest["database"]["rows"])
    if counts != manifest["database"]["rows"]:
        raise Refusal("The restored database's rows differ from the backup's manifest.")
    # The snapshot was taken while this backup was still being made, and while its worker
    # held leases: no worker holds any now (checked above), and none has stopped since then.
    db.session.execute(sa.update(Backup).where(Backup.id == manifest["backup_id"]).values(
        state=BackupState.VERIFIED, finished_at=datetime.fromisoformat(manifest["made_at"]),
        manifest_sha256=hashlib.sha256((folder / MANIFEST).read_bytes()).hexdigest()))
    db.session.execute(sa.update(JobHeartbeat).values(lease_holder=None, lease_until=None))
    db.session.commit()
    upgrade(directory=current_app.extensions["migrate"].directory)
    files = len(wanted)
    return RestoreDone(manifest["backup_id"], manifest["made_at"], sum(counts.values()), files)


@job
def backup_job(now: datetime) -> object | None:
    """The worker's backup: one every BACKUP_INTERVAL (sooner after a failure), old ones pruned."""
    _give_up_interrupted(now)
    last = db.session.scalars(sa.select(Backup).order_by(Backup.started_at.desc()).limit(1)).first()
    if not backup_due(last and last.started_at, last and last.state, now,
                      current_app.config["BACKUP_INTERVAL"]):
        return None
    made = make_backup(now)
    removed = prune_backups(now)
    return f"{made}; {removed} old backups removed" if removed else made


def backup_due(last_started_at: datetime | None, last_state: BackupState | None,
               now: datetime, interval: timedelta) -> bool:
    """Whether the worker should make a backup now."""
    if last_started_at is None:
        return True
    if last_state == BackupState.RUNNING:
        return False
    wait = min(RETRY_AFTER, interval) if last_state == BackupState.FAILED else interval
    return now - last_started_at >= wait


@job
def prune_backups(now: datetime) -> int:
    """Remove the verified backups in BACKUP_DIR beyond the newest BACKUP_KEEP."""
    root = Path(current_app.config["BACKUP_DIR"]).resolve()
    kept = db.session.scalars(
        sa.select(Backup).where(Backup.state == BackupState.VERIFIED,
                                Backup.removed_at.is_(None))
        .order_by(Backup.started_at.desc(), Backup.id.desc())).all()
    removed = 0
    for backup in kept[current_app.config["BACKUP_KEEP"]:]:
        folder = Path(backup.path)
        if folder.parent != root:
            continue  # made elsewhere with --output: the operator keeps it
        shutil.rmtree(folder, ignore_errors=True)
        backup.removed_at = now
        removed += 1
    db.session.commit()
    return removed


def last_good_backup() -> Backup | None:
    """The newest verified backup still on disk: the moment that at most is lost."""
    return db.session.scalars(
        sa.select(Backup).where(Backup.state == BackupState.VERIFIED, Backup.removed_at.is_(None))
        .order_by(Backup.started_at.desc()).limit(1)).first()


@job
def _give_up_interrupted(now: datetime) -> None:
    """A backup still "running" whose folder has not changed for SILENT_AFTER (or that began
    STALE_AFTER ago) was cut off: a worker killed or stopped in the middle of it."""
    for backup in db.session.scalars(sa.select(Backup).where(
            Backup.state == BackupState.RUNNING, Backup.started_at < now - SILENT_AFTER)):
        partial = _partial_folder(Path(backup.path))
        if backup.started_at >= now - STALE_AFTER and _last_written(partial) > now - SILENT_AFTER:
            continue
        shutil.rmtree(partial, ignore_errors=True)
        backup.state, backup.error, backup.finished_at = BackupState.FAILED, "interrupted", now
    db.session.commit()


def _last_written(folder: Path) -> datetime:
    """When anything in the folder last changed (long ago when it is not there)."""
    moments = [path.stat().st_mtime for path in (folder, *folder.rglob("*")) if path.exists()]
    return datetime.fromtimestamp(max(moments, default=0), UTC)


def _table_names() -> list[str]:
    return [table.name for table in db.metadata.sorted_tables] + ["alembic_version"]


def _database_heads() -> set[str]:
    from alembic.runtime.migration import MigrationContext

    with db.engine.connect() as connection:
        return set(MigrationContext.configure(connection).get_current_heads())


def _holds_data() -> bool:
    with db.engine.connect() as connection:
        counts = snapshots.row_counts(connection, [t.name for t in db.metadata.sorted_tables])
    return any(counts.values())


def _live_workers(now: datetime) -> list[str]:
    if not sa.inspect(db.engine).has_table("job_heartbeat"):
        return []
    return sorted({beat.lease_holder for beat in heartbeats.heartbeats()
                   if heartbeats.is_live(beat, now)})


def _partial_folder(folder: Path) -> Path:
    return folder.with_name(f".{folder.name}.partial")


def _last_verified_folder(before_id: int) -> Path | None:
    """The previous good backup: its blob files are linked, not copied (they never change)."""
    path = db.session.scalar(
        sa.select(Backup.path).where(Backup.state == BackupState.VERIFIED, Backup.id < before_id,
                                     Backup.removed_at.is_(None))
        .order_by(Backup.id.desc()).limit(1))
    return Path(path) if path and Path(path).is_dir() else None


def _copy_blobs(store: Path, folder: Path, previous: Path | None) -> list[dict]:
    """Every finished blob file (not a writer's `.partial`), linked from the previous backup
    when it holds the same file, else copied."""
    entries = []
    for source in sorted(store.rglob("*")) if store.is_dir() else ():
        relative = source.relative_to(store)
        if source.is_dir() or any(part.startswith(".") for part in relative.parts):
            continue
        name = f"{BLOBS}/{relative.as_posix()}"
        target = folder / name
        private_folder(target.parent)
        earlier = previous / name if previous else None
        try:
            if earlier is None or earlier.stat().st_size != source.stat().st_size:
                raise FileNotFoundError
            os.link(earlier, target)
        except OSError:
            shutil.copyfile(source, target)
            os.chmod(target, FILE_MODE)
        entries.append(_entry(folder, name))
    return entries


def _add_blobs(folder: Path, store: Path, manifest: dict) -> set[str]:
    """Put the backup's blob files into the store (keeping the others); the names it holds."""
    wanted = {entry["path"].removeprefix(f"{BLOBS}/"): entry for entry in manifest["files"]
              if entry["path"].startswith(f"{BLOBS}/")}
    private_folder(store)
    for relative, entry in wanted.items():
        target = store / relative
        if target.is_file() and _digest(target) == entry["sha256"]:
            continue
        private_folder(target.parent)
        partial = target.with_name(f".{target.name}.restore.partial")
        shutil.copyfile(folder / entry["path"], partial)
        os.chmod(partial, FILE_MODE)
        os.replace(partial, target)
    _sync_tree(store)
    return set(wanted)


def _remove_other_blobs(store: Path, wanted: set[str]) -> None:
    """Make the store hold exactly the backup's files: the restored rows name no others."""
    for path in sorted(store.rglob("*"), reverse=True):
        relative = path.relative_to(store).as_posix()
        if path.is_file() and relative not in wanted:
            path.unlink()
        elif path.is_dir() and not any(path.iterdir()):
            path.rmdir()


def _known_revisions() -> set[str]:
    from alembic.script import ScriptDirectory

    script = ScriptDirectory(current_app.extensions["migrate"].directory)
    return {revision.revision for revision in script.walk_revisions()}


def _entry(folder: Path, name: str) -> dict:
    path = folder / name
    os.chmod(path, FILE_MODE)
    return {"path": name, "size": path.stat().st_size, "sha256": _digest(path)}


def _check_files(folder: Path, manifest: dict) -> None:
    for entry in manifest["files"]:
        path = folder / entry["path"]
        if path.is_symlink() or not path.is_file():
            raise Refusal("The backup in %(path)s is damaged: %(file)s is missing.",
                          path=str(folder), file=entry["path"])
        if path.stat().st_size != entry["size"] or _digest(path) != entry["sha256"]:
            raise Refusal("The backup in %(path)s is damaged: %(file)s does not match its "
                          "digest.", path=str(folder), file=entry["path"])


def _write_manifest(folder: Path, manifest: dict) -> str:
    content = json.dumps(manifest, indent=1, sort_keys=True) + "\n"
    write_private(folder / MANIFEST, content)
    digest = hashlib.sha256(content.encode()).hexdigest()
    write_private(folder / MANIFEST_DIGEST, f"{digest}  {MANIFEST}\n")
    return digest


def _digest(path: Path) -> str:
    sha = hashlib.sha256()
    with open(path, "rb") as handle:
        while chunk := handle.read(CHUNK):
            sha.update(chunk)
    return sha.hexdigest()


def _sync_tree(folder: Path) -> None:
    """Every file and folder under `folder` on disk before the rename that makes it count."""
    for path in sorted(folder.rglob("*")):
        fsync_path(path)
    fsync_path(folder)


def age_of(backup: Backup | None, now: datetime) -> timedelta | None:
    """How much data a restore of this backup would lose, were the desk to fail now."""
    return None if backup is None else now - backup.started_at.astimezone(UTC)
