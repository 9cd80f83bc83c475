"""`flask backup` and `flask restore`: what an operator types, and the one line they read."""
from pathlib import Path

import sqlalchemy as sa

from helpdesk.extensions import db
from helpdesk.models import Ticket
from tests.fixtures.factories import make_ticket


def _only_backup(folder: Path) -> Path:
    [backup] = [path for path in folder.iterdir() if not path.name.startswith(".")]
    return backup


def test_flask_backup_writes_a_checked_backup_where_asked(runner, tmp_path):
    make_ticket()
    result = runner.invoke(args=["backup", "--output", str(tmp_path / "out")])
    assert result.exit_code == 0, result.output
    backup = _only_backup(tmp_path / "out")
    assert result.output.startswith("backup 1 in ")
    assert "restored into a scratch database and compared" in result.output
    assert (backup / "manifest.json").is_file() and (backup / "manifest.sha256").is_file()


def test_flask_restore_asks_for_yes_then_brings_the_backup_back(runner, tmp_path):
    make_ticket()
    runner.invoke(args=["backup", "--output", str(tmp_path / "out")])
    backup = _only_backup(tmp_path / "out")
    make_ticket()

    refused = runner.invoke(args=["restore", str(backup)])
    assert refused.exit_code == 1
    assert "A restore replaces the desk's data; add --yes to restore." in refused.output
    not_empty = runner.invoke(args=["restore", str(backup), "--yes"])
    assert "restore over it with --force" in not_empty.output

    result = runner.invoke(args=["restore", str(backup), "--yes", "--force"])
    assert result.exit_code == 0, result.output
    assert result.output.splitlines()[-1].startswith("restored backup 1 of ")
    assert db.session.scalar(sa.select(sa.func.count(Ticket.id))) == 1


def test_flask_restore_of_a_damaged_backup_says_which_file_in_one_line(runner, tmp_path):
    make_ticket()
    runner.invoke(args=["backup", "--output", str(tmp_path / "out")])
    backup = _only_backup(tmp_path / "out")
    database = next(backup.glob("database.*"))
    content = bytearray(database.read_bytes())
    content[len(content) // 2] ^= 0x80
    database.write_bytes(bytes(content))

    result = runner.invoke(args=["restore", str(backup), "--yes", "--force"])
    assert result.exit_code == 1
    assert result.output == (f"Error: The backup in {backup} is damaged: {database.name} does "
                             "not match its digest.\n")
