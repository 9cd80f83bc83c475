"""Managers' pages for the breach register: the list, recording, one breach, informing, export."""
import json
from datetime import UTC, datetime

import sqlalchemy as sa
from flask import Response, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user

from helpdesk.domain.spreadsheet import csv_text
from helpdesk.extensions import db
from helpdesk.models import Breach, BreachStatus, Organisation
from helpdesk.services import Refusal
from helpdesk.services.privacy import breaches
from helpdesk.services.privacy.breach_access import access_during
from helpdesk.web.access import MANAGER, policy
from helpdesk.web.auth.forms import EmptyForm
from helpdesk.web.i18n import desk_zone
from helpdesk.web.manager import bp
from helpdesk.web.manager.breach_forms import BreachForm

MOMENTS = ("found_at", "occurred_from", "occurred_to")


def _form(breach: Breach | None = None, **kwargs) -> BreachForm:
    if breach is not None:
        shown = {name: getattr(breach, name).astimezone(desk_zone()).replace(tzinfo=None)
                 for name in MOMENTS}
        kwargs.update(obj=breach, organisations=[a.organisation_id for a in breach.affected],
                      **shown)
    form = BreachForm(**kwargs)
    form.organisations.choices = [tuple(row) for row in db.session.execute(
        sa.select(Organisation.id, Organisation.name).order_by(Organisation.name))]
    return form


def _details(form: BreachForm) -> breaches.BreachDetails:
    """The form's values, its desk-time moments as UTC instants."""
    moments = {name: form[name].data.replace(tzinfo=desk_zone()).astimezone(UTC)
               for name in MOMENTS}
    return breaches.BreachDetails(
        title=form.title.data, what_happened=form.what_happened.data,
        data_categories=form.data_categories.data,
        approximate_subjects=form.approximate_subjects.data,
        approximate_records=form.approximate_records.data,
        likely_consequences=form.likely_consequences.data,
        measures_taken=form.measures_taken.data, contact_point=form.contact_point.data,
        organisation_ids=tuple(form.organisations.data), **moments)


@bp.get("/breaches")
@policy(MANAGER)
def breach_list():
    """The register, newest first."""
    return render_template("manager/breaches.html", breaches=breaches.breach_list())


@bp.route("/breaches/new", methods=["GET", "POST"])
@policy(MANAGER)
def breach_new():
    form = _form()
    if form.validate_on_submit():
        try:
            breach = breaches.record_breach(_details(form), datetime.now(UTC), current_user)
        except Refusal as refused:
            form.form_errors.append(str(refused))
        else:
            flash(_("Breach recorded."), "info")
            return redirect(url_for("manager.breach", breach_id=breach.id), 303)
    return render_template("manager/breach_form.html", form=form, breach=None)


@bp.get("/breaches/<int:breach_id>")
@policy(MANAGER)
def breach(breach_id: int):
    """Its details, its organisations and who touched their data during the breach."""
    breach = breaches.breach_by_id(breach_id)
    accesses = access_during([a.organisation_id for a in breach.affected],
                             breach.occurred_from, breach.occurred_to)
    return render_template("manager/breach.html", breach=breach, accesses=accesses,
                           history=breaches.breach_history(breach), button_form=EmptyForm(),
                           closed=breach.status == BreachStatus.CLOSED)


@bp.route("/breaches/<int:breach_id>/edit", methods=["GET", "POST"])
@policy(MANAGER)
def breach_edit(breach_id: int):
    breach = breaches.breach_by_id(breach_id)
    form = _form(breach)  # a post's own values win over the breach's
    if form.validate_on_submit():
        try:
            breaches.edit_breach(breach_id, _details(form), datetime.now(UTC), current_user)
        except Refusal as refused:
            form.form_errors.append(str(refused))
        else:
            flash(_("Breach saved."), "info")
            return redirect(url_for("manager.breach", breach_id=breach_id), 303)
    return render_template("manager/breach_form.html", form=form, breach=breach)


def _act(breach_id: int, act) -> Response:
    if EmptyForm().validate_on_submit():
        try:
            message = act()
        except Refusal as refused:
            flash(str(refused), "error")
        else:
            flash(message, "info")
    return redirect(url_for("manager.breach", breach_id=breach_id), 303)


@bp.post("/breaches/<int:breach_id>/close")
@policy(MANAGER)
def breach_close(breach_id: int):
    def close():
        breaches.close_breach(breach_id, datetime.now(UTC), current_user)
        return _("Breach closed.")
    return _act(breach_id, close)


@bp.post("/breaches/<int:breach_id>/inform")
@policy(MANAGER)
def breach_inform(breach_id: int):
    """Mail the super-users of each affected organisation not yet informed."""
    def inform():
        informed = breaches.inform_organisations(breach_id, datetime.now(UTC), current_user)
        message = _("%(count)s mail(s) queued to the super-users of: %(names)s.",
                    count=informed.mails, names=", ".join(informed.organisations) or "—")
        if informed.unreachable:
            flash(_("No active super-user to inform at: %(names)s.",
                    names=", ".join(informed.unreachable)), "error")
        return message
    return _act(breach_id, inform)


def _cell(value) -> str:
    if isinstance(value, list):
        return "; ".join(f"{o['name']} ({o['slug']})" + (f" {o['informed_at']}"
                                                        if o["informed_at"] else "")
                         for o in value)
    return "" if value is None else str(value)


@bp.get("/breaches/register.csv")
@policy(MANAGER)
def breach_register_csv():
    rows = [[_cell(row[name]) for name in breaches.REGISTER_FIELDS]
            for row in breaches.register()]
    return Response(csv_text([list(breaches.REGISTER_FIELDS), *rows]), mimetype="text/csv",
                    headers={"Content-Disposition": 'attachment; filename="breach-register.csv"',
                             "Cache-Control": "private, no-store"})


@bp.get("/breaches/register.json")
@policy(MANAGER)
def breach_register_json():
    return Response(json.dumps(breaches.register(), indent=2, ensure_ascii=False),
                    mimetype="application/json",
                    headers={"Content-Disposition": 'attachment; filename="breach-register.json"',
                             "Cache-Control": "private, no-store"})
