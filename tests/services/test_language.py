"""Mail speaks its reader's language: English with British forms, and the desk's own name."""
from datetime import UTC, datetime

import pytest
from flask_babel import format_date, format_time

from helpdesk.services.language import desk_name, speaking
from helpdesk.services.notifications.wording import current_language
from helpdesk.web.labels import moment_label

# Wednesday 2 December 2026, 07:17 in Amsterdam (the desk's default time zone).
MORNING = datetime(2026, 12, 2, 6, 17, tzinfo=UTC)


def test_english_is_written_the_british_way_while_its_language_stays_english(app):
    with speaking("en"):
        assert current_language() == "en"
        assert moment_label(MORNING) == "2 Dec 2026, 07:17"
        assert format_date(MORNING, "medium") == "2 Dec 2026"
        assert format_time(MORNING.replace(hour=16), "short") == "17:17"  # not 5:17 PM


def test_dutch_keeps_its_own_forms(app):
    with speaking("nl"):
        assert current_language() == "nl"
        assert moment_label(MORNING) == "2 dec 2026, 07:17"
        assert format_date(MORNING, "medium") == "2 dec 2026"


def test_a_language_the_desk_does_not_speak_is_refused_rather_than_guessed(app):
    with pytest.raises(KeyError), speaking("xx"):
        pass


def test_the_desk_is_called_by_a_translated_name_unless_the_operator_names_it(app):
    with speaking("nl"):
        assert desk_name() == "Servicedesk"
    with speaking("en"):
        assert desk_name() == "Service desk"
    app.config["DESK_NAME"] = "Acme Support"
    with speaking("nl"):
        assert desk_name() == "Acme Support"
