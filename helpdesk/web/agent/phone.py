"""Phone calls logged as tickets, and the super-user finder they (and held mail) use."""
from datetime import UTC, datetime, timedelta

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from helpdesk.extensions import db
from helpdesk.models import Category, Contact
from helpdesk.services import Refusal
from helpdesk.services.people import directory, visibility
from helpdesk.services.tickets import desk
from helpdesk.web.access import AGENT, policy
from helpdesk.web.agent import bp, forms
from helpdesk.web.htmx import render_page_or_fragment
from helpdesk.web.i18n import desk_zone


def picker_context(form) -> dict:
    """The super-users matching the search, with the chosen one kept in view."""
    now = datetime.now(UTC)
    matches = directory.find_super_users(form.contact_q.data or "", current_user, now)
    chosen = db.session.get(Contact, form.contact_id.data) if form.contact_id.data else None
    if chosen is not None and not visibility.may_see_contact(current_user, chosen, now):
        chosen = None
    if chosen is not None and chosen not in matches:
        matches.insert(0, chosen)
    return {"matches": matches, "chosen_id": chosen.id if chosen else None}


@bp.get("/contacts")
@policy(AGENT)
def contacts():
    """Super-users by name, email or organisation (the finder's live results)."""
    query = request.args.get("contact_q", "")
    return render_page_or_fragment("agent/contacts.html", "agent/_contact_results.html",
                                   "contact-results", contact_q=query, chosen_id=None,
                                   matches=directory.find_super_users(query, current_user,
                                                                      datetime.now(UTC)))


@bp.route("/phone", methods=["GET", "POST"])
@policy(AGENT)
def phone():
    form = forms.phone_form()
    error = None
    if request.method == "GET":
        form.call_at.data = datetime.now(desk_zone()).replace(second=0, microsecond=0,
                                                              tzinfo=None)
    elif not request.form.get("search") and form.validate_on_submit():
        call_at = form.call_at.data.replace(tzinfo=desk_zone()).astimezone(UTC)
        outcome, status_after = form.outcome_and_status()
        try:
            ticket = desk.log_call(
                current_user, form.contact_id.data or 0, category=Category(form.category.data),
                subject=form.subject.data or "", summary=form.summary.data or "",
                internal_note=form.internal_note.data or "", call_at=call_at,
                call_ended_at=call_at + timedelta(minutes=form.duration_minutes.data or 0),
                outcome=outcome, status_after=status_after, now=datetime.now(UTC))
        except Refusal as refused:
            error = str(refused)
        else:
            flash(_("Call logged as ticket #%(number)s.", number=ticket.number), "info")
            return redirect(url_for("agent.ticket", number=ticket.number), 303)
    return render_template("agent/phone.html", form=form, error=error, **picker_context(form))
