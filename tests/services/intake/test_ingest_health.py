"""Each pass records, on the folder's state, when it ended, what stopped it, and mail left."""
import pytest
import sqlalchemy as sa

from helpdesk.adapters.imap import ImapSession, MailboxError
from helpdesk.extensions import db
from helpdesk.models import MailboxState
from helpdesk.services.intake import ingest
from helpdesk.services.intake.ingest import ingest_once
from tests.fixtures.factories import make_contact
from tests.fixtures.mail import NOW, RECEIVED_AT, make_mail


def _state() -> MailboxState:
    db.session.expire_all()
    return db.session.scalars(sa.select(MailboxState)).one()


def test_a_pass_records_when_it_ended_and_that_no_mail_waits(app, mailbox):
    make_contact(email="ann@customer.example")
    mailbox.append(make_mail("ann@customer.example", "Export fails", "Steps."), RECEIVED_AT)
    ingest_once(NOW)
    state = _state()
    assert (state.last_pass_at, state.last_error, state.mail_waiting) == (NOW, None, 0)


def test_a_failing_message_is_counted_as_waiting(app, mailbox, monkeypatch):
    make_contact(email="ann@customer.example")
    mailbox.append(make_mail("ann@customer.example", "One", "Fine."), RECEIVED_AT)
    mailbox.append(make_mail("ann@customer.example", "Two", "Breaks."), RECEIVED_AT)
    real_stage_kept = ingest.stage_kept

    def failing_second(kept, **kwargs):
        if kwargs["source"].uid == max(mailbox.uids()):
            raise RuntimeError("cannot store this one")
        return real_stage_kept(kept, **kwargs)

    monkeypatch.setattr(ingest, "stage_kept", failing_second)
    report = ingest_once(NOW)
    assert report.failed == 1
    state = _state()
    assert (state.last_pass_at, state.last_error, state.mail_waiting) == (NOW, None, 1)


def test_a_pass_that_fails_records_its_error_and_a_good_one_clears_it(app, mailbox,
                                                                      monkeypatch):
    make_contact(email="ann@customer.example")
    mailbox.append(make_mail("ann@customer.example", "Export fails", "Steps."), RECEIVED_AT)

    def broken(self, uids):
        raise MailboxError("the server went away")

    with monkeypatch.context() as patch:
        patch.setattr(ImapSession, "fetch_raw", broken)
        with pytest.raises(MailboxError):
            ingest_once(NOW)
    state = _state()
    assert state.last_pass_at == NOW
    assert state.last_error == "MailboxError: the server went away"

    ingest_once(NOW)
    state = _state()
    assert (state.last_error, state.mail_waiting) == (None, 0)
