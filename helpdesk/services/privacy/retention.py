"""Retention: an ended organisation's personal data goes RETENTION_DAYS after it ended.

Managers are told NOTICE_DAYS before, once per organisation (`retention_notice_at`).
"""
import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa
from flask import current_app
from flask_babel import format_date
from flask_babel import gettext as _

from helpdesk.extensions import db
from helpdesk.models import Organisation, OrganisationStatus, StaffMember, StaffRole
from helpdesk.services.escalation.staff_mail import Notification, notify_staff
from helpdesk.services.privacy import erase, erasure
from helpdesk.services.transaction import job, use_case

log = logging.getLogger(__name__)
NOTICE_DAYS = 30
NOTICE_KIND = "retention_notice"


@dataclass(frozen=True)
class Due:
    slug: str
    ended_at: datetime
    erased_at: datetime  # when its data goes (or went)


def retention() -> timedelta:
    return timedelta(days=current_app.config["RETENTION_DAYS"])


def _ended(before: datetime) -> sa.Select:
    return (sa.select(Organisation).where(Organisation.status == OrganisationStatus.ENDED,
                                          Organisation.erased_at.is_(None),
                                          Organisation.status_changed_at <= before)
            .order_by(Organisation.status_changed_at, Organisation.id))


def schedule() -> list[Due]:
    """Every ended organisation not yet erased, with the moment its data goes."""
    ended = sa.select(Organisation).where(Organisation.status == OrganisationStatus.ENDED,
                                          Organisation.erased_at.is_(None))
    return [Due(o.slug, o.status_changed_at, o.status_changed_at + retention())
            for o in db.session.scalars(ended.order_by(Organisation.status_changed_at))]


@use_case
def send_notice(organisation_id: int, now: datetime) -> bool:
    """Tell every manager, once, that the organisation's data goes in NOTICE_DAYS."""
    organisation = db.session.get(Organisation, organisation_id)
    if organisation.retention_notice_at is not None:
        return False
    organisation.retention_notice_at = now
    managers = db.session.scalars(sa.select(StaffMember).where(
        StaffMember.role == StaffRole.MANAGER, StaffMember.active)).all()
    goes_at = organisation.status_changed_at + retention()
    notify_staff(list(managers), _compose, NOTICE_KIND, (organisation, goes_at), now,
                 f"{NOTICE_KIND}:{organisation.id}")
    return True


def _compose(subject_matter, staff: StaffMember, now: datetime) -> Notification:
    organisation, goes_at = subject_matter
    subject = _("The data of %(name)s will be erased on %(day)s",
                name=organisation.name, day=format_date(goes_at))
    body = _("%(name)s ended on %(ended)s. Its contacts' personal data will be erased on "
             "%(day)s, as the terms require. Export it before then if the customer asked for "
             "it.", name=organisation.name, ended=format_date(organisation.status_changed_at),
             day=format_date(goes_at))
    return Notification(subject=subject, body_text=body, body_html=f"<p>{body}</p>")


@job
def retention_job(now: datetime) -> dict[str, int]:
    """Notices NOTICE_DAYS ahead, then the erasures that are due; one commit per organisation."""
    summary = {"noticed": 0, "erased": 0}
    notice_before = now - retention() + timedelta(days=NOTICE_DAYS)
    pending = db.session.execute(_ended(notice_before).with_only_columns(
        Organisation.id, Organisation.slug, Organisation.status_changed_at,
        Organisation.retention_notice_at)).all()
    db.session.rollback()
    for organisation_id, slug, ended_at, noticed_at in pending:
        try:
            if noticed_at is None:
                summary["noticed"] += send_notice(organisation_id, now)
            if ended_at + retention() <= now:
                erase.erase_organisation(slug, now, reason=erasure.RETENTION)
                summary["erased"] += 1
        except Exception:  # the next organisation still has its turn
            db.session.rollback()
            log.exception("retention of organisation %s failed", organisation_id)
    return summary if any(summary.values()) else {}
