"""Links in mail come from DESK_URL, never from the request; foreign hosts are refused."""
import re
from datetime import UTC, datetime
from pathlib import Path

import pytest
import sqlalchemy as sa

from helpdesk import create_app
from helpdesk.extensions import db
from helpdesk.models import OutboxMessage, SignInToken
from helpdesk.services.portal import link_mail
from tests.conftest import post_form
from tests.fixtures.factories import PASSWORD, make_contact

FORGED = {"Host": "attacker.example"}


def _mails(kind: str) -> list[OutboxMessage]:
    rows = db.session.scalars(sa.select(OutboxMessage).filter_by(kind=kind)).all()
    db.session.rollback()
    return rows


def _links(mail: OutboxMessage) -> list[str]:
    return re.findall(r"https?://[^\s\"<>]+", mail.body_text + (mail.body_html or ""))


def _deliver_links():
    """The worker answers the link requests."""
    link_mail.answer_link_requests(datetime.now(UTC))


@pytest.fixture
def proxied(app):
    """The desk at https://desk.example behind one reverse proxy, on the test database."""
    keys = ("TESTING", "SECRET_KEY", "SQLALCHEMY_DATABASE_URI", "BLOB_STORE",
            "MAIL_DEFAULT_SENDER")
    behind = create_app({**{key: app.config[key] for key in keys},
                         "SERVER_NAME": "desk.example", "DESK_URL": "https://desk.example",
                         "PROXY_FIX": 1})
    behind.test_client_class = app.test_client_class
    yield behind
    with behind.app_context():
        db.engine.dispose()


def _via_proxy(host: str, address: str = "198.51.100.7") -> dict:
    """What the proxy passes on: the browser's Host and its own X-Forwarded-* headers."""
    return {"X-Forwarded-Host": host, "X-Forwarded-Proto": "https",
            "X-Forwarded-For": address, "Referer": "https://desk.example/portal/sign-in"}


@pytest.mark.parametrize("path", ["/portal/sign-in/link", "/portal/password-reset"])
def test_a_link_request_with_a_forged_host_is_refused_and_mails_nothing(app, client, path):
    # The attacker has a session and a CSRF token of his own: only the Host can refuse him.
    app.config["WTF_CSRF_ENABLED"] = False
    super_user = make_contact()
    response = client.post(path, data={"email": super_user.email}, headers=FORGED)
    assert response.status_code == 400
    _deliver_links()
    assert _mails("sign_in_link") == _mails("password_reset") == []
    assert db.session.scalars(sa.select(SignInToken)).all() == []


@pytest.mark.parametrize("path", ["/sign-in", "/portal/sign-in", "/portal/", "/desk/"])
def test_every_page_refuses_a_foreign_host(client, path):
    assert client.get(path, headers=FORGED).status_code == 400


def test_a_loopback_desk_answers_to_its_loopback_names(client):
    for host in ("127.0.0.1:5000", "localhost:5000", "localhost"):
        assert client.get("/portal/sign-in", headers={"Host": host}).status_code == 200


def test_mailed_links_point_at_the_desk_url_whatever_host_was_asked(client):
    """The test desk's URL is http://127.0.0.1:5000 while the client names desk.example."""
    super_user = make_contact()
    post_form(client, "/portal/sign-in/link", {"email": super_user.email})
    post_form(client, "/portal/password-reset", {"email": super_user.email})
    _deliver_links()
    [link_mail], [reset_mail] = _mails("sign_in_link"), _mails("password_reset")
    assert _links(link_mail)
    assert all(link.startswith("http://127.0.0.1:5000/portal/sign-in/link/")
               for link in _links(link_mail))
    assert all(link.startswith("http://127.0.0.1:5000/portal/password-reset/")
               for link in _links(reset_mail))


def test_behind_a_trusted_proxy_the_link_still_points_at_the_desk_url(app, proxied):
    super_user = make_contact()
    client = proxied.test_client()
    response = post_form(client, "/portal/sign-in/link", {"email": super_user.email},
                         headers=_via_proxy("desk.example"))
    assert response.status_code == 302
    forged = post_form(client, "/portal/password-reset", {"email": super_user.email},
                       headers=_via_proxy("attacker.example"))
    assert forged.status_code == 400
    with proxied.app_context():
        _deliver_links()
    [mail] = _mails("sign_in_link")
    assert all(link.startswith("https://desk.example/portal/sign-in/link/")
               for link in _links(mail))
    assert _mails("password_reset") == []


def _wrong_password(client, address: str, **headers):
    return post_form(client, "/portal/sign-in", {"email": "someone@else.example",
                                                 "password": "wrong"},
                     headers={"X-Forwarded-For": address, **headers})


def test_forwarded_for_is_ignored_without_a_trusted_proxy(app, client):
    app.config["SIGN_IN_FAILURES_PER_ADDRESS"] = 2
    owner = make_contact()
    for _ in range(2):
        _wrong_password(client, "203.0.113.1")
    # Every request came from 127.0.0.1, whatever the header claims.
    response = post_form(client, "/portal/sign-in", {"email": owner.email, "password": PASSWORD},
                         headers={"X-Forwarded-For": "203.0.113.2"})
    assert response.status_code == 429


def test_forwarded_for_names_the_client_behind_a_trusted_proxy(proxied):
    proxied.config["SIGN_IN_FAILURES_PER_ADDRESS"] = 2
    owner = make_contact()
    client = proxied.test_client()
    for _ in range(2):
        _wrong_password(client, "203.0.113.1", **_via_proxy("desk.example", "203.0.113.1"))
    assert _wrong_password(client, "203.0.113.1",
                           **_via_proxy("desk.example", "203.0.113.1")).status_code == 429
    response = post_form(client, "/portal/sign-in", {"email": owner.email, "password": PASSWORD},
                         headers=_via_proxy("desk.example", "203.0.113.2"))
    assert response.status_code == 302


PAGE = "/static/css/app.css"  # needs no database


def test_an_explicit_trusted_hosts_setting_wins(tmp_path):
    desk = create_app({"SQLALCHEMY_DATABASE_URI": "sqlite://", "SECRET_KEY": "x",
                       "BLOB_STORE": str(tmp_path), "DESK_URL": "https://desk.example",
                       "TRUSTED_HOSTS": ["desk.example", "alias.example"]})
    client = desk.test_client()
    assert client.get(PAGE, base_url="https://alias.example").status_code == 200
    assert client.get(PAGE, base_url="https://localhost").status_code == 400


def test_a_desk_url_elsewhere_trusts_only_its_own_host(tmp_path):
    desk = create_app({"SQLALCHEMY_DATABASE_URI": "sqlite://", "SECRET_KEY": "x",
                       "BLOB_STORE": str(tmp_path), "DESK_URL": "https://desk.example/"})
    assert desk.config["TRUSTED_HOSTS"] == ["desk.example"]
    client = desk.test_client()
    assert client.get(PAGE, base_url="https://desk.example").status_code == 200
    assert client.get(PAGE, base_url="http://127.0.0.1:5000").status_code == 400


# What would build an absolute address from the request, or a link outside desk_url.link.
ABSOLUTE_LINK_BUILDERS = re.compile(
    r"_external\s*=|force_external|host_url|url_root|\.url_map\.bind\(|request\.url\b")
PACKAGE = Path(__file__).resolve().parents[1] / "helpdesk"


def test_desk_url_is_the_only_code_that_builds_absolute_links():
    builders = {str(path.relative_to(PACKAGE.parent)) for path in PACKAGE.rglob("*.py")
                if ABSOLUTE_LINK_BUILDERS.search(path.read_text())}
    assert builders == {"helpdesk/desk_url.py"}
