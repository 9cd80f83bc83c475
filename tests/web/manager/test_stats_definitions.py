"""What the statistics pages say their figures mean, in the manager's language."""
from helpdesk.extensions import db
from tests.web.manager.test_stats_views import DECEMBER, desk, manager_client  # noqa: F401


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


def test_the_pages_state_the_row_rule_and_outside_office_hours_in_both_languages(
        manager_client, desk):  # noqa: F811
    report = f"/manage/stats/organisations/{desk.acme.slug}?month=2026-12"
    dashboard = f"/manage/stats?{DECEMBER}"
    english = {url: manager_client.get(url).get_data(as_text=True) for url in (dashboard, report)}
    assert "counts under its new category in every column" in english[dashboard]
    assert "counts under its new category in every column" in english[report]
    assert "on public holidays and on closing days" in english[dashboard]
    desk.manager.language = "nl"
    db.session.commit()
    dutch = {url: manager_client.get(url).get_data(as_text=True) for url in (dashboard, report)}
    assert "telt in elke kolom onder de nieuwe categorie" in dutch[dashboard]
    assert "telt in elke kolom onder de nieuwe categorie" in dutch[report]
    assert "op feestdagen en op sluitingsdagen" in dutch[dashboard]


def test_the_resolved_drill_down_states_what_resolved_counts(manager_client, desk):  # noqa: F811
    page = manager_client.get(f"/manage/stats/tickets/resolved?{DECEMBER}")
    assert "each time a ticket went from an open status to resolved or closed" in (
        page.get_data(as_text=True))
    desk.manager.language = "nl"
    db.session.commit()
    page = manager_client.get(f"/manage/stats/tickets/resolved?{DECEMBER}")
    assert "telt in beide periodes mee" in page.get_data(as_text=True)
