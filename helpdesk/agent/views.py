"""The queue and the ticket view for agents."""
from datetime import UTC, datetime

from flask import render_template, request

from helpdesk.access import AGENT, policy
from helpdesk.agent import bp
from helpdesk.services.outbox import outbox_problems
from helpdesk.services.queue import open_tickets_page, ticket_by_number


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


@bp.context_processor
def mail_problems():
    """The ticket page includes the mail that failed or was held back (agent/_outbox_problems)."""
    return {"outbox_problems": outbox_problems}
