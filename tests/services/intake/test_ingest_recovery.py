"""Nothing lost, nothing twice: crashes, dropped connections, UIDVALIDITY, poison, two ingesters."""
import errno
import hashlib
import threading
from concurrent.futures import Future
from concurrent.futures.process import BrokenProcessPool

import pytest
import sqlalchemy as sa

from helpdesk.adapters.imap import ImapSession, MailboxError
from helpdesk.adapters.storage import BlobStore
from helpdesk.extensions import db
from helpdesk.models import (
    HeldMessage,
    HeldReason,
    IngestFailure,
    MailboxState,
    MailReceipt,
    OutboxMessage,
    Ticket,
)
from helpdesk.services.intake import inbound_mail, ingest, parse_ahead
from helpdesk.services.intake.ingest import ingest_once
from helpdesk.services.intake.mailbox_lock import mailbox_lock
from helpdesk.services.intake.raw_mail import RAW_MAIL_INLINE_BYTES, raw_bytes
from tests.conftest import sign_in
from tests.fixtures.factories import make_contact, make_staff
from tests.fixtures.mail import NOW, RECEIVED_AT, accept_mail, make_mail
from tests.fixtures.poison import poison_parser, run_poisoned_ingester
from tests.fixtures.tcp_proxy import FaultyProxy


class Crash(BaseException):
    """The process dying: not an Exception, so nothing in the ingester catches it."""


def count(model) -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(model))


def last_uid() -> int | None:
    return db.session.scalar(sa.select(MailboxState.last_uid))


@pytest.fixture
def ann(app):
    return make_contact(email="ann@customer.example")


def test_crash_after_the_commit_before_the_flag_gives_no_duplicate(app, mailbox, ann,
                                                                     monkeypatch):
    uid = mailbox.append(make_mail(ann.email), RECEIVED_AT)

    def connection_lost(self, uids):
        raise MailboxError("IMAP mark processed failed: connection lost")

    with monkeypatch.context() as patched:
        patched.setattr(ImapSession, "mark_processed", connection_lost)
        with pytest.raises(MailboxError):
            ingest_once(NOW)
    assert count(Ticket) == 1
    assert mailbox.flagged_uids() == [] and last_uid() == 0

    report = ingest_once(NOW)

    assert report.counts == {"already ingested": 1}
    assert (count(Ticket), count(OutboxMessage), count(MailReceipt)) == (1, 1, 1)
    assert mailbox.flagged_uids() == [uid] and last_uid() == uid


def test_crash_before_the_commit_loses_nothing(app, mailbox, ann, monkeypatch):
    raw = make_mail(ann.email)
    uid = mailbox.append(raw, RECEIVED_AT)

    def crash(*args, **kwargs):
        raise Crash

    with monkeypatch.context() as patched:
        patched.setattr(inbound_mail, "queue_acknowledgement", crash)
        with pytest.raises(Crash):
            ingest_once(NOW)
    db.session.rollback()  # what the database does when the process dies mid-transaction
    assert (count(Ticket), count(MailReceipt)) == (0, 0)
    # Still on the server, unflagged, above the folder position: the next pass takes it.
    assert mailbox.uids() == [uid] and mailbox.flagged_uids() == [] and last_uid() == 0

    ingest_once(NOW)

    assert (count(Ticket), count(OutboxMessage)) == (1, 1)
    assert mailbox.flagged_uids() == [uid] and last_uid() == uid


def test_uidvalidity_change_rescans_the_folder_without_duplicates(app, mailbox, ann):
    first, second = make_mail(ann.email, "One"), make_mail(ann.email, "Two")
    mailbox.append(first, RECEIVED_AT)
    mailbox.append(second, RECEIVED_AT)
    ingest_once(NOW)
    old_validity = mailbox.uidvalidity()
    mailbox.recreate()
    for raw in (first, second, make_mail(ann.email, "Three")):
        mailbox.append(raw, RECEIVED_AT)
    assert mailbox.uidvalidity() != old_validity

    report = ingest_once(NOW)

    assert report.rescanned
    assert report.counts == {"duplicate": 2, "new ticket": 1}
    assert sorted(db.session.scalars(sa.select(Ticket.subject))) == ["One", "Three", "Two"]
    assert db.session.scalar(sa.select(MailboxState.uidvalidity)) == mailbox.uidvalidity()


# Parsing ahead fetches the next batch before it stores the one before: that one is still
# stored when the fetch fails, but its flags (and so the position) wait for the next pass.
@pytest.mark.parametrize(("parse_workers", "position_after_the_drop"), [(0, 1), (1, 0)])
def test_connection_dropped_mid_fetch_loses_nothing_and_duplicates_nothing(
        app, mailbox, ann, monkeypatch, parse_workers, position_after_the_drop):
    app.config["INGEST_PARSE_WORKERS"] = parse_workers
    big = b"0123456789abcdef" * 40_000  # 640 kB: the drop comes in the middle of it
    mailbox.append(make_mail(ann.email, "Small one"), RECEIVED_AT)
    mailbox.append(make_mail(ann.email, "Big one", attachments=(
        ("dump.bin", "application/octet-stream", big),)), RECEIVED_AT)
    mailbox.append(make_mail(ann.email, "Small two"), RECEIVED_AT)
    monkeypatch.setattr(ingest, "FETCH_BATCH_MESSAGES", 1)
    proxy = FaultyProxy(mailbox.server.port, fail_after=300_000, mode="drop")
    app.config["IMAP_PORT"] = proxy.port
    try:
        with pytest.raises(MailboxError):
            ingest_once(NOW)
    finally:
        proxy.close()
    assert proxy.failed.is_set()
    assert list(db.session.scalars(sa.select(Ticket.subject))) == ["Small one"]
    assert last_uid() == position_after_the_drop

    app.config["IMAP_PORT"] = mailbox.server.port
    ingest_once(NOW)

    assert list(db.session.scalars(sa.select(Ticket.subject).order_by(Ticket.id))) == [
        "Small one", "Big one", "Small two"]
    stored = db.session.scalars(sa.select(Ticket).where(Ticket.subject == "Big one")).one()
    assert stored.messages[0].attachments[0].sha256 == hashlib.sha256(big).hexdigest()
    assert count(MailReceipt) == 3


def test_a_server_that_stops_answering_times_out_instead_of_hanging(app, mailbox, ann):
    mailbox.append(make_mail(ann.email, attachments=(
        ("dump.bin", "application/octet-stream", b"x" * 200_000),)), RECEIVED_AT)
    proxy = FaultyProxy(mailbox.server.port, fail_after=50_000, mode="stall")
    app.config.update(IMAP_PORT=proxy.port, IMAP_TIMEOUT_SECONDS=0.5)
    try:
        with pytest.raises(MailboxError, match="timed out"):
            ingest_once(NOW)
    finally:
        proxy.close()
    assert proxy.failed.is_set()
    assert count(Ticket) == 0 and mailbox.flagged_uids() == []


def _choke_on_poison(monkeypatch) -> None:
    """The ingester's parser fails on any mail that says POISON, as a parser bug would."""
    poison_parser(monkeypatch.setattr)


def test_poisonous_message_is_held_after_bounded_attempts_and_the_mailbox_moves_on(
        app, mailbox, ann, monkeypatch):
    app.config["INGEST_MAX_ATTEMPTS"] = 2
    _choke_on_poison(monkeypatch)
    first = mailbox.append(make_mail(ann.email, "Before"), RECEIVED_AT)
    poison = mailbox.append(make_mail(ann.email, "Bad", "POISON"), RECEIVED_AT)
    after = mailbox.append(make_mail(ann.email, "After"), RECEIVED_AT)

    reports = [ingest_once(NOW) for _ in range(3)]

    assert [r.failed for r in reports] == [1, 1, 0]
    assert reports[0].counts == {"new ticket": 2}
    assert reports[1].counts == {"already ingested": 1}
    assert reports[2].counts == {"held": 1, "already ingested": 1}
    assert sorted(db.session.scalars(sa.select(Ticket.subject))) == ["After", "Before"]
    [held] = db.session.scalars(sa.select(HeldMessage)).all()
    assert held.reason == HeldReason.UNPARSABLE
    assert held.detail == "failed 2 times: RecursionError: maximum recursion depth exceeded"
    assert b"POISON" in raw_bytes(held.raw_mail)
    assert mailbox.flagged_uids() == [first, poison, after] and last_uid() == after
    assert count(IngestFailure) == 0


def test_losing_the_race_to_another_ingester_ends_in_a_duplicate_not_an_error(app, ann,
                                                                              monkeypatch):
    raw = make_mail(ann.email)
    accept_mail(raw)
    # The other ingester commits between our lookup and our commit: the constraint decides.
    monkeypatch.setattr(inbound_mail, "_receipt", _first_lookup_misses(inbound_mail._receipt))

    result = accept_mail(raw)

    assert result.outcome == inbound_mail.Outcome.DUPLICATE
    assert (count(Ticket), count(OutboxMessage), count(MailReceipt)) == (1, 1, 1)


def _first_lookup_misses(real):
    calls = []

    def lookup(*key):
        calls.append(key)
        return None if len(calls) == 1 else real(*key)
    return lookup


def test_an_ingester_leaves_a_mailbox_alone_while_another_holds_it(app, mailbox, ann):
    mailbox.append(make_mail(ann.email), RECEIVED_AT)
    settings = ingest.imap_settings()
    with mailbox_lock(settings.mailbox) as locked:
        assert locked
        report = ingest_once(NOW)
    assert report.busy and count(Ticket) == 0
    assert ingest_once(NOW).counts == {"new ticket": 1}


def test_two_ingesters_at_once_ingest_every_message_exactly_once(app, mailbox, ann):
    for n in range(12):
        mailbox.append(make_mail(ann.email, f"Message {n}"), RECEIVED_AT)
    start = threading.Barrier(2)
    reports, errors = [], []

    def ingester():
        with app.app_context():
            try:
                start.wait()
                reports.append(ingest_once(NOW))
                reports.append(ingest_once(NOW))
            except Exception as error:  # reported to the test below
                errors.append(error)
            finally:
                db.session.remove()

    workers = [threading.Thread(target=ingester) for _ in range(2)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(timeout=60)

    assert errors == []
    assert sum(r.counts.get("new ticket", 0) for r in reports) == 12
    assert (count(Ticket), count(OutboxMessage), count(MailReceipt)) == (12, 12, 12)
    assert len(mailbox.flagged_uids()) == 12


def test_a_batch_with_one_failing_message_commits_the_others_exactly_once(
        app, mailbox, ann, monkeypatch):
    _choke_on_poison(monkeypatch)
    first = make_mail(ann.email, "First", message_id="first@customer.example")
    for raw in (first, make_mail(ann.email, "Bad", "POISON"), first,
                make_mail(ann.email, "Re: First", in_reply_to="<first@customer.example>")):
        mailbox.append(raw, RECEIVED_AT)

    report = ingest_once(NOW)

    assert report.failed == 1
    assert report.counts == {"new ticket": 1, "duplicate": 1, "reply": 1}
    [ticket] = db.session.scalars(sa.select(Ticket)).all()
    assert [m.in_reply_to for m in ticket.messages] == [None, "first@customer.example"]
    assert (count(MailReceipt), count(OutboxMessage)) == (2, 1)  # the copy has no receipt
    assert last_uid() == 1  # the failed message keeps the position below it


def test_a_batch_syncs_its_files_before_its_commit(app, mailbox, ann, monkeypatch):
    events = []
    real_sync, real_commit = BlobStore.sync, db.session.commit
    monkeypatch.setattr(BlobStore, "sync",
                        lambda store: events.append(
                            ("sync", len({p for p in store.unsynced if p.is_file()})))
                        or real_sync(store))
    monkeypatch.setattr(db.session, "commit", lambda: events.append("commit") or real_commit())
    mailbox.append(make_mail(ann.email, "One"), RECEIVED_AT)
    mailbox.append(make_mail(ann.email, "Two", attachments=(
        ("log.txt", "text/plain", b"Traceback ..."),)), RECEIVED_AT)
    mailbox.append(make_mail(ann.email, "Three", attachments=(
        ("dump.bin", "application/octet-stream", bytes(RAW_MAIL_INLINE_BYTES)),)), RECEIVED_AT)

    assert ingest_once(NOW).counts == {"new ticket": 3}
    # Two attachments and the one raw message too large for its row, in one round.
    assert ("sync", 3) in events
    assert events[events.index(("sync", 3)) + 1] == "commit"


def test_batches_a_failed_parsing_worker_did_not_parse_are_parsed_by_the_ingester(
        app, mailbox, ann, monkeypatch):
    monkeypatch.setattr(ingest, "FETCH_BATCH_MESSAGES", 1)

    def worker_died(parser, raws):
        parsing = Future()
        parsing.set_exception(BrokenProcessPool("a parsing worker died"))
        return parsing

    monkeypatch.setattr(parse_ahead.AheadParser, "start", worker_died)
    for subject in ("One", "Two", "Three"):
        mailbox.append(make_mail(ann.email, subject), RECEIVED_AT)

    assert ingest_once(NOW).counts == {"new ticket": 3}
    assert list(db.session.scalars(sa.select(Ticket.subject).order_by(Ticket.id))) == [
        "One", "Two", "Three"]
    assert last_uid() == 3


def test_a_pass_whose_parsing_worker_cannot_start_parses_in_the_ingester(
        app, mailbox, ann, monkeypatch):
    monkeypatch.setattr(ingest, "FETCH_BATCH_MESSAGES", 1)

    def no_processes(*args, **kwargs):
        raise OSError(errno.EAGAIN, "Resource temporarily unavailable")

    monkeypatch.setattr(parse_ahead, "ProcessPoolExecutor", no_processes)
    for subject in ("One", "Two", "Three"):
        mailbox.append(make_mail(ann.email, subject), RECEIVED_AT)

    assert ingest_once(NOW).counts == {"new ticket": 3}
    assert last_uid() == 3


@pytest.mark.parametrize("effect", ["exit_at_once", "killed", "segfault", "endless"])
def test_a_message_that_kills_the_ingester_is_held_and_its_neighbours_become_tickets(
        app, client, mailbox, ann, effect):
    """Each pass dies on it, until its attempts, counted before the work, are used up."""
    app.config.update(INGEST_MAX_ATTEMPTS=2, INGEST_PARSE_WORKERS=0, INGEST_PARSE_SECONDS=2)
    before = mailbox.append(make_mail(ann.email, "Before"), RECEIVED_AT)
    poison = mailbox.append(make_mail(ann.email, "Bad", "POISON"), RECEIVED_AT)
    after = mailbox.append(make_mail(ann.email, "After"), RECEIVED_AT)

    exits = [run_poisoned_ingester(app, effect) for _ in range(4)]

    db.session.expire_all()
    if effect == "endless":  # the time limit ends the parse: an ordinary failed attempt
        assert exits == [0, 0, 0, 0]
        expected_error = "ParseTimeout: parsing took longer than 2 s"
    else:  # passes 1-3 die (the batch, then two counted attempts); pass 4 holds it
        assert 0 not in exits[:3] and exits[3] == 0
        expected_error = ingest.DIED_WHILE_INGESTING
    assert sorted(db.session.scalars(sa.select(Ticket.subject))) == ["After", "Before"]
    [held] = db.session.scalars(sa.select(HeldMessage)).all()
    assert held.reason == HeldReason.UNPARSABLE
    assert held.detail == f"failed 2 times: {expected_error}"
    assert b"POISON" in raw_bytes(held.raw_mail)
    assert mailbox.flagged_uids() == [before, poison, after] and last_uid() == after
    assert count(IngestFailure) == 0
    assert db.session.scalar(sa.select(MailboxState.attempting_through_uid)) is None
    sign_in(client, make_staff())  # agents see why it was held
    assert expected_error in client.get(f"/desk/held/{held.id}").get_data(as_text=True)


def test_a_mail_killed_in_as_often_as_attempts_are_allowed_is_still_tried_once_more(
        app, mailbox, ann, monkeypatch):
    """The process killed from outside, three times in a row, while working on an innocent
    mail (the batch, then twice alone): each death counts, but the third counted attempt is
    tried, not held unparsed."""
    app.config.update(INGEST_MAX_ATTEMPTS=3, INGEST_PARSE_WORKERS=0)
    uid = mailbox.append(make_mail(ann.email, "Innocent"), RECEIVED_AT)

    def killed_from_outside(*args, **kwargs):
        raise Crash

    for _ in range(3):
        with monkeypatch.context() as patched:
            patched.setattr(inbound_mail, "queue_acknowledgement", killed_from_outside)
            with pytest.raises(Crash):
                ingest_once(NOW)
        db.session.rollback()  # what the database does when the process dies
    assert db.session.scalar(sa.select(IngestFailure.attempts)) == 2

    assert ingest_once(NOW).counts == {"new ticket": 1}
    assert list(db.session.scalars(sa.select(Ticket.subject))) == ["Innocent"]
    assert count(HeldMessage) == 0 and count(IngestFailure) == 0
    assert mailbox.flagged_uids() == [uid] and last_uid() == uid
