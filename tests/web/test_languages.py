"""The supported languages and the default one come from helpdesk/domain/languages.py."""
import re
from datetime import UTC, datetime

import pytest

from helpdesk.domain import languages
from helpdesk.services import Refusal
from helpdesk.services.people import directory
from helpdesk.services.tickets import canned_replies
from helpdesk.web.manager.canned import CannedReplyForm
from tests.conftest import post_form


def test_the_language_switch_offers_the_supported_languages_and_takes_no_other(client):
    page = client.get("/portal/sign-in").get_data(as_text=True)
    offered = re.findall(r'<button name="language" value="(\w+)"', page)
    assert tuple(offered) == languages.SUPPORTED
    post_form(client, "/language", {"language": "de", "next": "/portal/sign-in"})
    page = client.get("/portal/sign-in").get_data(as_text=True)
    assert f'<html lang="{languages.DEFAULT}">' in page


def test_canned_replies_offer_and_accept_exactly_the_supported_languages(app):
    with app.test_request_context():
        choices = CannedReplyForm().language.choices
        assert tuple(choice.value for choice in choices) == languages.SUPPORTED
    with pytest.raises(Refusal):
        canned_replies.save("Greeting", "Hallo", "de")


def test_people_added_without_a_language_read_the_default_one(app):
    now = datetime(2026, 11, 30, 9, tzinfo=UTC)
    directory.add_organisation("acme", "Acme", now)
    contact = directory.add_contact("eva@acme.example", "acme", "Eva", now)
    staff = directory.add_staff("sam@desk.example", "Sam", "agent", "long enough password", now)
    assert contact.language == staff.language == languages.DEFAULT
