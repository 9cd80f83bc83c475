"""Managers' access report: who at the desk read an organisation's or a contact's data, and when.

It lists the reads (when, who, what, which ticket), never the data read.
"""
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from flask import abort, render_template, request

from helpdesk.services import Refusal
from helpdesk.services.people import contacts, directory
from helpdesk.services.privacy import access
from helpdesk.services.promise.calendar_settings import desk_timezone
from helpdesk.web.access import MANAGER, policy
from helpdesk.web.manager import bp
from helpdesk.web.manager.directory_forms import AccessReportForm

DEFAULT_DAYS = 30


def _report(*, organisation=None, contact=None) -> dict:
    timezone = desk_timezone()
    if request.args:
        form = AccessReportForm(request.args)
    else:
        today = datetime.now(UTC).astimezone(ZoneInfo(timezone)).date()
        form = AccessReportForm(formdata=None, first_day=today - timedelta(days=DEFAULT_DAYS - 1),
                                last_day=today)
    rows = None
    if not request.args or form.validate():  # the default range needs no checking
        try:
            rows = access.accesses(first_day=form.first_day.data, last_day=form.last_day.data,
                                   timezone=timezone, organisation=organisation,
                                   contact=contact)
        except Refusal as refused:
            form.last_day.errors = [*form.last_day.errors, str(refused)]
    return {"form": form, "rows": rows, "limit": access.REPORT_LIMIT}


@bp.get("/organisations/<slug>/access")
@policy(MANAGER)
def organisation_access(slug: str):
    organisation = directory.find_organisation(slug) or abort(404)
    return render_template("manager/access_report.html", organisation=organisation,
                           **_report(organisation=organisation))


@bp.get("/contacts/<int:contact_id>/access")
@policy(MANAGER)
def contact_access(contact_id: int):
    contact = contacts.contact_by_id(contact_id)
    return render_template("manager/access_report.html", contact=contact,
                           **_report(contact=contact))
