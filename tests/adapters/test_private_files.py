"""Files that hold customer data or secrets are the desk's alone: 0600, folders 0700."""
import json
import os
import stat
from pathlib import Path

import pytest

from helpdesk import _instance_secret_key, create_app
from helpdesk.adapters.storage import BlobStore
from helpdesk.extensions import db
from tests.fixtures.factories import make_organisation


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.fixture
def open_umask():
    """The usual umask of a shell, which leaves new files readable by everyone."""
    previous = os.umask(0o022)
    yield
    os.umask(previous)


def test_blobs_and_their_folders_are_private_whatever_the_umask(tmp_path, open_umask):
    shared = tmp_path / "shared"
    shared.mkdir(mode=0o755)
    store = BlobStore(shared / "instance" / "blobs")
    for deferred in (False, True):
        store.deferred = deferred
        relative, _ = store.put(f"raw mail {deferred}".encode(), ".eml")
        path = store.path(relative)
        assert mode(path) == 0o600
        assert mode(path.parent) == 0o700
    assert mode(shared / "instance" / "blobs") == 0o700
    assert mode(shared / "instance") == 0o700
    assert mode(shared) == 0o755  # a folder the store did not make keeps its mode


def test_instance_folder_and_secret_key_are_private(tmp_path, open_umask):
    instance = tmp_path / "instance"
    _instance_secret_key(instance)
    assert mode(instance) == 0o700
    assert mode(instance / "secret_key") == 0o600


def test_a_new_sqlite_database_and_its_log_are_private(tmp_path, open_umask):
    (tmp_path / "data").mkdir(mode=0o700)  # a missing folder is an unreachable database
    database = tmp_path / "data" / "desk.sqlite"
    app = create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{database}", "SECRET_KEY": "x",
                      "BLOB_STORE": str(tmp_path / "blobs")})
    with app.app_context():
        db.create_all()
        make_organisation()
        assert (tmp_path / "data" / "desk.sqlite-wal").exists()
        for name in ("desk.sqlite", "desk.sqlite-wal", "desk.sqlite-shm"):
            assert mode(tmp_path / "data" / name) == 0o600, name
        db.session.remove()
        db.engine.dispose()


def test_an_existing_sqlite_database_is_made_private(tmp_path, open_umask):
    database = tmp_path / "desk.sqlite"
    database.touch()
    database.chmod(0o644)
    create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{database}", "SECRET_KEY": "x",
                "BLOB_STORE": str(tmp_path / "blobs")})
    assert mode(database) == 0o600


def test_an_export_file_is_private(runner, tmp_path, open_umask):
    make_organisation(slug="acme")
    output = tmp_path / "acme.json"
    result = runner.invoke(args=["export", "--org", "acme", "--output", str(output)])
    assert result.exit_code == 0, result.output
    assert json.loads(output.read_text())
    assert mode(output) == 0o600


def test_an_export_over_an_existing_readable_file_makes_it_private(runner, tmp_path, open_umask):
    make_organisation(slug="acme")
    output = tmp_path / "acme.json"
    output.write_text("old")
    output.chmod(0o644)
    assert runner.invoke(args=["export", "--org", "acme", "--output", str(output)]).exit_code == 0
    assert mode(output) == 0o600
