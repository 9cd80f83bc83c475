"""Sign-in throttling and ending sessions, each written once in services/people."""
from datetime import UTC, datetime, timedelta

import pyotp
import pytest
import sqlalchemy as sa
from sqlalchemy.orm import Session

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


def test_a_language_chosen_before_a_password_sign_in_becomes_the_persons_own(app):
    contact = make_contact(language="nl")
    assert signin.check_password(contact.email, PASSWORD, ADDRESS, NOW,
                                 signin.contact_with_password, language="en") == contact
    db.session.expire_all()
    assert contact.language == "en"


def test_a_wrong_password_or_a_language_the_desk_does_not_speak_changes_no_language(app):
    contact = make_contact(language="nl")
    assert signin.check_password(contact.email, "wrong", ADDRESS, NOW,
                                 signin.contact_with_password, language="en") is None
    signin.check_password(contact.email, PASSWORD, ADDRESS, NOW, signin.contact_with_password,
                          language="de")
    db.session.expire_all()
    assert contact.language == "nl"


def test_a_staff_member_takes_the_chosen_language_only_with_an_accepted_code(app):
    staff = make_staff(language="en")
    code = pyotp.TOTP(staff.totp_secret).at(NOW)
    wrong = f"{(int(code) + 1) % 1_000_000:06d}"
    assert not signin.check_totp_code(staff, wrong, ADDRESS, NOW, language="nl")
    db.session.expire_all()
    assert staff.language == "en"
    assert signin.check_totp_code(staff, code, ADDRESS, NOW, language="nl")
    db.session.expire_all()
    assert staff.language == "nl"


def test_a_sign_in_link_used_with_a_chosen_language_makes_it_the_contacts(app):
    contact = make_contact(language="nl")
    token = signin.issue_token(contact, signin.SIGN_IN, NOW, timedelta(minutes=15))
    db.session.commit()
    assert signin.consume_token(token, signin.SIGN_IN, NOW, language="en") == contact
    db.session.expire_all()
    assert contact.language == "en"


def test_the_chosen_language_is_saved_in_the_sign_in_transaction(app):
    """Saved with the used-up link in one commit, not in a transaction of its own."""
    contact = make_contact(language="nl")
    token = signin.issue_token(contact, signin.SIGN_IN, NOW, timedelta(minutes=15))
    db.session.commit()
    commits = []

    def count(session):
        commits.append(session)

    sa.event.listen(Session, "after_commit", count)
    try:
        signin.consume_token(token, signin.SIGN_IN, NOW, language="en")
    finally:
        sa.event.remove(Session, "after_commit", count)
    assert len(commits) == 1
    db.session.expire_all()
    assert contact.language == "en"
