"""Changes to the desk's calendar and response targets are audited with old and new value."""
from datetime import date, time

import sqlalchemy as sa

from helpdesk.domain.sla import DEFAULT_TARGET_HOURS
from helpdesk.extensions import db
from helpdesk.models import AuditEntry, StaffRole
from helpdesk.services.privacy import audit_chain
from helpdesk.services.promise import sla_settings
from tests.fixtures.factories import make_staff


def _trail() -> list[tuple[int, str]]:
    return db.session.execute(
        sa.select(AuditEntry.staff_id, AuditEntry.detail)
        .filter_by(action=sla_settings.CHANGED).order_by(AuditEntry.id)).all()


def test_office_hours_and_targets_changes_say_old_and_new(app, now):
    manager = make_staff(StaffRole.MANAGER)
    sla_settings.set_office_hours(time(8, 0), time(17, 0), manager, now)
    targets = dict(DEFAULT_TARGET_HOURS) | {"bug": 8}
    sla_settings.set_response_targets(targets, 60, manager, now)
    sla_settings.set_response_targets(targets, 60, manager, now)  # nothing changes

    assert _trail() == [
        (manager.id, "opens_at: 09:00:00 → 08:00:00"),
        (manager.id, "bug_hours: 24 → 8"),
    ]
    assert audit_chain.verify().intact


def test_closing_days_and_reopened_holidays_are_audited(app, now):
    manager = make_staff(StaffRole.MANAGER)
    sla_settings.add_closing_day(date(2026, 12, 24), "Christmas Eve", manager, now)
    sla_settings.remove_closing_day(date(2026, 12, 24), manager, now)
    sla_settings.set_holiday_open(date(2026, 12, 25), True, manager, now)

    assert [detail for _, detail in _trail()] == [
        "closing day 2026-12-24: open → closed", "closing day 2026-12-24: closed → open",
        "public holiday 2026-12-25: closed → open"]
