"""The workspace's forms (Flask-WTF: each carries a CSRF token); choices filled per request."""
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    DateTimeLocalField,
    IntegerField,
    MultipleFileField,
    RadioField,
    SelectChoice,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, Length, NumberRange, Optional, ValidationError

from helpdesk.domain.reference import ticket_number
from helpdesk.models import Category, Ticket, TicketStatus
from helpdesk.services.tickets.desk import AGENT_STATUSES, REPLY_STATUSES, CallOutcome
from helpdesk.web.ids import IdField
from helpdesk.web.labels import category_label, status_label

ORDINARY_CATEGORIES = [c for c in Category if c != Category.CALAMITY]


def _category_choices() -> list[SelectChoice]:
    return [SelectChoice(c.value, category_label(c)) for c in ORDINARY_CATEGORIES]


def _names_a_ticket(form, field):
    if ticket_number(field.data) is None:
        raise ValidationError(_l("A ticket number."))


class TicketReferenceField(StringField):
    """A ticket as an agent names it: "123", "#123", or "[#123]" pasted from a mail subject."""

    def __init__(self, label=None, **kwargs):
        super().__init__(label, validators=[DataRequired(), _names_a_ticket], **kwargs)

    @property
    def number(self) -> int:
        return ticket_number(self.data)


class ReplyForm(FlaskForm):
    body = TextAreaField(_l("Reply to the customer"), validators=[Length(max=100_000)])
    status_after = SelectField(_l("Then set the status to"))
    attachments = MultipleFileField(_l("Attachments"))
    canned = SelectField(_l("Canned reply"), validate_choice=False)


class NoteForm(FlaskForm):
    body = TextAreaField(_l("Internal note"), validators=[Length(max=100_000)])


class AssignForm(FlaskForm):
    assignee = SelectField(_l("Assignee"))


class StatusForm(FlaskForm):
    status = SelectField(_l("Status"))


class CategoryForm(FlaskForm):
    category = SelectField(_l("Category"))


class CalamityForm(FlaskForm):
    reason = StringField(_l("Reason"), validators=[Length(max=250)])
    # Only used when clearing a calamity; checked there.
    category = SelectField(_l("Category after the calamity"), validate_choice=False)


class MergeForm(FlaskForm):
    target = TicketReferenceField(_l("Merge into ticket number"))

    def target_number(self) -> int:
        return self.target.number


class ContactPickerMixin:
    """A super-user chosen from a search (radio buttons named contact_id)."""

    contact_q = StringField(_l("Find a super-user by name, email or organisation"),
                            validators=[Length(max=100)])
    contact_id = IdField(validators=[Optional()])


# The outcomes a call can have, as the form offers them: (outcome, status after an answer).
CALL_OUTCOMES = {
    "answered-resolved": (CallOutcome.ANSWERED, TicketStatus.RESOLVED),
    "answered-open": (CallOutcome.ANSWERED, TicketStatus.OPEN),
    "follow-up": (CallOutcome.FOLLOW_UP, TicketStatus.NEW),
}


class PhoneForm(ContactPickerMixin, FlaskForm):
    category = SelectField(_l("Category"))
    subject = StringField(_l("Subject"), validators=[Length(max=300)])
    summary = TextAreaField(_l("Summary of the call (the customer sees it)"),
                            validators=[Length(max=100_000)])
    internal_note = TextAreaField(_l("Internal note (agents only)"),
                                  validators=[Length(max=100_000)])
    call_at = DateTimeLocalField(_l("Time of the call"), format="%Y-%m-%dT%H:%M",
                                 validators=[DataRequired()])
    duration_minutes = IntegerField(_l("Length of the call (minutes)"),
                                    validators=[Optional(), NumberRange(min=0, max=24 * 60)])
    outcome = RadioField(_l("Outcome"), choices=[
        SelectChoice("answered-resolved", _l("Answered during the call: resolve the ticket")),
        SelectChoice("answered-open", _l("Answered during the call: keep the ticket open")),
        SelectChoice("follow-up",
                     _l("To follow up: we owe a response, due from the time of the call")),
    ], validators=[DataRequired(message=_l("Choose the outcome of the call."))])

    def outcome_and_status(self) -> tuple[CallOutcome, TicketStatus]:
        return CALL_OUTCOMES[self.outcome.data]


class HeldOpenForm(ContactPickerMixin, FlaskForm):
    category = SelectField(_l("Category"))


class HeldAddForm(FlaskForm):
    number = TicketReferenceField(_l("Add to ticket number"))

    def ticket_number(self) -> int:
        return self.number.number


class HeldRegisterForm(FlaskForm):
    organisation = SelectField(_l("Organisation"))
    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=200)])
    super_user = BooleanField(_l("Super-user (may raise tickets)"))


def _form(cls, submitted: bool):
    """The submitted form reads the request; every other form on the page shows the ticket."""
    return cls() if submitted else cls(formdata=None)


def reply_form(canned_replies, submitted: bool = False) -> ReplyForm:
    form = _form(ReplyForm, submitted)
    form.status_after.choices = [SelectChoice(s.value, status_label(s)) for s in REPLY_STATUSES]
    form.canned.choices = [SelectChoice("", "—")] + [
        SelectChoice(str(c.id), f"{c.title} ({c.language})") for c in canned_replies]
    return form


def note_form(submitted: bool = False) -> NoteForm:
    return _form(NoteForm, submitted)


def merge_form(submitted: bool = False) -> MergeForm:
    return _form(MergeForm, submitted)


def _show_current(field: SelectField, current: SelectChoice, submitted: bool) -> None:
    """The select shows the ticket's value now, even one the agent cannot choose.

    A New ticket's status or a colleague who has left is no choice, but without it among the
    options the browser shows the first one, and the page says what is not so. Sending it back
    unchanged changes nothing (the services accept the value the ticket has).
    """
    if all(choice.value != current.value for choice in field.choices):
        field.choices.insert(0, current)
    if not submitted:
        field.data = current.value


def assign_form(ticket: Ticket, staff, submitted: bool = False) -> AssignForm:
    form = _form(AssignForm, submitted)
    form.assignee.choices = [SelectChoice("", _l("Nobody"))] + [
        SelectChoice(str(s.id), s.name) for s in staff]
    current = SelectChoice("", _l("Nobody"))
    if ticket.assignee is not None:  # shown as it is when it is no longer a choice
        why = (_l("%(name)s (no longer sees this organisation)", name=ticket.assignee.name)
               if ticket.assignee.active else
               _l("%(name)s (no longer active)", name=ticket.assignee.name))
        current = SelectChoice(str(ticket.assignee.id), why)
    _show_current(form.assignee, current, submitted)
    return form


def status_form(ticket: Ticket, submitted: bool = False) -> StatusForm:
    form = _form(StatusForm, submitted)
    form.status.choices = [SelectChoice(s.value, status_label(s)) for s in AGENT_STATUSES]
    _show_current(form.status, SelectChoice(ticket.status.value, status_label(ticket.status)),
                  submitted)
    return form


def category_form(ticket: Ticket, submitted: bool = False) -> CategoryForm:
    form = _form(CategoryForm, submitted)
    form.category.choices = _category_choices()
    _show_current(form.category,
                  SelectChoice(ticket.category.value, category_label(ticket.category)), submitted)
    return form


def calamity_form(category_before: Category | None = None,
                  submitted: bool = False) -> CalamityForm:
    """Clearing a calamity offers the category it had before; without one, the agent chooses."""
    form = _form(CalamityForm, submitted)
    form.category.choices = _category_choices()
    if category_before is None:
        form.category.choices.insert(0, SelectChoice("", "—"))
    elif not submitted:
        form.category.data = category_before.value
    return form


def phone_form(**kwargs) -> PhoneForm:
    form = PhoneForm(**kwargs)
    form.category.choices = _category_choices() + [
        SelectChoice(Category.CALAMITY.value, category_label(Category.CALAMITY))]
    return form


def held_open_form(default_category: str, **kwargs) -> HeldOpenForm:
    form = HeldOpenForm(**kwargs)
    form.category.choices = _category_choices() + [
        SelectChoice(Category.CALAMITY.value, category_label(Category.CALAMITY))]
    if not form.is_submitted():
        form.category.data = default_category
    return form


def held_register_form(organisations, default_name: str, **kwargs) -> HeldRegisterForm:
    form = HeldRegisterForm(**kwargs)
    form.organisation.choices = [SelectChoice(o.slug, o.name) for o in organisations]
    if not form.is_submitted():
        form.name.data = default_name
    return form
