"""The queue, the ticket view and the calamity banner for agents."""
from datetime import UTC, datetime

from flask import render_template, request

from helpdesk.access import AGENT, policy
from helpdesk.agent import bp
from helpdesk.htmx import render_page_or_fragment
from helpdesk.services.outbox import outbox_problems
from helpdesk.services.queue import open_calamities, open_tickets_page, ticket_by_number

CALAMITY_BANNER_ID = "calamity-banner"


@bp.app_context_processor
def calamity_banner():
    """Every staff page can show the open calamities; the query runs only if it does."""
    return {"open_calamities": lambda: open_calamities(datetime.now(UTC))}


@bp.get("/")
@policy(AGENT)
def queue():
    page = request.args.get("page", 1, type=int)
    return render_template("agent/queue.html", tickets=open_tickets_page(page),
                           now=datetime.now(UTC))


@bp.get("/tickets/<int:number>")
@policy(AGENT)
def ticket(number: int):
    return render_template("agent/ticket.html", ticket=ticket_by_number(number))


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
