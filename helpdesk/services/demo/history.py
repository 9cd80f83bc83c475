"""The demo's last three months: a few hundred settled tickets, so statistics have figures.

Tickets arrive on working days in office hours; nearly all are answered well within the
promise, a few late, and all are resolved or closed, with their response records and history.
Nothing is owed any more, so the sweep has nothing to escalate about them.
"""
import random
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from helpdesk.domain.sla import deadline_for
from helpdesk.models import Category, Channel, TicketStatus
from helpdesk.services.demo.bulk import Plan, insert_tickets, people, reserve_numbers
from helpdesk.services.demo.data import SUBJECTS
from helpdesk.services.promise.calendar_settings import SlaTerms
from helpdesk.services.transaction import use_case

HISTORY_DAYS = 90
HISTORY_TICKETS = 300
LATE_SHARE = 0.06  # first answers after the promise: a handful, not a storm
CHANNELS = [Channel.EMAIL] * 5 + [Channel.PORTAL] * 3 + [Channel.PHONE] * 2


@use_case
def seed_history(now: datetime, *, count: int = HISTORY_TICKETS, seed: int = 16) -> None:
    """`count` settled tickets over the working days of the last HISTORY_DAYS days."""
    rng = random.Random(seed)
    sla_terms = SlaTerms.configured()
    calendar = sla_terms.calendar
    contacts, agents = people()
    zone = ZoneInfo(calendar.timezone)
    today = now.astimezone(zone).date()
    days = [day for day in (today - timedelta(days=n) for n in range(HISTORY_DAYS, 1, -1))
            if calendar.is_working_day(day)]
    categories = [c for c in Category if c != Category.CALAMITY]
    arrivals = sorted(_arrival(rng, rng.choice(days), zone, calendar.opens_at)
                      for _ in range(count))
    first_number = reserve_numbers(count)
    rows, plans = [], []
    for offset, received in enumerate(arrivals):
        contact, category = rng.choice(contacts), rng.choice(categories)
        deadline = deadline_for(received, category, calendar, sla_terms.policy)
        if rng.random() < LATE_SHARE:
            answered = deadline.response_due_at + timedelta(minutes=rng.randint(20, 60 * 30))
        else:  # most within a few working hours of the clock's start
            share = min(rng.betavariate(1.3, 7), 0.95)
            answered = calendar.add_working_time(
                deadline.clock_started_at, sla_terms.policy.target_for(category) * share)
        rows.append({
            "number": first_number + offset,
            "subject": rng.choice(SUBJECTS[category]), "category": category,
            "channel": rng.choice(CHANNELS),
            "status": rng.choice([TicketStatus.RESOLVED, TicketStatus.CLOSED]),
            "organisation_id": contact.organisation_id, "raised_by_id": contact.id,
            "assignee_id": rng.choice(agents).id, "created_at": received,
            "updated_at": received, "details": {}, "due_soon": False, "breached": False,
        })
        plans.append(Plan(contact, received, rng.randint(1, 3), category,
                          first_response_at=min(answered, now)))
    insert_tickets(rng, sla_terms, rows, plans, agents, now, with_sources=True)


def _arrival(rng: random.Random, day: date, zone: ZoneInfo, opens_at: time) -> datetime:
    """A moment of a working day, mostly in office hours, busiest in the morning."""
    minutes = int(rng.triangular(-30, 9 * 60, 90))
    opening = datetime.combine(day, opens_at, tzinfo=zone)
    return (opening + timedelta(minutes=minutes)).astimezone(UTC)
