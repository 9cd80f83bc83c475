"""Portal sign-in (password or one-time link) and the organisation's tickets."""
from datetime import UTC, datetime

from flask import current_app, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_user

from helpdesk.access import PUBLIC, SUPER_USER, policy
from helpdesk.auth.forms import PasswordSignInForm
from helpdesk.auth.redirects import safe_next
from helpdesk.extensions import db
from helpdesk.models import MessageKind
from helpdesk.portal import bp
from helpdesk.portal.forms import SignInLinkForm
from helpdesk.services import portal_access, signin
from helpdesk.services.portal_mail import queue_sign_in_link


def _start_session(contact, now: datetime):
    next_url = request.args.get("next")
    session.clear()
    login_user(contact)
    session["seen_at"] = now.timestamp()
    return redirect(safe_next(next_url, url_for("portal.tickets")))


@bp.route("/sign-in", methods=["GET", "POST"])
@policy(PUBLIC)
def sign_in():
    form = PasswordSignInForm()
    if session.pop("expired", False):
        flash(_("You were signed out after a period of inactivity."), "info")
    if form.validate_on_submit():
        now = datetime.now(UTC)
        config = current_app.config
        try:
            signin.ensure_not_throttled(
                form.email.data, request.remote_addr or "", now,
                window=config["SIGN_IN_FAILURE_WINDOW"],
                per_account=config["SIGN_IN_FAILURES_PER_ACCOUNT"],
                per_address=config["SIGN_IN_FAILURES_PER_ADDRESS"])
        except signin.SignInThrottled:
            flash(_("Too many failed attempts. Try again in a few minutes."), "error")
            return render_template("portal/sign_in.html", form=form,
                                   link_form=SignInLinkForm()), 429
        contact = signin.contact_with_password(form.email.data, form.password.data)
        if contact is not None:
            return _start_session(contact, now)
        signin.record_failure(form.email.data, request.remote_addr or "", now)
        flash(_("Email or password is not right."), "error")
    return render_template("portal/sign_in.html", form=form, link_form=SignInLinkForm())


@bp.post("/sign-in/link")
@policy(PUBLIC)
def request_sign_in_link():
    form = SignInLinkForm()
    if form.validate_on_submit():
        queue_sign_in_link(form.email.data, datetime.now(UTC))
    # The same answer whether the address exists or not.
    flash(_("If this address belongs to a registered super-user, a sign-in link is on its "
            "way. It works once, for 15 minutes."), "info")
    return redirect(url_for("portal.sign_in"))


@bp.get("/sign-in/link/<token>")
@policy(PUBLIC)
def follow_sign_in_link(token: str):
    # A GET only shows a button: mail scanners that prefetch links must not use up the token.
    return render_template("portal/confirm_link.html", token=token)


@bp.post("/sign-in/link/<token>")
@policy(PUBLIC)
def use_sign_in_link(token: str):
    now = datetime.now(UTC)
    contact = signin.consume_token(token, signin.SIGN_IN, now)
    if contact is None:
        flash(_("This sign-in link has expired or was used already. Ask for a new one."), "error")
        return redirect(url_for("portal.sign_in"))
    return _start_session(contact, now)


@bp.get("/")
@policy(SUPER_USER)
def tickets():
    return render_template("portal/tickets.html",
                           tickets=portal_access.organisation_tickets(current_user))


@bp.get("/tickets/<int:number>")
@policy(SUPER_USER)
def ticket(number: int):
    found = portal_access.ticket_for_contact(current_user, number)
    public_messages = [m for m in found.messages if m.kind != MessageKind.NOTE]
    db.session.commit()
    return render_template("portal/ticket.html", ticket=found, messages=public_messages)
