"""Organisations in the directory: added, renamed and given a status now or from a later day."""
from datetime import UTC, date, datetime, timedelta

import pytest
import sqlalchemy as sa
from flask_babel import force_locale

from helpdesk.extensions import db
from helpdesk.models import AuditEntry, Organisation, OrganisationStatus, StaffRole
from helpdesk.services import Refusal
from helpdesk.services.people import directory
from tests.fixtures.factories import make_contact, make_organisation, make_staff

AMSTERDAM = "Europe/Amsterdam"
# Monday 30 November 2026, 10:00 in Amsterdam; Tuesday 1 December begins at 23:00 UTC.
NOW = datetime(2026, 11, 30, 9, 0, tzinfo=UTC)
TUESDAY_BEGINS = datetime(2026, 11, 30, 23, 0, tzinfo=UTC)


@pytest.fixture
def manager(app):
    return make_staff(StaffRole.MANAGER, name="Mia Manager")


def _trail(organisation: Organisation) -> list[tuple[str, int | None, str | None]]:
    return [(entry.action, entry.staff_id, entry.detail) for entry in db.session.scalars(
        sa.select(AuditEntry).filter_by(subject_type="organisation", subject_id=organisation.id)
        .order_by(AuditEntry.id))]


def test_a_manager_adds_an_organisation_which_is_active_since_then_and_audited(manager):
    organisation = directory.add_organisation("acme", "Acme B.V.", NOW, by=manager)
    assert organisation.status == OrganisationStatus.ACTIVE
    assert (organisation.status_changed_at, organisation.status_changed_by) == (NOW, manager)
    assert _trail(organisation) == [(directory.ADDED, manager.id, "acme: Acme B.V.")]


def test_a_duplicate_slug_is_refused_with_a_dutch_sentence(manager):
    directory.add_organisation("acme", "Acme", NOW, by=manager)
    with pytest.raises(Refusal) as refused:
        directory.add_organisation("acme", "Acme again", NOW, by=manager)
    with force_locale("nl"):
        assert str(refused.value) == "Er bestaat al een organisatie met slug acme."
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Organisation)) == 1


def test_renaming_records_the_name_before_and_after(manager):
    organisation = make_organisation(name="Acme")
    directory.rename_organisation(organisation.slug, "Acme Logistics", NOW, by=manager)
    assert organisation.name == "Acme Logistics"
    assert _trail(organisation) == [
        (directory.RENAMED, manager.id, "name: Acme → Acme Logistics")]
    with pytest.raises(Refusal):
        directory.rename_organisation(organisation.slug, "  ", NOW, by=manager)


def test_a_status_from_today_holds_from_now_and_names_who_set_it(manager):
    organisation = make_organisation()
    directory.set_organisation_status(organisation.slug, "suspended", NOW,
                                      effective_on=date(2026, 11, 30), timezone=AMSTERDAM,
                                      by=manager)
    assert organisation.status == OrganisationStatus.SUSPENDED
    assert (organisation.status_changed_at, organisation.status_changed_by) == (NOW, manager)
    assert organisation.pending_status is None
    assert _trail(organisation) == [(directory.STATUS_CHANGED, manager.id,
                                     f"status: active → suspended from {NOW.isoformat()}")]


def test_a_status_from_a_later_day_waits_until_that_day_begins_in_the_desks_time_zone(manager):
    organisation = make_organisation()
    directory.set_organisation_status(organisation.slug, "suspended", NOW,
                                      effective_on=date(2026, 12, 1), timezone=AMSTERDAM,
                                      by=manager)
    assert organisation.status == OrganisationStatus.ACTIVE
    assert (organisation.pending_status, organisation.pending_status_at) == (
        OrganisationStatus.SUSPENDED, TUESDAY_BEGINS)

    assert directory.apply_due_status_changes(TUESDAY_BEGINS - timedelta(seconds=1)) == 0
    assert directory.apply_due_status_changes(TUESDAY_BEGINS + timedelta(minutes=1)) == 1
    assert directory.apply_due_status_changes(TUESDAY_BEGINS + timedelta(minutes=2)) == 0
    organisation = db.session.get(Organisation, organisation.id)
    assert organisation.status == OrganisationStatus.SUSPENDED
    # It holds from the moment the day began, set by the manager who chose the day.
    assert organisation.status_changed_at == TUESDAY_BEGINS
    assert organisation.status_changed_by_id == manager.id
    assert organisation.pending_status is None and organisation.pending_status_at is None
    assert [action for action, _, _ in _trail(organisation)] == [
        directory.STATUS_SCHEDULED, directory.STATUS_CHANGED]


def test_ending_on_a_later_day_ends_the_portal_sessions_when_it_takes_effect(manager):
    contact = make_contact()
    token = contact.session_token
    directory.set_organisation_status(contact.organisation.slug, "ended", NOW,
                                      effective_on=date(2026, 12, 1), timezone=AMSTERDAM,
                                      by=manager)
    assert db.session.get(type(contact), contact.id).session_token == token
    directory.apply_due_status_changes(TUESDAY_BEGINS)
    db.session.expire_all()
    assert contact.session_token != token
    assert contact.organisation.status == OrganisationStatus.ENDED


def test_a_day_before_today_is_refused(manager):
    organisation = make_organisation()
    with pytest.raises(Refusal) as refused:
        directory.set_organisation_status(organisation.slug, "ended", NOW,
                                          effective_on=date(2026, 11, 29), timezone=AMSTERDAM,
                                          by=manager)
    with force_locale("nl"):
        assert "2026-11-29" in str(refused.value)
        assert str(refused.value) != refused.value.message
    assert organisation.status == OrganisationStatus.ACTIVE


def test_choosing_the_present_status_cancels_a_waiting_change(manager):
    organisation = make_organisation()
    directory.set_organisation_status(organisation.slug, "suspended", NOW,
                                      effective_on=date(2026, 12, 1), timezone=AMSTERDAM,
                                      by=manager)
    directory.set_organisation_status(organisation.slug, "active", NOW,
                                      effective_on=date(2026, 11, 30), timezone=AMSTERDAM,
                                      by=manager)
    assert organisation.pending_status is None
    assert directory.apply_due_status_changes(TUESDAY_BEGINS) == 0
    assert organisation.status == OrganisationStatus.ACTIVE


def test_a_status_set_without_a_staff_member_is_the_command_lines(app):
    organisation = make_organisation()
    directory.set_organisation_status(organisation.slug, "suspended", NOW)
    assert organisation.status_changed_by is None
    assert _trail(organisation)[-1][:2] == (directory.STATUS_CHANGED, None)
