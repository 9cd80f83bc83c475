"""The SLA and calendar settings page: office hours, targets, closing days, recompute progress."""
from datetime import UTC, datetime

from flask import flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user

from helpdesk.services import Refusal
from helpdesk.services.notifications.wording import current_language
from helpdesk.services.promise import sla_settings
from helpdesk.services.promise.calendar_settings import configured_calendar, configured_policy
from helpdesk.services.promise.recompute import latest_job
from helpdesk.web.access import MANAGER, policy
from helpdesk.web.htmx import render_page_or_fragment
from helpdesk.web.manager import bp
from helpdesk.web.manager.forms import ClosingDayForm, DayForm, OfficeHoursForm, ResponseTargetsForm

PROGRESS_ID = "recompute-progress"


@bp.get("/settings")
@policy(MANAGER)
def settings():
    return _settings_page()


@bp.post("/settings/office-hours")
@policy(MANAGER)
def office_hours():
    form = OfficeHoursForm()
    return _apply(form, lambda now: sla_settings.set_office_hours(
        form.opens_at.data, form.closes_at.data, current_user, now), hours_form=form)


@bp.post("/settings/targets")
@policy(MANAGER)
def response_targets():
    form = ResponseTargetsForm()
    return _apply(form, lambda now: sla_settings.set_response_targets(
        form.hours_by_category(), form.calamity_minutes.data, current_user, now),
        targets_form=form)


@bp.post("/settings/closing-days")
@policy(MANAGER)
def add_closing_day():
    form = ClosingDayForm()
    return _apply(form, lambda now: sla_settings.add_closing_day(
        form.day.data, form.note.data or "", current_user, now), closing_day_form=form)


@bp.post("/settings/closing-days/remove")
@policy(MANAGER)
def remove_closing_day():
    form = DayForm()
    return _apply(form, lambda now: sla_settings.remove_closing_day(
        form.day.data, current_user, now))


@bp.post("/settings/holidays/reopen")
@policy(MANAGER)
def reopen_holiday():
    return _set_holiday_open(True)


@bp.post("/settings/holidays/close")
@policy(MANAGER)
def close_holiday():
    return _set_holiday_open(False)


def _set_holiday_open(reopen: bool):
    form = DayForm()
    return _apply(form, lambda now: sla_settings.set_holiday_open(
        form.day.data, reopen, current_user, now))


@bp.get("/settings/recompute")
@policy(MANAGER)
def recompute_progress():
    """How far the background recompute of open tickets got; the page polls this."""
    return render_page_or_fragment("manager/recompute.html", "manager/_recompute_progress.html",
                                   PROGRESS_ID, job=latest_job())


def _apply(form, change, **submitted_forms):
    """Validate, change, and come back to the page; errors re-render it with status 200."""
    if form.validate_on_submit():
        try:
            change(datetime.now(UTC))
        except Refusal as error:  # the use case rolled its changes back
            flash(str(error), "error")
        else:
            flash(_("Saved. Open tickets' due moments are being recomputed."), "info")
            return redirect(url_for("manager.settings"))
    else:
        flash(_("Please correct the marked fields."), "error")
    return _settings_page(**submitted_forms)


def _settings_page(hours_form=None, targets_form=None, closing_day_form=None):
    calendar, policy_in_force = configured_calendar(), configured_policy()
    if hours_form is None:
        hours_form = OfficeHoursForm(formdata=None, opens_at=calendar.opens_at,
                                     closes_at=calendar.closes_at)
    if targets_form is None:
        targets = {f"{category}_hours": int(hours)
                   for category, hours in policy_in_force.target_hours}
        targets_form = ResponseTargetsForm(
            formdata=None, calamity_minutes=policy_in_force.calamity_target_minutes, **targets)
    return render_template(
        "manager/settings.html", hours_form=hours_form, targets_form=targets_form,
        closing_day_form=closing_day_form or ClosingDayForm(formdata=None), job=latest_job(),
        timezone=calendar.timezone,
        years=sla_settings.closing_days_by_year(datetime.now(UTC), current_language()))
