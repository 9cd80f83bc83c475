"""Tests for response due moments, the due-soon warning and time left."""

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from helpdesk.domain.business_calendar import BusinessCalendar
from helpdesk.domain.sla import (
    BREACH,
    CALAMITY,
    CALAMITY_RENOTIFY,
    DUE_SOON,
    Deadline,
    EscalationStep,
    SlaPolicy,
    deadline_for,
    due_soon_at,
    elapsed_on_clock,
    escalation_steps,
    response_due_at,
    working_time_left,
)

AMS = ZoneInfo("Europe/Amsterdam")
CAL = BusinessCalendar()
POLICY = SlaPolicy()
STANDARD = ("bug", "outage", "wish", "configuration", "question")


def local(*args: int) -> datetime:
    return datetime(*args, tzinfo=AMS)


def iso_local(at: datetime) -> str:
    return at.astimezone(AMS).isoformat()


# The examples table of sla.md, row by row.
@pytest.mark.parametrize(
    ("received", "category", "clock_starts", "due"),
    [
        (local(2026, 11, 30, 10), "bug", "2026-11-30T10:00:00+01:00", "2026-12-01T10:00:00+01:00"),
        (local(2026, 12, 4, 16, 30), "question",
         "2026-12-04T16:30:00+01:00", "2026-12-07T16:30:00+01:00"),
        (local(2026, 12, 5, 11), "bug", "2026-12-07T09:00:00+01:00", "2026-12-08T09:00:00+01:00"),
        (local(2026, 11, 30, 20), "wish", "2026-12-01T09:00:00+01:00", "2026-12-02T09:00:00+01:00"),
        (local(2026, 11, 24, 8, 15), "bug",
         "2026-11-24T09:00:00+01:00", "2026-11-25T09:00:00+01:00"),
        (local(2026, 11, 30, 16, 59, 59), "bug",
         "2026-11-30T16:59:59+01:00", "2026-12-01T16:59:59+01:00"),
        (local(2026, 11, 30, 17, 0, 0), "bug",
         "2026-12-01T09:00:00+01:00", "2026-12-02T09:00:00+01:00"),
        (local(2026, 12, 24, 14), "outage",
         "2026-12-24T14:00:00+01:00", "2026-12-28T14:00:00+01:00"),
        (local(2026, 12, 5, 3), CALAMITY, "2026-12-05T03:00:00+01:00", "2026-12-05T04:00:00+01:00"),
    ],
)
def test_spec_examples(received, category, clock_starts, due):
    deadline = deadline_for(received, category, CAL, POLICY)
    assert iso_local(deadline.clock_started_at) == clock_starts
    assert iso_local(deadline.response_due_at) == due
    assert iso_local(response_due_at(received, category, CAL, POLICY)) == due


def test_deadline_instants_are_utc():
    deadline = deadline_for(local(2026, 11, 30, 10), "bug", CAL, POLICY)
    assert deadline == Deadline(
        clock_started_at=datetime(2026, 11, 30, 9, tzinfo=UTC),
        due_soon_at=datetime(2026, 12, 1, 3, tzinfo=UTC),
        response_due_at=datetime(2026, 12, 1, 9, tzinfo=UTC),
    )
    assert all(at.tzinfo is UTC for at in vars(deadline).values())


def test_year_end_skips_new_years_day_and_the_weekend():
    due = response_due_at(local(2026, 12, 31, 16), "question", CAL, POLICY)
    assert iso_local(due) == "2027-01-04T16:00:00+01:00"


@pytest.mark.parametrize(
    ("received", "due"),
    [
        (local(2026, 12, 5, 3), "2026-12-05T04:00:00+01:00"),  # Saturday night
        (local(2026, 12, 25, 23, 30), "2026-12-26T00:30:00+01:00"),  # Christmas night
        (local(2026, 4, 27, 12), "2026-04-27T13:00:00+02:00"),  # King's Day
    ],
)
def test_calamity_is_due_one_hour_later_at_any_hour(received, due):
    assert iso_local(response_due_at(received, CALAMITY, CAL, POLICY)) == due


def test_calamity_over_the_autumn_dst_change_is_one_real_hour():
    received = datetime(2026, 10, 25, 0, 30, tzinfo=UTC)  # 02:30 CEST
    due = response_due_at(received, CALAMITY, CAL, POLICY)
    assert due - received == timedelta(hours=1)
    assert iso_local(due) == "2026-10-25T02:30:00+01:00"  # 02:30 again, now CET


def test_manager_added_closing_day_pushes_the_due_moment():
    calendar = BusinessCalendar(extra_closed_days=frozenset({date(2026, 12, 1)}))
    due = response_due_at(local(2026, 11, 30, 10), "bug", calendar, POLICY)
    assert iso_local(due) == "2026-12-02T10:00:00+01:00"


def test_reopened_holiday_counts_towards_the_due_moment():
    calendar = BusinessCalendar(reopened_days=frozenset({date(2026, 4, 27)}))
    received = local(2026, 4, 24, 10)  # Friday before King's Day (Monday)
    assert iso_local(response_due_at(received, "bug", CAL, POLICY)) == "2026-04-28T10:00:00+02:00"
    assert iso_local(response_due_at(received, "bug", calendar, POLICY)) == (
        "2026-04-27T10:00:00+02:00"
    )


@pytest.mark.parametrize(
    ("received", "category", "expected"),
    [
        # 18 working-day hours after Mon 10:00: 14 h of Monday, then 4 h into Tuesday.
        (local(2026, 11, 30, 10), "bug", "2026-12-01T04:00:00+01:00"),
        # Fri 16:30: 7.5 h of Friday, then 10.5 h into Monday.
        (local(2026, 12, 4, 16, 30), "question", "2026-12-07T10:30:00+01:00"),
        (local(2026, 12, 5, 3), CALAMITY, "2026-12-05T03:45:00+01:00"),
    ],
)
def test_due_soon_is_at_three_quarters_of_the_target(received, category, expected):
    assert iso_local(due_soon_at(received, category, CAL, POLICY)) == expected


def test_working_time_left_before_and_after_the_due_moment():
    due = response_due_at(local(2026, 12, 4, 16, 30), "question", CAL, POLICY)  # Mon 16:30
    assert working_time_left(local(2026, 12, 7, 13, 10), due, "question", CAL) == timedelta(
        hours=3, minutes=20
    )
    # Over the weekend only Friday evening and Monday count.
    assert working_time_left(local(2026, 12, 4, 20), due, "question", CAL) == timedelta(
        hours=4 + 16, minutes=30
    )
    assert working_time_left(local(2026, 12, 7, 17, 0), due, "question", CAL) == timedelta(
        minutes=-30
    )


def test_calamity_time_left_is_wall_clock():
    due = response_due_at(local(2026, 12, 5, 3), CALAMITY, CAL, POLICY)
    assert working_time_left(local(2026, 12, 5, 3, 40), due, CALAMITY, CAL) == timedelta(minutes=20)
    assert working_time_left(local(2026, 12, 5, 4, 5), due, CALAMITY, CAL) == timedelta(minutes=-5)


def test_policy_accepts_a_mapping_and_stays_hashable():
    policy = SlaPolicy(target_hours={"question": 8, "bug": 4})
    assert policy.target_hours == (("bug", 4), ("question", 8))
    assert hash(policy) == hash(SlaPolicy(target_hours=(("question", 8), ("bug", 4))))
    due = response_due_at(local(2026, 11, 30, 10), "bug", CAL, policy)
    assert iso_local(due) == "2026-11-30T14:00:00+01:00"


def test_default_policy_gives_24_working_hours_to_every_standard_category():
    assert all(POLICY.target_for(category) == timedelta(hours=24) for category in STANDARD)
    assert POLICY.target_for(CALAMITY) == timedelta(minutes=60)


def test_unknown_category_is_rejected():
    with pytest.raises(ValueError):
        response_due_at(local(2026, 11, 30, 10), "gossip", CAL, POLICY)


@pytest.mark.parametrize("category", ["bug", CALAMITY])
def test_naive_received_at_is_rejected(category):
    with pytest.raises(ValueError):
        deadline_for(datetime(2026, 11, 30, 10), category, CAL, POLICY)


def test_naive_now_is_rejected():
    due = response_due_at(local(2026, 11, 30, 10), "bug", CAL, POLICY)
    with pytest.raises(ValueError):
        working_time_left(datetime(2026, 11, 30, 12), due, "bug", CAL)


def test_standard_response_warns_at_due_soon_then_breaches_at_the_due_moment():
    received = local(2026, 11, 30, 10)
    deadline = deadline_for(received, "bug", CAL, POLICY)
    assert escalation_steps("bug", received, deadline.due_soon_at, deadline.response_due_at,
                            POLICY) == (EscalationStep(DUE_SOON, deadline.due_soon_at),
                                        EscalationStep(BREACH, deadline.response_due_at))


def test_calamity_renotifies_managers_after_15_minutes_then_breaches():
    received = local(2026, 12, 5, 3)
    deadline = deadline_for(received, CALAMITY, CAL, POLICY)
    steps = escalation_steps(CALAMITY, received, deadline.due_soon_at,
                             deadline.response_due_at, POLICY)
    assert [(s.name, iso_local(s.at)) for s in steps] == [
        (CALAMITY_RENOTIFY, "2026-12-05T03:15:00+01:00"), (BREACH, "2026-12-05T04:00:00+01:00")]


def test_calamity_due_before_the_renotification_only_breaches():
    policy = SlaPolicy(calamity_target_minutes=15)
    received = local(2026, 12, 5, 3)
    deadline = deadline_for(received, CALAMITY, CAL, policy)
    steps = escalation_steps(CALAMITY, received, deadline.due_soon_at,
                             deadline.response_due_at, policy)
    assert [s.name for s in steps] == [BREACH]


def test_elapsed_time_counts_working_days_except_for_a_calamity():
    friday_evening, monday_morning = local(2026, 12, 4, 20), local(2026, 12, 7, 1)
    assert elapsed_on_clock(friday_evening, monday_morning, "bug", CAL) == timedelta(hours=5)
    assert elapsed_on_clock(friday_evening, monday_morning, CALAMITY, CAL) == timedelta(hours=53)
    assert elapsed_on_clock(monday_morning, friday_evening, CALAMITY, CAL) == timedelta(0)


# --- properties -----------------------------------------------------------------------------

instants = st.datetimes(
    min_value=datetime(2025, 1, 1), max_value=datetime(2032, 12, 31), timezones=st.just(UTC)
)
categories = st.sampled_from(STANDARD)
fast = settings(max_examples=300, deadline=None)


@fast
@given(instants, categories)
def test_standard_due_moment_is_in_office_hours_on_a_working_day(received, category):
    due = response_due_at(received, category, CAL, POLICY)
    assert CAL.is_open(due)
    assert CAL.is_working_day(due.astimezone(AMS).date())


@fast
@given(instants, instants, categories)
def test_later_receipt_never_gives_an_earlier_due_moment(a, b, category):
    earlier, later = min(a, b), max(a, b)
    assert response_due_at(earlier, category, CAL, POLICY) <= response_due_at(
        later, category, CAL, POLICY
    )


@fast
@given(instants, categories)
def test_working_time_from_clock_start_to_due_is_the_target(received, category):
    deadline = deadline_for(received, category, CAL, POLICY)
    elapsed = CAL.working_time_between(deadline.clock_started_at, deadline.response_due_at)
    assert elapsed == POLICY.target_for(category)
    assert deadline.clock_started_at <= deadline.due_soon_at <= deadline.response_due_at


@fast
@given(instants)
def test_calamity_is_due_exactly_its_target_after_receipt(received):
    assert response_due_at(received, CALAMITY, CAL, POLICY) - received == timedelta(hours=1)


@fast
@given(instants, st.sampled_from((*STANDARD, CALAMITY)), st.integers(1, 180))
def test_escalation_steps_run_in_time_order_and_end_with_the_breach(received, category, minutes):
    policy = SlaPolicy(calamity_target_minutes=minutes)
    deadline = deadline_for(received, category, CAL, policy)
    steps = escalation_steps(category, received, deadline.due_soon_at, deadline.response_due_at,
                             policy)
    assert [s.at for s in steps] == sorted(s.at for s in steps)
    assert steps[-1] == EscalationStep(BREACH, deadline.response_due_at)
    assert all(s.at >= received for s in steps)


def _steps(policy=None):
    from helpdesk.domain.sla import escalation_steps
    received = datetime(2026, 11, 30, 9, tzinfo=UTC)
    return escalation_steps("bug", received, received + timedelta(hours=18),
                            received + timedelta(hours=24), policy or SlaPolicy())


def test_a_due_soon_warning_is_sent_late_but_never_after_the_breach():
    from helpdesk.domain.sla import NOTIFY, SUPERSEDED, notice_for
    due_soon, breach = _steps()
    hour = timedelta(hours=1)
    # Over a weekend the warning may be days old and still true: the response is not yet due.
    assert notice_for(due_soon, (due_soon, breach), breach.at - hour, hour) == NOTIFY
    assert notice_for(due_soon, (due_soon, breach), breach.at, hour) == SUPERSEDED


def test_a_breach_found_long_after_its_moment_is_late_news():
    from helpdesk.domain.sla import LATE, NOTIFY, notice_for
    due_soon, breach = _steps()
    hour = timedelta(hours=1)
    assert notice_for(breach, (due_soon, breach), breach.at + hour, hour) == NOTIFY
    assert notice_for(breach, (due_soon, breach), breach.at + hour + timedelta(seconds=1),
                      hour) == LATE
