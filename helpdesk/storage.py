"""Content-addressed files for raw mail and attachments, kept outside the database rows."""
import hashlib
import os
from pathlib import Path

from flask import current_app


class BlobStore:
    """Files named by their sha256: writing the same bytes twice is harmless."""

    def __init__(self, root: str | Path):
        self.root = Path(root)

    def put(self, content: bytes, suffix: str = "") -> tuple[str, str]:
        """Store bytes durably; returns (relative path, sha256 hex)."""
        digest = hashlib.sha256(content).hexdigest()
        relative = f"{digest[:2]}/{digest}{suffix}"
        path = self.root / relative
        if not path.exists():
            path.parent.mkdir(parents=True, exist_ok=True)
            partial = path.with_name(f".{path.name}.{os.getpid()}.partial")
            with open(partial, "wb") as handle:
                handle.write(content)
                handle.flush()
                os.fsync(handle.fileno())
            os.replace(partial, path)  # atomic: a crash never leaves half a file under the name
        return relative, digest

    def path(self, relative: str) -> Path:
        resolved = (self.root / relative).resolve()
        if self.root.resolve() not in resolved.parents:
            raise ValueError("path outside the blob store")
        return resolved

    def read(self, relative: str) -> bytes:
        return self.path(relative).read_bytes()


def blob_store() -> BlobStore:
    return BlobStore(current_app.config["BLOB_STORE"])
