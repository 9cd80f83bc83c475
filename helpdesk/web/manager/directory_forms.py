"""Managers' forms for organisations and contacts (Flask-WTF: every form carries a CSRF token)."""
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    DateField,
    EmailField,
    SelectChoice,
    SelectField,
    StringField,
)
from wtforms.validators import DataRequired, InputRequired, Length, Optional, ValidationError

from helpdesk.domain import languages
from helpdesk.domain.periods import EARLIEST, LATEST
from helpdesk.web.labels import LANGUAGE_LABELS, ORGANISATION_STATUS_LABELS


def _language_field() -> SelectField:
    return SelectField(_l("Language"), choices=[
        SelectChoice(language, LANGUAGE_LABELS[language]) for language in languages.SUPPORTED])


class OrganisationForm(FlaskForm):
    slug = StringField(_l("Slug"), validators=[DataRequired(), Length(max=64)],
                       description=_l("Lower-case letters, digits and dashes; it cannot change."))
    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=200)])


class RenameForm(FlaskForm):
    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=200)])


class StatusForm(FlaskForm):
    status = SelectField(_l("Status"), choices=[
        SelectChoice(status.value, label) for status, label in ORGANISATION_STATUS_LABELS.items()])
    effective_on = DateField(_l("Takes effect on"), validators=[InputRequired()])


class ContactForm(FlaskForm):
    """The fields of a contact every page may show: no optional personal data."""

    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=200)])
    email = EmailField(_l("Email"), validators=[DataRequired(), Length(max=254)])
    job_title = StringField(_l("Job title"), validators=[Length(max=200)])
    phone = StringField(_l("Phone"), validators=[Length(max=50)])
    language = _language_field()


class NewContactForm(ContactForm):
    super_user = BooleanField(_l("Super-user: may use the portal and raise tickets"))


class ContactDetailsForm(ContactForm):
    """The contact's own page: also the optional personal data of the processor statement."""

    birth_date = DateField(_l("Birth date (optional)"), validators=[Optional()])
    gender = StringField(_l("Gender (optional)"), validators=[Length(max=50)])
    education_level = StringField(_l("Education level (optional)"),
                                  validators=[Length(max=100)])


class SuperUserForm(FlaskForm):
    super_user = BooleanField()


class EraseContactForm(FlaskForm):
    """The confirmation step: the manager types the address of the person to erase."""

    confirm_email = StringField(_l("Type the contact's email address to confirm"),
                                validators=[DataRequired(), Length(max=254)])


class EraseOrganisationForm(FlaskForm):
    """The confirmation step: the manager types the slug of the ended organisation to erase."""

    confirm_slug = StringField(_l("Type the organisation's slug to confirm"),
                               validators=[DataRequired(), Length(max=64)])


class AccessReportForm(FlaskForm):
    """The access report's range: a GET form whose values live in the URL (no CSRF needed)."""

    class Meta:
        csrf = False

    first_day = DateField(_l("From"), validators=[InputRequired()])
    last_day = DateField(_l("To"), validators=[InputRequired()])

    def validate_first_day(self, field):
        _in_this_century(field)

    def validate_last_day(self, field):
        _in_this_century(field)


def _in_this_century(field) -> None:
    if field.data is not None and not EARLIEST <= field.data <= LATEST:
        raise ValidationError(_l("Choose a date in this century."))
