"""Staff sign-in (password, then TOTP), sign-out, and the language switch."""
from datetime import UTC, datetime
from io import BytesIO

import qrcode
import qrcode.image.svg
from flask import (
    flash,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user, logout_user
from markupsafe import Markup

from helpdesk.domain import languages
from helpdesk.extensions import db
from helpdesk.models import Contact, StaffMember
from helpdesk.services.people import directory, signin
from helpdesk.web.access import PUBLIC, policy
from helpdesk.web.auth import bp
from helpdesk.web.auth.forms import TotpForm
from helpdesk.web.auth.redirects import safe_next
from helpdesk.web.auth.sign_in import password_step, remote_address, start_session
from helpdesk.web.i18n import choose_language, chosen_language, fresh_session

PENDING_KEY = "pending_staff"
PENDING_SECONDS = 300


@bp.get("/")
@policy(PUBLIC)
def home():
    if isinstance(current_user._get_current_object(), StaffMember):
        return redirect(url_for("agent.queue"))
    return redirect(url_for("portal.tickets"))


@bp.route("/sign-in", methods=["GET", "POST"])
@policy(PUBLIC)
def staff_sign_in():
    return password_step("auth/sign_in.html", signin.staff_with_password, _await_second_factor)


def _await_second_factor(staff: StaffMember, now: datetime):
    fresh_session()  # a language chosen on the sign-in page is saved with the second factor
    session[PENDING_KEY] = {"id": staff.id, "token": staff.session_token,
                            "at": now.timestamp(), "next": request.args.get("next")}
    return redirect(url_for("auth.second_factor"))


def _pending_staff(now: datetime) -> StaffMember | None:
    pending = session.get(PENDING_KEY)
    if not pending or now.timestamp() - pending["at"] > PENDING_SECONDS:
        return None
    staff = db.session.get(StaffMember, pending["id"])
    if staff is None or not staff.active or staff.session_token != pending["token"]:
        return None
    return staff


def qr_svg(uri: str) -> Markup:
    image = qrcode.make(uri, image_factory=qrcode.image.svg.SvgPathImage, box_size=8)
    buffer = BytesIO()
    image.save(buffer)
    svg = buffer.getvalue().decode()
    # Our own generated SVG with no user input inside, so it is safe to mark as markup.
    return Markup(svg[svg.index("<svg"):])  # noqa: S704


@bp.route("/sign-in/code", methods=["GET", "POST"])
@policy(PUBLIC)
def second_factor():
    now = datetime.now(UTC)
    staff = _pending_staff(now)
    if staff is None:
        session.pop(PENDING_KEY, None)
        return redirect(url_for("auth.staff_sign_in"))
    form = TotpForm()
    enrolling = staff.totp_confirmed_at is None
    if form.validate_on_submit():
        try:
            accepted = signin.check_totp_code(staff, form.code.data, remote_address(), now,
                                              language=chosen_language())
        except signin.SignInThrottled:
            flash(_("Too many failed attempts. Try again in a few minutes."), "error")
            return redirect(url_for("auth.staff_sign_in")), 303
        if accepted:
            return start_session(staff, now, session[PENDING_KEY].get("next"),
                                 url_for("agent.queue"))
        flash(_("That code is not right or was used already."), "error")
    context = {"form": form, "enrolling": enrolling}
    if enrolling:
        # Shown until the first code is accepted, and never again after that.
        uri = directory.totp_provisioning_uri(staff)
        context.update(secret=staff.totp_secret, qr_svg=qr_svg(uri))
    return render_template("auth/second_factor.html", **context)


@bp.post("/sign-out")
@policy(PUBLIC)
def sign_out():
    person = current_user._get_current_object()
    target = "portal.sign_in" if isinstance(person, Contact) else "auth.staff_sign_in"
    if current_user.is_authenticated:
        directory.sign_out_everywhere(person)
    logout_user()
    session.clear()
    flash(_("You are signed out."), "info")
    return redirect(url_for(target))


@bp.post("/language")
@policy(PUBLIC)
def switch_language():
    language = request.form.get("language", "")
    if languages.is_supported(language):
        choose_language(language)
        if current_user.is_authenticated:
            directory.set_language(current_user._get_current_object(), language)
    return redirect(safe_next(request.form.get("next"), url_for("auth.home")))
