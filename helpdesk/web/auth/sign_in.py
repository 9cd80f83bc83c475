"""The sign-in steps staff and portal share: the password form, and starting the session."""
from collections.abc import Callable
from datetime import UTC, datetime

from flask import flash, redirect, render_template, request, session
from flask_babel import gettext as _
from flask_login import login_user

from helpdesk.models import Contact, StaffMember
from helpdesk.services.people import signin
from helpdesk.web.auth.forms import PasswordSignInForm
from helpdesk.web.auth.redirects import safe_next


def remote_address() -> str:
    return request.remote_addr or ""


def password_step(template: str, find: Callable[[str, str], StaffMember | Contact | None],
                  signed_in: Callable, *, language: str | None = None, **context):
    """The password form: shown, or on a valid POST `signed_in(person, now)`; shown again
    with 429 when throttled, with 200 when the email or password is wrong.

    `language`, chosen before signing in, becomes the person's own when the password is all
    it takes (a second factor saves it instead)."""
    form = PasswordSignInForm()
    if session.pop("expired", False):
        flash(_("You were signed out after a period of inactivity."), "info")
    if form.validate_on_submit():
        now = datetime.now(UTC)
        try:
            person = signin.check_password(form.email.data, form.password.data,
                                           remote_address(), now, find, language=language)
        except signin.SignInThrottled:
            flash(_("Too many failed attempts. Try again in a few minutes."), "error")
            return render_template(template, form=form, **context), 429
        if person is not None:
            return signed_in(person, now)
        flash(_("Email or password is not right."), "error")
    return render_template(template, form=form, **context), 200


def start_session(person: StaffMember | Contact, now: datetime, next_url: str | None,
                  fallback: str):
    """Sign the person in with a fresh session: nothing from before sign-in carries over (a
    language chosen before is theirs by now, saved by the use case that let them in)."""
    session.clear()
    login_user(person)
    session["seen_at"] = now.timestamp()
    return redirect(safe_next(next_url, fallback))
