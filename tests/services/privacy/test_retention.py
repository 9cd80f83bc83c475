"""Retention: an ended organisation's people are erased RETENTION_DAYS after it ended."""
from datetime import timedelta

import sqlalchemy as sa

from helpdesk.extensions import db
from helpdesk.models import (
    Contact,
    ErasureCertificate,
    Organisation,
    OrganisationStatus,
    OutboxMessage,
    StaffRole,
    Ticket,
)
from helpdesk.services.privacy import erase, erasure, retention
from tests.fixtures.factories import make_contact, make_organisation, make_staff, make_ticket


def _ended_organisation(now, **overrides):
    organisation = make_organisation(status=OrganisationStatus.ENDED, status_changed_at=now,
                                     **overrides)
    contact = make_contact(organisation, email="ex@gone.example", name="Ex Customer")
    make_ticket(contact, now=now - timedelta(days=1), subject="Ex Customer asks")
    return organisation, contact


def _erased(organisation_id) -> bool:
    db.session.expire_all()
    return db.session.get(Organisation, organisation_id).erased_at is not None


def test_day_364_is_kept_and_day_365_is_erased(app, now):
    organisation, contact = _ended_organisation(now)
    retention.retention_job(now + timedelta(days=364, hours=23, minutes=59))
    assert not _erased(organisation.id)
    assert db.session.get(Contact, contact.id).email == "ex@gone.example"

    retention.retention_job(now + timedelta(days=365))

    assert _erased(organisation.id)
    erased = db.session.get(Contact, contact.id)
    assert erased.erased_at is not None and erased.name.startswith("Contact ")
    assert "Ex Customer" not in db.session.scalar(sa.select(Ticket.subject))
    certificate = db.session.scalar(sa.select(ErasureCertificate))
    assert certificate.reason == erasure.RETENTION and certificate.instructed_by == "retention"
    assert certificate.subject_kind == erasure.ORGANISATION


def test_a_shorter_retention_erases_sooner(app, now):
    app.config["RETENTION_DAYS"] = 30
    organisation, _ = _ended_organisation(now)
    retention.retention_job(now + timedelta(days=29))
    assert not _erased(organisation.id)
    retention.retention_job(now + timedelta(days=30))
    assert _erased(organisation.id)


def test_active_and_suspended_organisations_are_kept(app, now):
    for status in (OrganisationStatus.ACTIVE, OrganisationStatus.SUSPENDED):
        make_organisation(status=status, status_changed_at=now)
    assert retention.retention_job(now + timedelta(days=400)) == {}
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Organisation)
                             .where(Organisation.erased_at.is_not(None))) == 0


def test_managers_are_told_30_days_before_once(app, now):
    manager = make_staff(StaffRole.MANAGER)
    make_staff(StaffRole.AGENT)
    organisation, _ = _ended_organisation(now)
    assert retention.retention_job(now + timedelta(days=334)) == {}
    assert retention.retention_job(now + timedelta(days=335)) == {"noticed": 1, "erased": 0}
    retention.retention_job(now + timedelta(days=336))
    notices = db.session.scalars(sa.select(OutboxMessage).filter_by(
        kind=retention.NOTICE_KIND)).all()
    assert [n.to_address for n in notices] == [manager.email]
    assert organisation.name in notices[0].subject


def test_the_schedule_lists_each_ended_organisation_and_when_it_goes(app, now):
    organisation, _ = _ended_organisation(now)
    make_organisation()
    assert retention.schedule() == [
        retention.Due(organisation.slug, now, now + timedelta(days=365))]


def test_erasing_an_organisation_erases_every_contact_and_keeps_its_tickets(app, now):
    organisation, contact = _ended_organisation(now)
    colleague = make_contact(organisation, email="two@gone.example", name="Second Person")
    erase.erase_organisation(organisation.slug, now)
    db.session.expire_all()
    assert all(c.erased_at == now for c in db.session.get(Organisation, organisation.id).contacts)
    assert db.session.get(Contact, colleague.id).email.endswith("@erased.invalid")
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Ticket)) == 1
