"""Erasing one person: nothing of them left in any table, file, index or free page."""
from datetime import date, timedelta

import pytest
import sqlalchemy as sa

from helpdesk.adapters.storage import blob_store
from helpdesk.domain.business_calendar import BusinessCalendar
from helpdesk.domain.periods import Period
from helpdesk.extensions import db
from helpdesk.models import (
    Attachment,
    Contact,
    ErasureCertificate,
    ErasureFile,
    HeldMessage,
    HeldReason,
    LinkRequest,
    Message,
    SignInToken,
    StaffRole,
    Ticket,
)
from helpdesk.services import Refusal
from helpdesk.services.intake.raw_mail import RAW_MAIL_INLINE_BYTES, keep_raw
from helpdesk.services.mail_out.outbox import queue_mail
from helpdesk.services.people import audit
from helpdesk.services.privacy import erase, erasure, erasure_files
from helpdesk.services.stats import figures
from helpdesk.services.tickets import lifecycle, search
from tests.conftest import DATABASE
from tests.fixtures.factories import make_contact, make_organisation, make_staff, make_ticket

EMAIL = "jan.jansen@klant.example"
NAME = "Jan Jansen"
PHONE = "+31 6 1234 5678"


def _person_everywhere(now):
    """Jan in every place a person's data lives, and a colleague whose data must stay."""
    organisation = make_organisation(slug="klant", name="Klant BV")
    jan = make_contact(organisation, email=EMAIL, name=NAME, phone=PHONE, job_title="Buyer",
                       birth_date=date(1980, 1, 2), gender="m", education_level="hbo")
    colleague = make_contact(organisation, email="piet@klant.example", name="Piet Puk")
    agent = make_staff(StaffRole.AGENT, name="Agent Anna")
    store = blob_store()
    audit.add_entry("contact_edit", now, agent, audit.CONTACT, jan.id, f"email: → {EMAIL}")
    ticket = make_ticket(jan, now=now, subject=f"{NAME} cannot sign in",
                         body_text=f"Call me on {PHONE} or mail {EMAIL.upper()}.",
                         details={"affected": f"{NAME} only"})
    small = keep_raw(f"From: {NAME} <{EMAIL}>\r\n\r\nHello\r\n".encode(), store)
    large = keep_raw(f"From: {EMAIL}\r\n\r\n".encode() + b"x" * RAW_MAIL_INLINE_BYTES, store)
    message = lifecycle.add_inbound_message(ticket, jan, "Any news? Regards, Jan Jansen",
                                            received_at=now, now=now, raw_mail=small)
    second = lifecycle.add_inbound_message(ticket, jan, "The log is attached.",
                                           received_at=now, now=now, raw_mail=large)
    path, digest = store.put(f"screenshot of {EMAIL}".encode(), ".png")
    db.session.add(Attachment(message=second, filename=f"{NAME}.png", content_type="image/png",
                              size=10, sha256=digest, storage_path=path))
    lifecycle.reply(ticket, agent, f"Dear {NAME}, try again.", now)
    queue_mail(to_address=EMAIL, kind="reply", subject=f"Re: {NAME} cannot sign in",
               body_text=f"Dear {NAME}", now=now, ticket=ticket)
    other = make_ticket(colleague, now=now, subject="Printer jams")
    lifecycle.add_note(other, agent, f"Ask jan jansen ({EMAIL.upper()}) first.", now)
    held_raw = keep_raw(f"From: {EMAIL}\r\n\r\nheld\r\n".encode(), store)
    db.session.add(HeldMessage(raw_mail=held_raw, sender=EMAIL, subject="Out of office",
                               reason=HeldReason.AUTOMATIC_REPLY, received_at=now))
    db.session.add(SignInToken(token_hash="a" * 64, contact_id=jan.id, purpose="sign-in",
                               created_at=now, expires_at=now + timedelta(hours=1)))
    db.session.add(LinkRequest(email=EMAIL, purpose="reset", requested_at=now))
    db.session.commit()
    return jan, colleague, ticket, message


def _board(now):
    """The dashboard's figures (its lists of late tickets show subjects, which are redacted)."""
    period = Period(now.date() - timedelta(days=7), now.date())
    board = figures.dashboard(figures.StatsFilter(period), now, BusinessCalendar())
    return (board.totals, board.trend, board.by_category,
            [(o.id, f) for o, f in board.by_organisation],
            [(a.id if a else None, f) for a, f in board.by_agent], board.time_bands,
            board.heatmap, board.outside_office_hours, board.backlog,
            len(board.late_responses), len(board.calamities))


def _text_columns():
    for table in db.Model.metadata.sorted_tables:
        for column in table.columns:
            if isinstance(column.type, (sa.String, sa.Text, sa.LargeBinary, sa.JSON)) or \
                    isinstance(getattr(column.type, "impl", None), (sa.String, sa.Text)):
                yield table, column


def _found_in_database(needles: list[str]) -> list[str]:
    found = []
    for table, column in _text_columns():
        for value in db.session.scalars(sa.select(column).where(column.is_not(None))):
            text = value.decode("utf-8", "replace") if isinstance(value, bytes) else str(value)
            found += [f"{table.name}.{column.name}: {n}" for n in needles
                      if n.lower() in text.lower()]
    return found


def _found_in_files(root, needles: list[str]) -> list[str]:
    found = []
    for path in root.rglob("*"):
        if path.is_file():
            content = path.read_bytes().lower()
            found += [f"{path.name}: {n}" for n in needles if n.lower().encode() in content]
    return found


def _database_files(app) -> list:
    from pathlib import Path
    database = Path(db.engine.url.database)
    return [p for p in (database, Path(f"{database}-wal")) if p.exists()]


def test_erasing_a_contact_leaves_nothing_of_them_anywhere(app, now, tmp_path):
    jan, colleague, ticket, message = _person_everywhere(now)
    needles = [EMAIL, NAME, PHONE]
    assert _found_in_database(needles) and _found_in_files(tmp_path / "blobs", needles)
    before = _board(now)
    if DATABASE == "sqlite":
        # Into the database file itself, where a deleted row would stay in a free page.
        db.session.execute(sa.text("PRAGMA wal_checkpoint(TRUNCATE)"))
        db.session.commit()

    certificate = erase.erase_contact(EMAIL, now)

    assert _found_in_database(needles) == []
    assert _found_in_files(tmp_path / "blobs", needles) == []
    if DATABASE == "sqlite":
        for path in _database_files(app):
            content = path.read_bytes().lower()
            assert [n for n in needles if n.lower().encode() in content] == [], path.name
    assert _board(now) == before
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Ticket)) == 2
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Message)) == 6
    erased = db.session.get(Contact, jan.id)
    assert erased.name == certificate.pseudonym and erased.erased_at == now
    assert erased.phone is None and erased.birth_date is None and not erased.active
    assert db.session.get(Message, message.id).sender == certificate.pseudonym
    assert db.session.get(Contact, colleague.id).email == "piet@klant.example"


def _search(text: str) -> list[int]:
    return db.session.scalars(sa.select(Ticket.id).where(search.ticket_condition(text))).all()


def test_search_finds_the_pseudonym_not_the_person(app, now):
    _person_everywhere(now)
    assert _search("jansen")
    certificate = erase.erase_contact(EMAIL, now)
    assert _search("jansen") == []
    assert _search(certificate.pseudonym.split()[-1])


def test_the_certificate_counts_what_went_and_holds_no_personal_data(app, now):
    _person_everywhere(now)
    certificate = erase.erase_contact(EMAIL, now)
    stored = db.session.get(ErasureCertificate, certificate.id)
    assert stored.instructed_by == erasure.COMMAND_LINE and stored.reason == erasure.REQUEST
    assert stored.counts["rows"]["contact"] == 1 and stored.counts["rows"]["held_message"] == 1
    assert stored.counts["rows"]["raw_mail"] == 3 and stored.counts["files"] == 2
    assert stored.digest == erasure.digest(stored)
    text = erasure.canonical(stored).lower()
    assert all(n.lower() not in text for n in (EMAIL, NAME, PHONE))


def test_a_crash_after_the_commit_is_finished_by_the_next_run(app, now, tmp_path):
    _person_everywhere(now)
    # The state a crash between the two steps leaves: the rows erased, the files listed.
    erase.erase_contact_rows(EMAIL, now)
    pending = db.session.scalars(sa.select(ErasureFile)).all()
    assert len(pending) == 2 and all(blob_store().path(f.path).exists() for f in pending)
    assert _found_in_files(tmp_path / "blobs", [EMAIL])

    assert erasure_files.finish_pending_files(now) == 2

    assert _found_in_files(tmp_path / "blobs", [EMAIL]) == []
    assert db.session.scalar(sa.select(sa.func.count()).select_from(ErasureFile)
                             .where(ErasureFile.deleted_at.is_(None))) == 0
    assert erasure_files.finish_pending_files(now) == 0


def test_a_file_still_named_by_another_message_is_kept(app, now):
    _person_everywhere(now)
    shared = db.session.scalar(sa.select(Attachment))
    other = db.session.scalar(sa.select(Message).where(Message.author_contact_id.is_(None)))
    db.session.add(Attachment(message=other, filename="copy.png", content_type="image/png",
                              size=10, sha256=shared.sha256, storage_path=shared.storage_path))
    db.session.commit()
    path = blob_store().path(shared.storage_path)
    erase.erase_contact(EMAIL, now)
    assert path.exists()


def test_erasing_an_unknown_or_erased_contact_is_refused(app, now):
    _person_everywhere(now)
    erase.erase_contact(EMAIL, now)
    with pytest.raises(Refusal):
        erase.erase_contact(EMAIL, now)
