"""An https desk is safe without anyone remembering a setting; an http one stays usable."""
import pytest
from flask_login import login_user

from helpdesk import create_app
from helpdesk.extensions import db
from tests.fixtures.factories import PASSWORD, make_contact

HTTPS = "https://desk.example"
FROM_THE_DESK = {"Referer": f"{HTTPS}/portal/sign-in"}  # Flask-WTF checks it on https


@pytest.fixture
def https_app(app):
    """The desk at an https DESK_URL, on the test database, with no cookie setting of its own."""
    keys = ("TESTING", "SECRET_KEY", "SQLALCHEMY_DATABASE_URI", "BLOB_STORE",
            "MAIL_DEFAULT_SENDER")
    desk = create_app({**{key: app.config[key] for key in keys}, "DESK_URL": HTTPS,
                       "SERVER_NAME": "desk.example"})
    desk.test_client_class = app.test_client_class
    yield desk
    with desk.app_context():
        db.engine.dispose()


def _set_cookies(response) -> dict[str, str]:
    return {header.split("=", 1)[0]: header for header in response.headers.getlist("Set-Cookie")}


def _attributes(header: str) -> set[str]:
    return {part.strip().split("=")[0].lower() for part in header.split(";")[1:]}


def _form_token(page) -> str:
    return page.get_data(as_text=True).split('name="csrf_token" type="hidden" value="')[1] \
        .split('"')[0]


@pytest.mark.parametrize("path", ["/portal/sign-in", "/sign-in"])
def test_https_desk_session_cookie_is_secure_with_the_host_prefix(https_app, path):
    """Portal and staff share the session cookie, and the CSRF token lives in it."""
    page = https_app.test_client().get(path, base_url=HTTPS)
    assert 'name="csrf_token"' in page.get_data(as_text=True)
    cookies = _set_cookies(page)
    assert list(cookies) == ["__Host-session"]
    assert {"secure", "httponly", "path"} <= _attributes(cookies["__Host-session"])
    assert "domain" not in _attributes(cookies["__Host-session"])
    assert "Path=/;" in cookies["__Host-session"] + ";"


def test_https_desk_super_user_signs_in_with_the_secure_cookie(https_app):
    contact = make_contact()
    client = https_app.test_client()
    page = client.get("/portal/sign-in", base_url=HTTPS)
    response = client.post("/portal/sign-in", base_url=HTTPS, headers=FROM_THE_DESK,
                           data={"email": contact.email, "password": PASSWORD,
                                 "csrf_token": _form_token(page)})
    assert response.status_code == 302
    assert list(_set_cookies(response)) == ["__Host-session"]
    assert client.get("/portal/", base_url=HTTPS).status_code == 200


def test_https_desk_sends_hsts_on_every_page(https_app):
    client = https_app.test_client()
    for path in ("/portal/sign-in", "/sign-in", "/static/css/app.css"):
        response = client.get(path, base_url=HTTPS)
        assert response.headers["Strict-Transport-Security"].startswith("max-age="), path


def test_https_desk_remember_cookie_would_be_secure_too(https_app):
    contact = make_contact()
    with https_app.test_request_context("/", base_url=HTTPS):
        login_user(db.session.merge(contact), remember=True)
        response = https_app.process_response(https_app.response_class())
    cookie = _set_cookies(response)["__Host-remember_token"]
    assert {"secure", "httponly", "path"} <= _attributes(cookie)
    assert "domain" not in _attributes(cookie)


def test_http_desk_keeps_plain_cookies_and_no_hsts(client):
    page = client.get("/portal/sign-in")
    [name] = _set_cookies(page)
    assert name == "session"
    assert "secure" not in _attributes(_set_cookies(page)[name])
    assert "Strict-Transport-Security" not in page.headers


def test_https_desk_sends_hsts_on_errors_too(https_app):
    @https_app.get("/__boom")
    def boom():
        raise RuntimeError("a bug")

    boom.access_policy = "public"
    https_app.config.update(TESTING=False, PROPAGATE_EXCEPTIONS=False)
    client = https_app.test_client()
    responses = {
        404: client.get("/no-such-page", base_url=HTTPS),
        405: client.put("/portal/sign-in", base_url=HTTPS),
        400: client.get("/portal/sign-in", base_url="https://evil.example"),
        500: client.get("/__boom", base_url=HTTPS),
    }
    for code, response in responses.items():
        assert response.status_code == code
        assert response.headers.get("Strict-Transport-Security") == "max-age=31536000", code
