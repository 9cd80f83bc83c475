"""A late response on the statistics pages is never "late by 0 min"."""
from helpdesk.extensions import db
from helpdesk.models import Category, Channel
from helpdesk.services.tickets import lifecycle
from tests.fixtures.stats_dataset import at
from tests.web.manager.test_stats_views import (  # noqa: F401
    DECEMBER,
    desk,
    manager_client,
    page_tables,
)


def test_a_response_half_a_minute_late_reads_less_than_a_minute_late(manager_client,  # noqa: F811
                                                                      desk):  # noqa: F811
    contact = desk.tickets["T1"].raised_by
    ticket, _ = lifecycle.open_ticket(raised_by=contact, subject="Just late", category=Category.BUG,
                                    channel=Channel.EMAIL, body_text="Help",
                                    received_at=at(12, 15, 10), now=at(12, 15, 10))
    lifecycle.reply(ticket, desk.anna, "Here", at(12, 16, 10).replace(second=30))
    db.session.commit()
    rows = page_tables(manager_client.get(f"/manage/stats?{DECEMBER}")).tables["late_responses"]
    [row] = [row for row in rows if "Just late" in row]
    assert row[-1] == "less than a minute late"
    assert not any(cell in ("0 min", "0 min late") for row in rows for cell in row)
