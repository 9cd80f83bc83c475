"""The organisation's tickets: list, new ticket, conversation, reply, resolve, reopen, files."""
from datetime import UTC, datetime

from flask import current_app, flash, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user

from helpdesk.domain.files import shown_inline
from helpdesk.models import Ticket
from helpdesk.services import NotFound
from helpdesk.services.notifications import wording
from helpdesk.services.portal import access, customer_actions
from helpdesk.services.tickets import uploads
from helpdesk.services.tickets.details import CATEGORY_FIELDS
from helpdesk.web.access import SUPER_USER, policy
from helpdesk.web.auth.forms import EmptyForm
from helpdesk.web.downloads import send_attachment
from helpdesk.web.htmx import redirect_after_post, render_page_or_fragment
from helpdesk.web.portal import bp
from helpdesk.web.portal.forms import CATEGORY_HINTS, MessageForm, NewTicketForm


@bp.app_context_processor
def portal_template_helpers():
    """Every page in the portal's layout shows the desk's hours and promise (computed only
    where shown): an error page a super-user meets outside the portal too."""
    return {"desk_panel": _desk_panel, "shown_inline": shown_inline,
            "may_write": customer_actions.may_write}


def _desk_panel() -> dict:
    now = datetime.now(UTC)
    hours = wording.desk_hours(now)
    return {"open_now": hours.open_now, "opening": wording.opening_in_words(hours, now),
            "promise": wording.promise_in_words()}


@bp.errorhandler(customer_actions.ReadOnly)
def refuse_write(error: customer_actions.ReadOnly):
    return render_template("portal/read_only.html", text=str(error)), 403


@bp.errorhandler(404)
@bp.errorhandler(NotFound)
def not_found(error):
    """Within the portal, a missing or foreign ticket still shows the desk's hours."""
    return render_template("portal/not_found.html"), 404


@bp.errorhandler(413)
def refuse_too_large(error):
    return render_template("portal/too_large.html", limits=uploads.limits_in_words()), 413


@bp.get("/")
@policy(SUPER_USER)
def tickets():
    return render_template("portal/tickets.html",
                           tickets=access.organisation_tickets(current_user))


@bp.route("/tickets/new", methods=["GET", "POST"])
@policy(SUPER_USER)
def new_ticket():
    form = NewTicketForm()
    if form.validate_on_submit():
        try:
            ticket = customer_actions.file_ticket(current_user, form.submission(),
                                                datetime.now(UTC))
        except customer_actions.InvalidSubmission as invalid:
            form.show_errors(invalid.errors)
        else:
            flash(_("Thank you. Your ticket number is #%(number)s.", number=ticket.number),
                  "success")
            return redirect_after_post(url_for("portal.ticket", number=ticket.number))
    return render_page_or_fragment(
        "portal/new_ticket.html", "portal/_new_ticket_form.html", "new-ticket-form",
        form=form, hints=CATEGORY_HINTS, category_fields=CATEGORY_FIELDS,
        limits=uploads.limits_in_words())


# The parts of the ticket page htmx asks for: the polled conversation and the message form.
LIVE_PART = ("portal/_ticket_live.html", "ticket-live")
FORM_PART = ("portal/_message_form.html", "message-form")


def _ticket_page(ticket: Ticket, message_form: MessageForm | None = None,
                 part: tuple[str, str] = LIVE_PART):
    """The ticket page, or one of its parts for htmx."""
    # A due moment already past is no promise: the page says sorry instead.
    late = ticket.response_due_at is not None and ticket.response_due_at <= datetime.now(UTC)
    due_words = (wording.due_in_words(ticket.response_due_at)
                 if ticket.response_due_at and not late else None)
    fragment, target_id = part
    return render_page_or_fragment(
        "portal/ticket.html", fragment, target_id, ticket=ticket,
        messages=access.public_messages(ticket),
        due_words=due_words, late=late, message_form=message_form or MessageForm(),
        resolve_form=EmptyForm(), limits=uploads.limits_in_words(),
        poll_seconds=current_app.config["PORTAL_POLL_SECONDS"])


@bp.get("/tickets/<int:number>")
@policy(SUPER_USER)
def ticket(number: int):
    return _ticket_page(access.ticket_for_contact(current_user, number))


def _write(number: int, use_case):
    """A reply or a reopen: the same form, re-rendered in place when something needs fixing."""
    found = access.ticket_for_contact(current_user, number)
    form = MessageForm()
    if form.validate_on_submit():
        try:
            use_case(current_user, found, form.body.data or "", form.attachments.data or (),
                     datetime.now(UTC))
        except customer_actions.InvalidSubmission as invalid:
            form.show_errors(invalid.errors)
        else:
            flash(_("Your message has been added."), "success")
            return redirect_after_post(url_for("portal.ticket", number=number))
    return _ticket_page(found, form, FORM_PART)


@bp.post("/tickets/<int:number>/reply")
@policy(SUPER_USER)
def reply(number: int):
    return _write(number, customer_actions.reply)


@bp.post("/tickets/<int:number>/reopen")
@policy(SUPER_USER)
def reopen(number: int):
    return _write(number, customer_actions.reopen)


@bp.post("/tickets/<int:number>/resolve")
@policy(SUPER_USER)
def resolve(number: int):
    found = access.ticket_for_contact(current_user, number)
    if EmptyForm().validate_on_submit():
        customer_actions.resolve(current_user, found, datetime.now(UTC))
        flash(_("Ticket #%(number)s is resolved. Thank you for letting us know.",
                number=number), "success")
    return redirect_after_post(url_for("portal.ticket", number=number))


@bp.get("/tickets/<int:number>/attachments/<int:attachment_id>")
@policy(SUPER_USER)
def attachment(number: int, attachment_id: int):
    return send_attachment(
        access.attachment_for_contact(current_user, number, attachment_id))
