"""A super-user asks for the export; managers are told, the worker builds it, it works once."""
import io
import re
import zipfile
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import urlsplit

import sqlalchemy as sa

from helpdesk.extensions import db
from helpdesk.models import AuditEntry, ExportRequest, OutboxMessage, StaffRole
from helpdesk.services.privacy.export_requests import exports_job
from tests.conftest import post_form, sign_in
from tests.fixtures.factories import make_contact, make_organisation, make_staff, make_ticket


def _mail_to(address: str) -> OutboxMessage:
    return db.session.scalars(sa.select(OutboxMessage).filter_by(to_address=address)).one()


def _asked_and_built(client):
    """The pages read the clock, so the worker's pass runs at the real moment too."""
    eva = make_contact(make_organisation(slug="acme"), email="eva@acme.example", language="en")
    make_ticket(raised_by=eva)
    manager = make_staff(StaffRole.MANAGER, email="mia@desk.example")
    make_staff(StaffRole.AGENT, email="agent@desk.example")
    sign_in(client, eva)
    assert "Ask for the export" in client.get("/portal/export").get_data(as_text=True)
    response = post_form(client, "/portal/export")
    assert response.status_code in (302, 303)
    assert "eva@acme.example" in _mail_to(manager.email).body_text
    assert db.session.scalar(sa.select(sa.func.count()).select_from(OutboxMessage)
                             .filter_by(to_address="agent@desk.example")) == 0
    assert exports_job(datetime.now(UTC)) == 1
    link = re.search(r"https?://\S+", _mail_to(eva.email).body_text).group()
    url = urlsplit(link)
    return eva, f"{url.path}?{url.query}"


def test_the_link_downloads_the_export_once_and_every_step_is_audited(client, app):
    eva, link = _asked_and_built(client)
    response = client.get(link)
    assert response.status_code == 200 and response.mimetype == "application/zip"
    with zipfile.ZipFile(io.BytesIO(response.get_data())) as archive:
        assert "export.json" in archive.namelist()
    response.close()
    assert client.get(link).status_code == 410
    request = db.session.scalars(sa.select(ExportRequest)).one()
    assert request.file_path is None and request.token_hash not in link
    actions = db.session.scalars(sa.select(AuditEntry.action).order_by(AuditEntry.id)).all()
    assert actions == ["export_requested", "export_built", "export_downloaded"]


def test_a_super_user_of_another_organisation_cannot_reach_the_export(client, app):
    eva, link = _asked_and_built(client)
    sign_in(client, make_contact(make_organisation(slug="other")))
    assert client.get(link).status_code == 404
    sign_in(client, eva)
    assert client.get(link).status_code == 200  # still unused


def test_an_expired_link_is_refused_and_its_file_removed(client, app):
    eva, link = _asked_and_built(client)
    request = db.session.scalars(sa.select(ExportRequest)).one()
    path = request.file_path
    exports_job(datetime.now(UTC) + app.config["EXPORT_LINK_VALID"] + timedelta(seconds=1))
    db.session.refresh(request)
    assert request.file_path is None
    assert not Path(path).exists()
    assert client.get(link).status_code == 410


def test_a_second_request_while_one_is_on_its_way_is_refused(client, app):
    eva = make_contact(make_organisation(slug="acme"), language="en")
    sign_in(client, eva)
    post_form(client, "/portal/export")
    page = post_form(client, "/portal/export", follow_redirects=True).get_data(as_text=True)
    assert "already on its way" in page
    assert db.session.scalar(sa.select(sa.func.count()).select_from(ExportRequest)) == 1
