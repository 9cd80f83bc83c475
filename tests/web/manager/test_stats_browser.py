"""The dashboard in real headless Chromium: charts drawn without JavaScript, CSP respected.

It also saves docs/screenshots/dashboard.png from the demo data, on a fixed clock.
"""
from datetime import UTC, datetime

import pyotp
import pytest
import sqlalchemy as sa
import time_machine

from helpdesk.extensions import db
from helpdesk.models import StaffMember
from helpdesk.services import demo
from tests.conftest import SCREENSHOTS

pytestmark = pytest.mark.browser
# Monday 30 November 2026, 10:00 in Amsterdam: the demo data and so the picture are stable.
MONDAY_TEN = datetime(2026, 11, 30, 9, 0, tzinfo=UTC)


@pytest.fixture
def monday_morning():
    with time_machine.travel(MONDAY_TEN, tick=True):
        yield


def test_manager_sees_the_dashboard_with_charts_and_no_policy_violations(app, live_server, page,
                                                                          monday_morning):
    now = datetime.now(UTC)
    demo.seed_demo(now)
    demo.seed_bulk_tickets(1500, now, batch_size=500)
    manager = db.session.scalar(sa.select(StaffMember).filter_by(email="manager@helpdesk.example"))
    secret = manager.totp_secret
    db.session.remove()
    problems = []
    # Console errors include CSP violations; the browser's own favicon probe is not ours.
    page.on("console", lambda message: problems.append(message.text)
            if message.type == "error" and "404" not in message.text else None)
    page.on("response", lambda response: problems.append(response.url)
            if response.status >= 400 and not response.url.endswith("/favicon.ico")
            else None)
    page.goto(f"{live_server}/manage/stats")
    page.fill("input[name=email]", "manager@helpdesk.example")
    page.fill("input[name=password]", demo.DEMO_PASSWORD)
    page.click("button.primary")
    page.fill("input[name=code]", pyotp.TOTP(secret).now())
    page.click("button.primary")
    page.wait_for_url(f"{live_server}/manage/stats")
    assert page.locator("h1").first.inner_text() == "Statistieken"  # the demo manager's
    page.click("button[name=language][value=en]")
    page.wait_for_url(f"{live_server}/manage/stats")
    assert page.locator("h1").first.inner_text() == "Statistics"
    assert page.locator("figure.chart svg rect").count() > 168  # the heatmap alone has 168
    box = page.locator("#chart-arrivals svg.chart-svg").bounding_box()
    assert box is not None and box["width"] > 300 and box["height"] > 100
    assert page.locator("#table-by_organisation tbody tr").count() == 3
    page.set_viewport_size({"width": 1280, "height": 1800})
    page.screenshot(path=str(SCREENSHOTS / "dashboard.png"))
    assert not problems, problems
