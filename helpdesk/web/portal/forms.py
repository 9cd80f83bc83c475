"""Portal forms: sign-in by link, a new password, a new ticket and a message on a ticket."""
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import MultipleFileField
from wtforms import (
    BooleanField,
    EmailField,
    Field,
    PasswordField,
    RadioField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, EqualTo, Length, Optional

from helpdesk.models import Category
from helpdesk.services.people.directory import MIN_PASSWORD_LENGTH
from helpdesk.services.portal.customer_actions import (
    MAX_MESSAGE_LENGTH,
    MAX_SUBJECT_LENGTH,
    NewTicket,
)
from helpdesk.services.tickets.details import CATEGORY_FIELDS, MAX_DETAIL_LENGTH, DetailField

# One line each, so a customer can tell the categories apart without knowing our jargon.
CATEGORY_HINTS = {
    Category.BUG: _l("Something in the product does not work as it should."),
    Category.OUTAGE: _l("The product, or a part of it, cannot be used at all."),
    Category.WISH: _l("You would like the product to do something new or differently."),
    Category.CONFIGURATION: _l("How to set something up for your organisation."),
    Category.QUESTION: _l("How something works, or where to find it."),
    Category.CALAMITY: _l("Your organisation cannot work at all and it cannot wait: "
                          "we alert all our staff at once, at any hour."),
}


class EmailForm(FlaskForm):
    email = EmailField(_l("Email"), validators=[DataRequired(), Length(max=254)])


class NewPasswordForm(FlaskForm):
    password = PasswordField(_l("New password"), validators=[
        DataRequired(), Length(min=MIN_PASSWORD_LENGTH, max=200,
                               message=_l("Use at least %(min)d characters."))])
    repeat = PasswordField(_l("The same password again"), validators=[
        DataRequired(), EqualTo("password", message=_l("The two passwords differ."))])


class _AttachmentsMixin:
    attachments = MultipleFileField(_l("Attachments"))

    def show_errors(self, errors: dict[str, str]) -> None:
        """Put a service's errors next to the fields they are about."""
        for name, message in errors.items():
            self[self.field_name_for(name)].errors.append(message)

    def field_name_for(self, name: str) -> str:
        return name


def detail_field_name(category: Category, name: str) -> str:
    return f"{category.value}_{name}"


def _with_detail_fields(form_class: type) -> type:
    """One field per category question ("bug_steps", "outage_since"), so names never clash."""
    for category, details in CATEGORY_FIELDS.items():
        for detail in details:
            field_class = TextAreaField if detail.multiline else StringField
            setattr(form_class, detail_field_name(category, detail.name),
                    field_class(detail.label, validators=[Optional(),
                                                         Length(max=MAX_DETAIL_LENGTH)]))
    return form_class


@_with_detail_fields
class NewTicketForm(_AttachmentsMixin, FlaskForm):
    category = RadioField(_l("What kind of question is it?"),
                          choices=[c.value for c in CATEGORY_HINTS],
                          validators=[DataRequired(_l("Please choose a category."))])
    subject = StringField(_l("Subject"), validators=[Length(max=MAX_SUBJECT_LENGTH)])
    confirm_calamity = BooleanField(_l("Yes, this is a calamity: alert everyone now."))

    def field_name_for(self, name: str) -> str:
        """The form field a service error is about: details live in per-category fields."""
        if name in {"subject", "attachments", "confirm_calamity", "category"}:
            return name
        return detail_field_name(Category(self.category.data), name)

    def detail_fields(self, category: Category) -> list[tuple[DetailField, Field]]:
        """Each question of a category with its form field, for the template."""
        return [(detail, self[detail_field_name(category, detail.name)])
                for detail in CATEGORY_FIELDS[category]]

    def submission(self) -> NewTicket:
        category = Category(self.category.data)
        answers = {detail.name: self[detail_field_name(category, detail.name)].data
                   for detail in CATEGORY_FIELDS[category]}
        return NewTicket(category=category, subject=self.subject.data or "", answers=answers,
                         calamity_confirmed=self.confirm_calamity.data,
                         files=self.attachments.data or ())


class MessageForm(_AttachmentsMixin, FlaskForm):
    body = TextAreaField(_l("Your message"), validators=[Length(max=MAX_MESSAGE_LENGTH)])
