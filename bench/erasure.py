"""Time erasing a contact with 1,000 messages and an organisation with 10,000 tickets.

    .venv/bin/python bench/erasure.py [--background 10000] [--only sqlite|postgresql]

Each database gets the demo, `--background` bulk tickets of other customers (the tables an
erasure searches are not empty), then a contact with 1,000 messages on 200 tickets and an
ended organisation of 20 contacts with 10,000 tickets (two messages each). Both erasures are
timed end to end: the transaction, the files, the wiped free space (checkpoint / VACUUM).
"""
from __future__ import annotations

import argparse
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import sqlalchemy as sa

sys.path[0] = str(Path(__file__).resolve().parent.parent)

from flask_migrate import upgrade  # noqa: E402

from bench.stats import analyse, bench_database, make_app  # noqa: E402
from helpdesk.extensions import db  # noqa: E402
from helpdesk.models import (  # noqa: E402
    Category,
    Channel,
    Contact,
    Message,
    MessageKind,
    Organisation,
    OrganisationStatus,
    Ticket,
    TicketStatus,
)
from helpdesk.services import demo  # noqa: E402
from helpdesk.services.demo.bulk import reserve_numbers  # noqa: E402
from helpdesk.services.privacy import erase  # noqa: E402


def add_organisation(slug: str, contacts: int, tickets: int, messages_per_ticket: int,
                     now: datetime, status=OrganisationStatus.ENDED) -> list[str]:
    """Bulk rows for one organisation; the contacts' addresses."""
    organisation = Organisation(slug=slug, name=f"Bench {slug}", status=status,
                                created_at=now, status_changed_at=now)
    db.session.add(organisation)
    people = [Contact(organisation=organisation, email=f"person{i}@{slug}.example",
                      name=f"Person{i} Bench{slug}", phone=f"+31 6 {i:04d} {len(slug):04d}",
                      is_super_user=True, session_token="x" * 32, created_at=now)
              for i in range(contacts)]
    db.session.add_all(people)
    db.session.commit()
    first = reserve_numbers(tickets)
    for start in range(0, tickets, 2000):
        rows = []
        for n in range(start, min(tickets, start + 2000)):
            contact = people[n % contacts]
            at = now - timedelta(minutes=n)
            rows.append({"number": first + n, "subject": f"{contact.name} asks #{n}",
                         "category": Category.QUESTION, "channel": Channel.EMAIL,
                         "status": TicketStatus.CLOSED, "organisation_id": organisation.id,
                         "raised_by_id": contact.id, "created_at": at, "updated_at": at,
                         "details": {}, "due_soon": False, "breached": False})
        ids = db.session.scalars(sa.insert(Ticket).returning(Ticket.id), rows).all()
        db.session.execute(sa.insert(Message), [
            {"ticket_id": ticket_id, "kind": MessageKind.INBOUND, "sender": row_contact.email,
             "author_contact_id": row_contact.id, "created_at": now,
             "body_text": f"Hello, {row_contact.name} here; call {row_contact.phone}."}
            for ticket_id, row in zip(ids, rows, strict=True)
            for row_contact in [people[(row["number"] - first) % contacts]]
            for _ in range(messages_per_ticket)])
        db.session.commit()
    return [p.email for p in people]


def run(kind: str, background: int) -> None:
    now = datetime.now(UTC)
    with bench_database(kind, keep=False) as url:
        app = make_app(url)
        with app.app_context():
            upgrade()
            demo.seed_demo(now)
            demo.seed_bulk_tickets(background, now)
            person, = add_organisation("one", 1, 200, 5, now, OrganisationStatus.ACTIVE)
            add_organisation("big", 20, 10_000, 2, now)
            analyse()
            started = time.perf_counter()
            erase.erase_contact(person, now)
            contact_seconds = time.perf_counter() - started
            started = time.perf_counter()
            certificate = erase.erase_organisation("big", now)
            org_seconds = time.perf_counter() - started
            rows = certificate.counts["rows"]
            print(f"{kind}: contact with 1,000 messages {contact_seconds:.2f} s; "
                  f"organisation with 10,000 tickets ({rows.get('ticket', 0)} subjects, "
                  f"{rows.get('message', 0)} messages rewritten) {org_seconds:.2f} s",
                  flush=True)
            db.session.remove()
            db.engine.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--background", type=int, default=10_000)
    parser.add_argument("--only", choices=["sqlite", "postgresql"])
    arguments = parser.parse_args()
    for kind in [arguments.only] if arguments.only else ["sqlite", "postgresql"]:
        run(kind, arguments.background)


if __name__ == "__main__":
    main()
