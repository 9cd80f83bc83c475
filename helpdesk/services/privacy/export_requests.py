"""A super-user asks for their organisation's export: the managers are told, the worker builds
the zip, and the super-user is mailed a link that works once, until EXPORT_LINK_VALID is up.

Only the link's hash is stored. The file is removed when it is downloaded or when the link
expires (the `exports` job), so a built export does not outlive its link. A build that fails is
tried again on later passes; after BUILD_ATTEMPTS it is marked failed and the managers are
mailed, and the super-user may ask again.
"""
import hashlib
import logging
import secrets
from datetime import datetime
from pathlib import Path
from typing import BinaryIO

import sqlalchemy as sa
from flask import current_app, render_template

from helpdesk import desk_url
from helpdesk.extensions import db
from helpdesk.models import Contact, ExportRequest, StaffMember, StaffRole
from helpdesk.services import Refusal
from helpdesk.services.language import speaking
from helpdesk.services.mail_out.outbox import queue_mail
from helpdesk.services.people import audit
from helpdesk.services.privacy.export_zip import new_export_path, write_export
from helpdesk.services.transaction import job, use_case

log = logging.getLogger(__name__)

REQUESTED = "export_requested"
BUILT = "export_built"
DOWNLOADED = "export_downloaded"
FAILED = "export_failed"
MANAGERS = (StaffRole.MANAGER, StaffRole.ADMIN)  # an admin may do all a manager may
BUILDS_PER_PASS = 1  # one zip may take a while; the next pass builds the next
BUILD_ATTEMPTS = 3  # a passing fault (a full disk) gets another pass; a lasting one stops


class ExportLinkGone(Refusal):
    """The link was used, or has expired."""

    status = 410


def _hash(raw_token: str) -> str:
    return hashlib.sha256(raw_token.encode()).hexdigest()


def link_valid_hours() -> int:
    return int(current_app.config["EXPORT_LINK_VALID"].total_seconds() // 3600)


def pending_request(contact: Contact, now: datetime) -> ExportRequest | None:
    """The organisation's export still being built or still downloadable, if any."""
    return db.session.scalar(
        sa.select(ExportRequest).where(
            ExportRequest.organisation_id == contact.organisation_id,
            ExportRequest.used_at.is_(None), ExportRequest.failed_at.is_(None),
            sa.or_(ExportRequest.expires_at.is_(None), ExportRequest.expires_at > now))
        .order_by(ExportRequest.id.desc()).limit(1))


@use_case
def request_export(contact: Contact, now: datetime) -> ExportRequest:
    """Record a super-user's request and tell the managers; the worker builds it."""
    if not contact.is_super_user:
        raise Refusal("Only a super-user may ask for the organisation's export.")
    if pending_request(contact, now) is not None:
        raise Refusal("An export of your organisation is already on its way.")
    request = ExportRequest(organisation_id=contact.organisation_id,
                            requested_by_id=contact.id, requested_at=now)
    db.session.add(request)
    audit.add_entry(REQUESTED, now, None, audit.ORGANISATION, contact.organisation_id,
                    "asked for by a super-user", contact_id=contact.id,
                    organisation_id=contact.organisation_id)
    for manager in _managers():
        _mail("export_requested", manager.email, manager.language, now,
              contact=contact, organisation=contact.organisation, reader=manager)
    return request


@job
def exports_job(now: datetime) -> int:
    """Build requested exports (a few per pass) and remove files whose link expired."""
    built = 0
    for request_id in db.session.scalars(
            sa.select(ExportRequest.id).where(ExportRequest.built_at.is_(None))
            .order_by(ExportRequest.id).limit(BUILDS_PER_PASS)).all():
        try:
            # Claimed first, so two workers never build one twice.
            claimed = db.session.execute(
                sa.update(ExportRequest).where(ExportRequest.id == request_id,
                                               ExportRequest.built_at.is_(None))
                .values(built_at=now, build_attempts=ExportRequest.build_attempts + 1))
            db.session.commit()
            if claimed.rowcount == 1:
                _build(db.session.get(ExportRequest, request_id), now)
                db.session.commit()
                built += 1
        except Exception:
            db.session.rollback()
            log.exception("export request %s failed", request_id)
            _release_or_fail(request_id, now)
    for request in db.session.scalars(
            sa.select(ExportRequest).where(ExportRequest.file_path.is_not(None),
                                           ExportRequest.expires_at <= now)).all():
        _remove_file(request)
        db.session.commit()
    return built


@job
def _release_or_fail(request_id: int, now: datetime) -> None:
    """After a failed build: give the claim back for another pass, or, after the last attempt,
    mark the request failed (so the organisation may ask again) and tell the managers."""
    try:
        request = db.session.get(ExportRequest, request_id)
        if request.build_attempts < BUILD_ATTEMPTS:
            request.built_at = None
        else:
            request.failed_at = now
            audit.add_entry(FAILED, now, None, audit.ORGANISATION, request.organisation_id,
                            f"not built after {request.build_attempts} attempts",
                            contact_id=request.requested_by_id,
                            organisation_id=request.organisation_id)
            for manager in _managers():
                _mail("export_failed", manager.email, manager.language, now,
                      contact=request.requested_by, organisation=request.organisation,
                      reader=manager, attempts=request.build_attempts)
        db.session.commit()
    except Exception:
        db.session.rollback()
        log.exception("export request %s could not be released", request_id)


def _managers() -> list[StaffMember]:
    return db.session.scalars(
        sa.select(StaffMember).where(StaffMember.active.is_(True),
                                     StaffMember.role.in_(MANAGERS))).all()


def _build(request: ExportRequest, now: datetime) -> None:
    path = new_export_path()
    write_export(request.organisation, path, now)
    raw_token = secrets.token_urlsafe(32)
    request.file_path = str(path)
    request.token_hash = _hash(raw_token)
    request.expires_at = now + current_app.config["EXPORT_LINK_VALID"]
    audit.add_entry(BUILT, now, None, audit.ORGANISATION, request.organisation_id,
                    "for the super-user who asked", contact_id=request.requested_by_id,
                    organisation_id=request.organisation_id)
    contact = request.requested_by
    link = desk_url.link("portal.export_download", language=contact.language, token=raw_token)
    _mail("export_ready", contact.email, contact.language, now, contact=contact, link=link,
          hours=link_valid_hours())


@use_case
def take_export(raw_token: str, contact: Contact, now: datetime) -> BinaryIO | None:
    """The export's file, open, for the super-user of its organisation, once; None when the
    link is not theirs (the same as no such link); ExportLinkGone when used or expired."""
    request = db.session.scalar(sa.select(ExportRequest).filter_by(token_hash=_hash(raw_token)))
    if request is None or request.organisation_id != contact.organisation_id \
            or not contact.is_super_user:
        return None
    if request.used_at is not None or request.expires_at <= now or request.file_path is None:
        raise ExportLinkGone("This download link was used already or has expired. "
                             "You can ask for a new export.")
    handle = open(request.file_path, "rb")  # noqa: SIM115 (the caller sends and closes it)
    _remove_file(request)
    request.used_at = now
    audit.add_entry(DOWNLOADED, now, None, audit.ORGANISATION, request.organisation_id,
                    "by the super-user who asked", contact_id=contact.id,
                    organisation_id=request.organisation_id)
    return handle


def _remove_file(request: ExportRequest) -> None:
    """The name goes now; an open download still reads to its end."""
    Path(request.file_path).unlink(missing_ok=True)
    request.file_path = None


def _mail(kind: str, to_address: str, language: str, now: datetime, **context) -> None:
    with speaking(language):
        queue_mail(to_address=to_address, kind=kind, now=now, language=language,
                   subject=render_template(f"email/{kind}_subject.txt", **context).strip(),
                   body_text=render_template(f"email/{kind}.txt", **context),
                   body_html=render_template(f"email/{kind}.html", **context),
                   automatic=False)
