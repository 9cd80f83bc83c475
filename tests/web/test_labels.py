"""Durations and lateness in words: one wording, never "late by 0 min"."""
from datetime import UTC, datetime, timedelta

import pytest
from flask_babel import force_locale

from helpdesk.models import Channel, TicketEvent
from helpdesk.services.notifications.wording import duration_label, lateness_label
from helpdesk.services.tickets.queue import TimeLeft
from helpdesk.web.agent.formatting import event_line, row_labels, time_left_words
from helpdesk.web.labels import CHANNEL_LABELS, age_label


@pytest.mark.parametrize(("seconds", "english", "dutch"), [
    (0, "less than a minute late", "minder dan een minuut te laat"),
    (59, "less than a minute late", "minder dan een minuut te laat"),
    (60, "1 min late", "1 min te laat"),
    (17 * 3600 + 5 * 60 + 30, "17 h 05 min late", "17 u 05 min te laat"),
])
def test_lateness_in_words(app, seconds, english, dutch):
    with app.test_request_context(), force_locale("en"):
        assert lateness_label(seconds) == english
        assert lateness_label(timedelta(seconds=seconds)) == english
    with app.test_request_context(), force_locale("nl"):
        assert lateness_label(seconds) == dutch


def test_a_duration_under_a_minute_is_less_than_a_minute(app):
    with app.test_request_context(), force_locale("en"):
        assert duration_label(timedelta(seconds=40)) == "less than a minute"
        assert duration_label(3 * 60) == "3 min"
    with app.test_request_context(), force_locale("nl"):
        assert duration_label(40) == "minder dan een minuut"


def test_the_queue_clock_of_a_response_just_overdue_is_less_than_a_minute_late(app):
    due = datetime(2026, 12, 1, 9, tzinfo=UTC)
    with app.test_request_context(), force_locale("en"):
        just = TimeLeft("breached", -timedelta(seconds=20), due)
        assert time_left_words(just) == "less than a minute late"
        assert time_left_words(TimeLeft("ok", timedelta(seconds=20), due)) == (
            "less than a minute")


def test_a_calamity_that_just_arrived_has_waited_less_than_a_minute(app):
    with app.test_request_context(), force_locale("en"):
        assert age_label(timedelta(seconds=0)) == "less than a minute"
        assert age_label(timedelta(minutes=12, seconds=10)) == "12 min"


def test_a_channel_reads_the_same_on_every_page_from_the_one_label_table(app):
    with app.test_request_context(), force_locale("nl"):
        words = {channel: str(label) for channel, label in CHANNEL_LABELS.items()}
        assert row_labels()["channel"] == words
        assert app.jinja_env.globals["channel_label"](Channel.PHONE) == words[Channel.PHONE]
        created = TicketEvent(action="created", after="portal")
        assert event_line(created)["after"] == words[Channel.PORTAL]
