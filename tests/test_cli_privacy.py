"""`flask privacy breaches`: the breach register on the command line."""
import json
from datetime import UTC, datetime

from helpdesk.services.privacy import breaches
from tests.fixtures.factories import make_contact, make_organisation


def _record(title: str, found_at: datetime, organisation) -> None:
    breaches.record_breach(breaches.BreachDetails(
        title=title, found_at=found_at, occurred_from=found_at, occurred_to=found_at,
        what_happened="Mail to the wrong customer.", data_categories="Ticket texts",
        approximate_subjects=1, approximate_records=3, likely_consequences="Little.",
        measures_taken="Asked the recipient to delete it.", contact_point="dpo@desk.example",
        organisation_ids=(organisation.id,)), found_at, None)


def test_privacy_breaches_lists_the_register_newest_first(runner):
    assert runner.invoke(args=["privacy", "breaches"]).output == "No breaches recorded.\n"
    acme = make_organisation(slug="acme")
    make_contact(acme)
    _record("Older", datetime(2026, 11, 1, 9, tzinfo=UTC), acme)
    _record("Newer", datetime(2026, 11, 20, 9, tzinfo=UTC), acme)
    result = runner.invoke(args=["privacy", "breaches"])
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert "Newer" in lines[0] and "[acme]" in lines[0] and "not informed" in lines[0]
    assert "Older" in lines[1] and "2026-11-01T09:00" in lines[1]


def test_privacy_breaches_as_json_has_the_details_a_controller_needs(runner):
    acme = make_organisation(slug="acme")
    _record("Misdirected mail", datetime(2026, 11, 1, 9, tzinfo=UTC), acme)
    result = runner.invoke(args=["privacy", "breaches", "--json"])
    assert result.exit_code == 0, result.output
    [row] = json.loads(result.output)
    assert (row["title"], row["approximate_records"], row["contact_point"],
            row["organisations"][0]["slug"], row["recorded_by"]) == (
        "Misdirected mail", 3, "dpo@desk.example", "acme", None)
