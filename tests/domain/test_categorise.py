"""An email's category comes from its recipient address, else a subject marker."""

from __future__ import annotations

import pytest

from helpdesk.domain.categorise import CATEGORIES, category_for, strip_category_marker


@pytest.mark.parametrize(
    ("address", "category"),
    [
        ("support+bug@example.com", "bug"),
        ("Support+Calamiteit@Example.com", "calamity"),
        ("support+calamity@example.com", "calamity"),
        ("support+storing@example.com", "outage"),
        ("support+outage@example.com", "outage"),
        ("support+wens@example.com", "wish"),
        ("support+wish@example.com", "wish"),
        ("support+configuratie@example.com", "configuration"),
        ("support+configuration@example.com", "configuration"),
        ("support+vraag@example.com", "question"),
        ("support+question@example.com", "question"),
        ("storing@example.com", "outage"),
    ],
)
def test_plus_tag_or_alias_sets_the_category(address: str, category: str) -> None:
    assert category_for([address], "[wens] ignored") == category


def test_configured_calamity_address_is_a_calamity() -> None:
    assert category_for(["Alarm@Example.com"], "hi", calamity_addresses=["alarm@example.com"]) == (
        "calamity"
    )


def test_most_urgent_recipient_category_wins() -> None:
    assert category_for(["support+wish@x.nl", "support+storing@x.nl"], "") == "outage"


@pytest.mark.parametrize(
    ("subject", "category"),
    [
        ("[bug] login fails", "bug"),
        ("[BUG]login fails", "bug"),
        ("[storing] mail down", "outage"),
        ("[Outage] mail down", "outage"),
        ("Calamiteit: brand", "calamity"),
        ("calamity: fire", "calamity"),
        ("Re: [wens] dark mode", "wish"),
        ("[configuratie] SSO", "configuration"),
        ("Vraag: hoe werkt dit", "question"),
    ],
)
def test_leading_subject_marker_sets_the_category(subject: str, category: str) -> None:
    assert category_for(["support@example.com"], subject) == category


def test_marker_not_at_the_start_does_not_count() -> None:
    assert category_for(["support@example.com"], "About the [bug] page") == "question"


def test_no_tag_or_marker_is_a_question() -> None:
    assert category_for([], "Hello") == "question"
    assert set(CATEGORIES) == {"bug", "outage", "wish", "configuration", "question", "calamity"}


def test_strip_category_marker_keeps_reply_prefix_and_rest() -> None:
    assert strip_category_marker("Re: [bug] login fails") == "Re: login fails"
    assert strip_category_marker("Calamiteit: brand in serverruimte") == "brand in serverruimte"
    assert strip_category_marker("Plain subject") == "Plain subject"
