"""The audit trail's hash chain: every change, removal or insertion is found at its entry."""
import threading
from datetime import timedelta

import pytest
import sqlalchemy as sa

from helpdesk.extensions import db
from helpdesk.models import AuditEntry
from helpdesk.services.people import audit
from helpdesk.services.privacy import audit_chain
from tests.conftest import DATABASE
from tests.fixtures.factories import make_staff


def _write(now, count: int) -> list[int]:
    agent = make_staff()
    entries = [audit.add_entry("view_ticket", now + timedelta(seconds=n), agent, "ticket", n,
                               f"#{n}") for n in range(1, count + 1)]
    db.session.commit()
    return [entry.id for entry in entries]


def _tamper(statement: str, **values) -> None:
    """Change the table behind the trail's back, as someone with database access could."""
    db.session.remove()
    with db.engine.begin() as connection:
        connection.execute(sa.text(statement), values)


def test_entries_written_in_one_transaction_chain_onto_each_other(app, now):
    ids = _write(now, 3)

    entries = db.session.scalars(sa.select(AuditEntry).order_by(AuditEntry.id)).all()
    assert [e.id for e in entries] == ids
    assert entries[1].previous_digest == entries[0].digest
    assert entries[2].previous_digest == entries[1].digest
    assert audit_chain.verify() == audit_chain.Verdict(3)


def test_a_changed_detail_is_found_at_its_entry(app, now):
    ids = _write(now, 3)
    _tamper("UPDATE audit_entry SET detail = '#99' WHERE id = :id", id=ids[1])

    verdict = audit_chain.verify()
    assert (verdict.entries, verdict.broken_at) == (1, ids[1])
    assert "detail" in verdict.problem


def test_a_changed_action_is_found_at_its_entry(app, now):
    ids = _write(now, 3)
    _tamper("UPDATE audit_entry SET action = 'nothing' WHERE id = :id", id=ids[2])

    verdict = audit_chain.verify()
    assert (verdict.entries, verdict.broken_at) == (2, ids[2])
    assert "fields" in verdict.problem


def test_a_deleted_entry_is_found_at_the_one_after_it(app, now):
    ids = _write(now, 3)
    _tamper("DELETE FROM audit_entry WHERE id = :id", id=ids[1])

    verdict = audit_chain.verify()
    assert (verdict.entries, verdict.broken_at) == (1, ids[2])
    assert "removed" in verdict.problem


def test_a_deleted_last_entry_is_found_at_the_head(app, now):
    ids = _write(now, 3)
    _tamper("DELETE FROM audit_entry WHERE id = :id", id=ids[2])

    verdict = audit_chain.verify()
    assert (verdict.entries, verdict.broken_at) == (2, None)
    assert "head" in verdict.problem


def test_an_inserted_entry_is_found(app, now):
    ids = _write(now, 2)
    first = db.session.get(AuditEntry, ids[0])
    _tamper("INSERT INTO audit_entry (at, action, subject_type, subject_id, detail, "
            "detail_digest, previous_digest, digest, redacted) VALUES (:at, 'view_ticket', "
            "'ticket', 7, '#7', :dd, :previous, :digest, :no)",
            at=now.replace(tzinfo=None) if DATABASE == "sqlite" else now,
            dd=first.detail_digest, previous=first.digest, digest="f" * 64, no=False)

    verdict = audit_chain.verify()
    assert not verdict.intact
    assert verdict.broken_at is not None and verdict.broken_at > ids[1]


def test_a_redacted_detail_is_no_break_but_the_rest_of_the_entry_still_counts(app, now):
    ids = _write(now, 3)
    audit.redact_detail(db.session.get(AuditEntry, ids[1]), "an erased contact")
    db.session.commit()

    assert audit_chain.verify() == audit_chain.Verdict(3)

    _tamper("UPDATE audit_entry SET subject_id = 99 WHERE id = :id", id=ids[1])
    assert audit_chain.verify().broken_at == ids[1]


def test_an_empty_trail_is_intact(app):
    assert audit_chain.verify() == audit_chain.Verdict(0)


@pytest.mark.skipif(DATABASE != "postgresql", reason="SQLite has one writer at a time")
def test_a_second_writer_waits_for_the_first_to_end_its_transaction(app, now):
    audit.add_entry("view_ticket", now, None, "ticket", 1)
    db.session.flush()  # the head row is locked until this transaction ends
    outcome = []

    def second_writer():
        with app.app_context():
            db.session.execute(sa.text("SET lock_timeout = '200ms'"))
            try:
                audit.add_entry("view_ticket", now, None, "ticket", 2)
                db.session.flush()
                outcome.append("chained")
            except sa.exc.OperationalError as error:
                outcome.append(type(error.orig).__name__)
            finally:
                db.session.rollback()
                db.session.remove()

    thread = threading.Thread(target=second_writer)
    thread.start()
    thread.join()
    db.session.commit()
    assert outcome == ["LockNotAvailable"]


def test_flask_audit_verify_says_intact_or_names_the_first_broken_entry(app, runner, now):
    ids = _write(now, 2)
    result = runner.invoke(args=["audit", "verify"])
    assert (result.exit_code, result.output) == (0, "2 entries, chain intact\n")

    _tamper("UPDATE audit_entry SET staff_id = NULL WHERE id = :id", id=ids[0])
    result = runner.invoke(args=["audit", "verify"])
    assert result.exit_code == 1
    assert f"chain broken at entry {ids[0]} after 0 good entries" in result.output
