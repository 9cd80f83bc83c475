"""What the statistics pages say their figures mean, in the manager's language."""
from helpdesk.extensions import db
from tests.manager.test_stats_views import DECEMBER, desk, manager_client  # noqa: F401


def test_the_pages_define_resolved_by_resolution_events(manager_client, desk):  # noqa: F811
    report = f"/manage/stats/organisations/{desk.acme.slug}?month=2026-12"
    for url in (f"/manage/stats?{DECEMBER}", report):
        page = manager_client.get(url).get_data(as_text=True)
        assert "each time a ticket went from an open status to resolved or closed" in page
    desk.manager.language = "nl"
    db.session.commit()
    for url in (f"/manage/stats?{DECEMBER}", report):
        page = manager_client.get(url).get_data(as_text=True)
        assert "telt in beide periodes mee" in page
