"""A super-user asks for the organisation's export and downloads it once from the mailed link."""
from datetime import UTC, datetime

from flask import abort, flash, render_template, send_file, url_for
from flask_babel import gettext as _
from flask_login import current_user

from helpdesk.services import Refusal
from helpdesk.services.privacy import export_requests
from helpdesk.web.access import SUPER_USER, policy
from helpdesk.web.auth.forms import EmptyForm
from helpdesk.web.htmx import redirect_after_post
from helpdesk.web.portal import bp


@bp.route("/export", methods=["GET", "POST"])
@policy(SUPER_USER)
def export():
    form = EmptyForm()
    now = datetime.now(UTC)
    if form.validate_on_submit():
        try:
            export_requests.request_export(current_user, now)
        except Refusal as refused:
            flash(str(refused), "error")
        else:
            flash(_("Your request is recorded. We mail you a download link when the export "
                    "is ready."), "success")
        return redirect_after_post(url_for("portal.export"))
    return render_template("portal/export.html", form=form,
                           pending=export_requests.pending_request(current_user, now),
                           hours=export_requests.link_valid_hours())


@bp.get("/export/<token>")
@policy(SUPER_USER)
def export_download(token: str):
    now = datetime.now(UTC)
    try:
        handle = export_requests.take_export(token, current_user, now)
    except export_requests.ExportLinkGone as gone:
        return render_template("portal/export_gone.html", message=str(gone)), 410
    if handle is None:
        abort(404)
    response = send_file(handle, mimetype="application/zip", as_attachment=True, max_age=0,
                         download_name=f"{current_user.organisation.slug}-export-"
                                       f"{now:%Y-%m-%d}.zip", etag=False)
    response.headers["Cache-Control"] = "private, no-store"
    return response
