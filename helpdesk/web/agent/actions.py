"""What agents do on a ticket: small forms that return their updated fragment (htmx) or
redirect back to the ticket (no JavaScript). A refused change re-renders its form, status 200."""
from datetime import UTC, datetime

from flask import flash, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from helpdesk.domain.ids import parse_id
from helpdesk.models import Category, Ticket, TicketStatus
from helpdesk.services import Refusal
from helpdesk.services.people.visibility import staff_who_may_see_ticket
from helpdesk.services.tickets import canned_replies, desk, uploads
from helpdesk.services.tickets.queue import ticket_by_number
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


def _ticket(number: int) -> Ticket:
    """The ticket, if the signed-in agent may see it (else not found)."""
    return ticket_by_number(number, current_user, datetime.now(UTC))


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


def _decide(ticket: Ticket, target_id: str, form_key: str, form, change, done, *,
            check: bool = True):
    """Check the form and make the change (`change(now)`; `done(result)` says what was done);
    a refusal shows the form again with its sentence."""
    submitted = {form_key: form}
    if check and not form.validate_on_submit():
        return _again(ticket, target_id, _form_error(form), **submitted)
    try:
        result = change(datetime.now(UTC))
    except Refusal as error:
        return _again(ticket, target_id, str(error), **submitted)
    return _done(ticket, target_id, done(result))


@bp.post("/tickets/<int:number>/reply")
@policy(AGENT)
def reply(number: int):
    ticket = _ticket(number)
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
        return _again(ticket, "reply-form", str(error), reply_form=form)
    return _done(ticket, "reply-form", _("Your reply is on its way."))


@bp.post("/tickets/<int:number>/note")
@policy(AGENT)
def note(number: int):
    ticket, form = _ticket(number), forms.note_form(submitted=True)
    return _decide(ticket, "note-form", "note_form", form,
                   lambda now: desk.add_note(ticket, current_user, form.body.data, now),
                   lambda _result: _("Note added."))


@bp.post("/tickets/<int:number>/assign")
@policy(AGENT)
def assign(number: int):
    ticket = _ticket(number)
    form = forms.assign_form(ticket, staff_who_may_see_ticket(ticket, datetime.now(UTC)),
                             submitted=True)
    to_me = bool(request.form.get("to_me"))

    def assignee_id() -> int | None:
        return current_user.id if to_me else int(form.assignee.data or 0) or None
    return _decide(ticket, "ticket-controls", "assign_form", form,
                   lambda now: desk.assign(ticket, current_user, assignee_id(), now),
                   lambda _result: _("Assignment saved."), check=not to_me)


@bp.post("/tickets/<int:number>/status")
@policy(AGENT)
def status(number: int):
    return _set_control(number, "status_form", forms.status_form,
                        lambda ticket, form, now: desk.set_status(
                            ticket, current_user, TicketStatus(form.status.data), now),
                        _("Status saved."))


@bp.post("/tickets/<int:number>/category")
@policy(AGENT)
def category(number: int):
    return _set_control(number, "category_form", forms.category_form,
                        lambda ticket, form, now: desk.set_category(
                            ticket, current_user, Category(form.category.data), now),
                        _("Category saved; the response time is recomputed."))


def _set_control(number: int, form_key: str, make_form, change, saved: str):
    """One of the ticket's own fields, set from its form in the controls box."""
    ticket = _ticket(number)
    form = make_form(ticket, submitted=True)
    return _decide(ticket, "ticket-controls", form_key, form,
                   lambda now: change(ticket, form, now), lambda _result: saved)


@bp.post("/tickets/<int:number>/calamity")
@policy(AGENT)
def calamity(number: int):
    """Mark a calamity, or clear one: which of the two follows from the ticket."""
    ticket = _ticket(number)
    form = forms.calamity_form(submitted=True)

    def mark_or_clear(now: datetime) -> str:
        if not ticket.is_calamity:
            desk.mark_calamity(ticket, current_user, form.reason.data, now)
            return _("Marked as calamity.")
        if form.category.data not in Category._value2member_map_:
            raise Refusal("Choose the category the ticket really has.")
        desk.clear_calamity(ticket, current_user, Category(form.category.data),
                            form.reason.data, now)
        return _("The calamity is cleared.")
    return _decide(ticket, "ticket-controls", "calamity_form", form, mark_or_clear,
                   lambda message: message)


@bp.post("/tickets/<int:number>/merge")
@policy(AGENT)
def merge(number: int):
    ticket = _ticket(number)
    form = forms.merge_form(submitted=True)
    return _decide(ticket, "merge-form", "merge_form", form,
                   lambda now: desk.merge(ticket, current_user, form.target_number(), now),
                   lambda target: _("Merged into #%(number)s.", number=target.number))


@bp.post("/tickets/<int:number>/mail/<int:mail_id>/send-again")
@policy(AGENT)
def send_mail_again(number: int, mail_id: int):
    ticket = _ticket(number)  # the CSRF token is checked for every post (csrf.init_app)
    try:
        desk.send_mail_again(ticket, current_user, mail_id, datetime.now(UTC))
    except Refusal as error:
        return _again(ticket, "outbox-problems", str(error))
    return _done(ticket, "outbox-problems", _("The mail will be sent again."))
