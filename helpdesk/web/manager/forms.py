"""Managers' forms (Flask-WTF: every form carries a CSRF token)."""
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import DateField, IntegerField, StringField, TimeField
from wtforms.validators import InputRequired, Length, NumberRange
from wtforms.widgets import HiddenInput

from helpdesk.models import Category
from helpdesk.services.promise.sla_settings import STANDARD_CATEGORIES
from helpdesk.web.labels import CATEGORY_LABELS

MAX_TARGET_HOURS = 24 * 30
MAX_CALAMITY_MINUTES = 24 * 60


class OfficeHoursForm(FlaskForm):
    opens_at = TimeField(_l("Opens at"), validators=[InputRequired()])
    closes_at = TimeField(_l("Closes at"), validators=[InputRequired()])


class ResponseTargetsForm(FlaskForm):
    """Working-day hours per standard category (fields added below), minutes for a calamity."""

    calamity_minutes = IntegerField(
        _l("Calamity (minutes, at all hours)"),
        validators=[InputRequired(), NumberRange(min=1, max=MAX_CALAMITY_MINUTES)])

    def hours_by_category(self) -> dict[str, int]:
        return {category: self[f"{category}_hours"].data for category in STANDARD_CATEGORIES}


for _category in STANDARD_CATEGORIES:
    setattr(ResponseTargetsForm, f"{_category}_hours", IntegerField(
        CATEGORY_LABELS[Category(_category)],
        validators=[InputRequired(), NumberRange(min=1, max=MAX_TARGET_HOURS)]))


class ClosingDayForm(FlaskForm):
    day = DateField(_l("Day"), validators=[InputRequired()])
    note = StringField(_l("Note"), validators=[Length(max=200)])


class DayForm(FlaskForm):
    """A button that changes one day (reopen a holiday, remove a closing day)."""

    day = DateField(widget=HiddenInput(), validators=[InputRequired()])
