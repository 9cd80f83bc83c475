"""The queue's ORDER BY must stay the partial index's own expressions, or every page sorts."""
from datetime import UTC, datetime

import sqlalchemy as sa

from helpdesk.extensions import db
from helpdesk.models import Team
from helpdesk.services.tickets.queue import QueueFilters, queue_query
from tests.fixtures.factories import make_organisation, make_staff

NOW = datetime(2026, 11, 30, 9, 0, tzinfo=UTC)


def _plan(query) -> str:
    """The plan when the database may only answer from the urgency index (or fail)."""
    sql = str(query.compile(db.engine, compile_kwargs={"literal_binds": True}))
    if db.engine.dialect.name == "sqlite":
        # INDEXED BY makes SQLite refuse the query if the index cannot serve it.
        sql = sql.replace("FROM ticket", "FROM ticket INDEXED BY ix_ticket_queue_urgency", 1)
        rows = db.session.execute(sa.text(f"EXPLAIN QUERY PLAN {sql}"))
        return "\n".join(row[-1] for row in rows)
    # Forbid the alternatives: only an index that yields the queue's order can answer.
    for setting in ("enable_seqscan", "enable_bitmapscan", "enable_sort",
                    "enable_incremental_sort"):
        db.session.execute(sa.text(f"SET LOCAL {setting} = off"))
    return "\n".join(row[0] for row in db.session.execute(sa.text(f"EXPLAIN {sql}")))


def test_open_work_is_read_in_order_from_the_urgency_index(app):
    query = queue_query(QueueFilters(), make_staff(), NOW).limit(51)
    plan = _plan(query)
    db.session.rollback()
    assert "ix_ticket_queue_urgency" in plan
    assert "TEMP B-TREE FOR ORDER BY" not in plan and "Sort" not in plan


def test_filtered_open_work_uses_the_same_index(app):
    filters = QueueFilters(assignee="me", category="bug", status="waiting")
    plan = _plan(queue_query(filters, make_staff(), NOW).limit(51))
    db.session.rollback()
    assert "ix_ticket_queue_urgency" in plan



def test_an_agent_s_teams_filter_the_queue_without_leaving_the_urgency_index(app):
    agent, acme = make_staff(), make_organisation()
    db.session.add(Team(name="Benelux", created_at=NOW, members=[agent], organisations=[acme]))
    db.session.commit()
    query = queue_query(QueueFilters(), agent, NOW).limit(51)
    assert "organisation_id IN" in str(query.compile(db.engine))
    plan = _plan(query)
    db.session.rollback()
    assert "ix_ticket_queue_urgency" in plan
    assert "TEMP B-TREE FOR ORDER BY" not in plan and "Sort" not in plan
