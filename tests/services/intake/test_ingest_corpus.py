"""Every message of the shared real-world corpus goes through the ingester: ticket or held."""
from pathlib import Path

import sqlalchemy as sa

from helpdesk.adapters.storage import blob_store
from helpdesk.domain.mail.parse import parse_email
from helpdesk.extensions import db
from helpdesk.models import Contact, HeldMessage, MailReceipt, Message
from helpdesk.services import Refusal
from helpdesk.services.intake import ingest
from helpdesk.services.intake.inbound_mail import MailSource, Staging, keep, stage_kept
from helpdesk.services.intake.ingest import ingest_once
from helpdesk.services.people.directory import normalise_email
from tests.fixtures.corpus import corpus_files
from tests.fixtures.factories import make_organisation
from tests.fixtures.mail import NOW, RECEIVED_AT

# A spread through Dovecot as well: every n-th file of the sorted corpus.
THROUGH_DOVECOT_EVERY = 20
COMMIT_EVERY = ingest.FETCH_BATCH_MESSAGES  # as the ingester commits a fetched batch


def sender_of(raw: bytes) -> str | None:
    """The From address, read from the header block alone (quick)."""
    ends = [i for i in (raw.find(b"\n\n"), raw.find(b"\n\r\n")) if i >= 0]
    return parse_email(raw[:min(ends)] + b"\n\n" if ends else raw).from_address


def registrable(address: str | None) -> bool:
    try:
        return address is not None and normalise_email(address) == address
    except Refusal:
        return False


def register_senders(corpus: Path, files: list[str]) -> None:
    """Every corpus sender we could register a super-user, so mail reaches the ticket path."""
    organisation = make_organisation()
    senders = set(filter(registrable, (sender_of((corpus / f).read_bytes()) for f in files)))
    db.session.add_all(
        Contact(organisation=organisation, email=address, name=address, is_super_user=True,
                session_token="x", created_at=NOW)
        for address in sorted(senders))
    db.session.commit()


def ends_as_a_ticket_message_or_a_held_message(receipt: MailReceipt) -> bool:
    if receipt.message_id is not None:
        return db.session.get(Message, receipt.message_id) is not None
    return db.session.get(HeldMessage, receipt.held_message_id) is not None


def test_every_corpus_message_is_ingested_as_a_ticket_message_or_held(app, mail_corpus):
    files = corpus_files()
    register_senders(mail_corpus, files)
    problems, keys = [], {}
    for n, relative_path in enumerate(files, start=1):
        raw = (mail_corpus / relative_path).read_bytes()
        try:
            staging = Staging(blob_store())
            result = stage_kept(keep(raw, staging.store), received_at=RECEIVED_AT, now=NOW,
                                source=MailSource(), sla_terms=None, staging=staging)
            keys[relative_path] = (result.dedupe_key, result.fingerprint)
            if n % COMMIT_EVERY == 0 or n == len(files):
                db.session.commit()
        except Exception as error:  # collected, so one run shows them all
            db.session.rollback()
            problems.append(f"{relative_path}: {type(error).__name__}: {error}")
    for relative_path, (key, fingerprint) in keys.items():
        receipt = db.session.scalar(sa.select(MailReceipt).where(
            MailReceipt.dedupe_key == key, MailReceipt.fingerprint == fingerprint))
        if receipt is None or not ends_as_a_ticket_message_or_a_held_message(receipt):
            problems.append(f"{relative_path}: no ticket message or held message")
    assert problems == []
    held = db.session.scalar(sa.select(sa.func.count()).select_from(HeldMessage))
    messages = db.session.scalar(sa.select(sa.func.count()).select_from(Message))
    assert messages > 100 and held > 20  # both paths really ran


def test_a_spread_of_corpus_messages_goes_through_dovecot_and_the_ingester(app, mailbox,
                                                                           mail_corpus):
    files = corpus_files()[::THROUGH_DOVECOT_EVERY]
    register_senders(mail_corpus, files)
    for relative_path in files:
        mailbox.append((mail_corpus / relative_path).read_bytes(), RECEIVED_AT)
    report = ingest_once(NOW)
    assert report.failed == 0
    receipts = db.session.scalars(sa.select(MailReceipt)).all()
    assert all(map(ends_as_a_ticket_message_or_a_held_message, receipts))
    assert sum(report.counts.values()) == len(files)
    assert len(mailbox.flagged_uids()) == len(files)
