"""Mail imported from .eml and mbox files: each mail delivered once, at the moment it arrived."""
import os
from datetime import UTC, datetime

import sqlalchemy as sa

from helpdesk.extensions import db
from helpdesk.models import HeldMessage, MailReceipt, Message, OutboxMessage, StaffRole, Ticket
from helpdesk.services.escalation import sweep
from helpdesk.services.intake import mail_import
from helpdesk.services.intake.inbound_mail import Outcome
from helpdesk.services.intake.raw_mail import raw_bytes
from tests.fixtures.corpus import CORPUS, require_corpus
from tests.fixtures.factories import make_contact, make_staff
from tests.fixtures.mail import NOW, make_mail

ANN = "ann@customer.example"


def _lf(raw: bytes) -> bytes:
    """As a mail program stores mail in an mbox: LF line ends."""
    return raw.replace(b"\r\n", b"\n")


def _mbox(*mails: tuple[str, bytes]) -> bytes:
    """An mboxrd file: a From_ line per mail, body lines starting (>*)From escaped once more."""
    parts = []
    for envelope_date, raw in mails:
        body = b"\n".join(b">" + line if line.lstrip(b">").startswith(b"From ") else line
                          for line in _lf(raw).split(b"\n"))
        parts.append(b"From " + ANN.encode() + b"  " + envelope_date.encode() + b"\n"
                     + body.rstrip(b"\n") + b"\n\n")
    return b"".join(parts)


def _outcomes(report: mail_import.FileReport) -> dict:
    return {outcome.value: n for outcome, n in report.outcomes.items() if n}


def test_an_eml_file_becomes_a_ticket_and_importing_it_again_adds_nothing(app, tmp_path):
    make_contact(email=ANN)
    path = tmp_path / "saved.eml"
    path.write_bytes(make_mail(ANN, "Export fails"))

    first = mail_import.import_file(path, NOW)
    again = mail_import.import_file(path, NOW)

    assert (_outcomes(first), _outcomes(again)) == ({"new ticket": 1}, {"duplicate": 1})
    assert first.summary() == "1 new ticket, 0 replies, 0 held, 0 already there"
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Ticket)) == 1
    assert db.session.scalars(sa.select(MailReceipt.mailbox)).all() == ["import"]


def test_an_mbox_is_read_mail_by_mail_with_from_lines_unescaped_and_replies_threaded(
        app, tmp_path):
    make_contact(email=ANN)
    first = make_mail(ANN, "Export fails", "It breaks.\nFrom the start it failed.",
                      message_id="first@customer.example")
    reply = make_mail(ANN, "Re: Export fails", "Quoted:\n>From a line quoted before.",
                      in_reply_to="first@customer.example", message_id="reply@customer.example")
    stranger = make_mail("who@elsewhere.example", "Hello")
    path = tmp_path / "export.mbox"
    path.write_bytes(_mbox(("Mon Nov 16 08:00:00 2026", first),
                           ("Mon Nov 16 09:30:00 2026", reply),
                           ("Tue Nov 17 10:00:00 2026", stranger)))

    report = mail_import.import_file(path, NOW)

    assert _outcomes(report) == {"new ticket": 1, "reply": 1, "held": 1}
    ticket = db.session.scalars(sa.select(Ticket)).one()
    opening, answer = sorted(ticket.messages, key=lambda m: m.created_at)
    assert "From the start it failed." in opening.body_text
    assert raw_bytes(opening.raw_mail) == first  # as written (CRLF, as on the wire), unescaped
    assert raw_bytes(answer.raw_mail) == reply  # ">>From" in the file: ">From" again
    assert opening.created_at == datetime(2026, 11, 16, 8, 0, tzinfo=UTC)  # the From_ line
    assert answer.created_at == datetime(2026, 11, 16, 9, 30, tzinfo=UTC)
    assert db.session.scalars(sa.select(HeldMessage.sender)).all() == ["who@elsewhere.example"]
    assert _outcomes(mail_import.import_file(path, NOW)) == {"duplicate": 3}


def test_a_mail_without_a_sane_past_moment_is_received_now(app):
    future = make_mail(ANN).replace(b"Date: Mon, 23 Nov 2026 09:00:00 +0000",
                                    b"Date: Mon, 23 Nov 2099 09:00:00 +0000")
    undated = make_mail(ANN).replace(b"Date: Mon, 23 Nov 2026 09:00:00 +0000",
                                     b"Date: sometime last week")
    assert b"2099" in future and b"last week" in undated
    later = datetime(2026, 12, 1, tzinfo=UTC)

    assert mail_import.received_at(future, None, NOW) == NOW
    assert mail_import.received_at(undated, None, NOW) == NOW
    assert mail_import.received_at(make_mail(ANN), later, NOW) == datetime(
        2026, 11, 23, 9, 0, tzinfo=UTC)  # an envelope in the future: the Date header


def test_an_oversize_mail_is_refused_on_its_own_line_and_the_others_go_on(app, tmp_path):
    make_contact(email=ANN)
    app.config["MAX_MESSAGE_BYTES"] = 3000
    small = make_mail(ANN, "Small")
    large = make_mail(ANN, "Large", "x" * 4000)
    path = tmp_path / "mixed.mbox"
    path.write_bytes(_mbox(("Mon Nov 16 08:00:00 2026", large),
                           ("Mon Nov 16 08:05:00 2026", small)))

    report = mail_import.import_file(path, NOW)

    assert _outcomes(report) == {"new ticket": 1}
    assert len(report.failures) == 1
    assert report.failures[0].startswith("mail 1: The mail is ")
    assert "over the limit of 3000" in report.failures[0]


def test_a_file_that_cannot_be_read_is_one_failure_and_the_next_file_is_imported(
        app, tmp_path):
    make_contact(email=ANN)
    path = tmp_path / "saved.eml"
    path.write_bytes(make_mail(ANN))

    missing, found = mail_import.import_files([str(tmp_path / "gone.eml"), str(path)], NOW)

    assert missing.failures == [
        f"cannot read it: [Errno 2] No such file or directory: '{tmp_path / 'gone.eml'}'"]
    assert _outcomes(found) == {"new ticket": 1}


def test_a_mail_that_came_in_over_the_wire_is_recognised_in_an_mbox_with_lf_line_ends(
        app, tmp_path):
    make_contact(email=ANN)
    arrived = make_mail(ANN, "Export fails", "It breaks.\nSince this morning.")  # CRLF
    saved = tmp_path / "arrived.eml"
    saved.write_bytes(arrived)
    mail_import.import_file(saved, NOW)
    exported = tmp_path / "client-export.mbox"
    exported.write_bytes(_mbox(("Mon Nov 16 08:00:00 2026", arrived)))

    report = mail_import.import_file(exported, NOW)

    assert _outcomes(report) == {"duplicate": 1}
    assert raw_bytes(db.session.scalars(sa.select(Message)).one().raw_mail) == arrived


def test_a_large_single_mail_is_refused_without_reading_it_whole(app, tmp_path):
    app.config["MAX_MESSAGE_BYTES"] = 3000
    path = tmp_path / "huge.eml"
    path.write_bytes(make_mail(ANN, "Huge", "x" * 50_000))

    [raw] = [raw for raw, _ in mail_import.read_mails(path, 3000)]
    report = mail_import.import_file(path, NOW)

    assert len(raw) == 3001
    assert "over the limit of 3000" in report.failures[0]


def test_a_fifo_is_refused_as_not_a_regular_file_instead_of_read_forever(app, tmp_path):
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)

    report = mail_import.import_file(fifo, NOW)

    assert report.failures == [f"cannot read it: {fifo} is not a regular file"]


def test_old_imported_mail_breaches_into_one_summary_not_a_mail_per_ticket(app, tmp_path):
    make_contact(email=ANN)
    make_staff(StaffRole.MANAGER)
    path = tmp_path / "old.mbox"
    path.write_bytes(_mbox(*((f"Mon Oct {day} 09:00:00 2026", make_mail(ANN, f"Old {day}"))
                             for day in (12, 13, 14))))
    assert _outcomes(mail_import.import_file(path, NOW)) == {"new ticket": 3}

    sweep.sweep(NOW)

    kinds = db.session.scalars(sa.select(OutboxMessage.kind)
                               .where(OutboxMessage.kind != "acknowledgement")).all()
    assert kinds == ["late_breaches"]
    assert all(t.breached for t in db.session.scalars(sa.select(Ticket)))


def test_real_mails_from_the_corpus_are_imported_once(app, mail_corpus, tmp_path):
    root = require_corpus(CORPUS)
    files = [str(root / "zammad" / "mail001.box"), str(root / "flanker" / "torture.eml"),
             str(root / "cpython" / "msg_02.txt")]

    reports = mail_import.import_files(files, NOW)
    again = mail_import.import_files(files, NOW)

    assert [r.failures for r in reports] == [[], [], []]
    assert [sum(r.outcomes.values()) for r in reports] == [1, 1, 1]
    assert [_outcomes(r) for r in again] == [{"duplicate": 1}] * 3
    assert db.session.scalar(sa.select(sa.func.count()).select_from(HeldMessage)) == 3
    assert not db.session.scalar(sa.select(sa.func.count()).select_from(Message))
    assert Outcome.HELD in reports[0].outcomes
