"""The response promise in words, in Dutch and English."""
from datetime import UTC, datetime

from flask_babel import force_locale

from helpdesk.services.notifications.wording import desk_hours, due_in_words, opening_in_words


def test_due_moment_in_dutch_words(app):
    due = datetime(2026, 12, 1, 8, 0, tzinfo=UTC)  # 09:00 in Amsterdam
    with force_locale("nl"):
        assert due_in_words(due) == "uiterlijk dinsdag 1 december 09:00"


def test_due_moment_in_english_words(app):
    due = datetime(2026, 12, 1, 8, 0, tzinfo=UTC)
    with force_locale("en"):
        assert due_in_words(due) == "by Tuesday 1 December 09:00"


def test_on_saturday_the_desk_says_it_starts_monday_at_nine(app):
    saturday = datetime(2026, 12, 5, 10, 0, tzinfo=UTC)
    hours = desk_hours(saturday)
    assert not hours.open_now
    with force_locale("nl"):
        assert opening_in_words(hours, saturday) == (
            "We zijn nu gesloten; we beginnen maandag om 09:00.")
    with force_locale("en"):
        assert opening_in_words(hours, saturday) == (
            "We are closed now; we start Monday at 09:00.")


def test_during_office_hours_the_desk_is_open_until_five(app):
    monday = datetime(2026, 11, 30, 10, 0, tzinfo=UTC)
    with force_locale("en"):
        assert opening_in_words(desk_hours(monday), monday) == "We are open now, until 17:00."


def test_the_promise_in_words_follows_the_configured_targets(app):
    from helpdesk.domain.sla import SlaPolicy
    from helpdesk.services.notifications.wording import promise_in_words

    with force_locale("nl"):
        assert promise_in_words() == ("We reageren op uw vraag binnen 1 werkdag; op een "
                                      "calamiteit binnen 60 minuten, op elk uur.")
    with force_locale("en"):
        assert promise_in_words(SlaPolicy(target_hours={"question": 48},
                                          calamity_target_minutes=30)) == (
            "We respond to your question within 2 working days; to a calamity within "
            "30 minutes, at any hour.")
        assert promise_in_words(SlaPolicy(target_hours={"question": 8})).startswith(
            "We respond to your question within 8 hours on working days;")
