"""Run it for real, small: two web instances and two workers on one database, mailbox and SMTP
sink take 100 mails while agents load the queue, and each mail, acknowledgement and calamity
alert is found exactly once (bench/two_instances.py runs 1,000, breaches included)."""
import pytest

from tests.conftest import DATABASE, POSTGRES_SERVER
from tests.fixtures.two_instances import Plan, run

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(DATABASE != "postgresql",
                       reason="two instances share one PostgreSQL database"),
]


def test_two_instances_and_two_workers_take_every_mail_once_and_answer_it_once():
    # A calamity's breach would need the once-a-minute sweep: only its alert is in this run.
    report = run(Plan(mails=100, agents=4, rate_per_second=20, calamity_every=10,
                      breaches=False, settle_seconds=60), POSTGRES_SERVER)
    assert report.problems == []
    assert {name: str(tally) for name, tally in report.tallies.items() if not tally.clean} == {}
    assert report.tallies["mails stored"].found == 100
    assert report.tallies["escalations recorded"].found == 10
