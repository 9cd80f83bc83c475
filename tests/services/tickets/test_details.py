"""What each category asks, and how the answers read as the first message."""
from helpdesk.models import Category
from helpdesk.services.tickets.details import (
    CATEGORY_FIELDS,
    clean_details,
    details_as_text,
    missing_fields,
)


def test_every_category_asks_at_least_one_required_question():
    assert set(CATEGORY_FIELDS) == set(Category)
    for fields in CATEGORY_FIELDS.values():
        assert any(field.required for field in fields)


def test_only_the_categorys_own_answers_are_kept_trimmed(app):
    details = clean_details(Category.OUTAGE, {"since": " 09:00 ", "affected": "Reports",
                                              "users": "", "steps": "not an outage answer"})
    assert details == {"since": "09:00", "affected": "Reports"}
    assert missing_fields(Category.OUTAGE, details) == []
    assert [f.name for f in missing_fields(Category.BUG, {"steps": "x"})] == ["expected",
                                                                              "actual"]


def test_answers_read_under_their_questions_in_the_contacts_language(app):
    details = {"what": "Dark mode", "why": "Night shifts"}
    assert details_as_text(Category.WISH, details, "en") == (
        "What would you like?\nDark mode\n\nWhy? What would it help you do?\nNight shifts")
    assert details_as_text(Category.WISH, details, "nl").startswith("Wat zou u willen?\n")
