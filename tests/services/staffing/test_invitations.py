"""Inviting staff by mail: the hashed, expiring token, the mail, and accepting it once."""
import hashlib
from datetime import timedelta

import pyotp
import pytest
import sqlalchemy as sa
from flask_babel import force_locale

from helpdesk.extensions import db
from helpdesk.models import AuditEntry, OutboxMessage, StaffInvitation, StaffMember, StaffRole
from helpdesk.services import Refusal
from helpdesk.services.staffing import invitations
from tests.fixtures.factories import make_staff

PASSWORD = "a long enough password"


def _token_from_mail() -> str:
    mail = db.session.scalars(sa.select(OutboxMessage)).one()
    link = next(word for word in mail.body_text.split() if "/invitation/" in word)
    return link.rsplit("/", 1)[1].partition("?")[0]


def _code(secret: str, now) -> str:
    return pyotp.TOTP(secret).at(now)


def test_an_invitation_mails_a_link_whose_token_is_stored_only_as_a_hash(app, now):
    manager = make_staff(StaffRole.MANAGER, name="Mia Manager")
    invitation = invitations.invite(manager, " New@Desk.example ", "Nina New", "agent", now)

    mail = db.session.scalars(sa.select(OutboxMessage)).one()
    assert (mail.to_address, mail.kind, mail.language) == ("new@desk.example",
                                                           "staff_invitation", "nl")
    assert "Mia Manager" in mail.body_text
    assert "3 dagen" in mail.body_text  # worded from STAFF_INVITATION_VALID
    token = _token_from_mail()
    # The page it opens speaks the mail's language.
    assert mail.body_text.count(f"{app.config['DESK_URL']}/invitation/{token}?lang=nl") == 1
    assert invitation.token_hash == hashlib.sha256(token.encode()).hexdigest()
    assert token not in {invitation.token_hash, invitation.totp_secret}
    assert invitation.expires_at == now + app.config["STAFF_INVITATION_VALID"]
    [entry] = db.session.scalars(sa.select(AuditEntry)).all()
    assert (entry.staff_id, entry.action, entry.subject_id) == (
        manager.id, "invite_staff", invitation.id)
    assert db.session.scalar(sa.select(StaffMember).filter_by(email="new@desk.example")) is None


def test_the_lifetime_of_an_invitation_is_the_setting(app, now):
    app.config["STAFF_INVITATION_VALID"] = timedelta(hours=2)
    invitation = invitations.invite(make_staff(StaffRole.MANAGER), "n@desk.example", "N",
                                    "agent", now)
    assert invitation.expires_at == now + timedelta(hours=2)
    assert "2 uur" in db.session.scalars(sa.select(OutboxMessage)).one().body_text


def test_inviting_an_address_with_a_staff_account_is_refused_in_dutch(app, now):
    manager = make_staff(StaffRole.MANAGER)
    colleague = make_staff()
    with pytest.raises(Refusal) as refused:
        invitations.invite(manager, colleague.email.upper(), "Again", "agent", now)
    with force_locale("nl"):
        assert str(refused.value) == (
            f"Er bestaat al een medewerker met e-mailadres {colleague.email}.")
    assert db.session.scalars(sa.select(OutboxMessage)).all() == []
    assert db.session.scalars(sa.select(StaffInvitation)).all() == []


def test_a_manager_cannot_invite_an_admin_but_an_admin_can(app, now):
    with pytest.raises(Refusal, match="Alleen een beheerder kan de rol admin geven."):
        invitations.invite(make_staff(StaffRole.MANAGER), "a@desk.example", "A", "admin", now)
    invitation = invitations.invite(make_staff(StaffRole.ADMIN), "a@desk.example", "A",
                                    "admin", now)
    assert invitation.role == StaffRole.ADMIN


def test_accepting_sets_the_password_confirms_totp_and_ends_the_invitation(app, now):
    manager = make_staff(StaffRole.MANAGER)
    invitation = invitations.invite(manager, "n@desk.example", "Nina", "manager", now)
    token = _token_from_mail()
    later = now + timedelta(hours=1)

    staff = invitations.accept(token, PASSWORD, _code(invitation.totp_secret, later), later)

    assert (staff.email, staff.name, staff.role, staff.active) == (
        "n@desk.example", "Nina", StaffRole.MANAGER, True)
    assert staff.totp_secret == invitation.totp_secret
    assert staff.totp_confirmed_at == later
    assert (invitation.used_at, invitation.staff_id) == (later, staff.id)
    assert [e.action for e in db.session.scalars(sa.select(AuditEntry).order_by(AuditEntry.id))
            ] == ["invite_staff", "accept_staff_invitation"]
    with pytest.raises(Refusal, match="verlopen of al gebruikt"):
        invitations.accept(token, PASSWORD, _code(invitation.totp_secret, later), later)


def test_a_wrong_code_makes_no_account_and_keeps_the_invitation(app, now):
    invitation = invitations.invite(make_staff(StaffRole.MANAGER), "n@desk.example", "N",
                                    "agent", now)
    token = _token_from_mail()
    wrong = f"{(int(_code(invitation.totp_secret, now)) + 1) % 1_000_000:06d}"
    with pytest.raises(Refusal, match="Die code klopt niet"):
        invitations.accept(token, PASSWORD, wrong, now)
    assert db.session.scalar(sa.select(StaffMember).filter_by(email="n@desk.example")) is None
    assert invitations.invitation_to_accept(token, now).used_at is None


def test_an_expired_invitation_is_refused(app, now):
    invitation = invitations.invite(make_staff(StaffRole.MANAGER), "n@desk.example", "N",
                                    "agent", now)
    token = _token_from_mail()
    expired = invitation.expires_at
    with pytest.raises(Refusal) as refused:
        invitations.accept(token, PASSWORD, _code(invitation.totp_secret, expired), expired)
    with force_locale("nl"):
        assert "verlopen" in str(refused.value)
    assert db.session.scalar(sa.select(StaffMember).filter_by(email="n@desk.example")) is None
