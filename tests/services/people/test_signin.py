"""Sign-in throttling and ending sessions, each written once in services/people."""
from datetime import UTC, datetime, timedelta

import pytest

from helpdesk.extensions import db
from helpdesk.services.people import directory, signin
from tests.fixtures.factories import PASSWORD, make_contact, make_staff

NOW = datetime(2026, 11, 30, 9, tzinfo=UTC)
ADDRESS = "203.0.113.66"


def test_the_right_password_is_not_even_checked_once_the_failures_are_too_many(app):
    staff = make_staff()
    for _attempt in range(app.config["SIGN_IN_FAILURES_PER_ACCOUNT"]):
        assert signin.check_password(staff.email, "wrong", ADDRESS, NOW,
                                     signin.staff_with_password) is None
    checked = []

    def find(email, password):
        checked.append(email)
        return staff

    with pytest.raises(signin.SignInThrottled):
        signin.check_password(staff.email, PASSWORD, ADDRESS, NOW, find)
    assert checked == []
    later = NOW + app.config["SIGN_IN_FAILURE_WINDOW"] + timedelta(seconds=1)
    assert signin.check_password(staff.email, PASSWORD, ADDRESS, later,
                                 signin.staff_with_password) == staff


def test_wrong_codes_count_toward_the_same_throttle_as_wrong_passwords(app):
    staff = make_staff()
    signin.check_password(staff.email, "wrong", ADDRESS, NOW, signin.staff_with_password)
    for _attempt in range(app.config["SIGN_IN_FAILURES_PER_ACCOUNT"] - 1):
        assert not signin.check_totp_code(staff, "000000", ADDRESS, NOW)
    with pytest.raises(signin.SignInThrottled):
        signin.check_totp_code(staff, "000000", ADDRESS, NOW)


def test_a_new_password_ends_every_session_of_the_contact(app):
    contact = make_contact()
    before = contact.session_token
    token = signin.issue_token(contact, signin.RESET, NOW, timedelta(hours=1))
    db.session.commit()
    assert signin.reset_password(token, "a brand new password", NOW) == contact
    db.session.expire_all()
    assert contact.session_token != before


def test_an_ended_contract_ends_every_session_of_its_contacts(app):
    contact = make_contact()
    before = contact.session_token
    directory.set_organisation_status(contact.organisation.slug, "ended", NOW)
    db.session.expire_all()
    assert contact.session_token != before
