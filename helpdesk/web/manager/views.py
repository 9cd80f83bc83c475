"""Managers' pages for customer organisations: the list, adding one, its page, name and status."""
from datetime import UTC, datetime

import sqlalchemy as sa
from flask import abort, flash, redirect, render_template, send_file, url_for
from flask_babel import gettext as _
from flask_login import current_user

from helpdesk.extensions import db
from helpdesk.models import OPEN_STATUSES, Contact, Organisation, OrganisationStatus, Ticket
from helpdesk.services import Refusal
from helpdesk.services.people import audit, directory
from helpdesk.services.privacy import access, export_zip
from helpdesk.services.promise.calendar_settings import desk_timezone
from helpdesk.web.access import MANAGER, policy
from helpdesk.web.htmx import fragment_or_redirect, render_page_or_fragment
from helpdesk.web.i18n import desk_zone
from helpdesk.web.manager import bp
from helpdesk.web.manager.directory_forms import (
    EraseOrganisationForm,
    NewContactForm,
    OrganisationForm,
    RenameForm,
    StatusForm,
)

STATUS_ID = "organisation-status"


def _organisation_or_404(slug: str) -> Organisation:
    organisation = directory.find_organisation(slug)
    if organisation is None:
        abort(404)
    return organisation


def _today():
    return datetime.now(UTC).astimezone(desk_zone()).date()


def _list_rows():
    open_counts = (sa.select(Ticket.organisation_id, sa.func.count().label("open_tickets"))
                   .where(Ticket.status.in_(OPEN_STATUSES)).group_by(Ticket.organisation_id)
                   .subquery())
    super_user_counts = (sa.select(Contact.organisation_id, sa.func.count().label("super_users"))
                         .where(Contact.is_super_user.is_(True)).group_by(Contact.organisation_id)
                         .subquery())
    return db.session.execute(
        sa.select(Organisation,
                  sa.func.coalesce(open_counts.c.open_tickets, 0),
                  sa.func.coalesce(super_user_counts.c.super_users, 0))
        .outerjoin(open_counts, open_counts.c.organisation_id == Organisation.id)
        .outerjoin(super_user_counts, super_user_counts.c.organisation_id == Organisation.id)
        .order_by(Organisation.name)
    ).all()


@bp.route("/organisations", methods=["GET", "POST"])
@policy(MANAGER)
def organisations():
    form = OrganisationForm()
    if form.validate_on_submit():
        try:
            organisation = directory.add_organisation(form.slug.data, form.name.data,
                                                      datetime.now(UTC), by=current_user)
        except Refusal as refused:
            form.slug.errors = [*form.slug.errors, str(refused)]
        else:
            flash(_("Organisation %(name)s added.", name=organisation.name), "info")
            return redirect(url_for("manager.organisation", slug=organisation.slug), 303)
    return render_template("manager/organisations.html", rows=_list_rows(), form=form)


def _page_context(organisation: Organisation, **forms) -> dict:
    forms.setdefault("rename_form", RenameForm(name=organisation.name, formdata=None))
    forms.setdefault("status_form", StatusForm(status=organisation.status.value,
                                               effective_on=_today(), formdata=None))
    forms.setdefault("erase_form", EraseOrganisationForm(formdata=None))
    erasable = organisation.status == OrganisationStatus.ENDED and organisation.erased_at is None
    return {"organisation": organisation, "history": audit.history(organisation),
            "erasable": erasable, **forms}


@bp.get("/organisations/<slug>")
@policy(MANAGER)
def organisation(slug: str):
    organisation = _organisation_or_404(slug)
    access.organisation_viewed(organisation, current_user, datetime.now(UTC))
    return render_template("manager/organisation.html", **_page_context(organisation))


@bp.post("/organisations/<slug>/export")
@policy(MANAGER)
def organisation_export(slug: str):
    """The zip is built into a private file for this download only: its name is removed as soon
    as it is open, so nothing is left behind however the download ends."""
    _organisation_or_404(slug)
    now = datetime.now(UTC)
    path = export_zip.new_export_path()
    export_zip.export_zip(slug, path, now, by=current_user, exported_by="manager download")
    handle = open(path, "rb")  # noqa: SIM115 (the response closes it)
    path.unlink()
    response = send_file(handle, mimetype="application/zip", as_attachment=True, max_age=0,
                         download_name=f"{slug}-export-{now:%Y-%m-%d}.zip", etag=False)
    response.headers["Cache-Control"] = "private, no-store"
    return response


@bp.post("/organisations/<slug>/name")
@policy(MANAGER)
def organisation_rename(slug: str):
    organisation = _organisation_or_404(slug)
    form = RenameForm()
    if form.validate_on_submit():
        try:
            directory.rename_organisation(slug, form.name.data, datetime.now(UTC),
                                          by=current_user)
        except Refusal as refused:
            form.name.errors = [*form.name.errors, str(refused)]
        else:
            flash(_("Organisation renamed."), "info")
            return redirect(url_for("manager.organisation", slug=slug), 303)
    return render_template("manager/organisation.html",
                           **_page_context(organisation, rename_form=form))


@bp.post("/organisations/<slug>/status")
@policy(MANAGER)
def organisation_status(slug: str):
    """The status form re-renders itself for htmx; a plain post comes back to the page."""
    organisation = _organisation_or_404(slug)
    form = StatusForm()
    if form.validate_on_submit():
        try:
            directory.set_organisation_status(
                slug, form.status.data, datetime.now(UTC), effective_on=form.effective_on.data,
                timezone=desk_timezone(), by=current_user)
        except Refusal as refused:
            form.effective_on.errors = [*form.effective_on.errors, str(refused)]
        else:
            return fragment_or_redirect(
                "manager/_organisation_status.html", STATUS_ID,
                url_for("manager.organisation", slug=slug), **_page_context(organisation))
    return render_page_or_fragment("manager/organisation.html",
                                   "manager/_organisation_status.html", STATUS_ID,
                                   **_page_context(organisation, status_form=form))


@bp.route("/organisations/<slug>/contacts/new", methods=["GET", "POST"])
@policy(MANAGER)
def contact_new(slug: str):
    organisation = _organisation_or_404(slug)
    form = NewContactForm()
    if form.validate_on_submit():
        try:
            contact = directory.add_contact(
                form.email.data, slug, form.name.data, datetime.now(UTC),
                super_user=form.super_user.data, language=form.language.data,
                job_title=form.job_title.data, phone=form.phone.data, by=current_user)
        except Refusal as refused:
            form.email.errors = [*form.email.errors, str(refused)]
        else:
            flash(_("Contact %(name)s added.", name=contact.name), "info")
            return redirect(url_for("manager.organisation", slug=slug), 303)
    return render_template("manager/contact_new.html", organisation=organisation, form=form)
