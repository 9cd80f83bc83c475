"""Managers' pages for contacts: the search across organisations and a contact's own page."""
from datetime import UTC, datetime

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from helpdesk.services import Refusal
from helpdesk.services.people import audit, contacts
from helpdesk.services.portal import link_mail
from helpdesk.services.privacy import access
from helpdesk.web.access import MANAGER, policy
from helpdesk.web.auth.forms import EmptyForm
from helpdesk.web.htmx import render_page_or_fragment
from helpdesk.web.ids import id_arg
from helpdesk.web.manager import bp
from helpdesk.web.manager.directory_forms import (
    ContactDetailsForm,
    EraseContactForm,
    SuperUserForm,
)

RESULTS_ID = "contact-results"


@bp.get("/contacts")
@policy(MANAGER)
def contact_list():
    """Every organisation's contacts, searchable; htmx swaps only the results as one types."""
    text = request.args.get("q", "")[:200]
    found = contacts.search_contacts(text, id_arg(request.args, "page") or 1)
    return render_page_or_fragment("manager/contacts.html", "manager/_contact_results.html",
                                   RESULTS_ID, q=text, found=found)


def _contact_page(contact, form=None):
    return render_template(
        "manager/contact.html", contact=contact,
        form=form or ContactDetailsForm(obj=contact, formdata=None),
        history=audit.contact_history(contact), button_form=EmptyForm(),
        erase_form=EraseContactForm(formdata=None))


@bp.route("/contacts/<int:contact_id>", methods=["GET", "POST"])
@policy(MANAGER)
def contact(contact_id: int):
    contact = contacts.contact_by_id(contact_id)
    if request.method == "GET":
        access.contact_viewed(contact, current_user, datetime.now(UTC))
        return _contact_page(contact)
    form = ContactDetailsForm()
    if form.validate_on_submit():
        details = contacts.ContactDetails(
            name=form.name.data, email=form.email.data, language=form.language.data,
            job_title=form.job_title.data, phone=form.phone.data,
            birth_date=form.birth_date.data, gender=form.gender.data,
            education_level=form.education_level.data)
        try:
            contacts.edit_contact(contact, details, datetime.now(UTC), current_user)
        except Refusal as refused:
            form.email.errors = [*form.email.errors, str(refused)]
        else:
            flash(_("Contact saved."), "info")
            return redirect(url_for("manager.contact", contact_id=contact_id), 303)
    return _contact_page(contact, form)


def _back_to(contact_id: int):
    return redirect(url_for("manager.contact", contact_id=contact_id), 303)


@bp.post("/contacts/<int:contact_id>/super-user")
@policy(MANAGER)
def contact_super_user(contact_id: int):
    contact = contacts.contact_by_id(contact_id)
    form = SuperUserForm()
    if form.validate_on_submit():
        contacts.set_super_user(contact, form.super_user.data, datetime.now(UTC), current_user)
        flash(_("%(name)s is a super-user now.", name=contact.name) if contact.is_super_user
              else _("%(name)s is no longer a super-user.", name=contact.name), "info")
    return _back_to(contact_id)


@bp.post("/contacts/<int:contact_id>/deactivate")
@policy(MANAGER)
def contact_deactivate(contact_id: int):
    contact = contacts.contact_by_id(contact_id)
    if EmptyForm().validate_on_submit():
        contacts.deactivate_contact(contact, datetime.now(UTC), current_user)
        flash(_("%(name)s is deactivated and signed out everywhere.", name=contact.name), "info")
    return _back_to(contact_id)


@bp.post("/contacts/<int:contact_id>/sign-in-link")
@policy(MANAGER)
def contact_sign_in_link(contact_id: int):
    contact = contacts.contact_by_id(contact_id)
    if EmptyForm().validate_on_submit():
        link_mail.send_sign_in_link(contact, datetime.now(UTC), current_user)
        flash(_("A sign-in link is on its way to %(email)s.", email=contact.email), "info")
    return _back_to(contact_id)
