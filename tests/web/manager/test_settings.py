"""The managers' settings page: access, CSRF, validation, and its effect on due moments."""
from datetime import UTC, date, datetime, time
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa
import time_machine

from helpdesk.extensions import db
from helpdesk.models import (
    CalendarSettings,
    Category,
    Channel,
    ClosingDay,
    RecomputeJob,
    ResponseTarget,
    StaffRole,
    Ticket,
)
from helpdesk.services.promise import recompute
from helpdesk.services.tickets import lifecycle
from tests.conftest import post_form, sign_in
from tests.fixtures.factories import make_contact, make_staff

AMS = ZoneInfo("Europe/Amsterdam")
MONDAY_TEN = datetime(2026, 11, 30, 10, tzinfo=AMS)
TARGETS = {"bug_hours": 24, "configuration_hours": 24, "outage_hours": 24,
           "question_hours": 24, "wish_hours": 24, "calamity_minutes": 60}


def local(*args) -> datetime:
    return datetime(*args, tzinfo=AMS)


@pytest.fixture
def manager(app, client):
    """A signed-in manager, on Monday 30 November 2026 at 10:00 in Amsterdam."""
    with time_machine.travel(MONDAY_TEN, tick=False):
        person = make_staff(StaffRole.MANAGER)
        sign_in(client, person)
        yield person


def _open(received_at, category=Category.BUG):
    ticket, _ = lifecycle.open_ticket(
        raised_by=make_contact(), subject="Export fails", category=category,
        channel=Channel.PORTAL, body_text="x", received_at=received_at, now=received_at)
    db.session.commit()
    return ticket


def _due(ticket) -> datetime:
    return db.session.scalar(sa.select(Ticket.response_due_at).filter_by(id=ticket.id))


def _run_recompute():
    recompute.run_pending(datetime.now(UTC))
    db.session.expire_all()


def _jobs():
    return db.session.scalars(sa.select(RecomputeJob).order_by(RecomputeJob.id)).all()


ENDPOINTS = [
    ("/manage/settings/office-hours", {"opens_at": "08:00", "closes_at": "18:00"}),
    ("/manage/settings/targets", TARGETS),
    ("/manage/settings/closing-days", {"day": "2026-12-01", "note": "x"}),
    ("/manage/settings/closing-days/remove", {"day": "2026-12-01"}),
    ("/manage/settings/holidays/reopen", {"day": "2026-12-25"}),
    ("/manage/settings/holidays/close", {"day": "2026-12-25"}),
]


def test_agents_may_neither_see_nor_change_the_settings(app, client):
    sign_in(client, make_staff(StaffRole.AGENT))
    assert client.get("/manage/settings").status_code == 403
    assert client.get("/manage/settings/recompute").status_code == 403
    for url, data in ENDPOINTS:
        assert post_form(client, url, data).status_code == 403, url
    assert _jobs() == [] and db.session.scalars(sa.select(ClosingDay)).all() == []


def test_settings_page_asks_a_signed_out_visitor_to_sign_in(app, client):
    response = client.get("/manage/settings")
    assert response.status_code == 302 and response.location.startswith("/sign-in")


@pytest.mark.parametrize(("url", "data"), ENDPOINTS)
def test_a_change_without_csrf_token_is_refused(manager, client, url, data):
    assert client.post(url, data=data).status_code == 400
    assert _jobs() == []


def test_page_shows_current_hours_targets_and_this_and_next_years_holidays(manager, client):
    page = client.get("/manage/settings").get_data(as_text=True)
    assert 'name="opens_at" required type="time" value="09:00"' in page
    assert 'name="bug_hours" required type="number" value="24"' in page
    assert 'name="calamity_minutes" required type="number" value="60"' in page
    assert ">2026</h3>" in page and ">2027</h3>" in page
    assert "Christmas Day" in page and 'value="2027-04-27"' in page  # King's Day 2027
    assert 'id="calamity-banner"' in page  # a staff page like any other


def test_closing_before_opening_is_shown_again_with_status_200(manager, client):
    response = post_form(client, "/manage/settings/office-hours",
                         {"opens_at": "17:00", "closes_at": "09:00"})
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "The desk must open before it closes." in page
    assert 'name="opens_at" required type="time" value="17:00"' in page  # what was typed
    assert db.session.scalar(sa.select(CalendarSettings)) is None and _jobs() == []


@pytest.mark.parametrize(("field", "value"), [("bug_hours", "soon"), ("bug_hours", "0"),
                                              ("calamity_minutes", ""),
                                              ("calamity_minutes", "100000")])
def test_invalid_target_is_marked_and_nothing_is_saved(manager, client, field, value):
    response = post_form(client, "/manage/settings/targets", {**TARGETS, field: value})
    assert response.status_code == 200
    assert 'class="field-error"' in response.get_data(as_text=True)
    assert db.session.scalars(sa.select(ResponseTarget)).all() == [] and _jobs() == []


@pytest.mark.parametrize(("day", "message"), [
    ("2026-12-05", "closed at weekends anyway"),
    ("2026-12-25", "public holiday"),
    ("2026-11-27", "from today until the end of next year"),
    ("2028-01-03", "from today until the end of next year"),
    ("not-a-day", "Not a valid date value"),
])
def test_a_closing_day_that_cannot_be_added_is_explained(manager, client, day, message):
    response = post_form(client, "/manage/settings/closing-days", {"day": day, "note": "x"})
    assert response.status_code == 200
    assert message in response.get_data(as_text=True)
    assert db.session.scalars(sa.select(ClosingDay)).all() == []


def test_a_closing_day_cannot_be_added_twice(manager, client):
    post_form(client, "/manage/settings/closing-days", {"day": "2026-12-01", "note": "Outing"})
    response = post_form(client, "/manage/settings/closing-days", {"day": "2026-12-01"})
    assert "That day is a closing day already." in response.get_data(as_text=True)


def test_manager_added_closing_day_moves_new_and_then_open_tickets(manager, client):
    before = _open(local(2026, 11, 30, 9, 30))
    assert _due(before) == local(2026, 12, 1, 9, 30)
    response = post_form(client, "/manage/settings/closing-days",
                         {"day": "2026-12-01", "note": "Company outing"})
    assert response.status_code == 302 and response.location == "/manage/settings"
    page = client.get("/manage/settings").get_data(as_text=True)
    assert "Company outing" in page and "0 of 1" in page

    after = _open(local(2026, 11, 30, 10))
    assert _due(after) == local(2026, 12, 2, 10)  # new tickets: at once
    assert _due(before) == local(2026, 12, 1, 9, 30)  # open tickets: in the background
    _run_recompute()
    assert _due(before) == local(2026, 12, 2, 9, 30)
    [job] = _jobs()
    assert (job.total, job.done) == (1, 1) and job.finished_at is not None


def test_removing_a_closing_day_restores_the_due_moments(manager, client):
    post_form(client, "/manage/settings/closing-days", {"day": "2026-12-01"})
    ticket = _open(local(2026, 11, 30, 10))
    assert _due(ticket) == local(2026, 12, 2, 10)
    response = post_form(client, "/manage/settings/closing-days/remove", {"day": "2026-12-01"})
    assert response.status_code == 302
    _run_recompute()
    assert _due(ticket) == local(2026, 12, 1, 10)
    assert db.session.scalars(sa.select(ClosingDay)).all() == []


def test_reopened_holiday_counts_for_new_and_then_open_tickets(app, client):
    with time_machine.travel(local(2026, 12, 24, 15), tick=False):
        sign_in(client, make_staff(StaffRole.MANAGER))
        christmas_eve = _open(local(2026, 12, 24, 14), Category.OUTAGE)
        assert _due(christmas_eve) == local(2026, 12, 28, 14)  # sla.md: 25th, 26th closed

        assert post_form(client, "/manage/settings/holidays/reopen",
                         {"day": "2026-12-25"}).status_code == 302
        assert "Open (reopened)" in client.get("/manage/settings").get_data(as_text=True)
        assert _due(_open(local(2026, 12, 24, 14, 30))) == local(2026, 12, 25, 14, 30)
        _run_recompute()
        assert _due(christmas_eve) == local(2026, 12, 25, 14)

        post_form(client, "/manage/settings/holidays/close", {"day": "2026-12-25"})
        _run_recompute()
        assert _due(christmas_eve) == local(2026, 12, 28, 14)


def test_reopening_a_day_that_is_no_holiday_is_refused(manager, client):
    response = post_form(client, "/manage/settings/holidays/reopen", {"day": "2026-12-02"})
    assert "That day is not a public holiday." in response.get_data(as_text=True)


def test_shorter_targets_apply_to_new_tickets(manager, client):
    response = post_form(client, "/manage/settings/targets",
                         {**TARGETS, "bug_hours": "8", "calamity_minutes": "30"})
    assert response.status_code == 302
    assert _due(_open(local(2026, 11, 30, 10))) == local(2026, 11, 30, 18)
    assert _due(_open(local(2026, 12, 5, 3), Category.CALAMITY)) == local(2026, 12, 5, 3, 30)
    assert _due(_open(local(2026, 11, 30, 10), Category.WISH)) == local(2026, 12, 1, 10)


def test_changed_office_hours_start_the_clock_earlier(manager, client):
    response = post_form(client, "/manage/settings/office-hours",
                         {"opens_at": "08:00", "closes_at": "18:00"})
    assert response.status_code == 302
    settings = db.session.scalar(sa.select(CalendarSettings))
    assert (settings.opens_at, settings.closes_at) == (time(8), time(18))
    assert _due(_open(local(2026, 12, 1, 8, 30))) == local(2026, 12, 2, 8, 30)


def test_recompute_progress_is_a_page_and_a_self_polling_fragment(manager, client):
    _open(local(2026, 11, 30, 9))
    post_form(client, "/manage/settings/closing-days", {"day": "2026-12-01"})
    fragment = client.get("/manage/settings/recompute",
                          headers={"HX-Request": "true", "HX-Target": "recompute-progress"})
    text = fragment.get_data(as_text=True)
    assert text.lstrip().startswith('<div id="recompute-progress"') and "<html" not in text
    assert 'hx-trigger="every 2s"' in text and "0 of 1" in text
    assert '"X-Helpdesk-Background": "1"' in text
    assert "HX-Request" in fragment.headers["Vary"]

    _run_recompute()
    page = client.get("/manage/settings/recompute").get_data(as_text=True)
    assert "<html" in page and "up to date" in page and "hx-trigger" not in page.split(
        'id="recompute-progress"')[1].split("</div>")[0]


def test_a_settings_change_supersedes_an_unfinished_recompute(manager, client):
    post_form(client, "/manage/settings/closing-days", {"day": "2026-12-01"})
    post_form(client, "/manage/settings/closing-days", {"day": "2026-12-02"})
    first, second = _jobs()
    assert first.finished_at is not None and second.finished_at is None
    assert {d.day for d in db.session.scalars(sa.select(ClosingDay))} == {
        date(2026, 12, 1), date(2026, 12, 2)}
