"""Managers keep the staff: the list, invitations by mail, roles, deactivation."""
from datetime import UTC, datetime

from flask import flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from wtforms import EmailField, SelectChoice, SelectField, StringField
from wtforms.validators import DataRequired, Length

from helpdesk.models import StaffRole
from helpdesk.services import Refusal
from helpdesk.services.staffing import accounts, invitations
from helpdesk.web.access import MANAGER, policy
from helpdesk.web.auth.forms import EmptyForm
from helpdesk.web.labels import ROLE_LABELS
from helpdesk.web.manager import bp


def _manager():
    return current_user._get_current_object()


def _role_choices() -> list[SelectChoice]:
    """The roles the signed-in manager may give: the ones the page offers."""
    return [SelectChoice(role.value, ROLE_LABELS[role])
            for role in accounts.grantable_roles(_manager())]


# The forms take any role, so a role above the manager's is refused by the use case, in a
# sentence, rather than by the form as "not a valid choice".
ANY_ROLE = [SelectChoice(role.value, ROLE_LABELS[role]) for role in StaffRole]


class InviteForm(FlaskForm):
    email = EmailField(_l("Email"), validators=[DataRequired(), Length(max=254)])
    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=200)])
    role = SelectField(_l("Role"), choices=ANY_ROLE)


class RoleForm(FlaskForm):
    role = SelectField(_l("Role"), choices=ANY_ROLE)


def _page(form: InviteForm):
    return render_template("manager/staff.html", form=form, staff=accounts.all_staff(),
                           roles=_role_choices(), valid=invitations.valid_in_words())


@bp.get("/staff")
@policy(MANAGER)
def staff_list():
    return _page(InviteForm())


@bp.post("/staff/invite")
@policy(MANAGER)
def staff_invite():
    form = InviteForm()
    if form.validate_on_submit():
        try:
            invitation = invitations.invite(_manager(), form.email.data, form.name.data,
                                            form.role.data, datetime.now(UTC))
        except Refusal as refused:
            form.email.errors = [*form.email.errors, str(refused)]
        else:
            flash(_("Invitation mailed to %(email)s.", email=invitation.email), "info")
            return redirect(url_for("manager.staff_list"), 303)
    return _page(form), 200


@bp.post("/staff/<int:staff_id>/role")
@policy(MANAGER)
def staff_role(staff_id: int):
    form = RoleForm()
    if form.validate_on_submit():
        staff = accounts.change_role(_manager(), staff_id, form.role.data, datetime.now(UTC))
        flash(_("%(name)s is now %(role)s.", name=staff.name,
                role=ROLE_LABELS[staff.role]), "info")
    return redirect(url_for("manager.staff_list"), 303)


@bp.post("/staff/<int:staff_id>/deactivate")
@policy(MANAGER)
def staff_deactivate(staff_id: int):
    if EmptyForm().validate_on_submit():
        staff = accounts.deactivate(_manager(), staff_id, datetime.now(UTC))
        flash(_("%(name)s is deactivated and signed out everywhere.", name=staff.name), "info")
    return redirect(url_for("manager.staff_list"), 303)
