"""The response promise: when a response is due, when it is due soon, and how much time is left."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta

from helpdesk.domain.business_calendar import BusinessCalendar, as_utc

CALAMITY = "calamity"

# What the escalation sweep does when a step's moment has passed.
DUE_SOON = "due_soon"
CALAMITY_RENOTIFY = "calamity_renotify"
BREACH = "breach"

DEFAULT_TARGET_HOURS: tuple[tuple[str, int], ...] = (
    ("bug", 24),
    ("configuration", 24),
    ("outage", 24),
    ("question", 24),
    ("wish", 24),
)


@dataclass(frozen=True)
class SlaPolicy:
    """Response targets per category; standard targets count working-day hours."""

    # Pairs rather than a dict so the policy stays hashable; a mapping is accepted and frozen.
    target_hours: tuple[tuple[str, int], ...] = DEFAULT_TARGET_HOURS
    calamity_target_minutes: int = 60
    due_soon_fraction: float = 0.75
    calamity_renotify_minutes: int = 15

    def __post_init__(self) -> None:
        pairs = self.target_hours
        if isinstance(pairs, Mapping):
            pairs = pairs.items()
        object.__setattr__(self, "target_hours", tuple(sorted(pairs)))
        if CALAMITY in dict(self.target_hours):
            raise ValueError("the calamity target is set by calamity_target_minutes")
        if any(hours <= 0 for _, hours in self.target_hours) or self.calamity_target_minutes <= 0:
            raise ValueError("targets must be positive")
        if not 0 < self.due_soon_fraction <= 1:
            raise ValueError("due_soon_fraction must be in (0, 1]")

    def target_for(self, category: str) -> timedelta:
        """The response target for a category (working-day time, or wall clock for calamity)."""
        if category == CALAMITY:
            return timedelta(minutes=self.calamity_target_minutes)
        for name, hours in self.target_hours:
            if name == category:
                return timedelta(hours=hours)
        raise ValueError(f"no response target for category {category!r}")


@dataclass(frozen=True)
class Deadline:
    """The three moments stored on a ticket when a customer message starts the clock."""

    clock_started_at: datetime
    due_soon_at: datetime
    response_due_at: datetime


def deadline_for(
    received_at: datetime, category: str, calendar: BusinessCalendar, policy: SlaPolicy
) -> Deadline:
    """Clock start, due-soon moment and response due moment for a message received then."""
    target = policy.target_for(category)
    due_soon_after = target * policy.due_soon_fraction
    if category == CALAMITY:
        # A calamity's clock runs at all hours, from the moment of receipt.
        started_at = as_utc(received_at, "received_at")
        return Deadline(started_at, started_at + due_soon_after, started_at + target)
    started_at = calendar.clock_start(received_at)
    return Deadline(
        clock_started_at=started_at,
        due_soon_at=calendar.add_working_time(started_at, due_soon_after),
        response_due_at=calendar.add_working_time(started_at, target),
    )


def response_due_at(
    received_at: datetime, category: str, calendar: BusinessCalendar, policy: SlaPolicy
) -> datetime:
    """When the first response to a message received at `received_at` is due (UTC)."""
    return deadline_for(received_at, category, calendar, policy).response_due_at


def due_soon_at(
    received_at: datetime, category: str, calendar: BusinessCalendar, policy: SlaPolicy
) -> datetime:
    """When the due-soon fraction of the target has elapsed on the category's clock (UTC)."""
    return deadline_for(received_at, category, calendar, policy).due_soon_at


def elapsed_on_clock(
    start: datetime, end: datetime, category: str, calendar: BusinessCalendar
) -> timedelta:
    """Time on the category's clock within [start, end): working-day time, or wall clock."""
    start, end = as_utc(start, "start"), as_utc(end, "end")
    if category == CALAMITY:
        return max(end - start, timedelta(0))
    return calendar.working_time_between(start, end)


def working_time_left(
    now: datetime, due_at: datetime, category: str, calendar: BusinessCalendar
) -> timedelta:
    """Time left until `due_at` on the category's clock; negative when overdue."""
    if as_utc(now, "now") <= as_utc(due_at, "due_at"):
        return elapsed_on_clock(now, due_at, category, calendar)
    return -elapsed_on_clock(due_at, now, category, calendar)


@dataclass(frozen=True)
class EscalationStep:
    """One moment at which the sweep acts on an owed response (DUE_SOON, ...)."""

    name: str
    at: datetime


def escalation_steps(
    category: str, received_at: datetime, due_soon_at: datetime, response_due_at: datetime,
    policy: SlaPolicy,
) -> tuple[EscalationStep, ...]:
    """The escalations an owed response goes through, in time order.

    A standard ticket warns at the due-soon moment; a calamity (whose all-hands alert went
    out at creation) re-notifies managers after a while instead. Both breach at the due moment.
    """
    breach = EscalationStep(BREACH, as_utc(response_due_at, "response_due_at"))
    if category != CALAMITY:
        return (EscalationStep(DUE_SOON, as_utc(due_soon_at, "due_soon_at")), breach)
    renotify_at = as_utc(received_at, "received_at") + timedelta(
        minutes=policy.calamity_renotify_minutes)
    if renotify_at < breach.at:
        return (EscalationStep(CALAMITY_RENOTIFY, renotify_at), breach)
    # The breach mails the managers anyway; a re-notification at the same moment adds nothing.
    return (breach,)



# What the sweep does with a step whose moment has passed.
NOTIFY = "notify"  # mail its notice now
SUPERSEDED = "superseded"  # a later step passed too: "due soon" is no longer true, say nothing
LATE = "late"  # a breach long past (the sweep was not running): report it in one summary


def notice_for(step: EscalationStep, steps: tuple[EscalationStep, ...], now: datetime,
               late_after: timedelta) -> str:
    """Whether a passed step's notice still tells its reader something true and new.

    A warning (due soon, calamity still unanswered) is true until the breach; a breach notice
    is news shortly after the due moment. One found later than `late_after` means the sweep
    did not run meanwhile (a worker outage, seeded history): it is recorded all the same (the
    breach counts in every figure), but joins one summary instead of a mail per ticket.
    """
    now = as_utc(now, "now")
    if any(later.at <= now for later in steps[steps.index(step) + 1:]):
        return SUPERSEDED
    if step.name == BREACH and now - step.at > late_after:
        return LATE
    return NOTIFY
