"""The queue and the ticket view for agents."""
from datetime import UTC, datetime

from flask import render_template, request

from helpdesk.access import AGENT, policy
from helpdesk.agent import bp
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
