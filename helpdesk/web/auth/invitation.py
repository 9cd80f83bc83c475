"""Following a staff invitation: set a password, enrol TOTP with one code, be signed in."""
from datetime import UTC, datetime

from flask import render_template, url_for
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import PasswordField, StringField
from wtforms.validators import DataRequired, EqualTo, Length, Regexp

from helpdesk.services import Refusal
from helpdesk.services.people import directory
from helpdesk.services.staffing import invitations
from helpdesk.web.access import PUBLIC, policy
from helpdesk.web.auth import bp
from helpdesk.web.auth.sign_in import start_session
from helpdesk.web.auth.views import qr_svg


class AcceptInvitationForm(FlaskForm):
    password = PasswordField(_l("Password"), validators=[DataRequired(), Length(max=200)])
    repeat = PasswordField(_l("Password again"), validators=[
        DataRequired(), EqualTo("password", message=_l("The two passwords differ."))])
    code = StringField(_l("Code from your authenticator app"),
                       validators=[DataRequired(), Regexp(r"^\s*\d{3}\s?\d{3}\s*$")])


@bp.route("/invitation/<token>", methods=["GET", "POST"])
@policy(PUBLIC)
def accept_invitation(token: str):
    now = datetime.now(UTC)
    invitation = invitations.invitation_to_accept(token, now)  # refused: expired or used
    form = AcceptInvitationForm()
    error = None
    if form.validate_on_submit():
        try:
            staff = invitations.accept(token, form.password.data, form.code.data, now)
        except Refusal as refused:
            error = str(refused)
        else:
            return start_session(staff, now, None, url_for("agent.queue"))
    uri = directory.totp_uri(invitation.totp_secret, invitation.email)
    return render_template("auth/invitation.html", form=form, invitation=invitation,
                           secret=invitation.totp_secret, uri=uri, qr_svg=qr_svg(uri),
                           error=error), 200
