"""The administration page: the mailbox and its state, retention, every setting, no secret."""
from datetime import UTC, datetime

import pytest

from helpdesk.extensions import db
from helpdesk.models import MailboxState, StaffRole
from helpdesk.settings import SETTINGS
from tests.conftest import sign_in
from tests.fixtures.factories import make_staff

SECRETS = {"IMAP_PASSWORD": "imap-pass-4f1c9", "MAIL_PASSWORD": "smtp-pass-8d2e7",
           "SECRET_KEY": "session-key-77aa1"}


@pytest.fixture
def admin_client(client, app):
    app.config.update(IMAP_HOST="imap.desk.example", IMAP_PORT=993, IMAP_USER="desk",
                      IMAP_FOLDER="INBOX", IMAP_SECURITY="ssl", **SECRETS)
    sign_in(client, make_staff(StaffRole.ADMIN, language="en"))
    return client


def test_the_page_shows_the_mailbox_and_its_last_pass(admin_client):
    db.session.add(MailboxState(mailbox="desk@imap.desk.example:993/INBOX", uidvalidity=1,
                                last_uid=5, last_pass_at=datetime(2026, 11, 30, 9, tzinfo=UTC),
                                last_error="MailboxError: connection reset", mail_waiting=2))
    db.session.commit()
    page = admin_client.get("/admin/").get_data(as_text=True)
    for text in ("imap.desk.example", "993", "ssl", "desk", "INBOX",
                 "MailboxError: connection reset", '<dd id="mailbox-waiting">2</dd>'):
        assert text in page


def test_no_secret_value_appears_on_the_page(admin_client):
    page = admin_client.get("/admin/").get_data(as_text=True)
    assert "HELPDESK_IMAP_PASSWORD" in page and "HELPDESK_SECRET_KEY" in page
    for value in SECRETS.values():
        assert value not in page
    assert admin_client.application.config["SQLALCHEMY_DATABASE_URI"] not in page


def test_the_page_says_no_retention_period_is_set(admin_client):
    page = admin_client.get("/admin/").get_data(as_text=True)
    assert "No retention period is set" in page


def test_every_setting_is_on_the_page(admin_client):
    page = admin_client.get("/admin/").get_data(as_text=True)
    for setting in SETTINGS:
        assert f'id="setting-{setting.variable}"' in page
