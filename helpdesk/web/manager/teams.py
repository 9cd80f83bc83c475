"""Managers decide who sees which organisations: teams, and temporary access for one agent."""
from datetime import UTC, datetime

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from wtforms import IntegerField, SelectChoice, SelectField, StringField
from wtforms.validators import DataRequired, Length, NumberRange

from helpdesk.domain.ids import parse_id
from helpdesk.services import Refusal
from helpdesk.services.people import teams
from helpdesk.services.tickets.queue import organisation_choices
from helpdesk.web.access import MANAGER, policy
from helpdesk.web.auth.forms import EmptyForm
from helpdesk.web.manager import bp

HOURS_PER = {"hours": 1, "days": 24}


class TeamNameForm(FlaskForm):
    name = StringField(_l("Team name"), validators=[DataRequired(),
                                                    Length(max=teams.NAME_LENGTH)])


class GrantForm(FlaskForm):
    staff_id = SelectField(_l("Agent"), coerce=int, validate_choice=False)
    organisation_id = SelectField(_l("Organisation"), coerce=int, validate_choice=False)
    amount = IntegerField(_l("For"), default=1, validators=[DataRequired(), NumberRange(min=1)])
    unit = SelectField(_l("Unit"), choices=[SelectChoice("hours", _l("hours")),
                                            SelectChoice("days", _l("days"))])
    reason = StringField(_l("Reason"), validators=[DataRequired(), Length(max=300)])

    def hours(self) -> int:
        return (self.amount.data or 0) * HOURS_PER.get(self.unit.data, 1)


def _manager():
    return current_user._get_current_object()


def _ids(name: str) -> list[int]:
    return [i for i in map(parse_id, request.form.getlist(name)) if i is not None]


def _page(*, team_form: TeamNameForm | None = None, grant_form: GrantForm | None = None,
          error: str | None = None):
    now = datetime.now(UTC)
    grant_form = grant_form or GrantForm(formdata=None)
    if grant_form.organisation_id.data is None:
        chosen = request.args.get("organisation", "")
        grant_form.organisation_id.data = parse_id(chosen) if chosen else None
    if grant_form.staff_id.data is None:
        grant_form.staff_id.data = parse_id(request.args.get("staff", ""))
    return render_template(
        "manager/teams.html", teams=teams.all_teams(), agents=teams.grantable_agents(),
        organisations=organisation_choices(_manager(), now),
        grants=teams.recent_grants(now), team_form=team_form or TeamNameForm(formdata=None),
        grant_form=grant_form, max_days=teams.MAX_GRANT.days, error=error)


def _back(message: str):
    flash(message, "info")
    return redirect(url_for("manager.team_list"), 303)


@bp.get("/teams")
@policy(MANAGER)
def team_list():
    return _page()


@bp.post("/teams")
@policy(MANAGER)
def team_create():
    form = TeamNameForm()
    if form.validate_on_submit():
        try:
            team = teams.create_team(_manager(), form.name.data, datetime.now(UTC))
        except Refusal as refused:
            form.name.errors = [*form.name.errors, str(refused)]
        else:
            return _back(_("Team %(name)s created.", name=team.name))
    return _page(team_form=form), 200


def _team_change(change, done: str):
    """A change to one team from a small form; a refusal shows the page with its sentence."""
    if not EmptyForm().validate_on_submit():
        return _page(error=_("The form expired; please try again.")), 200
    try:
        change(datetime.now(UTC))
    except Refusal as refused:
        return _page(error=str(refused)), 200
    return _back(done)


@bp.post("/teams/<int:team_id>/name")
@policy(MANAGER)
def team_rename(team_id: int):
    name = request.form.get("name", "")
    return _team_change(lambda now: teams.rename_team(_manager(), team_id, name, now),
                        _("Team renamed."))


@bp.post("/teams/<int:team_id>/members")
@policy(MANAGER)
def team_members(team_id: int):
    return _team_change(
        lambda now: teams.set_members(_manager(), team_id, _ids("staff"), now),
        _("Team members saved."))


@bp.post("/teams/<int:team_id>/organisations")
@policy(MANAGER)
def team_organisations(team_id: int):
    return _team_change(
        lambda now: teams.set_organisations(_manager(), team_id, _ids("organisation"), now),
        _("Organisations served saved."))


@bp.post("/teams/<int:team_id>/delete")
@policy(MANAGER)
def team_delete(team_id: int):
    return _team_change(lambda now: teams.delete_team(_manager(), team_id, now),
                        _("Team deleted."))


@bp.post("/access")
@policy(MANAGER)
def access_grant():
    form = GrantForm()
    if form.validate_on_submit():
        try:
            teams.grant_access(_manager(), form.staff_id.data, form.organisation_id.data,
                               form.hours(), form.reason.data, datetime.now(UTC))
        except Refusal as refused:
            return _page(grant_form=form, error=str(refused)), 200
        return _back(_("Temporary access granted."))
    return _page(grant_form=form, error=_("Please check the form.")), 200


@bp.post("/access/<int:grant_id>/revoke")
@policy(MANAGER)
def access_revoke(grant_id: int):
    return _team_change(lambda now: teams.revoke_grant(_manager(), grant_id, now),
                        _("Access revoked."))
