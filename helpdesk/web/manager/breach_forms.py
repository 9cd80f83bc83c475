"""The breach register's form (Flask-WTF: it carries a CSRF token)."""
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    DateTimeLocalField,
    IntegerField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange
from wtforms.widgets import CheckboxInput, ListWidget

MAX_TEXT = 10_000
MAX_COUNT = 1_000_000_000


def _text(label) -> TextAreaField:
    return TextAreaField(label, validators=[DataRequired(), Length(max=MAX_TEXT)])


def _count(label) -> IntegerField:
    return IntegerField(label, validators=[InputRequired(), NumberRange(min=0, max=MAX_COUNT)])


class BreachForm(FlaskForm):
    """Art. 33(3)'s items; moments are in the desk's time zone. Organisations: set choices."""

    title = StringField(_l("Title"), validators=[DataRequired(), Length(max=200)])
    found_at = DateTimeLocalField(_l("Found at"), validators=[InputRequired()])
    occurred_from = DateTimeLocalField(_l("Began at"), validators=[InputRequired()])
    occurred_to = DateTimeLocalField(_l("Ended at"), validators=[InputRequired()])
    organisations = SelectMultipleField(
        _l("Affected organisations"), coerce=int, validators=[DataRequired()],
        widget=ListWidget(prefix_label=False), option_widget=CheckboxInput())
    what_happened = _text(_l("What happened"))
    data_categories = _text(_l("Categories of data concerned"))
    approximate_subjects = _count(_l("Approximate number of people concerned"))
    approximate_records = _count(_l("Approximate number of records concerned"))
    likely_consequences = _text(_l("Likely consequences"))
    measures_taken = _text(_l("Measures taken or proposed"))
    contact_point = StringField(_l("Contact point for more information"),
                                validators=[DataRequired(), Length(max=300)],
                                description=_l("Name, email and phone of the data protection "
                                               "officer or other contact point."))
