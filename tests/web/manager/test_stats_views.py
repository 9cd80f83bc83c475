"""The statistics pages: the page equals the CSV, filters live in the URL, managers only."""
import csv
import io
import re
from datetime import datetime
from html.parser import HTMLParser
from zoneinfo import ZoneInfo

import pytest
import time_machine

from helpdesk.extensions import db
from helpdesk.models import StaffRole
from tests.conftest import sign_in
from tests.fixtures.factories import make_staff
from tests.fixtures.stats_dataset import NOW, build_desk

DECEMBER = "period=custom&start=2026-12-01&end=2026-12-31"
AMS = ZoneInfo("Europe/Amsterdam")
DASHBOARD_TABLES = ("summary", "trend", "arrivals", "response_times", "by_category",
                    "by_organisation", "by_agent", "backlog", "late_responses", "calamities")
REPORT_TABLES = ("summary", "by_category", "late_responses", "calamities", "tickets")


@pytest.fixture
def desk(app):
    return build_desk()


@pytest.fixture
def manager_client(client, desk):
    with time_machine.travel(NOW, tick=False):
        sign_in(client, desk.manager)
        yield client


class _Tables(HTMLParser):
    """Cell texts and links of every `<section id="table-...">` on a page."""

    def __init__(self):
        super().__init__()
        self.tables, self.links = {}, {}
        self._key = self._row = self._cell = None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "section" and attrs.get("id", "").startswith("table-"):
            self._key = attrs["id"].removeprefix("table-")
            self.tables[self._key], self.links[self._key] = [], []
        elif self._key and tag in ("tr", "dl") and attrs.get("class") != "empty":
            self._row = []
            self.tables[self._key].append(self._row)
        elif self._key and self._row is not None and tag in ("th", "td", "dt", "dd"):
            self._cell = []
        elif self._key and tag == "a" and self._cell is not None:
            self.links[self._key].append(attrs["href"])

    def handle_endtag(self, tag):
        if tag in ("th", "td", "dt", "dd") and self._cell is not None:
            self._row.append(" ".join("".join(self._cell).split()))
            self._cell = None
        elif tag in ("tr", "dl"):
            self._row = None
        elif tag == "section":
            self._key = None

    def handle_data(self, data):
        if self._cell is not None:
            self._cell.append(data)


def page_tables(response):
    parser = _Tables()
    parser.feed(response.get_data(as_text=True))
    return parser


def csv_table(response) -> list[list[str]]:
    assert response.mimetype == "text/csv"
    assert response.headers["Content-Disposition"].startswith("attachment; filename=")
    rows = list(csv.reader(io.StringIO(response.get_data().decode("utf-8-sig"))))
    assert all(re.fullmatch(r"[a-z][a-z0-9_]*", name) for name in rows[0])  # machine names
    return rows[1:]  # the labels the page shows, then the figures


def canonical(text: str) -> str:
    """A page cell (English) as the CSV holds it: minutes, plain numbers, ISO moments."""
    text = text.replace("\u202f", " ").replace("\u00a0", " ")
    if text == "—":
        return ""
    text = text.removesuffix(" late")
    if text == "less than a minute":
        return "0"
    if match := re.fullmatch(r"(\d+) h (\d\d) min", text):
        return str(int(match[1]) * 60 + int(match[2]))
    if match := re.fullmatch(r"(\d+) min", text):
        return match[1]
    if match := re.fullmatch(r"([\d.]+) %", text):
        return match[1]
    if re.fullmatch(r"\d{1,2} [A-Z][a-z]{2} \d{4}, \d\d:\d\d", text):  # 2 Dec 2026, 07:17
        moment = datetime.strptime(text, "%d %b %Y, %H:%M").replace(tzinfo=AMS)
        return moment.isoformat(timespec="seconds")
    if re.fullmatch(r"\d{1,3}(,\d{3})+", text):
        return text.replace(",", "")
    return text.removesuffix(" (minutes)")


def page_as_csv(rows: list[list[str]], key: str = "summary") -> list[list[str]]:
    """The page's table in CSV shape: the key figures' <dl> holds label and value pairs."""
    if key == "summary":
        cells = rows[0]
        rows = [cells[0::2], cells[1::2]]
    return [[canonical(cell) for cell in row] for row in rows if row]


def test_agents_may_not_open_the_statistics(client, desk):
    agent = make_staff(StaffRole.AGENT)
    sign_in(client, agent)
    for url in ("/manage/stats", "/manage/stats/summary.csv", "/manage/stats/organisations/acme",
                "/manage/stats/organisations/acme/tickets.csv"):
        assert client.get(url).status_code == 403, url


def test_signed_out_visitors_are_sent_to_sign_in(client, desk):
    response = client.get("/manage/stats")
    assert response.status_code == 302
    assert "/sign-in" in response.headers["Location"]


def test_managers_see_the_statistics_link(manager_client):
    assert 'href="/manage/stats"' in manager_client.get("/desk/").get_data(as_text=True)


def test_agents_do_not_see_the_statistics_link(client, desk):
    sign_in(client, desk.anna)
    assert "/manage/stats" not in client.get("/desk/").get_data(as_text=True)


def test_key_figures_on_the_page_are_the_hand_computed_ones(manager_client):
    tables = page_tables(manager_client.get(f"/manage/stats?{DECEMBER}")).tables
    labels, values = page_as_csv(tables["summary"])
    assert dict(zip(labels, values, strict=True)) == {
        "Tickets received": "8", "Tickets resolved": "4",
        "First response p50, working-day clock": "120",
        "First response p90, working-day clock": str(41 * 60),
        "First response p50, wall clock": "180",
        "First response p90, wall clock": str(89 * 60),
        "Responses on time": "71.4", "First responses on time": "66.7",
        "Late responses": "2", "Calamities": "1",
    }


@pytest.mark.parametrize("table", DASHBOARD_TABLES)
def test_every_dashboard_table_downloads_as_the_same_csv(manager_client, table):
    page = page_tables(manager_client.get(f"/manage/stats?{DECEMBER}"))
    download = csv_table(manager_client.get(f"/manage/stats/{table}.csv?{DECEMBER}"))
    assert page_as_csv(page.tables[table], table) == [[canonical(c) for c in row]
                                                      for row in download]
    assert len(download) > 1


def test_csv_rows_hold_the_hand_computed_figures(manager_client):
    def rows(table):
        return csv_table(manager_client.get(f"/manage/stats/{table}.csv?{DECEMBER}"))

    assert rows("trend")[1:] == [
        ["1 Dec – 6 Dec", "2", "2", "1", "1", "50.0"],
        ["7 Dec – 13 Dec", "2", "1", "3", "0", "100.0"],
        ["14 Dec – 20 Dec", "1", "1", "0", "0", ""],
        ["21 Dec – 27 Dec", "1", "0", "1", "0", "100.0"],
        ["28 Dec – 31 Dec", "2", "0", "0", "1", "0.0"],
    ]
    assert rows("late_responses")[1:] == [
        ["#1006", "Ticket T7", "Acme Logistics", "Bug", "2026-12-29T10:00:00+01:00",
         "2026-12-30T10:00:00+01:00", "", str(26 * 60)],
        ["#1001", "Ticket T2", "Acme Logistics", "Knowledge question",
         "2026-12-04T16:30:00+01:00", "2026-12-07T16:30:00+01:00",
         "2026-12-08T09:30:00+01:00", str(17 * 60)],
    ]
    assert rows("calamities")[1:] == [
        ["#1002", "Ticket T3", "Bakkerij de Vries", "2026-12-12T03:00:00+01:00",
         "2026-12-12T03:40:00+01:00", "40", "yes"]]
    assert rows("by_organisation")[1:] == [
        ["Acme Logistics", "4", "3", "50.0", "3", "2", "60.0"],
        ["Bakkerij de Vries", "4", "2", "100.0", "2", "0", "100.0"]]
    assert rows("backlog")[1:] == [
        ["Under 1 day", "1", "0", "0", "1"], ["1 to 3 days", "1", "0", "1", "1"],
        ["3 to 7 days", "0", "1", "0", "1"], ["7 to 30 days", "0", "2", "0", "2"],
        ["30 days or more", "1", "0", "0", "1"]]
    arrivals = {row[0]: row[1:] for row in rows("arrivals")[1:]}
    assert arrivals["Saturday"][3] == "1" and arrivals["Saturday"][-1] == "1"
    assert arrivals["Tuesday"][8] == "1" and arrivals["Tuesday"][-1] == "2"


def test_filters_live_in_the_url_and_narrow_every_figure(manager_client, desk):
    response = manager_client.get(f"/manage/stats?{DECEMBER}&organisation=bakery"
                                  f"&category=calamity&channel=phone&agent={desk.anna.id}")
    labels, values = page_as_csv(page_tables(response).tables["summary"])
    figures = dict(zip(labels, values, strict=True))
    assert (figures["Tickets received"], figures["First response p50, working-day clock"],
            figures["Calamities"]) == ("1", "40", "1")
    page = response.get_data(as_text=True)
    assert '<option selected value="bakery">' in page
    assert (f'/manage/stats/summary.csv?period=custom&amp;start=2026-12-01&amp;end=2026-12-31'
            f'&amp;organisation=bakery&amp;category=calamity&amp;channel=phone'
            f'&amp;agent={desk.anna.id}') in page


def test_presets_pick_their_period_relative_to_today(manager_client):
    page = manager_client.get("/manage/stats?period=last_month").get_data(as_text=True)
    assert "From 1 November 2026 to 30 November 2026" in page


def test_filters_that_make_no_sense_are_reset_with_a_message(manager_client):
    response = manager_client.get("/manage/stats?period=custom&start=2026-12-31&end=2026-12-01")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "Some filters were not understood" in page
    assert "From 2 December 2026 to 31 December 2026" in page  # the last 30 days
    assert manager_client.get("/manage/stats?organisation=nobody").status_code == 200
    ancient = manager_client.get("/manage/stats?period=custom&start=0001-01-01&end=0001-01-02")
    assert "Some filters were not understood" in ancient.get_data(as_text=True)


def test_csv_links_carry_only_the_understood_filters(manager_client):
    page = manager_client.get("/manage/stats?period=custom&start=2026-12-31&end=2026-12-01"
                              "&channel=pigeon").get_data(as_text=True)
    assert 'href="/manage/stats/trend.csv?period=last_30_days"' in page
    download = manager_client.get("/manage/stats/trend.csv?period=bogus")
    assert download.status_code == 200
    follow_up = manager_client.get(f"/manage/stats?{DECEMBER}").get_data(as_text=True)
    assert follow_up.count("Some filters were not understood") == 0  # no flash left by the CSV


def test_figures_link_to_their_drill_down_with_matching_filters(manager_client, desk):
    links = page_tables(manager_client.get(f"/manage/stats?{DECEMBER}")).links
    drill = "/manage/stats/tickets"
    assert f"{drill}/received?{DECEMBER}&organisation=bakery" in links["by_organisation"]
    assert f"{drill}/late?{DECEMBER}" in links["summary"]
    assert f"{drill}/received?{DECEMBER}&category=calamity" in links["summary"]
    assert f"{drill}/received?{DECEMBER}&agent={desk.anna.id}" in links["by_agent"]
    assert f"{drill}/late?{DECEMBER}&agent=none" in links["by_agent"]
    assert f"{drill}/waiting?{DECEMBER}&band=1" in links["backlog"]
    assert "/desk/tickets/1006" in links["late_responses"]
    assert "/manage/stats/organisations/acme?month=2026-12" in links["by_organisation"]


def test_an_unknown_table_is_not_found(manager_client):
    assert manager_client.get("/manage/stats/passwords.csv").status_code == 404
    assert manager_client.get(
        "/manage/stats/organisations/acme/by_agent.csv?month=2026-12").status_code == 404


def test_monthly_report_for_an_organisation_without_agents_or_links(manager_client, desk):
    response = manager_client.get("/manage/stats/organisations/acme?month=2026-12")
    page = response.get_data(as_text=True)
    assert "Service report for Acme Logistics" in page and "December 2026" in page
    report = page_tables(response)
    labels, values = page_as_csv(report.tables["summary"])
    assert dict(zip(labels, values, strict=True)) == {
        "Tickets received": "4", "Tickets resolved": "2",
        "First response p50, working-day clock": "120",
        "First response p90, working-day clock": str(41 * 60),
        "First response p50, wall clock": "180",
        "First response p90, wall clock": str(89 * 60),
        "Responses on time": "60.0", "First responses on time": "50.0",
        "Late responses": "2", "Calamities": "0",
    }
    assert [row[0] for row in page_as_csv(report.tables["tickets"], "tickets")[1:]] == [
        "#1000", "#1001", "#1004", "#1006"]
    assert "Anna" not in page and "Bob" not in page
    assert not any(report.links[key] for key in REPORT_TABLES)


@pytest.mark.parametrize("table", REPORT_TABLES)
def test_every_report_table_downloads_as_the_same_csv(manager_client, table):
    page = page_tables(manager_client.get("/manage/stats/organisations/acme?month=2026-12"))
    download = csv_table(manager_client.get(
        f"/manage/stats/organisations/acme/{table}.csv?month=2026-12"))
    assert page_as_csv(page.tables[table], table) == [[canonical(c) for c in row]
                                                      for row in download]


def test_report_defaults_to_last_month_and_unknown_organisations_are_not_found(manager_client):
    for month in ("soon", "0001-01", "2026-13"):
        page = manager_client.get(f"/manage/stats/organisations/acme?month={month}")
        assert "November 2026" in page.get_data(as_text=True), month
    assert manager_client.get("/manage/stats/organisations/nobody").status_code == 404


def test_csv_cells_that_could_be_formulas_are_neutralised(manager_client, desk):
    desk.acme.name = '=HYPERLINK("http://evil.example","click")'
    desk.tickets["T7"].subject = "@SUM(A1:A9)"
    desk.tickets["T2"].subject = "-2+3"
    db.session.commit()
    organisations = csv_table(manager_client.get(f"/manage/stats/by_organisation.csv?{DECEMBER}"))
    neutralised = [row[0] for row in organisations if "HYPERLINK" in row[0]]
    assert neutralised == ["'=HYPERLINK(\"http://evil.example\",\"click\")"]
    late = csv_table(manager_client.get(f"/manage/stats/late_responses.csv?{DECEMBER}"))
    assert [row[1] for row in late[1:]] == ["'@SUM(A1:A9)", "'-2+3"]
    page = manager_client.get(f"/manage/stats?{DECEMBER}").get_data(as_text=True)
    assert "=HYPERLINK(&#34;http://evil.example&#34;" in page  # escaped, and not altered


def test_the_dashboard_is_in_dutch_for_dutch_managers(manager_client, desk):
    desk.manager.language = "nl"
    db.session.commit()
    page = manager_client.get(f"/manage/stats?{DECEMBER}").get_data(as_text=True)
    assert "Statistieken" in page and "71,4\u00a0%" in page and "2 u 00 min" in page


def test_the_pages_state_under_which_category_a_ticket_counts(manager_client, desk):
    english = "under its new category in every column"
    assert english in manager_client.get(f"/manage/stats?{DECEMBER}").get_data(as_text=True)
    report = manager_client.get("/manage/stats/organisations/acme?month=2026-12")
    assert english in report.get_data(as_text=True)
    desk.manager.language = "nl"
    db.session.commit()
    dutch = "telt in elke kolom onder de nieuwe categorie"
    assert dutch in manager_client.get(f"/manage/stats?{DECEMBER}").get_data(as_text=True)
    report = manager_client.get("/manage/stats/organisations/acme?month=2026-12")
    assert dutch in report.get_data(as_text=True)
