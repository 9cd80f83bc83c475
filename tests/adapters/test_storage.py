"""The blob store: content-addressed files, durable before the rows that name them commit."""
import os

import pytest

from helpdesk.adapters import storage
from helpdesk.adapters.storage import BlobStore


def counting_fsyncs(monkeypatch) -> list[int]:
    synced: list[int] = []
    real_fsync = os.fsync

    def fsync(descriptor):
        synced.append(descriptor)
        real_fsync(descriptor)

    monkeypatch.setattr(os, "fsync", fsync)
    return synced


def test_a_deferred_store_syncs_a_batch_of_files_and_their_names_only_when_asked(
        tmp_path, monkeypatch):
    synced = counting_fsyncs(monkeypatch)
    synced_paths = []
    real_sync = storage.fsync_path
    monkeypatch.setattr(storage, "fsync_path",
                        lambda path: synced_paths.append(path) or real_sync(path))
    store = BlobStore(tmp_path, deferred=True)
    paths = [store.put(content, ".eml")[0] for content in (b"one", b"two", b"one")]

    assert synced == [] and store.read(paths[0]) == b"one"

    store.sync()

    files = [store.path(p) for p in paths[:2]]
    # Each file once, and the folders whose entries name them, up to the store's own.
    assert sorted(synced_paths) == sorted({*files, *(f.parent for f in files), tmp_path})
    assert store.unsynced == []


def test_an_immediate_store_syncs_every_new_file_and_its_name_as_it_writes_it(
        tmp_path, monkeypatch):
    synced = counting_fsyncs(monkeypatch)
    store = BlobStore(tmp_path)
    store.put(b"one")
    assert len(synced) == 3  # the file, its folder and the store's folder
    store.put(b"one")  # already there: nothing to write
    assert len(synced) == 3


def test_a_file_cut_short_by_a_crash_is_written_again(tmp_path):
    store = BlobStore(tmp_path)
    path, _ = store.put(b"the whole message")
    store.path(path).write_bytes(b"the wh")

    store.put(b"the whole message")

    assert store.read(path) == b"the whole message"


def test_a_sync_that_fails_for_one_file_of_a_batch_raises(tmp_path, monkeypatch):
    store = BlobStore(tmp_path, deferred=True)
    for content in (b"one", b"two", b"three"):
        store.put(content)
    real_fsync = os.fsync
    calls: list[int] = []

    def fsync(descriptor):
        calls.append(descriptor)
        if len(calls) == 2:
            raise OSError("disk full")
        real_fsync(descriptor)

    monkeypatch.setattr(os, "fsync", fsync)
    with pytest.raises(OSError, match="disk full"):
        store.sync()  # so the rows naming the files are not committed
