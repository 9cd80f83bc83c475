"""Two web instances and two workers on one database, mailbox and SMTP sink, run for real.

    .venv/bin/python bench/two_instances.py [--mails 1000] [--agents 4] [--rate 10]
                                            [--calamity-every 20] [--no-breaches]
                                            [--database-url postgresql+psycopg://postgres@127.0.0.1:5432]

A fresh PostgreSQL database is migrated (`flask db upgrade`) and seeded with organisations,
super-users, agents and a manager; a private Dovecot holds the desk's mailbox and an aiosmtpd
sink takes all mail the desk sends. Two `gunicorn --workers 2` instances and two `flask worker`
processes serve the desk. N distinct mails are APPENDed at a steady pace (every 20th a
calamity, whose response is due a minute later: an alert at once, a breach during the run) while
K agents, signed in through the real forms, load the queue from both instances in turn. Once
every mail is a ticket and the outbox is empty, the database and the sink must hold each mail,
each acknowledgement and each escalation (event and mails) exactly once. Printed are the
figures; the exit status is 1 on anything duplicated, missing or unexpected. Only loopback.
The shared code is tests/fixtures/two_instances.py; tests/test_two_instances.py runs it small.
"""
import argparse
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# Replace this folder on the path: bench/queue.py would shadow the standard library's queue.
sys.path[0] = str(ROOT)

from tests.conftest import POSTGRES_SERVER  # noqa: E402
from tests.fixtures.two_instances import Plan, run  # noqa: E402


def main() -> int:
    defaults = Plan()
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mails", type=int, default=defaults.mails)
    parser.add_argument("--agents", type=int, default=defaults.agents)
    parser.add_argument("--rate", type=float, default=defaults.rate_per_second,
                        help="mails appended per second")
    parser.add_argument("--calamity-every", type=int, default=defaults.calamity_every)
    parser.add_argument("--no-breaches", action="store_true",
                        help="calamities due after the run: only their alerts escalate")
    parser.add_argument("--database-url", default=POSTGRES_SERVER,
                        help="the PostgreSQL server, without a database name")
    args = parser.parse_args()
    plan = Plan(mails=args.mails, agents=args.agents, rate_per_second=args.rate,
                calamity_every=args.calamity_every,
                breaches=not args.no_breaches)
    print(f"two instances: {plan.mails} mails at {plan.rate_per_second}/s, {plan.agents} agents, "
          f"every {plan.calamity_every}th a calamity due in {plan.calamity_target_minutes} min")
    report = run(plan, args.database_url.rstrip("/"))
    for name, value in report.figures.items():
        print(f"  {name}: {value}")
    for name, tally in report.tallies.items():
        print(f"  {name}: {tally}")
    for problem in report.problems:
        print(f"  PROBLEM: {problem}")
    print("OK: every mail, acknowledgement and escalation once" if report.ok else "FAILED")
    return 0 if report.ok else 1


if __name__ == "__main__":
    sys.exit(main())
