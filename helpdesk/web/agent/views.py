"""The queue, the ticket page, its presence check-in and the calamity banner."""
from datetime import UTC, datetime

from flask import current_app, render_template, request, url_for
from flask_login import current_user

from helpdesk.domain.ids import parse_id
from helpdesk.models import Category, TicketStatus
from helpdesk.services.mail_out.outbox import outbox_problems
from helpdesk.services.tickets import desk
from helpdesk.services.tickets.queue import (
    QueueFilters,
    new_calamities,
    open_calamities,
    organisation_choices,
    queue_page,
    staff_choices,
    ticket_by_number,
)
from helpdesk.web.access import AGENT, REMOTE_IMAGES_POLICY, policy
from helpdesk.web.agent import bp
from helpdesk.web.agent.formatting import row_labels
from helpdesk.web.agent.ticket_page import presence_context, ticket_context
from helpdesk.web.auth.sessions import BACKGROUND_HEADER
from helpdesk.web.htmx import fragment_or_redirect, render_page_or_fragment, wants_fragment
from helpdesk.web.i18n import desk_calendar
from helpdesk.web.ids import id_arg
from helpdesk.web.labels import category_label, status_label

QUEUE_TARGET = "queue-results"
CALAMITY_BANNER_ID = "calamity-banner"


@bp.app_context_processor
def calamity_banner():
    """Every staff page can show the open calamities; the query runs only if it does."""
    return {"open_calamities": lambda: open_calamities(datetime.now(UTC))}


def _known_calamities() -> set[int] | None:
    """Calamity numbers the open queue page already showed (None: the page did not say)."""
    raw = request.args.get("known_calamities")
    if raw is None:
        return None
    return {n for n in map(parse_id, raw.split(",")) if n is not None}


@bp.get("/")
@policy(AGENT)
def queue():
    now = datetime.now(UTC)
    filters = QueueFilters.from_args(request.args)
    known = _known_calamities()
    context = {
        "filters": filters,
        "page": queue_page(filters, current_user, now, desk_calendar(),
                           per_page=current_app.config["QUEUE_PAGE_SIZE"]),
        "new_calamities": new_calamities(known, now) if known is not None else [],
        "poll_seconds": current_app.config["QUEUE_POLL_SECONDS"],
        "staff": staff_choices(parse_id(filters.assignee)),
        "organisations": organisation_choices(current_user, now),
        "categories": [(c.value, category_label(c)) for c in Category],
        "statuses": [(s.value, status_label(s)) for s in TicketStatus],
        "labels": row_labels(),
    }
    if not wants_fragment(QUEUE_TARGET):
        # The banner shows these too: one query for both.
        context["calamities"] = open_calamities(now)
        context["known_calamities"] = ",".join(str(c.number) for c in context["calamities"])
    response = render_page_or_fragment("agent/queue.html", "agent/_queue_results.html",
                                       QUEUE_TARGET, **context)
    if wants_fragment(QUEUE_TARGET) and request.headers.get(BACKGROUND_HEADER) != "1":
        # A filter change or page link: the address bar shows the clean, shareable URL.
        response.headers["HX-Push-Url"] = url_for("agent.queue", **filters.to_args())
    return response


@bp.get("/tickets/<int:number>")
@policy(AGENT)
def ticket(number: int):
    now = datetime.now(UTC)
    ticket = ticket_by_number(number, current_user, now)
    remote_images_for = id_arg(request.args, "images")
    page = render_template(
        "agent/ticket.html",
        **ticket_context(ticket, current_user, now, remote_images_for=remote_images_for))
    # Recorded once the page is made: committing earlier would expire what it reads.
    desk.open_ticket_view(ticket, current_user, now)
    response = current_app.make_response(page)
    if remote_images_for is not None:
        response.headers["Content-Security-Policy"] = REMOTE_IMAGES_POLICY
    return response


@bp.post("/tickets/<int:number>/presence")
@policy(AGENT)
def presence(number: int):
    """The open ticket page checks in; the answer says who else is on it."""
    now = datetime.now(UTC)
    ticket = ticket_by_number(number, current_user, now)
    desk.still_here(ticket, current_user, now,
                    replying=bool(request.form.get("body", "").strip()))
    return fragment_or_redirect("agent/_presence.html", "presence",
                                url_for("agent.ticket", number=number),
                                **presence_context(ticket, current_user, now))


@bp.get("/calamities")
@policy(AGENT)
def calamities():
    """Open calamities without a response: the banner refreshes itself from here."""
    calamities = open_calamities(datetime.now(UTC))
    return render_page_or_fragment("agent/calamities.html", "agent/_calamity_banner.html",
                                   CALAMITY_BANNER_ID, calamities=calamities)


@bp.context_processor
def mail_problems():
    """The ticket page includes the mail that failed or was held back (agent/_outbox_problems)."""
    return {"outbox_problems": outbox_problems}
