"""Portal sign-in: a password or a one-time link by email, and a password reset by email."""
from datetime import UTC, datetime

from flask import flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_user

from helpdesk.models import Contact
from helpdesk.services import Refusal
from helpdesk.services.people import signin
from helpdesk.services.portal.link_mail import request_link
from helpdesk.web.access import PUBLIC, policy
from helpdesk.web.auth.forms import PasswordSignInForm
from helpdesk.web.auth.redirects import safe_next
from helpdesk.web.portal import bp
from helpdesk.web.portal.forms import EmailForm, NewPasswordForm


def _start_session(contact: Contact, now: datetime):
    next_url = request.args.get("next")
    session.clear()  # a fresh session: nothing from before sign-in carries over
    login_user(contact)
    session["seen_at"] = now.timestamp()
    return redirect(safe_next(next_url, url_for("portal.tickets")))


def _remote_address() -> str:
    return request.remote_addr or ""


@bp.route("/sign-in", methods=["GET", "POST"])
@policy(PUBLIC)
def sign_in():
    person = current_user._get_current_object()
    if isinstance(person, Contact) and person.is_super_user:
        return redirect(url_for("portal.tickets"))
    form = PasswordSignInForm()
    if session.pop("expired", False):
        flash(_("You were signed out after a period of inactivity."), "info")
    if form.validate_on_submit():
        now = datetime.now(UTC)
        try:
            signin.ensure_not_throttled(form.email.data, _remote_address(), now,
                                        **signin.configured_limits())
        except signin.SignInThrottled:
            flash(_("Too many failed attempts. Try again in a few minutes."), "error")
            return render_template("portal/sign_in.html", form=form, link_form=EmailForm()), 429
        contact = signin.contact_with_password(form.email.data, form.password.data)
        if contact is not None:
            return _start_session(contact, now)
        signin.record_failure(form.email.data, _remote_address(), now)
        flash(_("Email or password is not right."), "error")
    return render_template("portal/sign_in.html", form=form, link_form=EmailForm())


def _mail_a_link(form: EmailForm, purpose: str) -> bool:
    """Queue the request unless throttled; False when throttled (for any address alike)."""
    try:
        request_link(form.email.data, purpose, _remote_address(), datetime.now(UTC))
    except signin.SignInThrottled:
        flash(_("Too many requests. Try again in a few minutes."), "error")
        return False
    return True


@bp.post("/sign-in/link")
@policy(PUBLIC)
def request_sign_in_link():
    form = EmailForm()
    # The same answer whether the address exists or not.
    if form.validate_on_submit() and _mail_a_link(form, signin.SIGN_IN):
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


@bp.route("/password-reset", methods=["GET", "POST"])
@policy(PUBLIC)
def request_password_reset():
    form = EmailForm()
    if form.validate_on_submit():
        if _mail_a_link(form, signin.RESET):
            # The same answer whether the address exists or not.
            flash(_("If this address belongs to a registered super-user, a link to set a new "
                    "password is on its way. It works once, for an hour."), "info")
        return redirect(url_for("portal.sign_in"))
    return render_template("portal/password_reset_request.html", form=form)


@bp.route("/password-reset/<token>", methods=["GET", "POST"])
@policy(PUBLIC)
def reset_password(token: str):
    # As with sign-in links, only the POST uses the token up.
    form = NewPasswordForm()
    if form.validate_on_submit():
        try:
            contact = signin.reset_password(token, form.password.data, datetime.now(UTC))
        except Refusal as error:
            form.password.errors.append(str(error))
        else:
            if contact is None:
                flash(_("This link has expired or was used already. Ask for a new one."),
                      "error")
                return redirect(url_for("portal.request_password_reset"))
            session.clear()
            flash(_("Your new password is set, and you are signed out everywhere. "
                    "Sign in with your new password."), "info")
            return redirect(url_for("portal.sign_in"))
    return render_template("portal/password_reset.html", form=form)
