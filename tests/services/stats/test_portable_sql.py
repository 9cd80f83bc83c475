"""Portable SQL for statistics: whole epoch seconds and local weekday/hour across DST."""
from datetime import UTC, date, datetime

import pytest
import sqlalchemy as sa
from sqlalchemy.dialects import sqlite

from helpdesk.domain.business_calendar import BusinessCalendar
from helpdesk.domain.periods import Period
from helpdesk.extensions import db
from helpdesk.models import Ticket
from helpdesk.services.stats import figures
from helpdesk.services.stats.portable_sql import epoch_seconds, seconds_between
from tests.conftest import DATABASE
from tests.fixtures.factories import make_contact, make_ticket


def utc(*args) -> datetime:
    return datetime(*args, tzinfo=UTC)


def test_epoch_seconds_drop_the_fraction_on_both_databases(app):
    ticket = make_ticket(received_at=utc(2026, 11, 30, 9, 0, 0, 999999),
                         now=utc(2026, 11, 30, 9, 0, 59, 500000))
    whole, between = db.session.execute(
        sa.select(epoch_seconds(Ticket.created_at),
                  seconds_between(Ticket.created_at, Ticket.updated_at))
        .where(Ticket.id == ticket.id)).one()
    assert whole == int(utc(2026, 11, 30, 9).timestamp())
    assert between == 59


@pytest.mark.skipif(DATABASE != "sqlite", reason="the fallback is for SQLite before 3.38")
def test_sqlite_without_unixepoch_falls_back_to_strftime_with_the_same_answer(app, monkeypatch):
    ticket = make_ticket(received_at=utc(2026, 11, 30, 9, 0, 0, 999999),
                         now=utc(2026, 11, 30, 10))
    dialect = sqlite.dialect()
    dialect.dbapi = type("OldSqlite", (), {"sqlite_version_info": (3, 37, 2)})
    old = str(sa.select(epoch_seconds(Ticket.created_at)).compile(dialect=dialect))
    assert "strftime('%s', substr(ticket.created_at, 1, 19))" in old
    assert "unixepoch" not in old
    fallback = db.session.execute(sa.text(old + " WHERE ticket.id = :id"),
                                  {"id": ticket.id}).scalar()
    assert fallback == int(utc(2026, 11, 30, 9).timestamp())


def test_heatmap_uses_the_offset_in_force_on_each_side_of_both_dst_changes(app):
    contact = make_contact()
    arrivals = [
        utc(2026, 3, 29, 0, 30),   # Sun 01:30 CET, before clocks go forward
        utc(2026, 3, 29, 1, 30),   # Sun 03:30 CEST, just after
        utc(2026, 7, 1, 10, 0),    # Wed 12:00 CEST
        utc(2026, 10, 25, 0, 30),  # Sun 02:30 CEST, the first 02:30
        utc(2026, 10, 25, 1, 30),  # Sun 02:30 CET, the second 02:30
        utc(2026, 10, 31, 22, 59),  # Sat 31 Oct 23:59 CET, the period's last minute
    ]
    for moment in arrivals:
        make_ticket(raised_by=contact, received_at=moment, now=moment)
    dashboard = figures.dashboard(figures.StatsFilter(Period(date(2026, 3, 1), date(2026, 10, 31))),
                                utc(2026, 11, 1), BusinessCalendar())
    cells = {(day, hour): count for day, counts in enumerate(dashboard.heatmap)
             for hour, count in enumerate(counts) if count}
    assert cells == {(6, 1): 1, (6, 3): 1, (2, 12): 1, (6, 2): 2, (5, 23): 1}
