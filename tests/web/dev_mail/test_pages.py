"""/dev/mail: what the catcher kept, for staff only, only on a desk that catches; the banner."""
import re

import pytest
import sqlalchemy as sa

from helpdesk.extensions import db
from helpdesk.models import CaughtMail, StaffRole
from helpdesk.services.mail_out import outbox
from helpdesk.services.mail_out.sender import send_due_mail
from tests.conftest import csrf_token, post_form, sign_in
from tests.fixtures.factories import make_contact, make_staff
from tests.fixtures.smtp import use_mail_settings

HOSTILE_HTML = ('<p onclick="steal()">Volg <a href="https://desk.example/portal/x">de link</a>'
                '</p><script>alert("caught")</script><img src="/desk/" alt="">')
HOSTILE_TEXT = "Hallo <b>Eva</b>,\n\nVolg https://desk.example/portal/sign-in/link/abc?lang=nl\n"


@pytest.fixture
def catching(app):
    """The catcher on, as create_app decides it for a development desk without a server."""
    app.config["MAIL_CATCHER"] = True
    return app


def _caught_mail(now, **overrides) -> int:
    contact = make_contact()
    fields = {"to_address": contact.email, "kind": "reply", "subject": "Uw inloglink",
              "body_text": HOSTILE_TEXT, "body_html": HOSTILE_HTML, "now": now,
              "automatic": False}
    outbox.queue_mail(**{**fields, **overrides})
    db.session.commit()
    send_due_mail(now)
    return db.session.scalars(sa.select(CaughtMail.id).order_by(CaughtMail.id.desc())).first()


@pytest.fixture
def staff_client(client, catching):
    sign_in(client, make_staff(StaffRole.AGENT, language="en"))
    return client


@pytest.mark.parametrize("path", ["/dev/mail/", "/dev/mail/1", "/dev/mail/1/source.eml"])
def test_a_desk_without_the_catcher_has_no_such_pages_for_anyone(app, client, path):
    assert client.get(path).status_code == 404  # anonymous: not even the sign-in page
    sign_in(client, make_staff(StaffRole.ADMIN))
    assert client.get(path).status_code == 404
    assert post_form(client, "/dev/mail/clear").status_code == 404


def test_anonymous_visitors_are_sent_to_sign_in(catching, client):
    response = client.get("/dev/mail/")
    assert response.status_code == 302 and response.location.startswith("/sign-in")


def test_a_signed_in_customer_is_refused(catching, client):
    sign_in(client, make_contact())
    assert client.get("/dev/mail/").status_code == 403


@pytest.mark.parametrize("role", list(StaffRole))
def test_every_staff_role_sees_the_caught_mail_newest_first(catching, client, now, role):
    _caught_mail(now, subject="Eerste")
    _caught_mail(now, subject="Tweede", kind="sign_in_link")
    sign_in(client, make_staff(role, language="en"))
    page = client.get("/dev/mail/").get_data(as_text=True)
    assert page.index("Tweede") < page.index("Eerste")
    assert "<code>sign_in_link</code>" in page
    assert 'href="/dev/mail/"' in page  # the menu links it


def test_the_html_part_is_sanitised_and_framed_without_scripts(staff_client, now):
    mail_id = _caught_mail(now)
    page = staff_client.get(f"/dev/mail/{mail_id}").get_data(as_text=True)
    [frame] = re.findall(r"<iframe[^>]*>", page)
    assert 'sandbox="allow-popups allow-popups-to-escape-sandbox"' in frame
    srcdoc = re.search(r'srcdoc="([^"]*)"', frame).group(1)
    assert "&lt;a href=&#34;https://desk.example/portal/x&#34;" in srcdoc  # the link stays
    for dangerous in ("script", "alert", "onclick", "/desk/"):
        assert dangerous not in srcdoc


def test_the_text_part_is_escaped_with_its_links_made_clickable(staff_client, now):
    page = staff_client.get(f"/dev/mail/{_caught_mail(now)}").get_data(as_text=True)
    text = re.search(r'<section class="card" id="caught-text">.*?</section>', page, re.S).group()
    assert "Hallo &lt;b&gt;Eva&lt;/b&gt;" in text
    assert ('<a href="https://desk.example/portal/sign-in/link/abc?lang=nl" '
            'rel="noopener noreferrer" target="_blank">') in text


def test_the_source_is_shown_escaped_and_downloads_as_it_was_caught(staff_client, now):
    mail_id = _caught_mail(now)
    page = staff_client.get(f"/dev/mail/{mail_id}").get_data(as_text=True)
    source = re.search(r'<section class="card" id="caught-source">.*?</section>', page,
                       re.S).group()
    assert "Subject: Uw inloglink" in source and "<script" not in source
    download = staff_client.get(f"/dev/mail/{mail_id}/source.eml")
    assert download.data == db.session.get(CaughtMail, mail_id).raw
    assert download.headers["Content-Disposition"].startswith("attachment")
    assert "sandbox" in download.headers["Content-Security-Policy"]


def test_a_mail_that_was_not_caught_is_not_found(staff_client):
    assert staff_client.get("/dev/mail/99").status_code == 404


def test_clearing_needs_the_csrf_token_and_then_deletes_everything(staff_client, now):
    _caught_mail(now)
    _caught_mail(now)
    assert staff_client.post("/dev/mail/clear").status_code == 400
    assert db.session.scalar(sa.select(sa.func.count()).select_from(CaughtMail)) == 2
    response = staff_client.post("/dev/mail/clear", data={"csrf_token": csrf_token(staff_client)},
                                 follow_redirects=True)
    assert "2 caught mails deleted." in response.get_data(as_text=True)
    assert "No mail caught yet." in response.get_data(as_text=True)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(CaughtMail)) == 0


def test_a_desk_without_outgoing_mail_says_so_on_every_staff_page(app, client, now):
    make_contact()
    outbox.queue_mail(to_address=make_contact().email, kind="reply", subject="Hallo",
                      body_text="Hallo", now=now)
    db.session.commit()
    sign_in(client, make_staff(language="en"))
    for path in ("/desk/", "/desk/held"):
        page = client.get(path).get_data(as_text=True)
        assert ("Outgoing mail is not configured (HELPDESK_MAIL_SERVER): 1 mail waits in the "
                "outbox.") in page


def test_the_banner_is_gone_once_mail_has_somewhere_to_go(app, client):
    sign_in(client, make_staff(language="en"))
    assert 'id="mail-out-banner"' in client.get("/desk/").get_data(as_text=True)
    use_mail_settings(app, MAIL_SERVER="smtp.example")
    assert 'id="mail-out-banner"' not in client.get("/desk/").get_data(as_text=True)
    use_mail_settings(app, MAIL_SERVER="", MAIL_CATCHER=True)
    page = client.get("/desk/").get_data(as_text=True)
    assert 'id="mail-out-banner"' not in page and 'href="/dev/mail/"' in page


def test_customers_never_see_the_banner(app, client):
    sign_in(client, make_contact(language="en"))
    assert 'id="mail-out-banner"' not in client.get("/portal/").get_data(as_text=True)
