"""Attachments: only through the authorised route, downloads unless provably a safe image."""
import pytest
import sqlalchemy as sa

from helpdesk.adapters.storage import blob_store
from helpdesk.extensions import db
from helpdesk.models import Attachment, AuditEntry
from tests.conftest import sign_in
from tests.fixtures.factories import make_contact, make_ticket

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32


def _attach(ticket, filename, content, content_type, content_id=None):
    path, digest = blob_store().put(content)
    attachment = Attachment(message_id=ticket.messages[0].id, filename=filename,
                            content_type=content_type, size=len(content), sha256=digest,
                            storage_path=path, content_id=content_id)
    db.session.add(attachment)
    db.session.commit()
    return attachment


def test_a_real_png_is_shown_inline_with_nosniff(agent_client):
    attachment = _attach(make_ticket(), "shot.png", PNG, "image/png")
    response = agent_client.get(f"/desk/attachments/{attachment.id}")
    assert response.status_code == 200 and response.data == PNG
    assert response.mimetype == "image/png"
    assert response.headers["Content-Disposition"].startswith("inline")
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert "sandbox" in response.headers["Content-Security-Policy"]


@pytest.mark.parametrize(("filename", "content", "claimed", "served"), [
    ("logo.svg", b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>',
     "image/svg+xml", "application/octet-stream"),
    ("fake.png", b"<html><script>alert(1)</script></html>", "image/png",
     "application/octet-stream"),
    ("page.html", b"<html></html>", "text/html", "application/octet-stream"),
    ("report.pdf", b"%PDF-1.7", "application/pdf", "application/pdf"),
])
def test_everything_else_is_a_download(agent_client, filename, content, claimed, served):
    attachment = _attach(make_ticket(), filename, content, claimed)
    response = agent_client.get(f"/desk/attachments/{attachment.id}")
    assert response.mimetype == served
    assert response.headers["Content-Disposition"].startswith("attachment")
    assert filename in response.headers["Content-Disposition"]


def test_every_download_is_audited(agent_client, agent):
    ticket = make_ticket()
    attachment = _attach(ticket, "log.txt", b"trace", "text/plain")
    agent_client.get(f"/desk/attachments/{attachment.id}")
    entry = db.session.scalar(sa.select(AuditEntry).filter_by(action="download"))
    assert (entry.staff_id, entry.subject_type, entry.subject_id) == (
        agent.id, "attachment", attachment.id)
    assert entry.detail == f"#{ticket.number} log.txt"


def test_unknown_attachments_are_not_found(agent_client):
    assert agent_client.get("/desk/attachments/999").status_code == 404


def test_super_users_cannot_use_the_staff_route_even_for_their_own_ticket(client):
    contact = make_contact()
    attachment = _attach(make_ticket(raised_by=contact), "x.png", PNG, "image/png")
    sign_in(client, contact)
    assert client.get(f"/desk/attachments/{attachment.id}").status_code == 403


def test_inline_cid_images_are_served_through_the_route(agent_client):
    ticket = make_ticket()
    attachment = _attach(ticket, "inline.png", PNG, "image/png", content_id="<img1@mail>")
    ticket.messages[0].body_html = '<p>Look</p><img src="cid:img1@mail" alt="shot">'
    db.session.commit()
    page = agent_client.get(f"/desk/tickets/{ticket.number}").get_data(as_text=True)
    assert f'<img src="/desk/attachments/{attachment.id}" alt="shot">' in page
