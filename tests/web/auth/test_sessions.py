"""Sessions end after inactivity and can be revoked on the server."""
from datetime import UTC, datetime, timedelta

from helpdesk.extensions import db
from helpdesk.models import StaffRole
from tests.conftest import post_form, sign_in
from tests.fixtures.factories import make_contact, make_staff


def _idle_for(client, delta: timedelta) -> None:
    with client.session_transaction() as session:
        session["seen_at"] = (datetime.now(UTC) - delta).timestamp()


def test_staff_session_expires_after_thirty_idle_minutes(app, client):
    sign_in(client, make_staff())
    _idle_for(client, timedelta(minutes=31))
    response = client.get("/desk/")
    assert response.status_code == 302 and response.location.startswith("/sign-in")
    page = client.get(response.location).get_data(as_text=True)
    assert "omdat u een tijd niet actief was" in page


def test_staff_session_survives_shorter_idleness(app, client):
    sign_in(client, make_staff())
    _idle_for(client, timedelta(minutes=29))
    assert client.get("/desk/").status_code == 200


def test_background_polling_does_not_keep_a_session_alive(app, client):
    sign_in(client, make_staff())
    _idle_for(client, timedelta(minutes=20))
    client.get("/desk/", headers={"X-Helpdesk-Background": "1"})
    with client.session_transaction() as session:
        idle_seconds = datetime.now(UTC).timestamp() - session["seen_at"]
    assert idle_seconds >= 20 * 60


def test_the_idle_limit_is_configurable(app, client):
    app.config["STAFF_SESSION_IDLE"] = timedelta(minutes=5)
    sign_in(client, make_staff())
    _idle_for(client, timedelta(minutes=6))
    assert client.get("/desk/").status_code == 302


def test_signing_out_in_one_browser_ends_the_session_in_every_other(app, client):
    staff = make_staff()
    elsewhere = app.test_client()
    sign_in(client, staff)
    sign_in(elsewhere, staff)
    assert elsewhere.get("/desk/").status_code == 200
    post_form(client, "/sign-out")
    assert elsewhere.get("/desk/").status_code == 302


def test_disabling_an_account_ends_every_session(app, client):
    staff = make_staff()
    sign_in(client, staff)
    staff.active = False
    db.session.commit()
    assert client.get("/desk/").status_code == 302


def test_agent_cannot_open_manager_pages(app, client):
    sign_in(client, make_staff(StaffRole.AGENT))
    assert client.get("/manage/organisations").status_code == 403


def test_manager_can_open_manager_pages(app, client):
    sign_in(client, make_staff(StaffRole.MANAGER))
    assert client.get("/manage/organisations").status_code == 200


def test_super_user_cannot_open_staff_pages(app, client):
    sign_in(client, make_contact())
    # Known and signed in, just not staff: refused rather than sent to a sign-in page.
    assert client.get("/desk/").status_code == 403


def test_portal_session_expires_after_thirty_idle_minutes_like_staff(app, client):
    sign_in(client, make_contact())
    _idle_for(client, timedelta(minutes=31))
    response = client.get("/portal/")
    assert response.status_code == 302 and response.location.startswith("/portal/sign-in")
