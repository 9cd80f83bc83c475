"""What agents do on a ticket: small forms that return their updated fragment (htmx) or
redirect back to the ticket (no JavaScript). A refused change re-renders its form, status 200."""
from datetime import UTC, datetime

from flask import flash, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from helpdesk.domain.ids import parse_id
from helpdesk.models import Category, Ticket, TicketStatus
from helpdesk.services import Refusal
from helpdesk.services.tickets import canned_replies, desk, uploads
from helpdesk.services.tickets.queue import staff_choices, ticket_by_number
from helpdesk.web.access import AGENT, policy
from helpdesk.web.agent import bp, forms
from helpdesk.web.agent.ticket_page import ticket_context
from helpdesk.web.htmx import fragment_or_redirect, render_page_or_fragment, wants_fragment

FRAGMENTS = {
    "reply-form": "agent/_reply_form.html",
    "note-form": "agent/_note_form.html",
    "ticket-controls": "agent/_controls.html",
    "merge-form": "agent/_merge_form.html",
    "outbox-problems": "agent/_outbox_problems.html",
}


def _done(ticket: Ticket, target_id: str, message: str):
    """The change is made: updated fragments for htmx, else back to the ticket page."""
    if not wants_fragment(target_id):
        flash(message, "info")
    context = ticket_context(ticket, current_user, datetime.now(UTC))
    return fragment_or_redirect("agent/_after_action.html", target_id,
                                url_for("agent.ticket", number=ticket.number),
                                primary=FRAGMENTS[target_id], **context)


def _again(ticket: Ticket, target_id: str, error: str | None = None, **submitted_forms):
    """The form once more, with what the agent typed and why it was refused."""
    context = ticket_context(ticket, current_user, datetime.now(UTC), error=error,
                             error_for=target_id, **submitted_forms)
    return render_page_or_fragment("agent/ticket.html", FRAGMENTS[target_id], target_id,
                                   **context)


def _form_error(form) -> str:
    """The first thing wrong with a submitted form, as one line."""
    for errors in form.errors.values():
        return str(errors[0])
    return _("Please check the form.")


def _refused(error: Refusal) -> str:
    """Service messages are English sentences; the catalogue has them in Dutch too."""
    return str(error)


@bp.post("/tickets/<int:number>/reply")
@policy(AGENT)
def reply(number: int):
    ticket = ticket_by_number(number)
    form = forms.reply_form(canned_replies.all_replies(), submitted=True)
    if not form.validate_on_submit():
        return _again(ticket, "reply-form", _form_error(form), reply_form=form)
    if request.form.get("insert"):
        chosen = form.canned.data or ""
        canned_id = parse_id(chosen)
        canned = canned_replies.reply_by_id(canned_id) if canned_id is not None else None
        if canned is not None:
            form.body.data = "\n\n".join(p for p in (form.body.data.strip(), canned.body) if p)
        return _again(ticket, "reply-form", reply_form=form)
    try:
        files = uploads.accept(form.attachments.data or [])
        desk.reply(ticket, current_user, form.body.data, datetime.now(UTC),
                   status_after=TicketStatus(form.status_after.data), files=files)
    except Refusal as error:
        return _again(ticket, "reply-form", _refused(error), reply_form=form)
    return _done(ticket, "reply-form", _("Your reply is on its way."))


@bp.post("/tickets/<int:number>/note")
@policy(AGENT)
def note(number: int):
    ticket = ticket_by_number(number)
    form = forms.note_form(submitted=True)
    if not form.validate_on_submit():
        return _again(ticket, "note-form", _form_error(form), note_form=form)
    try:
        desk.add_note(ticket, current_user, form.body.data, datetime.now(UTC))
    except Refusal as error:
        return _again(ticket, "note-form", _refused(error), note_form=form)
    return _done(ticket, "note-form", _("Note added."))


@bp.post("/tickets/<int:number>/assign")
@policy(AGENT)
def assign(number: int):
    ticket = ticket_by_number(number)
    form = forms.assign_form(ticket, staff_choices(), submitted=True)
    to_me = bool(request.form.get("to_me"))
    if not to_me and not form.validate_on_submit():
        return _again(ticket, "ticket-controls", _form_error(form), assign_form=form)
    assignee_id = current_user.id if to_me else int(form.assignee.data or 0) or None
    try:
        desk.assign(ticket, current_user, assignee_id, datetime.now(UTC))
    except Refusal as error:
        return _again(ticket, "ticket-controls", _refused(error), assign_form=form)
    return _done(ticket, "ticket-controls", _("Assignment saved."))


@bp.post("/tickets/<int:number>/status")
@policy(AGENT)
def status(number: int):
    ticket = ticket_by_number(number)
    form = forms.status_form(ticket, submitted=True)
    if not form.validate_on_submit():
        return _again(ticket, "ticket-controls", _form_error(form), status_form=form)
    try:
        desk.set_status(ticket, current_user, TicketStatus(form.status.data), datetime.now(UTC))
    except Refusal as error:
        return _again(ticket, "ticket-controls", _refused(error), status_form=form)
    return _done(ticket, "ticket-controls", _("Status saved."))


@bp.post("/tickets/<int:number>/category")
@policy(AGENT)
def category(number: int):
    ticket = ticket_by_number(number)
    form = forms.category_form(ticket, submitted=True)
    if not form.validate_on_submit():
        return _again(ticket, "ticket-controls", _form_error(form), category_form=form)
    try:
        desk.set_category(ticket, current_user, Category(form.category.data), datetime.now(UTC))
    except Refusal as error:
        return _again(ticket, "ticket-controls", _refused(error), category_form=form)
    return _done(ticket, "ticket-controls", _("Category saved; the response time is recomputed."))


@bp.post("/tickets/<int:number>/calamity")
@policy(AGENT)
def calamity(number: int):
    """Mark a calamity, or clear one: which of the two follows from the ticket."""
    ticket = ticket_by_number(number)
    form = forms.calamity_form(submitted=True)
    if not form.validate_on_submit():
        return _again(ticket, "ticket-controls", _form_error(form), calamity_form=form)
    now = datetime.now(UTC)
    try:
        if ticket.is_calamity:
            if form.category.data not in Category._value2member_map_:
                raise Refusal("Choose the category the ticket really has.")
            desk.clear_calamity(ticket, current_user, Category(form.category.data),
                                form.reason.data, now)
            message = _("The calamity is cleared.")
        else:
            desk.mark_calamity(ticket, current_user, form.reason.data, now)
            message = _("Marked as calamity.")
    except Refusal as error:
        return _again(ticket, "ticket-controls", _refused(error), calamity_form=form)
    return _done(ticket, "ticket-controls", message)


@bp.post("/tickets/<int:number>/merge")
@policy(AGENT)
def merge(number: int):
    ticket = ticket_by_number(number)
    form = forms.merge_form(submitted=True)
    if not form.validate_on_submit():
        return _again(ticket, "merge-form", _form_error(form), merge_form=form)
    try:
        target = desk.merge(ticket, current_user, form.target_number(), datetime.now(UTC))
    except Refusal as error:
        return _again(ticket, "merge-form", _refused(error), merge_form=form)
    return _done(ticket, "merge-form", _("Merged into #%(number)s.", number=target.number))


@bp.post("/tickets/<int:number>/mail/<int:mail_id>/send-again")
@policy(AGENT)
def send_mail_again(number: int, mail_id: int):
    ticket = ticket_by_number(number)  # the CSRF token is checked for every post (csrf.init_app)
    try:
        desk.send_mail_again(ticket, current_user, mail_id, datetime.now(UTC))
    except Refusal as error:
        return _again(ticket, "outbox-problems", _refused(error))
    return _done(ticket, "outbox-problems", _("The mail will be sent again."))
