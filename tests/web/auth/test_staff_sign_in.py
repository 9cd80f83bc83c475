"""Staff sign in with a password and a TOTP code; nothing staff-only is reachable before."""
import pyotp

from helpdesk.extensions import db
from tests.conftest import post_form
from tests.fixtures.factories import PASSWORD, make_staff


def _password_step(client, staff, password=PASSWORD, next_url=None):
    url = "/sign-in" + (f"?next={next_url}" if next_url else "")
    return post_form(client, url, {"email": staff.email.upper(), "password": password})


def _code_step(client, code):
    return post_form(client, "/sign-in/code", {"code": code})


def _current_code(staff):
    return pyotp.TOTP(staff.totp_secret).now()


def test_staff_page_redirects_an_anonymous_visitor_to_sign_in(client):
    response = client.get("/desk/")
    assert response.status_code == 302
    assert response.location.startswith("/sign-in?next=")


def test_password_alone_does_not_open_staff_pages(app, client):
    staff = make_staff()
    response = _password_step(client, staff)
    assert response.status_code == 302 and response.location == "/sign-in/code"
    assert client.get("/desk/").status_code == 302


def test_password_and_totp_code_sign_in(app, client):
    staff = make_staff()
    _password_step(client, staff)
    response = _code_step(client, _current_code(staff))
    assert response.status_code == 302 and response.location == "/desk/"
    assert client.get("/desk/").status_code == 200


def test_wrong_password_is_refused_without_saying_which_part_was_wrong(app, client):
    staff = make_staff()
    response = _password_step(client, staff, password="wrong password")
    assert response.status_code == 200
    assert "E-mailadres of wachtwoord klopt niet." in response.get_data(as_text=True)
    unknown = post_form(client, "/sign-in", {"email": "nobody@desk.example",
                                             "password": "wrong password"})
    assert "E-mailadres of wachtwoord klopt niet." in unknown.get_data(as_text=True)


def test_wrong_totp_code_is_refused(app, client):
    staff = make_staff()
    _password_step(client, staff)
    wrong = f"{(int(_current_code(staff)) + 1) % 1_000_000:06d}"
    response = _code_step(client, wrong)
    assert response.status_code == 200
    assert "Die code klopt niet of is al gebruikt." in response.get_data(as_text=True)
    assert client.get("/desk/").status_code == 302


def test_a_totp_code_is_never_accepted_twice(app, client):
    staff = make_staff()
    code = _current_code(staff)
    _password_step(client, staff)
    assert _code_step(client, code).location == "/desk/"
    replay = app.test_client()
    _password_step(replay, staff)
    response = _code_step(replay, code)
    assert response.status_code == 200
    assert replay.get("/desk/").status_code == 302


def test_first_sign_in_shows_the_totp_secret_once(app, client):
    staff = make_staff(totp_confirmed_at=None)
    _password_step(client, staff)
    page = client.get("/sign-in/code").get_data(as_text=True)
    assert staff.totp_secret in page and "<svg" in page
    _code_step(client, _current_code(staff))
    db.session.refresh(staff)
    assert staff.totp_confirmed_at is not None
    again = app.test_client()
    _password_step(again, staff)
    assert staff.totp_secret not in again.get("/sign-in/code").get_data(as_text=True)


def test_sign_in_form_without_csrf_token_is_refused(app, client):
    staff = make_staff()
    response = client.post("/sign-in", data={"email": staff.email, "password": PASSWORD})
    assert response.status_code == 400


def test_failed_sign_ins_are_throttled_per_account(app, client):
    staff = make_staff()
    for _ in range(5):
        _password_step(client, staff, password="wrong password")
    response = _password_step(client, staff)  # right password, but too many failures
    assert response.status_code == 429


def test_next_parameter_never_redirects_off_site(app, client):
    staff = make_staff()
    _password_step(client, staff, next_url="https://evil.example/")
    assert _code_step(client, _current_code(staff)).location == "/desk/"


def test_next_parameter_keeps_a_local_path(app, client):
    staff = make_staff()
    _password_step(client, staff, next_url="/desk/?page=2")
    assert _code_step(client, _current_code(staff)).location == "/desk/?page=2"


def test_a_cookie_replayed_after_sign_out_is_refused(app, client):
    staff = make_staff()
    _password_step(client, staff)
    _code_step(client, _current_code(staff))
    stolen = client.get_cookie("session", domain="desk.example").value
    post_form(client, "/sign-out")
    thief = app.test_client()
    thief.set_cookie("session", stolen, domain="desk.example")
    assert thief.get("/desk/").status_code == 302


def test_sign_out_requires_a_csrf_token(app, client):
    staff = make_staff()
    _password_step(client, staff)
    _code_step(client, _current_code(staff))
    assert client.post("/sign-out").status_code == 400
    assert client.get("/desk/").status_code == 200



def test_the_language_chosen_on_the_sign_in_page_survives_signing_in_and_becomes_the_profiles(
        app, client):
    staff = make_staff(language="en")
    post_form(client, "/language", {"language": "nl", "next": "/sign-in"})
    _password_step(client, staff)
    assert '<html lang="nl">' in client.get("/sign-in/code").get_data(as_text=True)
    assert _code_step(client, _current_code(staff)).location == "/desk/"
    assert '<html lang="nl">' in client.get("/desk/").get_data(as_text=True)
    db.session.expire_all()
    assert staff.language == "nl"  # so mail to them is Dutch too


def test_a_chosen_language_is_not_saved_before_the_second_factor(app, client):
    staff = make_staff(language="en")
    post_form(client, "/language", {"language": "nl", "next": "/sign-in"})
    _password_step(client, staff)
    wrong = f"{(int(_current_code(staff)) + 1) % 1_000_000:06d}"
    _code_step(client, wrong)
    db.session.expire_all()
    assert staff.language == "en"


def test_without_a_choice_the_profiles_language_wins_over_the_browsers(app, client):
    staff = make_staff(language="en")
    dutch_browser = {"Accept-Language": "nl"}
    post_form(client, "/sign-in", {"email": staff.email, "password": PASSWORD},
              headers=dutch_browser)
    _code_step(client, _current_code(staff))
    assert '<html lang="en">' in client.get("/desk/", headers=dutch_browser).get_data(
        as_text=True)
    db.session.expire_all()
    assert staff.language == "en"
