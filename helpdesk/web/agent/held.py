"""Held mail: the list, one message with its source, and the four decisions about it."""
from datetime import UTC, datetime

from flask import abort, flash, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from helpdesk.domain.categorise import category_for
from helpdesk.extensions import db
from helpdesk.models import Category, HeldMessage
from helpdesk.services import Refusal
from helpdesk.services.intake import held_mail
from helpdesk.services.tickets.queue import organisation_choices
from helpdesk.web.access import AGENT, policy
from helpdesk.web.agent import bp, forms
from helpdesk.web.agent.files import render_source
from helpdesk.web.agent.phone import picker_context
from helpdesk.web.auth.forms import EmptyForm
from helpdesk.web.downloads import send_source
from helpdesk.web.htmx import fragment_or_redirect, render_page_or_fragment, wants_fragment
from helpdesk.web.ids import id_arg

TARGET = "held-message"


@bp.get("/held")
@policy(AGENT)
def held_list():
    include_handled = request.args.get("all") == "1"
    page = id_arg(request.args, "page") or 1
    return render_template("agent/held.html", include_handled=include_handled,
                           held=held_mail.held_page(page, include_handled=include_handled))


def _held(held_id: int) -> HeldMessage:
    held = db.session.get(HeldMessage, held_id)
    if held is None:
        abort(404)
    return held


def _context(held: HeldMessage, *, error: str | None = None, error_for: str | None = None,
             **submitted) -> dict:
    """The message, its parsed text, what was decided so far and the decision forms."""
    mail = held_mail.parsed(held)
    default_category = (category_for(mail.to_addresses, mail.subject) if mail
                        else Category.QUESTION.value)
    open_form = submitted.pop("open_form", None) or forms.held_open_form(default_category)
    context = {
        "held": held, "mail": mail, "decisions": held_mail.decisions(held),
        "open_form": open_form,
        "add_form": submitted.pop("add_form", None) or forms.HeldAddForm(formdata=None),
        "register_form": submitted.pop("register_form", None) or forms.held_register_form(
            organisation_choices(current_user, datetime.now(UTC)),
            mail.from_name if mail and mail.from_name else ""),
        "error": error, "error_for": error_for,
    }
    context.update(picker_context(open_form))
    return context


def _done(held: HeldMessage, message: str):
    if not wants_fragment(TARGET):
        flash(message, "info")
    return fragment_or_redirect("agent/_held_detail.html", TARGET, url_for("agent.held_list"),
                                **_context(held))


def _again(held: HeldMessage, error: str | None = None, **context):
    return render_page_or_fragment("agent/held_message.html", "agent/_held_detail.html",
                                   TARGET, **_context(held, error=error, **context))


@bp.get("/held/<int:held_id>")
@policy(AGENT)
def held_message(held_id: int):
    return render_template("agent/held_message.html", **_context(_held(held_id)))


def _decide(held: HeldMessage, name: str, form, decision, done):
    """Check the form and make the decision; a refusal shows that form again with its reason."""
    context = {} if isinstance(form, EmptyForm) else {f"{name}_form": form}
    if not form.validate_on_submit():
        return _again(held, **context)
    try:
        result = decision(datetime.now(UTC))
    except Refusal as refused:
        return _again(held, str(refused), error_for=name, **context)
    return _done(held, done(result))


@bp.post("/held/<int:held_id>/open")
@policy(AGENT)
def held_open(held_id: int):
    held = _held(held_id)
    form = forms.held_open_form(Category.QUESTION.value)
    if request.form.get("search"):
        return _again(held, open_form=form)
    return _decide(held, "open", form, lambda now: held_mail.open_ticket(
        held, current_user, form.contact_id.data or 0, Category(form.category.data), now),
        lambda ticket: _("Ticket #%(number)s opened.", number=ticket.number))


@bp.post("/held/<int:held_id>/add")
@policy(AGENT)
def held_add(held_id: int):
    held = _held(held_id)
    form = forms.HeldAddForm()
    return _decide(held, "add", form, lambda now: held_mail.add_to_ticket(
        held, current_user, form.ticket_number(), now),
        lambda ticket: _("Added to ticket #%(number)s.", number=ticket.number))


@bp.post("/held/<int:held_id>/register")
@policy(AGENT)
def held_register(held_id: int):
    held = _held(held_id)
    form = forms.held_register_form(organisation_choices(current_user, datetime.now(UTC)), "")
    return _decide(held, "register", form, lambda now: held_mail.register_sender(
        held, current_user, form.organisation.data, form.name.data, form.super_user.data, now),
        lambda contact: _("%(email)s is registered.", email=contact.email))


@bp.post("/held/<int:held_id>/dismiss")
@policy(AGENT)
def held_dismiss(held_id: int):
    held = _held(held_id)
    return _decide(held, "dismiss", EmptyForm(),
                   lambda now: held_mail.dismiss(held, current_user, now),
                   lambda _result: _("Dismissed; the message is kept but no longer listed."))


def _held_and_source(held_id: int) -> tuple[HeldMessage, bytes]:
    """The held mail and its raw source (reading it is audited); 404 when either is gone."""
    held = _held(held_id)
    raw = held_mail.read_raw(held, current_user, datetime.now(UTC))
    if raw is None:
        abort(404)
    return held, raw


@bp.get("/held/<int:held_id>/source")
@policy(AGENT)
def held_source(held_id: int):
    """The raw message as text, for an agent who needs to see exactly what arrived."""
    held, raw = _held_and_source(held_id)
    return render_source(raw, held.subject,
                         back_url=url_for("agent.held_message", held_id=held.id),
                         download_url=url_for("agent.held_source_download", held_id=held.id))


@bp.get("/held/<int:held_id>/source.eml")
@policy(AGENT)
def held_source_download(held_id: int):
    held, raw = _held_and_source(held_id)
    return send_source(raw, f"held-{held.id}.eml")
