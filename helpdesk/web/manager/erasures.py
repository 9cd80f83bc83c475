"""Managers' pages for erasure: erasing a contact on request or an ended organisation, and the
certificate each produced."""
from datetime import UTC, datetime

from flask import abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user

from helpdesk.services import Refusal
from helpdesk.services.people import contacts, directory
from helpdesk.services.privacy import erase, erasure
from helpdesk.web.access import MANAGER, policy
from helpdesk.web.manager import bp
from helpdesk.web.manager.directory_forms import EraseContactForm, EraseOrganisationForm


@bp.post("/contacts/<int:contact_id>/erase")
@policy(MANAGER)
def contact_erase(contact_id: int):
    contact = contacts.contact_by_id(contact_id)
    form = EraseContactForm()
    if not form.validate_on_submit() or contact.erased_at is not None:
        flash(_("Nothing was erased."), "error")
    elif form.confirm_email.data.strip().lower() != contact.email.lower():
        flash(_("The address typed is not this contact's; nothing was erased."), "error")
    else:
        certificate = erase.erase_contact(contact.email, datetime.now(UTC), by=current_user)
        flash(_("The contact's personal data is erased."), "info")
        return redirect(url_for("manager.erasure_certificate", certificate_id=certificate.id),
                        303)
    return redirect(url_for("manager.contact", contact_id=contact_id), 303)


@bp.post("/organisations/<slug>/erase")
@policy(MANAGER)
def organisation_erase(slug: str):
    organisation = directory.find_organisation(slug) or abort(404)
    form = EraseOrganisationForm()
    if not form.validate_on_submit():
        flash(_("Nothing was erased."), "error")
    elif form.confirm_slug.data.strip() != organisation.slug:
        flash(_("The slug typed is not this organisation's; nothing was erased."), "error")
    else:
        try:
            certificate = erase.erase_organisation(organisation.slug, datetime.now(UTC),
                                                   by=current_user)
        except Refusal as refused:
            flash(str(refused), "error")
        else:
            flash(_("The organisation's personal data is erased."), "info")
            return redirect(url_for("manager.erasure_certificate",
                                    certificate_id=certificate.id), 303)
    return redirect(url_for("manager.organisation", slug=organisation.slug), 303)


@bp.get("/erasures/<int:certificate_id>")
@policy(MANAGER)
def erasure_certificate(certificate_id: int):
    certificate = erasure.certificate(certificate_id) or abort(404)
    return render_template("manager/erasure_certificate.html", certificate=certificate)
