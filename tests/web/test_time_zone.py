"""The desk's time zone is one setting, the business calendar's: pages and mail follow it."""
from datetime import UTC, datetime

import sqlalchemy as sa
from flask_babel import format_datetime, get_timezone

from helpdesk.domain.business_calendar import DEFAULT_TIMEZONE
from helpdesk.extensions import db
from helpdesk.models import CalendarSettings
from helpdesk.web.i18n import desk_calendar, desk_zone

NOON_UTC = datetime(2026, 11, 30, 12, tzinfo=UTC)


def test_without_a_configured_calendar_the_desk_keeps_the_default_time_zone(app):
    with app.test_request_context():
        assert str(get_timezone()) == DEFAULT_TIMEZONE == str(desk_zone())


def test_pages_show_times_in_the_business_calendars_time_zone(app):
    db.session.add(CalendarSettings(timezone="America/New_York"))
    db.session.commit()
    with app.test_request_context():
        assert format_datetime(NOON_UTC, "HH:mm") == "07:00"
        assert str(desk_zone()) == desk_calendar().timezone == "America/New_York"


def test_a_page_with_the_calendar_reads_its_time_zone_without_another_query(app):
    statements = []

    def count(conn, cursor, statement, parameters, context, executemany):
        statements.append(statement)

    with app.test_request_context():
        desk_calendar()
        sa.event.listen(db.engine, "before_cursor_execute", count)
        try:
            assert str(get_timezone()) == DEFAULT_TIMEZONE
        finally:
            sa.event.remove(db.engine, "before_cursor_execute", count)
    assert statements == []
