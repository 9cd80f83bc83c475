"""Portal sign-in: a password or a one-time link by email, and a password reset by email."""
from datetime import UTC, datetime

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user

from helpdesk.models import Contact
from helpdesk.services import Refusal
from helpdesk.services.people import signin
from helpdesk.services.portal.link_mail import request_link, valid_minutes
from helpdesk.web.access import PUBLIC, policy
from helpdesk.web.auth.sign_in import password_step, remote_address, start_session
from helpdesk.web.i18n import chosen_language, fresh_session
from helpdesk.web.portal import bp
from helpdesk.web.portal.forms import EmailForm, NewPasswordForm


def _start_session(contact: Contact, now: datetime):
    return start_session(contact, now, request.args.get("next"), url_for("portal.tickets"))


@bp.route("/sign-in", methods=["GET", "POST"])
@policy(PUBLIC)
def sign_in():
    person = current_user._get_current_object()
    if isinstance(person, Contact) and person.is_super_user:
        return redirect(url_for("portal.tickets"))
    return password_step("portal/sign_in.html", signin.contact_with_password, _start_session,
                         language=chosen_language(), link_form=EmailForm())


def _mail_a_link(form: EmailForm, purpose: str) -> None:
    """Queue the request unless throttled, and say so alike for any address."""
    try:
        request_link(form.email.data, purpose, remote_address(), datetime.now(UTC))
    except signin.SignInThrottled:
        flash(_("Too many requests. Try again in a few minutes."), "error")
    else:
        flash(_link_on_its_way(purpose, valid_minutes(purpose)), "info")


def _link_on_its_way(purpose: str, minutes: int) -> str:
    """The same answer whether the address exists or not, with how long the link works."""
    if purpose == signin.SIGN_IN:
        return ngettext("If this address belongs to a registered super-user, a sign-in link is "
                        "on its way. It works once, for %(num)d minute.",
                        "If this address belongs to a registered super-user, a sign-in link is "
                        "on its way. It works once, for %(num)d minutes.", minutes)
    return ngettext("If this address belongs to a registered super-user, a link to set a new "
                    "password is on its way. It works once, for %(num)d minute.",
                    "If this address belongs to a registered super-user, a link to set a new "
                    "password is on its way. It works once, for %(num)d minutes.", minutes)


@bp.post("/sign-in/link")
@policy(PUBLIC)
def request_sign_in_link():
    form = EmailForm()
    # The same answer whether the address exists or not.
    if form.validate_on_submit():
        _mail_a_link(form, signin.SIGN_IN)
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
    contact = signin.consume_token(token, signin.SIGN_IN, now, language=chosen_language())
    if contact is None:
        flash(_("This sign-in link has expired or was used already. Ask for a new one."), "error")
        return redirect(url_for("portal.sign_in"))
    return _start_session(contact, now)


@bp.route("/password-reset", methods=["GET", "POST"])
@policy(PUBLIC)
def request_password_reset():
    form = EmailForm()
    if form.validate_on_submit():
        _mail_a_link(form, signin.RESET)
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
            fresh_session()
            flash(_("Your new password is set, and you are signed out everywhere. "
                    "Sign in with your new password."), "info")
            return redirect(url_for("portal.sign_in"))
    return render_template("portal/password_reset.html", form=form)
