"""The managers' overview of customer organisations."""
import sqlalchemy as sa
from flask import render_template

from helpdesk.extensions import db
from helpdesk.models import OPEN_STATUSES, Contact, Organisation, Ticket
from helpdesk.web.access import MANAGER, policy
from helpdesk.web.manager import bp


@bp.get("/organisations")
@policy(MANAGER)
def organisations():
    open_counts = (sa.select(Ticket.organisation_id, sa.func.count().label("open_tickets"))
                   .where(Ticket.status.in_(OPEN_STATUSES)).group_by(Ticket.organisation_id)
                   .subquery())
    super_user_counts = (sa.select(Contact.organisation_id, sa.func.count().label("super_users"))
                         .where(Contact.is_super_user.is_(True)).group_by(Contact.organisation_id)
                         .subquery())
    rows = db.session.execute(
        sa.select(Organisation,
                  sa.func.coalesce(open_counts.c.open_tickets, 0),
                  sa.func.coalesce(super_user_counts.c.super_users, 0))
        .outerjoin(open_counts, open_counts.c.organisation_id == Organisation.id)
        .outerjoin(super_user_counts, super_user_counts.c.organisation_id == Organisation.id)
        .order_by(Organisation.name)
    ).all()
    return render_template("manager/organisations.html", rows=rows)
