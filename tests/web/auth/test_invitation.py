"""Following a staff invitation: password, TOTP enrolment with one code, then signed in."""
from datetime import UTC, datetime, timedelta

import pyotp
import pytest
import sqlalchemy as sa

from helpdesk.extensions import db
from helpdesk.models import OutboxMessage, StaffInvitation, StaffMember, StaffRole
from helpdesk.services.staffing import invitations
from tests.conftest import post_form
from tests.fixtures.factories import make_staff

PASSWORD = "a long enough password"


@pytest.fixture
def invited(app):
    """An agent invited now; the link's path, and the invitation."""
    invitation = invitations.invite(make_staff(StaffRole.MANAGER), "nina@desk.example",
                                    "Nina New", "agent", datetime.now(UTC))
    mail = db.session.scalars(sa.select(OutboxMessage)).one()
    link = next(word for word in mail.body_text.split() if "/invitation/" in word)
    return link.removeprefix(app.config["DESK_URL"]), invitation


def test_the_invitation_page_shows_the_secret_and_its_address(client, invited):
    path, invitation = invited
    page = client.get(path).get_data(as_text=True)
    assert invitation.totp_secret in page
    assert "otpauth://totp/helpdesk:nina%40desk.example?secret=" in page
    assert "<svg" in page


def test_accepting_signs_the_new_agent_in(client, invited):
    path, invitation = invited
    response = post_form(client, path, {"password": PASSWORD, "repeat": PASSWORD,
                                        "code": pyotp.TOTP(invitation.totp_secret).now()})
    assert response.status_code == 302 and response.location.endswith("/desk/")
    staff = db.session.scalar(sa.select(StaffMember).filter_by(email="nina@desk.example"))
    assert staff.totp_confirmed_at is not None
    assert client.get("/desk/").status_code == 200


def test_a_used_invitation_is_refused_in_dutch(client, invited):
    path, invitation = invited
    post_form(client, path, {"password": PASSWORD, "repeat": PASSWORD,
                             "code": pyotp.TOTP(invitation.totp_secret).now()})
    other = client.application.test_client()
    response = other.get(path)
    assert response.status_code == 422
    assert "Deze uitnodiging is verlopen of al gebruikt." in response.get_data(as_text=True)


def test_an_expired_invitation_is_refused_in_dutch(client, invited):
    path, invitation = invited
    invitation.expires_at = datetime.now(UTC) - timedelta(seconds=1)
    db.session.commit()
    response = post_form(client, path, {"password": PASSWORD, "repeat": PASSWORD,
                                        "code": pyotp.TOTP(invitation.totp_secret).now()})
    assert response.status_code == 422
    assert "Deze uitnodiging is verlopen of al gebruikt." in response.get_data(as_text=True)
    assert db.session.scalar(sa.select(StaffMember).filter_by(email="nina@desk.example")) is None


def test_a_wrong_code_or_short_password_shows_the_page_again(client, invited):
    path, invitation = invited
    wrong = post_form(client, path, {"password": PASSWORD, "repeat": PASSWORD,
                                     "code": "000000"})
    assert wrong.status_code == 200
    assert "Die code klopt niet of is al gebruikt." in wrong.get_data(as_text=True)
    short = post_form(client, path, {"password": "short", "repeat": "short",
                                     "code": pyotp.TOTP(invitation.totp_secret).now()})
    assert short.status_code == 200
    assert "Kies een wachtwoord van minstens 10 tekens." in short.get_data(as_text=True)
    assert db.session.scalar(sa.select(StaffMember).filter_by(email="nina@desk.example")) is None
    db.session.expire_all()
    assert db.session.scalar(sa.select(StaffInvitation.used_at)) is None


def test_the_invitation_form_needs_a_csrf_token(client, invited):
    path, invitation = invited
    response = client.post(path, data={"password": PASSWORD, "repeat": PASSWORD,
                                       "code": pyotp.TOTP(invitation.totp_secret).now()})
    assert response.status_code == 400
    assert db.session.scalar(sa.select(StaffMember).filter_by(email="nina@desk.example")) is None
