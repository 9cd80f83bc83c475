"""The statistics as tables: one definition feeds the page, its charts and the CSV export."""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from zoneinfo import ZoneInfo

from flask import Response, url_for
from flask_babel import force_locale, format_date, format_decimal, format_number
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from helpdesk.domain.periods import Period
from helpdesk.domain.spreadsheet import csv_text
from helpdesk.models import Category
from helpdesk.services.notifications.wording import duration_label, lateness_label
from helpdesk.services.stats.figures import (
    Dashboard,
    Drilldown,
    Figures,
    OrganisationTicket,
    StatsFilter,
    percentage,
)
from helpdesk.web.labels import category_label, channel_label, moment_label, status_label
from helpdesk.web.manager.charts import Chart, bar_chart, column_chart, heatmap_chart

DURATION_KINDS = ("duration", "lateness")
WEEKDAYS = (_l("Monday"), _l("Tuesday"), _l("Wednesday"), _l("Thursday"), _l("Friday"),
            _l("Saturday"), _l("Sunday"))
AGE_BAND_LABELS = {"under_1_day": _l("Under 1 day"), "1_to_3_days": _l("1 to 3 days"),
                   "3_to_7_days": _l("3 to 7 days"), "7_to_30_days": _l("7 to 30 days"),
                   "30_days_or_more": _l("30 days or more")}
TIME_BAND_LABELS = {"within_1_hour": _l("Within 1 hour"), "1_to_4_hours": _l("1 to 4 hours"),
                    "4_to_8_hours": _l("4 to 8 hours"), "8_to_24_hours": _l("8 to 24 hours"),
                    "over_24_hours": _l("Over 24 hours")}


@dataclass(frozen=True)
class Column:
    label: str
    # text, count, percent, duration or lateness (seconds), moment (aware datetime) or flag
    # (bool); durations are worded on the page and whole minutes in the CSV
    kind: str = "text"
    name: str | None = None  # the CSV's machine name, when not derived from the label


@dataclass(frozen=True)
class Cell:
    value: object
    href: str | None = None


@dataclass(frozen=True)
class Table:
    key: str
    title: str
    columns: tuple[Column, ...]
    rows: list[tuple[Cell, ...]]


# --- one value, as the page shows it and as the CSV holds it ---------------------------------

def page_text(value, kind: str) -> str:
    if value is None:
        return "—"
    if kind == "count":
        return format_number(value)
    if kind == "percent":
        return f"{format_decimal(value, '0.0')}\u00a0%"
    if kind == "duration":
        return duration_label(value)
    if kind == "lateness":
        return lateness_label(value)
    if kind == "moment":
        return moment_label(value)
    if kind == "flag":
        return _("yes") if value else _("no")
    return str(value)


def csv_cell(value, kind: str, timezone: str) -> str:
    """Numbers a spreadsheet can compute with: durations in whole minutes, moments ISO 8601."""
    if value is None:
        return ""
    if kind == "percent":
        return f"{Decimal(value):.1f}"
    if kind in DURATION_KINDS:
        return str(value // 60)
    if kind == "moment":
        return value.astimezone(ZoneInfo(timezone)).isoformat(timespec="seconds")
    if kind == "flag":
        return _("yes") if value else _("no")
    return str(value)


def csv_name(column: Column) -> str:
    """A column's stable machine name: its English label in snake_case, with its unit.

    "First response p50, wall clock" (a duration) is first_response_p50_wall_clock_minutes
    in every interface language, so scripts and spreadsheet formulas can rely on it.
    """
    if column.name is not None:
        return column.name
    with force_locale("en"):
        label = str(column.label)
    name = re.sub(r"[^a-z0-9]+", "_", label.lower().replace("%", " percent").replace("'", ""))
    name = name.strip("_")
    unit = {"duration": "minutes", "lateness": "minutes", "percent": "percent"}.get(column.kind)
    return name if unit is None or name.endswith(unit) else f"{name}_{unit}"


def csv_rows(table: Table, timezone: str) -> list[list[str]]:
    """Two header rows: stable machine names, then the labels in the viewer's language."""
    names = [csv_name(column) for column in table.columns]
    labels = [str(column.label) + (" " + _("(minutes)") if column.kind in DURATION_KINDS else "")
              for column in table.columns]
    return [names, labels, *[[csv_cell(cell.value, column.kind, timezone)
                              for cell, column in zip(row, table.columns, strict=True)]
                             for row in table.rows]]


def csv_response(table: Table, timezone: str, filename: str) -> Response:
    return Response(csv_text(csv_rows(table, timezone)), mimetype="text/csv",
                    headers={"Content-Disposition": f'attachment; filename="{filename}"'})


# --- drill-down -------------------------------------------------------------------------------

class DrilldownLinks:
    """Drill-down: the list of exactly what a figure counts, under the dashboard's filters."""

    def __init__(self, stats_filter: StatsFilter, organisation_slug: str | None) -> None:
        self.period = stats_filter.period
        self.base = {"organisation": organisation_slug,
                     "category": stats_filter.category and stats_filter.category.value,
                     "channel": stats_filter.channel and stats_filter.channel.value,
                     "agent": "none" if stats_filter.unassigned else stats_filter.assignee_id}

    def __call__(self, figure: str, period: Period | None = None, **narrower) -> str:
        period = period or self.period
        params = {"period": "custom", "start": period.start.isoformat(),
                  "end": period.end.isoformat(), **self.base, **narrower}
        return url_for("manager.stats_tickets", figure=figure,
                       **{k: v for k, v in params.items() if v is not None})


def _ticket_url(number: int) -> str:
    return url_for("agent.ticket", number=number)


# --- the tables -------------------------------------------------------------------------------

def period_label(period: Period, granularity: str) -> str:
    if granularity == "month":
        return format_date(period.start, "LLLL yyyy")
    if period.start == period.end:
        return format_date(period.start, "EEE d MMM")
    return f"{format_date(period.start, 'd MMM')} – {format_date(period.end, 'd MMM')}"


def summary_table(board: Dashboard, links: DrilldownLinks | None) -> Table:
    """The key figures: one row, shown as cards on the page."""
    totals, period = board.totals, board.filter.period

    def link(figure, **narrower):
        return links(figure, period, **narrower) if links else None

    # The calamities of a selection narrowed to another category are none, and listed as none.
    calamity_link = (link("received", category="calamity")
                     if board.filter.category in (None, Category.CALAMITY) else None)

    figures = [
        (Column(_l("Tickets received"), "count"), Cell(totals.received, link("received"))),
        (Column(_l("Tickets resolved"), "count"), Cell(totals.resolved, link("resolved"))),
        (Column(_l("First response p50, working-day clock"), "duration"),
         Cell(totals.times.p50)),
        (Column(_l("First response p90, working-day clock"), "duration"),
         Cell(totals.times.p90)),
        (Column(_l("First response p50, wall clock"), "duration"), Cell(totals.times.p50_wall)),
        (Column(_l("First response p90, wall clock"), "duration"), Cell(totals.times.p90_wall)),
        (Column(_l("Responses on time"), "percent"), Cell(totals.responses.share_on_time)),
        (Column(_l("First responses on time"), "percent"),
         Cell(totals.first_responses.share_on_time)),
        (Column(_l("Late responses"), "count"), Cell(totals.responses.late, link("late"))),
        (Column(_l("Calamities"), "count"), Cell(board.calamity_count, calamity_link)),
    ]
    return Table("summary", _l("Key figures"), tuple(column for column, _cell in figures),
                 [tuple(cell for _column, cell in figures)])


def trend_table(board: Dashboard, links: DrilldownLinks) -> Table:
    rows = [(Cell(period_label(period, board.granularity)),
             Cell(figures.received, links("received", period)),
             Cell(figures.resolved, links("resolved", period)),
             Cell(figures.responses.on_time),
             Cell(figures.responses.late, links("late", period)),
             Cell(figures.responses.share_on_time))
            for period, figures in board.trend]
    columns = (Column(_l("Period")), Column(_l("Received"), "count"),
               Column(_l("Resolved"), "count"), Column(_l("Responses on time"), "count"),
               Column(_l("Late"), "count"), Column(_l("On time %"), "percent"))
    return Table("trend", _l("Trend"), columns, rows)


def heatmap_table(board: Dashboard) -> Table:
    columns = (Column(_l("Weekday")), *[Column(f"{hour:02d}", "count", f"hour_{hour:02d}")
                                       for hour in range(24)],
               Column(_l("Total"), "count"))
    rows = [(Cell(WEEKDAYS[day]), *[Cell(count) for count in counts], Cell(sum(counts)))
            for day, counts in enumerate(board.heatmap)]
    return Table("arrivals", _l("Arrivals by weekday and hour"), columns, rows)


def time_bands_table(board: Dashboard) -> Table:
    total = sum(count for _, count in board.time_bands)
    rows = [(Cell(TIME_BAND_LABELS[name]), Cell(count), Cell(percentage(count, total)))
            for name, count in board.time_bands]
    return Table("response_times", _l("First responses by time to respond"),
                 (Column(_l("Time on the promise's clock")),
                  Column(_l("First responses"), "count"), Column(_l("Share %"), "percent")),
                 rows)


_FIGURES_COLUMNS = (
    Column(_l("Received"), "count"), Column(_l("First responses"), "count"),
    Column(_l("First responses on time %"), "percent"),
    Column(_l("Responses on time"), "count"), Column(_l("Late"), "count"),
    Column(_l("On time %"), "percent"),
)


def _figures_cells(figures: Figures, link: str | None, late_link: str | None) -> tuple:
    return (Cell(figures.received, link), Cell(figures.first_responses_met),
            Cell(figures.first_responses.share_on_time), Cell(figures.responses.on_time),
            Cell(figures.responses.late, late_link), Cell(figures.responses.share_on_time))


def breakdown_tables(board: Dashboard, links: DrilldownLinks, report_month: date) -> list[Table]:
    def cells(figures, **narrower):
        return _figures_cells(figures, links("received", **narrower),
                              links("late", **narrower))

    month = report_month.strftime("%Y-%m")
    categories = [(Cell(category_label(category)), *cells(figures, category=category.value))
                  for category, figures in board.by_category]
    organisations = [(Cell(organisation.name, url_for("manager.organisation_report",
                                                      slug=organisation.slug, month=month)),
                      *cells(figures, organisation=organisation.slug))
                     for organisation, figures in board.by_organisation]
    agents = [(Cell(agent.name if agent else _l("Unassigned")),
               *cells(figures, agent=agent.id if agent else "none"))
              for agent, figures in board.by_agent]
    return [
        Table("by_category", _l("By category"), (Column(_l("Category")), *_FIGURES_COLUMNS),
              categories),
        Table("by_organisation", _l("By organisation"),
              (Column(_l("Organisation")), *_FIGURES_COLUMNS), organisations),
        Table("by_agent", _l("By assigned agent"), (Column(_l("Agent")), *_FIGURES_COLUMNS),
              agents),
    ]


def backlog_table(board: Dashboard, links: DrilldownLinks) -> Table:
    rows = [(Cell(AGE_BAND_LABELS[band.key]),
             Cell(band.awaiting_desk, links("awaiting", band=index)),
             Cell(band.waiting_on_customer, links("waiting", band=index)),
             Cell(band.overdue, links("overdue", band=index)), Cell(band.total))
            for index, band in enumerate(board.backlog)]
    columns = (Column(_l("Age")), Column(_l("Awaiting the desk"), "count"),
               Column(_l("Waiting on the customer"), "count"),
               Column(_l("Overdue now"), "count"), Column(_l("Total"), "count"))
    return Table("backlog", _l("Backlog now by age"), columns, rows)


def late_responses_table(board: Dashboard, with_links: bool) -> Table:
    rows = [(Cell(f"#{row.number}", _ticket_url(row.number) if with_links else None),
             Cell(row.subject), Cell(row.organisation), Cell(category_label(row.category)),
             Cell(row.received_at), Cell(row.due_at), Cell(row.met_at), Cell(row.late_seconds))
            for row in board.late_responses]
    columns = (Column(_l("Ticket")), Column(_l("Subject")), Column(_l("Organisation")),
               Column(_l("Category")), Column(_l("Received"), "moment"),
               Column(_l("Due"), "moment"), Column(_l("Answered"), "moment"),
               Column(_l("Late"), "lateness"))
    return Table("late_responses", _l("Late responses"), columns, rows)


def calamities_table(board: Dashboard, with_links: bool) -> Table:
    rows = [(Cell(f"#{row.number}", _ticket_url(row.number) if with_links else None),
             Cell(row.subject), Cell(row.organisation), Cell(row.received_at),
             Cell(row.first_response_at), Cell(row.seconds_to_response), Cell(row.on_time))
            for row in board.calamities]
    columns = (Column(_l("Ticket")), Column(_l("Subject")), Column(_l("Organisation")),
               Column(_l("Received"), "moment"), Column(_l("First response"), "moment"),
               Column(_l("Time to first response"), "duration"), Column(_l("On time"), "flag"))
    return Table("calamities", _l("Calamities"), columns, rows)


def organisation_tickets_table(rows: list[OrganisationTicket]) -> Table:
    columns = (Column(_l("Ticket")), Column(_l("Subject")), Column(_l("Category")),
               Column(_l("Channel")), Column(_l("Received"), "moment"),
               Column(_l("First response"), "moment"),
               Column(_l("Time to first response"), "duration"), Column(_l("Status")))
    return Table("tickets", _l("Tickets received"), columns, [
        (Cell(f"#{row.number}"), Cell(row.subject), Cell(category_label(row.category)),
         Cell(channel_label(row.channel)), Cell(row.received_at), Cell(row.first_response_at),
         Cell(row.promise_seconds), Cell(status_label(row.status))) for row in rows])


DRILLDOWN_TITLES = {"received": _l("Tickets received"), "resolved": _l("Tickets resolved"),
                    "late": _l("Late responses"),
                    "awaiting": _l("Awaiting the desk"),
                    "waiting": _l("Waiting on the customer"), "overdue": _l("Overdue now")}


def drilldown_table(drill: Drilldown) -> Table:
    """What one figure counts, one row each (a late response each, for late responses; a
    resolution each, for resolved)."""
    late = drill.figure == "late"
    last = {"late": _l("Answered"), "resolved": _l("Resolved")}.get(drill.figure,
                                                                    _l("First response"))
    columns = (Column(_l("Ticket")), Column(_l("Subject")), Column(_l("Organisation")),
               Column(_l("Category")), Column(_l("Status")), Column(_l("Received"), "moment"),
               Column(_l("Due"), "moment"), Column(last, "moment"),
               *((Column(_l("Late"), "lateness"),) if late else ()))
    rows = [(Cell(f"#{row.number}", _ticket_url(row.number)), Cell(row.subject),
             Cell(row.organisation), Cell(category_label(row.category)),
             Cell(status_label(row.status)), Cell(row.received_at), Cell(row.due_at),
             Cell(row.answered_at), *((Cell(row.late_seconds),) if late else ()))
            for row in drill.rows]
    return Table("drilldown", DRILLDOWN_TITLES[drill.figure], columns, rows)


def dashboard_tables(board: Dashboard, links: DrilldownLinks, report_month: date) -> dict:
    tables = [summary_table(board, links), trend_table(board, links), heatmap_table(board),
              time_bands_table(board), *breakdown_tables(board, links, report_month),
              backlog_table(board, links), late_responses_table(board, True),
              calamities_table(board, True)]
    return {table.key: table for table in tables}


def report_tables(board: Dashboard, tickets: list[OrganisationTicket]) -> dict:
    """The customer's monthly report: no agents and no links into the desk."""
    by_category = Table("by_category", _l("By category"),
                        (Column(_l("Category")), *_FIGURES_COLUMNS),
                        [(Cell(category_label(category)), *_figures_cells(figures, None, None))
                         for category, figures in board.by_category])
    tables = [summary_table(board, None), by_category, late_responses_table(board, False),
              calamities_table(board, False), organisation_tickets_table(tickets)]
    return {table.key: table for table in tables}


# --- the charts beside the tables -------------------------------------------------------------

def dashboard_charts(board: Dashboard, tables: dict) -> dict[str, list[Chart]]:
    """Charts per table key, drawn from the same figures as the tables."""
    periods = [row[0].value for row in tables["trend"].rows]
    trend = [figures for _, figures in board.trend]
    return {
        "trend": [
            column_chart("trend-volume", _("Received and resolved"), periods,
                         [("bar-received", _("Received")), ("bar-resolved", _("Resolved"))],
                         [[f.received, f.resolved] for f in trend]),
            column_chart("trend-on-time", _("Responses on time"), periods,
                         [("bar-on-time", _("On time %"))],
                         [[f.responses.share_on_time] for f in trend], percent=True),
        ],
        "arrivals": [heatmap_chart("arrivals", _("Arrivals by weekday and hour"),
                                   [str(day) for day in WEEKDAYS], board.heatmap,
                                   board.office_hours)],
        "response_times": [bar_chart(
            "response-times", _("First responses by time to respond"),
            [str(TIME_BAND_LABELS[name]) for name, _count in board.time_bands],
            [("bar-received", _("First responses"))],
            [[count] for _name, count in board.time_bands])],
        "by_category": [bar_chart(
            "on-time-by-category", _("Responses on time by category"),
            [category_label(category) for category, _f in board.by_category],
            [("bar-on-time", _("On time %"))],
            [[figures.responses.share_on_time] for _c, figures in board.by_category],
            percent=True)],
        "backlog": [bar_chart(
            "backlog", _("Backlog now by age"),
            [str(AGE_BAND_LABELS[band.key]) for band in board.backlog],
            [("bar-received", _("Awaiting the desk")),
             ("bar-waiting", _("Waiting on the customer"))],
            [[band.awaiting_desk, band.waiting_on_customer] for band in board.backlog])],
    }
