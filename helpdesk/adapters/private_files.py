"""Files the desk writes hold customer data or secrets: they are the desk's alone.

Files are 0600 and the folders the desk makes 0700, whatever the umask of the shell or
service that started it (a umask only takes bits away, and the usual 022 leaves them
readable by every account on the machine). Folders that were there already keep their mode.
"""
from __future__ import annotations

import contextlib
import os
from pathlib import Path
from typing import IO

FILE_MODE = 0o600
FOLDER_MODE = 0o700


def private_folder(folder: str | Path) -> Path:
    """Make `folder` and any missing parents, each 0700; an existing one is left as it is."""
    folder = Path(folder)
    missing = []
    for path in (folder, *folder.parents):
        if path.is_dir():
            break
        missing.append(path)
    for path in reversed(missing):
        try:
            os.mkdir(path, FOLDER_MODE)
        except FileExistsError:
            continue  # another process made it at the same moment
        os.chmod(path, FOLDER_MODE)
    return folder


def open_private(path: str | Path, mode: str = "wb", encoding: str | None = None) -> IO:
    """Open a file for writing (created, or truncated) that only the desk can read."""
    flags = os.O_WRONLY | os.O_CREAT | os.O_TRUNC | getattr(os, "O_CLOEXEC", 0)
    descriptor = os.open(path, flags, FILE_MODE)
    try:
        os.fchmod(descriptor, FILE_MODE)  # an existing file, or a umask that took bits away
        return os.fdopen(descriptor, mode, encoding=encoding)
    except BaseException:
        os.close(descriptor)
        raise


def write_private(path: str | Path, content: str) -> None:
    """Write a small text file that only the desk can read."""
    with open_private(path, "w", encoding="utf-8") as handle:
        handle.write(content)


def make_private(path: str | Path) -> None:
    """Create `path` empty if it is missing, else make it 0600 (for files others write)."""
    path = Path(path)
    private_folder(path.parent)
    try:
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, FILE_MODE)
    except FileExistsError:
        with contextlib.suppress(PermissionError):  # another account's file: theirs to decide
            path.chmod(FILE_MODE)
        return
    os.fchmod(descriptor, FILE_MODE)
    os.close(descriptor)
