"""Managers write canned replies; agents only use them."""
import pytest
import sqlalchemy as sa

from helpdesk.extensions import db
from helpdesk.models import CannedReply, StaffRole
from tests.conftest import post_form, sign_in
from tests.fixtures.factories import make_staff


@pytest.fixture
def manager_client(client, app):
    sign_in(client, make_staff(StaffRole.MANAGER))
    return client


def test_manager_adds_edits_and_deletes_a_canned_reply(manager_client):
    response = post_form(manager_client, "/manage/canned-replies",
                         {"title": "Screenshot please", "body": "Could you send a screenshot?",
                          "language": "en"})
    assert response.status_code == 303
    reply = db.session.scalar(sa.select(CannedReply))
    assert (reply.title, reply.language) == ("Screenshot please", "en")
    post_form(manager_client, f"/manage/canned-replies/{reply.id}",
              {"title": "Screenshot", "body": "Graag een schermafdruk.", "language": "nl"})
    db.session.expire_all()
    assert (reply.title, reply.body) == ("Screenshot", "Graag een schermafdruk.")
    assert "Screenshot" in manager_client.get("/manage/canned-replies").get_data(as_text=True)
    post_form(manager_client, f"/manage/canned-replies/{reply.id}/delete")
    assert db.session.scalar(sa.select(CannedReply.id)) is None


def test_an_incomplete_or_duplicate_reply_re_renders_with_status_200(manager_client):
    db.session.add(CannedReply(title="Thanks", body="Thank you.", language="en"))
    db.session.commit()
    empty = post_form(manager_client, "/manage/canned-replies",
                      {"title": "", "body": "", "language": "en"})
    assert empty.status_code == 200 and "field is required" in empty.get_data(as_text=True)
    duplicate = post_form(manager_client, "/manage/canned-replies",
                          {"title": "Thanks", "body": "Again", "language": "en"})
    assert duplicate.status_code == 200 and "exists already" in duplicate.get_data(as_text=True)


def test_canned_reply_forms_need_a_csrf_token(manager_client):
    response = manager_client.post("/manage/canned-replies",
                                   data={"title": "x", "body": "y", "language": "nl"})
    assert response.status_code == 400
