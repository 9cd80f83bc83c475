"""Throttling an attacker cannot turn against the owner: failures count per account at an
address, and per address; staff sign-in, the second factor and the portal alike."""
import pyotp
import pytest

from tests.conftest import post_form
from tests.fixtures.factories import PASSWORD, make_contact, make_staff

ATTACKER = "203.0.113.66"
OWNER = "198.51.100.10"


def _from(address: str) -> dict:
    return {"environ_base": {"REMOTE_ADDR": address}}


def _staff_password(client, email, password, address):
    return post_form(client, "/sign-in", {"email": email, "password": password}, **_from(address))


def _portal_password(client, email, password, address):
    return post_form(client, "/portal/sign-in", {"email": email, "password": password},
                     **_from(address))


SIGN_INS = {
    # (the account's factory, the form, the status of a correct sign-in)
    "staff": (make_staff, _staff_password, 302),
    "portal": (make_contact, _portal_password, 302),
}


@pytest.fixture(params=sorted(SIGN_INS))
def sign_in_form(request, app):
    make, post, accepted = SIGN_INS[request.param]
    return make(), post, accepted


def test_wrong_passwords_from_elsewhere_do_not_lock_the_owner_out(app, sign_in_form):
    account, post, accepted = sign_in_form
    for _ in range(app.config["SIGN_IN_FAILURES_PER_ACCOUNT"] * 3):
        post(app.test_client(), account.email, "wrong password", ATTACKER)
    assert post(app.test_client(), account.email, "wrong password", ATTACKER).status_code == 429
    assert post(app.test_client(), account.email, PASSWORD, OWNER).status_code == accepted


def test_the_failing_address_is_refused_for_that_account_even_with_the_right_password(
        app, sign_in_form):
    account, post, _ = sign_in_form
    for _ in range(app.config["SIGN_IN_FAILURES_PER_ACCOUNT"]):
        post(app.test_client(), account.email, "wrong password", ATTACKER)
    assert post(app.test_client(), account.email, PASSWORD, ATTACKER).status_code == 429


def test_an_address_trying_many_accounts_is_refused_for_all_of_them(app, sign_in_form):
    account, post, accepted = sign_in_form
    for n in range(app.config["SIGN_IN_FAILURES_PER_ADDRESS"]):
        post(app.test_client(), f"guess{n}@nowhere.example", "wrong password", ATTACKER)
    assert post(app.test_client(), account.email, PASSWORD, ATTACKER).status_code == 429
    assert post(app.test_client(), account.email, PASSWORD, OWNER).status_code == accepted


def test_link_requests_from_an_office_do_not_lock_its_password_sign_ins(app):
    """Everyone behind one address asking for links is no attack on the passwords."""
    colleague = make_contact()
    for n in range(app.config["SIGN_IN_FAILURES_PER_ADDRESS"]):
        post_form(app.test_client(), "/portal/sign-in/link",
                  {"email": f"colleague{n}@office.example"}, **_from(OWNER))
    assert _portal_password(app.test_client(), colleague.email, PASSWORD,
                            OWNER).status_code == 302


def test_wrong_codes_from_elsewhere_do_not_lock_the_owner_out_of_the_second_factor(app):
    staff = make_staff()
    attacker = app.test_client()  # knows the password, not the code
    assert _staff_password(attacker, staff.email, PASSWORD, ATTACKER).status_code == 302
    for _ in range(app.config["SIGN_IN_FAILURES_PER_ACCOUNT"]):
        post_form(attacker, "/sign-in/code", {"code": "000000"}, **_from(ATTACKER))
    owner = app.test_client()
    assert _staff_password(owner, staff.email, PASSWORD, OWNER).status_code == 302
    response = post_form(owner, "/sign-in/code", {"code": pyotp.TOTP(staff.totp_secret).now()},
                         **_from(OWNER))
    assert response.status_code == 302
    assert response.location == "/desk/"


def test_an_ipv6_attacker_cannot_escape_by_changing_the_address_within_its_network(
        app, sign_in_form):
    # One subscriber gets a whole /64: every guess from a new address in it counts together.
    account, post, accepted = sign_in_form
    for n in range(app.config["SIGN_IN_FAILURES_PER_ACCOUNT"]):
        post(app.test_client(), account.email, "wrong password", f"2001:db8:66:1::{n + 1:x}")
    assert post(app.test_client(), account.email, PASSWORD,
                "2001:db8:66:1:abcd::99").status_code == 429
    assert post(app.test_client(), account.email, PASSWORD,
                "2001:db8:10:2::1").status_code == accepted


def test_an_ipv4_client_seen_as_an_ipv6_address_counts_as_itself(app, sign_in_form):
    account, post, _ = sign_in_form
    for _ in range(app.config["SIGN_IN_FAILURES_PER_ACCOUNT"]):
        post(app.test_client(), account.email, "wrong password", ATTACKER)
    assert post(app.test_client(), account.email, PASSWORD,
                f"::ffff:{ATTACKER}").status_code == 429
