"""A build that fails is tried again, then given up: it never blocks the organisation's export."""
from pathlib import Path

import pytest
import sqlalchemy as sa

from helpdesk.extensions import db
from helpdesk.models import AuditEntry, ExportRequest, OutboxMessage, StaffRole
from helpdesk.services import Refusal
from helpdesk.services.privacy import export_requests
from tests.fixtures.factories import make_contact, make_organisation, make_staff


@pytest.fixture
def blocked_exports(app):
    """A file where the exports folder goes: no zip can be written until it is removed."""
    blocker = Path(app.config["BLOB_STORE"]).parent / "exports"
    blocker.write_text("not a folder")
    return blocker


def _asked(now):
    eva = make_contact(make_organisation(slug="acme"), email="eva@acme.example",
                       language="en", is_super_user=True)
    make_staff(StaffRole.MANAGER, email="mia@desk.example", language="en")
    export_requests.request_export(eva, now)
    return eva


def _mail_kinds(address: str) -> list[str]:
    return db.session.scalars(sa.select(OutboxMessage.kind).filter_by(to_address=address)
                              .order_by(OutboxMessage.id)).all()


def test_a_failed_build_is_released_and_built_on_a_later_pass(app, now, blocked_exports):
    eva = _asked(now)
    assert export_requests.exports_job(now) == 0
    request = db.session.scalars(sa.select(ExportRequest)).one()
    assert (request.built_at, request.build_attempts, request.failed_at) == (None, 1, None)
    with pytest.raises(Refusal):  # still on its way
        export_requests.request_export(eva, now)

    blocked_exports.unlink()
    assert export_requests.exports_job(now) == 1
    db.session.refresh(request)
    assert request.file_path is not None and request.build_attempts == 2
    assert _mail_kinds(eva.email) == ["export_ready"]


def test_after_the_last_attempt_the_request_fails_the_managers_are_told_and_one_may_ask_again(
        app, now, blocked_exports):
    eva = _asked(now)
    for _ in range(export_requests.BUILD_ATTEMPTS):
        assert export_requests.exports_job(now) == 0
    request = db.session.scalars(sa.select(ExportRequest)).one()
    assert request.failed_at == now and request.build_attempts == export_requests.BUILD_ATTEMPTS
    assert export_requests.exports_job(now) == 0  # not tried again
    db.session.refresh(request)
    assert request.build_attempts == export_requests.BUILD_ATTEMPTS
    assert _mail_kinds("mia@desk.example") == ["export_requested", "export_failed"]
    assert _mail_kinds(eva.email) == []
    assert db.session.scalars(sa.select(AuditEntry.action).order_by(AuditEntry.id)).all()[-1] \
        == export_requests.FAILED

    assert export_requests.pending_request(eva, now) is None
    blocked_exports.unlink()
    export_requests.request_export(eva, now)
    assert export_requests.exports_job(now) == 1
    assert _mail_kinds(eva.email) == ["export_ready"]
