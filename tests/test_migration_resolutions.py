"""Migration a6d19c4e7b52: resolutions are counted by history events from then on."""
from datetime import UTC, datetime

import sqlalchemy as sa
from flask_migrate import upgrade

from helpdesk.extensions import db
from tests.test_migrations import empty_database, migration_app  # noqa: F401

AT = datetime(2026, 10, 20, 9, 0, tzinfo=UTC)


def test_a_resolved_ticket_without_its_event_gets_one_and_the_rollup_is_read_live(
        migration_app):  # noqa: F811
    upgrade(revision="f4b8d2e6a1c7")
    with db.engine.begin() as connection:
        connection.execute(sa.text(
            "INSERT INTO organisation (id, slug, name, status, created_at) "
            "VALUES (1, 'acme', 'Acme', 'active', :at)"), {"at": AT})
        connection.execute(sa.text(
            "INSERT INTO contact (id, organisation_id, email, name, is_super_user, language, "
            "session_token, active, created_at) "
            "VALUES (1, 1, 'eva@acme.example', 'Eva', true, 'nl', 'x', true, :at)"), {"at": AT})
        for number, status, resolved_at in ((1, "closed", AT), (2, "resolved", AT),
                                            (3, "open", None)):
            connection.execute(sa.text(
                "INSERT INTO ticket (id, number, subject, category, channel, status, "
                "organisation_id, raised_by_id, created_at, updated_at, due_soon, breached, "
                "resolved_at, details) VALUES (:n, :n, 'Hi', 'bug', 'email', :status, 1, 1, "
                ":at, :at, false, false, :resolved_at, '{}')"),
                {"n": number, "status": status, "at": AT, "resolved_at": resolved_at})
        # Ticket 2 was resolved through the desk: its event is there already.
        connection.execute(sa.text(
            "INSERT INTO ticket_event (ticket_id, at, action, before, after) "
            "VALUES (2, :at, 'status', 'open', 'resolved')"), {"at": AT})
        connection.execute(sa.text(
            "INSERT INTO stats_rollup_day (day, zone, rolled_changes, rolled_up_at) "
            "VALUES ('2026-10-20', 'Europe/Amsterdam', 0, :at)"), {"at": AT})

    upgrade()

    with db.engine.connect() as connection:
        events = connection.execute(sa.text(
            "SELECT ticket_id, before, after FROM ticket_event WHERE action = 'status' "
            "ORDER BY ticket_id")).all()
        assert [tuple(event) for event in events] == [(1, "open", "closed"),
                                                      (2, "open", "resolved")]
        assert connection.scalar(sa.text("SELECT count(*) FROM stats_rollup_day")) == 0
