"""Every CSV download starts with stable machine names, whatever the manager's language."""
import csv
import io
import re

import pytest

from helpdesk.extensions import db
from tests.web.manager.test_stats_views import (  # noqa: F401
    DASHBOARD_TABLES,
    DECEMBER,
    REPORT_TABLES,
    desk,
    manager_client,
)

URLS = ([f"/manage/stats/{table}.csv?{DECEMBER}" for table in DASHBOARD_TABLES]
        + [f"/manage/stats/organisations/acme/{table}.csv?month=2026-12"
           for table in REPORT_TABLES])


def rows(response) -> list[list[str]]:
    assert response.status_code == 200 and response.mimetype == "text/csv"
    return list(csv.reader(io.StringIO(response.get_data().decode("utf-8-sig"))))


@pytest.mark.parametrize("url", URLS)
def test_the_first_header_row_is_the_same_in_dutch_and_english(manager_client, desk, url):  # noqa: F811
    english = rows(manager_client.get(url))
    desk.manager.language = "nl"
    db.session.commit()
    dutch = rows(manager_client.get(url))
    assert english[0] == dutch[0]
    assert all(re.fullmatch(r"[a-z][a-z0-9_]*", name) for name in english[0])
    assert len(set(english[0])) == len(english[0])
    assert len(english[1]) == len(english[0]) and len(english) == len(dutch)


def test_the_second_header_row_is_in_the_managers_language(manager_client, desk):  # noqa: F811
    url = f"/manage/stats/summary.csv?{DECEMBER}"
    english = rows(manager_client.get(url))
    desk.manager.language = "nl"
    db.session.commit()
    dutch = rows(manager_client.get(url))
    assert english[0][:2] == ["tickets_received", "tickets_resolved"]
    assert english[0][2] == "first_response_p50_working_day_clock_minutes"
    assert english[1][:2] == ["Tickets received", "Tickets resolved"]
    assert dutch[1][0] != english[1][0] and dutch[1][2].endswith("(minuten)")
