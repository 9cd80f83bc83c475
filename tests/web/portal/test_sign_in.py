"""Portal sign-in: password, one-time link, password reset, throttling and session rules."""
import re
from datetime import UTC, datetime, timedelta

import sqlalchemy as sa
import time_machine

from helpdesk.extensions import db
from helpdesk.models import OrganisationStatus, OutboxMessage
from helpdesk.services.people import directory
from helpdesk.services.portal import link_mail
from tests.conftest import post_form, sign_in
from tests.fixtures.factories import PASSWORD, make_contact, make_organisation

NEW_PASSWORD = "a brand new passphrase"


def _outbox(kind: str) -> list[OutboxMessage]:
    """The mail of this kind, once the worker has answered the link requests."""
    link_mail.answer_link_requests(datetime.now(UTC))
    rows = db.session.scalars(sa.select(OutboxMessage).filter_by(kind=kind)
                              .order_by(OutboxMessage.id)).all()
    db.session.rollback()
    return rows


def _token_from(mail: OutboxMessage, path: str) -> str:
    return re.search(rf"http://127\.0\.0\.1:5000/portal/{path}/([\w-]+)", mail.body_text).group(1)


def _signed_in(client) -> bool:
    return client.get("/portal/").status_code == 200


def test_super_user_signs_in_with_password_and_lands_on_the_tickets(client, super_user):
    response = post_form(client, "/portal/sign-in",
                         {"email": super_user.email.upper(), "password": PASSWORD})
    assert response.status_code == 302
    assert response.location == "/portal/"
    assert _signed_in(client)


def test_wrong_password_and_unknown_address_get_the_same_answer(client, super_user):
    wrong = post_form(client, "/portal/sign-in", {"email": super_user.email, "password": "nope"})
    unknown = post_form(client, "/portal/sign-in",
                        {"email": "nobody@nowhere.example", "password": "nope"})
    assert wrong.status_code == unknown.status_code == 200
    assert "E-mailadres of wachtwoord klopt niet." in wrong.get_data(as_text=True)
    assert "E-mailadres of wachtwoord klopt niet." in unknown.get_data(as_text=True)
    assert not _signed_in(client)


def test_contact_who_is_not_a_super_user_cannot_sign_in(client):
    contact = make_contact(is_super_user=False)
    post_form(client, "/portal/sign-in", {"email": contact.email, "password": PASSWORD})
    assert not _signed_in(client)


def test_super_user_of_an_ended_organisation_cannot_sign_in(client):
    contact = make_contact(make_organisation(status=OrganisationStatus.ENDED))
    post_form(client, "/portal/sign-in", {"email": contact.email, "password": PASSWORD})
    assert client.get("/portal/").status_code == 302


def test_password_sign_in_is_throttled_like_staff_sign_in(client, super_user):
    for _ in range(5):
        post_form(client, "/portal/sign-in", {"email": super_user.email, "password": "wrong"})
    response = post_form(client, "/portal/sign-in",
                         {"email": super_user.email, "password": PASSWORD})
    assert response.status_code == 429
    assert not _signed_in(client)


def test_sign_in_link_works_once_and_a_get_does_not_use_it(client, super_user):
    response = post_form(client, "/portal/sign-in/link", {"email": super_user.email})
    assert response.status_code == 302
    [mail] = _outbox("sign_in_link")
    assert mail.to_address == super_user.email
    token = _token_from(mail, "sign-in/link")
    # A mail scanner's prefetch shows a button and does not use the link.
    assert client.get(f"/portal/sign-in/link/{token}").status_code == 200
    assert post_form(client, f"/portal/sign-in/link/{token}").location == "/portal/"
    assert _signed_in(client)

    other = client.application.test_client()
    again = post_form(other, f"/portal/sign-in/link/{token}", follow_redirects=True)
    assert "Deze aanmeldlink is verlopen of al gebruikt." in again.get_data(as_text=True)
    assert not _signed_in(other)


def test_sign_in_link_expires_after_fifteen_minutes(client, super_user):
    asked_at = datetime.now(UTC)
    with time_machine.travel(asked_at, tick=False):
        post_form(client, "/portal/sign-in/link", {"email": super_user.email})
        token = _token_from(_outbox("sign_in_link")[0], "sign-in/link")
    with time_machine.travel(asked_at + timedelta(minutes=15, seconds=1), tick=False):
        response = post_form(client, f"/portal/sign-in/link/{token}")
        assert response.location == "/portal/sign-in"
        assert not _signed_in(client)
    with time_machine.travel(asked_at + timedelta(minutes=14), tick=False):
        # Still unused: the expired attempt did not use it up, so within the time it works.
        assert post_form(client, f"/portal/sign-in/link/{token}").location == "/portal/"


def test_link_request_for_unknown_address_answers_alike_and_mails_nothing(client, super_user):
    known = post_form(client, "/portal/sign-in/link", {"email": super_user.email},
                      follow_redirects=True)
    unknown = post_form(client, "/portal/sign-in/link", {"email": "nobody@nowhere.example"},
                        follow_redirects=True)
    assert known.status_code == unknown.status_code == 200
    assert _flash(known) == _flash(unknown)
    assert [mail.to_address for mail in _outbox("sign_in_link")] == [super_user.email]


def _flash(response) -> list[str]:
    return re.findall(r'<p class="flash[^"]*" role="status">(.*?)</p>',
                      response.get_data(as_text=True))


def test_password_reset_reveals_nothing_about_whether_an_address_has_an_account(client):
    super_user = make_contact()
    not_super_user = make_contact(is_super_user=False)
    answers = []
    for email in (super_user.email, "nobody@nowhere.example", not_super_user.email):
        response = post_form(client, "/portal/password-reset", {"email": email})
        answers.append((response.status_code, response.location,
                        _flash(client.get(response.location))))
    assert answers[0] == answers[1] == answers[2]
    assert answers[0][0] == 302
    assert "Als dit adres van een geregistreerde superuser is" in answers[0][2][0]
    assert [mail.to_address for mail in _outbox("password_reset")] == [super_user.email]


def test_new_password_ends_every_session_and_uses_the_link_up(app, client, super_user):
    elsewhere = app.test_client()
    sign_in(elsewhere, super_user)
    assert _signed_in(elsewhere)
    post_form(client, "/portal/password-reset", {"email": super_user.email})
    [mail] = _outbox("password_reset")
    token = _token_from(mail, "password-reset")
    assert client.get(f"/portal/password-reset/{token}").status_code == 200

    response = post_form(client, f"/portal/password-reset/{token}",
                         {"password": NEW_PASSWORD, "repeat": NEW_PASSWORD})
    assert response.location == "/portal/sign-in"
    assert not _signed_in(elsewhere)
    again = post_form(client, f"/portal/password-reset/{token}",
                      {"password": "yet another passphrase", "repeat": "yet another passphrase"})
    assert again.location == "/portal/password-reset"
    assert post_form(client, "/portal/sign-in",
                     {"email": super_user.email, "password": PASSWORD}).status_code == 200
    assert post_form(client, "/portal/sign-in",
                     {"email": super_user.email, "password": NEW_PASSWORD}).status_code == 302


def test_new_password_also_voids_unused_sign_in_links(client, super_user):
    post_form(client, "/portal/sign-in/link", {"email": super_user.email})
    post_form(client, "/portal/password-reset", {"email": super_user.email})
    link_token = _token_from(_outbox("sign_in_link")[0], "sign-in/link")
    reset_token = _token_from(_outbox("password_reset")[0], "password-reset")
    post_form(client, f"/portal/password-reset/{reset_token}",
              {"password": NEW_PASSWORD, "repeat": NEW_PASSWORD})
    assert post_form(client, f"/portal/sign-in/link/{link_token}").location == "/portal/sign-in"


def test_too_short_password_is_refused_and_keeps_the_link_usable(client, super_user):
    post_form(client, "/portal/password-reset", {"email": super_user.email})
    token = _token_from(_outbox("password_reset")[0], "password-reset")
    short = post_form(client, f"/portal/password-reset/{token}",
                      {"password": "short", "repeat": "short"})
    assert short.status_code == 200
    assert "Gebruik minstens 10 tekens." in short.get_data(as_text=True)
    differ = post_form(client, f"/portal/password-reset/{token}",
                       {"password": NEW_PASSWORD, "repeat": NEW_PASSWORD + "!"})
    assert "De twee wachtwoorden verschillen." in differ.get_data(as_text=True)
    ok = post_form(client, f"/portal/password-reset/{token}",
                   {"password": NEW_PASSWORD, "repeat": NEW_PASSWORD})
    assert ok.location == "/portal/sign-in"


def test_password_reset_link_expires_after_an_hour(client, super_user):
    asked_at = datetime.now(UTC)
    with time_machine.travel(asked_at, tick=False):
        post_form(client, "/portal/password-reset", {"email": super_user.email})
        token = _token_from(_outbox("password_reset")[0], "password-reset")
    with time_machine.travel(asked_at + timedelta(hours=1, seconds=1), tick=False):
        response = post_form(client, f"/portal/password-reset/{token}",
                             {"password": NEW_PASSWORD, "repeat": NEW_PASSWORD})
    assert response.location == "/portal/password-reset"


def test_link_requests_are_throttled_for_known_and_unknown_addresses_alike(client, super_user):
    for email in (super_user.email, "nobody@nowhere.example"):
        for _ in range(5):
            post_form(client, "/portal/password-reset", {"email": email}, follow_redirects=True)
        response = post_form(client, "/portal/password-reset", {"email": email},
                             follow_redirects=True)
        assert _flash(response) == ["Te veel verzoeken. Probeer het over een paar minuten opnieuw."]
    assert len(_outbox("password_reset")) == 5


def test_signed_in_super_user_is_sent_from_the_sign_in_page_to_the_tickets(portal):
    assert portal.get("/portal/sign-in").location == "/portal/"


def test_a_made_up_reset_link_costs_no_password_hash(client, super_user, monkeypatch):
    # Hashing takes the server a good part of a second: unthrottled, made-up links would
    # let anyone keep its processors busy.
    hashed = []
    monkeypatch.setattr(directory, "hash_password", lambda password: hashed.append(password))
    response = post_form(client, "/portal/password-reset/made-up-token",
                         {"password": NEW_PASSWORD, "repeat": NEW_PASSWORD})
    assert response.location == "/portal/password-reset"
    assert hashed == []


def _link_path(mail: OutboxMessage, path: str) -> str:
    """The link's path and query, as the browser opening it asks for it."""
    return re.search(rf"http://127\.0\.0\.1:5000(/portal/{path}/\S+)", mail.body_text).group(1)


def test_english_chosen_on_the_sign_in_page_survives_a_password_sign_in(client, super_user):
    post_form(client, "/language", {"language": "en", "next": "/portal/sign-in"})
    response = post_form(client, "/portal/sign-in",
                         {"email": super_user.email, "password": PASSWORD})
    assert response.location == "/portal/"
    page = client.get("/portal/").get_data(as_text=True)
    assert '<html lang="en">' in page and "Our tickets" in page
    db.session.expire_all()
    assert super_user.language == "en"  # the next mail to them is English too


def test_a_wrong_password_saves_no_language(client, super_user):
    post_form(client, "/language", {"language": "en", "next": "/portal/sign-in"})
    post_form(client, "/portal/sign-in", {"email": super_user.email, "password": "wrong"})
    db.session.expire_all()
    assert super_user.language == "nl"


def test_a_sign_in_link_opens_in_the_mails_language_whatever_the_browser_prefers(client):
    contact = make_contact(language="en")
    post_form(client, "/portal/sign-in/link", {"email": contact.email})
    [mail] = _outbox("sign_in_link")
    assert mail.language == "en" and "Use this link to sign in" in mail.body_text
    link = _link_path(mail, "sign-in/link")
    assert link.endswith("?lang=en")
    dutch_browser = {"Accept-Language": "nl"}
    browser = client.application.test_client()
    page = browser.get(link, headers=dutch_browser).get_data(as_text=True)
    assert '<html lang="en">' in page and "Continue to the service desk" in page
    assert post_form(browser, link, headers=dutch_browser).location == "/portal/"
    assert '<html lang="en">' in browser.get("/portal/", headers=dutch_browser).get_data(
        as_text=True)


def test_a_sign_in_link_followed_after_choosing_a_language_saves_that_choice(client, super_user):
    post_form(client, "/portal/sign-in/link", {"email": super_user.email})
    link = _link_path(_outbox("sign_in_link")[0], "sign-in/link")
    assert link.endswith("?lang=nl")
    client.get(link)
    post_form(client, "/language", {"language": "en", "next": link})
    post_form(client, link.split("?")[0])
    db.session.expire_all()
    assert super_user.language == "en"


def test_a_password_reset_link_and_the_pages_after_it_speak_the_mails_language(client):
    contact = make_contact(language="nl")
    post_form(client, "/portal/password-reset", {"email": contact.email})
    [mail] = _outbox("password_reset")
    link = _link_path(mail, "password-reset")
    assert link.endswith("?lang=nl")
    english_browser = {"Accept-Language": "en-GB"}
    browser = client.application.test_client()
    assert '<html lang="nl">' in browser.get(link, headers=english_browser).get_data(
        as_text=True)
    response = post_form(browser, link, {"password": NEW_PASSWORD, "repeat": NEW_PASSWORD},
                         headers=english_browser)
    assert response.location == "/portal/sign-in"
    page = browser.get(response.location, headers=english_browser).get_data(as_text=True)
    assert '<html lang="nl">' in page and "Uw nieuwe wachtwoord is ingesteld" in page
