"""Erasing a person's data (on request, or with their organisation): the database part.

One transaction pseudonymises or deletes every row that holds the person and lists the blob
files to delete in `erasure_file`; `erasure_files` deletes them after the commit, resumably.
Tickets, response records and events stay, so the statistics do not change.
"""
import hashlib
import json
import secrets
from datetime import datetime

import sqlalchemy as sa

from helpdesk.domain.redaction import Redactor, person
from helpdesk.extensions import db
from helpdesk.models import (
    Attachment,
    AuditEntry,
    CaughtMail,
    Contact,
    ErasureCertificate,
    ErasureFile,
    HeldMessage,
    LinkRequest,
    MailReceipt,
    Message,
    OutboxMessage,
    RawMail,
    SignInFailure,
    SignInToken,
    StaffMember,
    Ticket,
    TicketEvent,
)
from helpdesk.services.people import audit
from helpdesk.services.people.directory import new_session_token

CONTACT = "contact"
ORGANISATION = "organisation"
REQUEST = "request"
RETENTION = "retention"
COMMAND_LINE = "command line"
# Free text where a person may be quoted: (model, text columns, JSON columns).
FREE_TEXT = (
    (Ticket, ("subject",), ("details",)),
    (Message, ("sender", "body_text", "body_html"), ()),
    (Attachment, ("filename",), ()),
    (TicketEvent, ("before", "after"), ()),
    (OutboxMessage, ("subject", "body_text", "body_html"), ("headers",)),
    (HeldMessage, ("sender", "subject", "detail", "resolution"), ()),
)
# Terms per query: SQLite's parser nests each OR one level deeper (at most 1000).
TERMS_PER_QUERY = 60


def instructed_by(by: StaffMember | None, reason: str = REQUEST) -> str:
    if reason == RETENTION:
        return RETENTION
    return f"staff:{by.id}" if by else COMMAND_LINE


def new_pseudonym(kind: str = "Contact", taken: frozenset[str] = frozenset()) -> str:
    """Random, so it reveals nothing (one derived from the address could be guessed back)."""
    while True:
        pseudonym = f"{kind} {secrets.token_hex(3)}"
        if pseudonym not in taken and not db.session.scalar(sa.select(ErasureCertificate.id)
                                 .filter_by(pseudonym=pseudonym)) and \
                not db.session.scalar(sa.select(Contact.id).filter_by(name=pseudonym)):
            return pseudonym


def erase_people(contacts: list[Contact], now: datetime, counts: dict[str, int],
                 files: set[str]) -> list[str]:
    """The building block: every row that holds these people, pseudonymised or deleted.

    Counts go into `counts` per table, the blob files their rows named into `files`; returns
    each person's pseudonym.
    """
    pseudonyms: list[str] = []
    for _ in contacts:
        pseudonyms.append(new_pseudonym(taken=frozenset(pseudonyms)))
    people = [person(p, c.email, c.name, c.phone)
              for c, p in zip(contacts, pseudonyms, strict=True)]
    by_id = {c.id: p for c, p in zip(contacts, people, strict=True)}
    ids = list(by_id)
    emails = [c.email.lower() for c in contacts]
    redactor = Redactor(people)
    raw_ids: set[int] = set()

    def add(table: str, number: int) -> None:
        if number:
            counts[table] = counts.get(table, 0) + number

    # Their messages: the sender shown becomes the pseudonym; sources and attachments go.
    own = db.session.execute(sa.select(Message.id, Message.author_contact_id, Message.raw_mail_id)
                             .where(Message.author_contact_id.in_(ids))).all()
    for message_id, author_id, raw_id in own:
        db.session.execute(sa.update(Message).where(Message.id == message_id)
                           .values(sender=by_id[author_id].pseudonym))
        if raw_id:
            raw_ids.add(raw_id)
    add("message", len(own))
    own_ids = [row.id for row in own]
    if own_ids:
        attachments = db.session.execute(
            sa.select(Attachment.id, Attachment.storage_path)
            .where(Attachment.message_id.in_(own_ids))).all()
        if attachments:
            db.session.execute(sa.delete(Attachment).where(
                Attachment.id.in_([a.id for a in attachments])))
            files.update(a.storage_path for a in attachments)
            add("attachment", len(attachments))

    # Mail to and from them: outbox rows (and what the catcher kept), held mail.
    outbox_ids = db.session.scalars(sa.select(OutboxMessage.id).where(
        sa.func.lower(OutboxMessage.to_address).in_(emails))).all()
    caught = sa.or_(sa.func.lower(CaughtMail.envelope_from).in_(emails),
                    *[sa.func.lower(sa.cast(CaughtMail.recipients, sa.Text)).contains(
                        e, autoescape=True) for e in emails])
    if outbox_ids:
        caught = sa.or_(caught, CaughtMail.outbox_message_id.in_(outbox_ids))
    add("caught_mail", db.session.execute(sa.delete(CaughtMail).where(caught)).rowcount)
    if outbox_ids:
        add("outbox_message", db.session.execute(
            sa.delete(OutboxMessage).where(OutboxMessage.id.in_(outbox_ids))).rowcount)
    held = db.session.execute(sa.select(HeldMessage.id, HeldMessage.raw_mail_id).where(
        sa.func.lower(HeldMessage.sender).in_(emails))).all()
    if held:
        held_ids = [h.id for h in held]
        raw_ids.update(h.raw_mail_id for h in held if h.raw_mail_id)
        db.session.execute(sa.update(MailReceipt).where(MailReceipt.held_message_id.in_(held_ids))
                           .values(held_message_id=None))
        add("held_message", db.session.execute(
            sa.delete(HeldMessage).where(HeldMessage.id.in_(held_ids))).rowcount)

    # Free text quoting them anywhere; a message whose text did loses its source too, which
    # holds the same words and cannot be altered.
    for model, columns, json_columns in FREE_TEXT:
        changed = _redact_rows(model, columns, json_columns, redactor)
        # Their own messages are counted once already.
        add(model.__tablename__, len(set(changed) - set(own_ids)) if model is Message
            else len(changed))
        if model is Message and changed:
            raw_ids.update(db.session.scalars(sa.select(Message.raw_mail_id).where(
                Message.id.in_(changed), Message.raw_mail_id.is_not(None))))
    for entry in _matching(AuditEntry, ("detail",), (), redactor):
        audit.redact_detail(entry, redactor.text(entry.detail))
        add("audit_entry", 1)

    _delete_raw_mail(raw_ids, files, add)

    # Their ways in: sign-in links, queued link requests, counted failures, sessions.
    add("sign_in_token", db.session.execute(
        sa.delete(SignInToken).where(SignInToken.contact_id.in_(ids))).rowcount)
    add("link_request", db.session.execute(
        sa.delete(LinkRequest).where(sa.func.lower(LinkRequest.email).in_(emails))).rowcount)
    failures = sa.or_(*[SignInFailure.key.contains(e, autoescape=True) for e in emails])
    add("sign_in_failure", db.session.execute(sa.delete(SignInFailure).where(failures)).rowcount)
    for contact in contacts:
        pseudonym = by_id[contact.id].pseudonym
        contact.email = f"{pseudonym.split()[-1]}@erased.invalid"
        contact.name = pseudonym
        contact.job_title = contact.phone = contact.birth_date = None
        contact.gender = contact.education_level = contact.password_hash = None
        contact.is_super_user = False
        contact.active = False
        contact.session_token = new_session_token()  # every session ends
        contact.erased_at = now
    add("contact", len(contacts))
    db.session.flush()
    return pseudonyms


def _matching(model, columns, json_columns, redactor: Redactor) -> list:
    """The rows of `model` whose text may quote someone (lower-cased LIKE), without doubles."""
    terms = redactor.lowered_terms()
    expressions = [sa.func.lower(getattr(model, c)) for c in columns]
    expressions += [sa.func.lower(sa.cast(getattr(model, c), sa.Text)) for c in json_columns]
    found: dict[int, object] = {}
    for start in range(0, len(terms), TERMS_PER_QUERY):
        chunk = terms[start:start + TERMS_PER_QUERY]
        for expression in expressions:
            condition = sa.or_(*[expression.contains(t, autoescape=True) for t in chunk])
            for row in db.session.scalars(sa.select(model).where(condition)):
                found.setdefault(row.id, row)
    return list(found.values())


def _redact_rows(model, columns, json_columns, redactor: Redactor) -> list[int]:
    """Replace the terms in every matching row; the ids of rows that changed."""
    changed = []
    for row in _matching(model, columns, json_columns, redactor):
        before = [getattr(row, c) for c in (*columns, *json_columns)]
        for column in columns:
            setattr(row, column, redactor.text(getattr(row, column)))
        for column in json_columns:
            setattr(row, column, redactor.data(getattr(row, column)))
        if before != [getattr(row, c) for c in (*columns, *json_columns)]:
            changed.append(row.id)
    db.session.flush()
    return changed


def _delete_raw_mail(raw_ids: set[int], files: set[str], add) -> None:
    if not raw_ids:
        return
    ids = sorted(raw_ids)
    db.session.execute(sa.update(Message).where(Message.raw_mail_id.in_(ids))
                       .values(raw_mail_id=None))
    db.session.execute(sa.update(MailReceipt).where(MailReceipt.raw_mail_id.in_(ids))
                       .values(raw_mail_id=None))
    db.session.execute(sa.update(HeldMessage).where(HeldMessage.raw_mail_id.in_(ids))
                       .values(raw_mail_id=None))
    files.update(db.session.scalars(sa.select(RawMail.blob_path).where(
        RawMail.id.in_(ids), RawMail.blob_path.is_not(None))))
    add("raw_mail", db.session.execute(sa.delete(RawMail).where(RawMail.id.in_(ids))).rowcount)


def still_named(paths: set[str]) -> set[str]:
    """The files some remaining row still names (the store is content-addressed: shared)."""
    if not paths:
        return set()
    listed = sorted(paths)
    return (set(db.session.scalars(sa.select(Attachment.storage_path)
                                   .where(Attachment.storage_path.in_(listed))))
            | set(db.session.scalars(sa.select(RawMail.blob_path)
                                     .where(RawMail.blob_path.in_(listed)))))


def certify(kind: str, pseudonym: str, now: datetime, instructed: str, reason: str,
            counts: dict[str, int], files: set[str]) -> ErasureCertificate:
    """The certificate, and the files still to delete, in the erasure's transaction."""
    files = files - still_named(files)
    certificate = ErasureCertificate(
        subject_kind=kind, pseudonym=pseudonym, erased_at=now, instructed_by=instructed,
        reason=reason, counts={"rows": dict(sorted(counts.items())), "files": len(files)},
        digest="")
    db.session.add(certificate)
    db.session.flush()
    certificate.digest = digest(certificate)
    db.session.add_all(ErasureFile(certificate_id=certificate.id, path=p) for p in sorted(files))
    return certificate


def canonical(certificate: ErasureCertificate) -> str:
    """The certificate as one canonical JSON text: what the digest is computed over."""
    return json.dumps({
        "id": certificate.id, "subject_kind": certificate.subject_kind,
        "pseudonym": certificate.pseudonym,
        "erased_at": certificate.erased_at.isoformat().replace("+00:00", "Z"),
        "instructed_by": certificate.instructed_by, "reason": certificate.reason,
        "counts": certificate.counts}, sort_keys=True, separators=(",", ":"), ensure_ascii=True)


def digest(certificate: ErasureCertificate) -> str:
    return hashlib.sha256(canonical(certificate).encode()).hexdigest()


def touched_tables(certificate: ErasureCertificate) -> list[str]:
    return sorted(certificate.counts["rows"])


def certificate(certificate_id: int) -> ErasureCertificate | None:
    return db.session.get(ErasureCertificate, certificate_id)
