from pathlib import Path

import sqlalchemy as sa

from helpdesk.adapters.storage import blob_store
from helpdesk.extensions import db
from helpdesk.models import RawMail
from helpdesk.services.intake.raw_mail import RAW_MAIL_INLINE_BYTES, keep_raw, raw_bytes


def stored_files(app) -> list[Path]:
    return [p for p in Path(app.config["BLOB_STORE"]).rglob("*") if p.is_file()]


def test_small_mail_is_kept_in_its_row_without_a_file(app):
    raw = b"From: ann@customer.example\r\n\r\nIt breaks.\r\n"
    db.session.add(keep_raw(raw, blob_store()))
    db.session.commit()
    db.session.expunge_all()

    [kept] = db.session.scalars(sa.select(RawMail)).all()
    assert (kept.blob_path, raw_bytes(kept)) == (None, raw)
    assert stored_files(app) == []


def test_mail_over_the_row_limit_is_kept_in_the_blob_store(app):
    raw = b"From: ann@customer.example\r\n\r\n" + b"x" * RAW_MAIL_INLINE_BYTES
    db.session.add(keep_raw(raw, blob_store()))
    db.session.commit()
    db.session.expunge_all()

    [kept] = db.session.scalars(sa.select(RawMail)).all()
    assert kept.content is None and raw_bytes(kept) == raw
    assert [p.read_bytes() for p in stored_files(app)] == [raw]
