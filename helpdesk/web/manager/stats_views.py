"""Managers' statistics: the dashboard, every table of it as CSV, and the monthly report."""
from datetime import UTC, date, datetime
from typing import NamedTuple

from flask import abort, flash, render_template, request, url_for
from flask_babel import gettext as _

from helpdesk.domain.ids import MAX_PAGE, parse_id, parse_number
from helpdesk.domain.periods import (
    EARLIEST,
    LATEST,
    Period,
    local_today,
    month_period,
    preset_period,
)
from helpdesk.models import Category, Channel, Organisation
from helpdesk.services import Refusal
from helpdesk.services.people.directory import organisation_by_slug
from helpdesk.services.promise.calendar_settings import configured_calendar
from helpdesk.services.stats import figures
from helpdesk.web.access import MANAGER, policy
from helpdesk.web.manager import bp
from helpdesk.web.manager.stats_forms import UNASSIGNED, StatsFilterForm
from helpdesk.web.manager.stats_tables import (
    AGE_BAND_LABELS,
    DrilldownLinks,
    csv_response,
    dashboard_charts,
    dashboard_tables,
    drilldown_table,
    page_text,
    report_tables,
)

REPORT_TICKET_LIMIT = 1000

bp.add_app_template_filter(page_text, "stat_value")


class Selection(NamedTuple):
    form: StatsFilterForm
    filter: figures.StatsFilter
    organisation: Organisation | None
    understood: bool  # False: the URL's filters made no sense and the defaults apply


def _selection(today: date) -> Selection:
    """The filter form read from the URL (the defaults if not understood), and its filter."""
    organisations, staff = figures.filter_choices()
    form = StatsFilterForm(organisations, staff, formdata=request.args)
    understood = not request.args or form.validate()
    if not understood:
        form = StatsFilterForm(organisations, staff, formdata=None)
    if form.period.data == "custom":
        period = Period(form.start.data, form.end.data)
    else:
        period = preset_period(form.period.data, today)
    organisation = next((o for o in organisations if o.slug == form.organisation.data), None)
    stats_filter = figures.StatsFilter(
        period=period, organisation_id=organisation.id if organisation else None,
        category=Category(form.category.data) if form.category.data else None,
        channel=Channel(form.channel.data) if form.channel.data else None,
        assignee_id=parse_id(form.agent.data),
        unassigned=form.agent.data == UNASSIGNED)
    return Selection(form, stats_filter, organisation, understood)


def _dashboard_and_tables():
    now = datetime.now(UTC)
    calendar = configured_calendar()
    selection = _selection(local_today(now, calendar.timezone))
    board = figures.dashboard(selection.filter, now, calendar)
    links = DrilldownLinks(selection.filter,
                       selection.organisation.slug if selection.organisation else None)
    report_month = selection.filter.period.end.replace(day=1)
    return selection, board, dashboard_tables(board, links, report_month)


@bp.get("/stats")
@policy(MANAGER)
def stats_dashboard():
    selection, board, tables = _dashboard_and_tables()
    if not selection.understood:
        flash(_("Some filters were not understood; they were reset."), "error")
    query = selection.form.url_args()
    return render_template("manager/stats/dashboard.html", form=selection.form, board=board,
                           tables=tables, charts=dashboard_charts(board, tables),
                           csv_url=lambda key: url_for("manager.stats_csv", table=key, **query))


@bp.get("/stats/<table>.csv")
@policy(MANAGER)
def stats_csv(table: str):
    _selection_made, board, tables = _dashboard_and_tables()
    if table not in tables:
        abort(404)
    period = board.filter.period
    return csv_response(tables[table], board.timezone,
                        f"statistics-{table}-{period.start}-{period.end}.csv")


@bp.get("/stats/tickets/<figure>")
@policy(MANAGER)
def stats_tickets(figure: str):
    """Drill-down: exactly the tickets (or late responses) a figure of the dashboard counts."""
    if figure not in figures.DRILLDOWN_FIGURES:
        abort(404)
    band = parse_number(request.args.get("band", "0"), least=0, most=len(figures.AGE_BANDS) - 1)
    page = parse_number(request.args.get("page", "1"), least=1, most=MAX_PAGE)
    if band is None or page is None:
        abort(404)
    now = datetime.now(UTC)
    calendar = configured_calendar()
    selection = _selection(local_today(now, calendar.timezone))
    drill = figures.drilldown(selection.filter, figure, now, calendar.timezone, band=band,
                            page=page)
    backlog = figure in figures.BACKLOG_FIGURES
    query = {**selection.form.url_args(), **({"band": str(band)} if backlog else {})}
    return render_template(
        "manager/stats/drilldown.html", drill=drill, table=drilldown_table(drill),
        board_filter=selection.filter, now=now, timezone=calendar.timezone,
        band_label=AGE_BAND_LABELS[figures.AGE_BANDS[band][0]] if backlog else None,
        page_url=lambda number: url_for("manager.stats_tickets", figure=figure, page=number,
                                        **query),
        back_url=url_for("manager.stats_dashboard", **selection.form.url_args()))


def _report(slug: str):
    try:
        organisation = organisation_by_slug(slug)
    except Refusal:
        abort(404)
    now = datetime.now(UTC)
    calendar = configured_calendar()
    month = _report_month(request.args.get("month", ""), local_today(now, calendar.timezone))
    period = month_period(month.year, month.month)
    board = figures.dashboard(figures.StatsFilter(period, organisation_id=organisation.id), now,
                            calendar, list_limit=REPORT_TICKET_LIMIT)
    tickets, ticket_count = figures.organisation_tickets(organisation.id, period,
                                                       calendar.timezone, REPORT_TICKET_LIMIT)
    return organisation, month, board, report_tables(board, tickets), ticket_count


def _report_month(raw: str, today: date) -> date:
    """The month asked for as YYYY-MM (this century), else the last complete month."""
    try:
        month = datetime.strptime(raw, "%Y-%m").date()
    except ValueError:
        month = None
    if month is None or not EARLIEST <= month <= LATEST:
        return preset_period("last_month", today).start
    return month


@bp.get("/stats/organisations/<slug>")
@policy(MANAGER)
def organisation_report(slug: str):
    organisation, month, board, tables, ticket_count = _report(slug)
    month_text = month.strftime("%Y-%m")
    return render_template(
        "manager/stats/report.html", organisation=organisation, month=month, board=board,
        tables=tables, ticket_count=ticket_count, ticket_limit=REPORT_TICKET_LIMIT,
        csv_url=lambda key: url_for("manager.organisation_report_csv", slug=slug, table=key,
                                    month=month_text))


@bp.get("/stats/organisations/<slug>/<table>.csv")
@policy(MANAGER)
def organisation_report_csv(slug: str, table: str):
    organisation, month, board, tables, _count = _report(slug)
    if table not in tables:
        abort(404)
    return csv_response(tables[table], board.timezone,
                        f"report-{organisation.slug}-{month:%Y-%m}-{table}.csv")
