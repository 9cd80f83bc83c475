"""Content-addressed files for raw mail and attachments, kept outside the database rows."""
import hashlib
import os
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from flask import current_app

from helpdesk.adapters.private_files import open_private, private_folder

# A batch's fsyncs run side by side: the file system commits them together, in about half the
# time they take one after the other.
SYNC_THREADS = 8


class BlobStore:
    """Files named by their sha256: writing the same bytes twice is harmless.

    A store made with `deferred=True` leaves the fsync to `sync()`, so a batch of files costs
    one round of fsyncs just before the commit that refers to them, not one per file.
    """

    def __init__(self, root: str | Path, *, deferred: bool = False):
        self.root = Path(root)
        self.deferred = deferred
        self.unsynced: list[Path] = []

    def put(self, content: bytes, suffix: str = "") -> tuple[str, str]:
        """Store bytes (durably, or durably at `sync()`); returns (relative path, sha256 hex)."""
        digest = hashlib.sha256(content).hexdigest()
        relative = f"{digest[:2]}/{digest}{suffix}"
        path = self.root / relative
        # A file cut short by a machine crash before its sync is written again.
        if not path.exists() or path.stat().st_size != len(content):
            private_folder(path.parent)
            partial = path.with_name(f".{path.name}.{os.getpid()}.partial")
            with open_private(partial) as handle:
                handle.write(content)
                handle.flush()
                if not self.deferred:
                    os.fsync(handle.fileno())
            os.replace(partial, path)  # atomic: a crash never leaves half a file under the name
            if not self.deferred:
                self._sync_names(path)
        if self.deferred:
            # Even a file found here: its writer may not have synced it yet.
            self.unsynced += [path, path.parent, self.root]
        return relative, digest

    def _sync_names(self, path: Path) -> None:
        """The directory entries that name the file (its folder may be new too)."""
        fsync_path(path.parent)
        fsync_path(self.root)

    def sync(self) -> None:
        """Make every file put since the last sync durable, with the directory entries naming
        it; call before committing the rows that name them."""
        paths = list(dict.fromkeys(self.unsynced))
        if len(paths) > 1:
            with ThreadPoolExecutor(min(SYNC_THREADS, len(paths))) as pool:
                list(pool.map(fsync_path, paths))  # list(): the first failure is raised here
        elif paths:
            fsync_path(paths[0])
        self.unsynced.clear()

    def path(self, relative: str) -> Path:
        resolved = (self.root / relative).resolve()
        if self.root.resolve() not in resolved.parents:
            raise ValueError("path outside the blob store")
        return resolved

    def read(self, relative: str) -> bytes:
        return self.path(relative).read_bytes()


def fsync_path(path: Path) -> None:
    """A file's or folder's contents and entries on disk."""
    descriptor = os.open(path, os.O_RDONLY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)


def blob_store(*, deferred: bool = False) -> BlobStore:
    return BlobStore(current_app.config["BLOB_STORE"], deferred=deferred)
