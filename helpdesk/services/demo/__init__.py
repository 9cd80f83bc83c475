"""The demo desk: people, mail of every kind, and months of settled history; bulk tickets.

`make run` seeds it on first start and again on every start finds it there. Mail comes in
through the desk's one delivery path with real bytes, so its sources and held mail are real;
the history goes in by bulk SQL and is settled: the first sweep owes nobody a notice about it.
"""
from datetime import datetime, timedelta

import sqlalchemy as sa

from helpdesk.extensions import db
from helpdesk.models import Contact, StaffMember
from helpdesk.services.demo import conversations, history, inbox
from helpdesk.services.demo.bulk import seed_bulk_tickets
from helpdesk.services.demo.data import DEMO_ORGANISATIONS, DEMO_PASSWORD, DEMO_STAFF
from helpdesk.services.people import directory
from helpdesk.services.transaction import job, use_case

__all__ = ["DEMO_PASSWORD", "demo_contacts", "seed_bulk_tickets", "seed_demo",
           "staff_demo_logins"]
# The demo's people were there long before its history began.
PEOPLE_SINCE = timedelta(days=400)


@job
def seed_demo(now: datetime) -> bool:
    """Seed the demo desk, or nothing when the desk has staff already; True when it seeded.

    Each part commits (the mails one by one, as they would arrive); history goes first, so
    older tickets have the lower numbers.
    """
    if not _seed_people(now):
        return False
    history.seed_history(now)
    conversations.seed_conversations(now)
    inbox.seed_held_mail(now)
    return True


@use_case
def _seed_people(now: datetime) -> bool:
    if db.session.scalar(sa.select(sa.func.count()).select_from(StaffMember)):
        return False
    since = now - PEOPLE_SINCE
    for email, name, role in DEMO_STAFF:
        directory.add_staff(email, name, role, DEMO_PASSWORD, since,
                            language="en" if role == "admin" else "nl")
    for slug, name, contacts in DEMO_ORGANISATIONS:
        directory.add_organisation(slug, name, since)
        for email, contact_name, super_user, language in contacts:
            directory.add_contact(email, slug, contact_name, since, super_user=super_user,
                                  language=language, password=DEMO_PASSWORD)
    directory.add_organisation("oldco", "OldCo (suspended)", now - 2 * PEOPLE_SINCE)
    directory.set_organisation_status("oldco", "suspended", now)
    return True


def staff_demo_logins() -> list[tuple[str, str]]:
    """(email, role) of the demo's staff accounts this desk has."""
    present = set(db.session.scalars(sa.select(StaffMember.email).where(
        StaffMember.email.in_([email for email, _, _ in DEMO_STAFF]))))
    return [(email, role) for email, _, role in DEMO_STAFF if email in present]


def demo_contacts() -> list[Contact]:
    """The demo's portal super-users this desk has (a real desk's are not the demo's)."""
    emails = [email for _, _, contacts in DEMO_ORGANISATIONS for email, *_ in contacts]
    return db.session.scalars(sa.select(Contact).where(
        Contact.is_super_user.is_(True), Contact.email.in_(emails)).order_by(Contact.email)).all()
