"""A manager sends a super-user a sign-in link: the portal's own token and mail, audited."""
from datetime import UTC, datetime

import pytest
import sqlalchemy as sa
from flask_babel import force_locale

from helpdesk.extensions import db
from helpdesk.models import AuditEntry, OrganisationStatus, OutboxMessage, SignInToken, StaffRole
from helpdesk.services import Refusal
from helpdesk.services.portal import link_mail
from tests.fixtures.factories import make_contact, make_organisation, make_staff

NOW = datetime(2026, 11, 30, 9, 0, tzinfo=UTC)


@pytest.fixture
def manager(app):
    return make_staff(StaffRole.MANAGER)


def test_the_link_mail_is_queued_in_the_outbox_and_the_sending_audited(manager):
    contact = make_contact(language="nl")
    link_mail.send_sign_in_link(contact, NOW, manager)
    [mail] = db.session.scalars(sa.select(OutboxMessage)).all()
    assert (mail.kind, mail.to_address, mail.language) == ("sign_in_link", contact.email, "nl")
    assert "/portal/sign-in/link/" in mail.body_text
    [token] = db.session.scalars(sa.select(SignInToken)).all()
    assert (token.contact_id, token.purpose, token.created_at) == (contact.id, "sign-in", NOW)
    [entry] = db.session.scalars(sa.select(AuditEntry)).all()
    assert (entry.action, entry.staff_id, entry.subject_id) == (
        link_mail.LINK_SENT, manager.id, contact.id)


@pytest.mark.parametrize("contact_fields", [
    {"is_super_user": False}, {"active": False}])
def test_a_link_for_someone_who_cannot_use_the_portal_is_refused(manager, contact_fields):
    contact = make_contact(**contact_fields)
    with pytest.raises(Refusal) as refused:
        link_mail.send_sign_in_link(contact, NOW, manager)
    with force_locale("nl"):
        assert str(refused.value) != refused.value.message
    assert db.session.scalar(sa.select(OutboxMessage.id)) is None


def test_no_link_for_an_organisation_whose_contract_ended(manager):
    contact = make_contact(make_organisation(status=OrganisationStatus.ENDED))
    with pytest.raises(Refusal):
        link_mail.send_sign_in_link(contact, NOW, manager)


def test_links_are_limited_like_the_portals_own(app, manager):
    contact = make_contact()
    for _ in range(app.config["SIGN_IN_FAILURES_PER_ACCOUNT"]):
        link_mail.send_sign_in_link(contact, NOW, manager)
    with pytest.raises(Refusal):
        link_mail.send_sign_in_link(contact, NOW, manager)
