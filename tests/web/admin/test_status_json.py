"""/admin/status.json: the desk's status for admins, refused to everyone else."""
from datetime import UTC, datetime, timedelta

import pytest

from helpdesk.models import StaffRole
from helpdesk.services.operations import heartbeats
from tests.conftest import sign_in
from tests.fixtures.factories import make_contact, make_staff


def test_an_admin_gets_the_status_as_json(client):
    heartbeats.claim(["sla-sweep"], "worker-1:42", datetime.now(UTC), timedelta(minutes=5))
    sign_in(client, make_staff(StaffRole.ADMIN))
    response = client.get("/admin/status.json")
    assert response.status_code == 200
    assert response.mimetype == "application/json"
    shown = response.get_json()
    assert shown["ok"] is False
    assert shown["problems"] == ["backup: no verified backup yet"]
    assert [(job["job"], job["live"], job["holder"]) for job in shown["jobs"]] == [
        ("sla-sweep", True, "worker-1:42")]
    assert response.headers["Cache-Control"] == "no-store"


@pytest.mark.parametrize("role", [StaffRole.AGENT, StaffRole.MANAGER])
def test_staff_below_admin_are_refused(client, role):
    sign_in(client, make_staff(role))
    assert client.get("/admin/status.json").status_code == 403


def test_a_signed_in_customer_is_refused(client):
    sign_in(client, make_contact())
    assert client.get("/admin/status.json").status_code == 403


def test_someone_not_signed_in_is_sent_to_sign_in(client):
    response = client.get("/admin/status.json")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/sign-in?next=")
