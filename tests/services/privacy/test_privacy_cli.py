"""`flask privacy`: erasure asks for --yes, prints the certificate; retention's dry run."""
from datetime import UTC, datetime, timedelta

import sqlalchemy as sa

from helpdesk.extensions import db
from helpdesk.models import Contact, ErasureCertificate, OrganisationStatus
from tests.fixtures.factories import make_contact, make_organisation


def test_erasing_a_contact_without_yes_is_refused_in_one_line(app, runner):
    make_contact(email="ask@klant.example")
    result = runner.invoke(args=["privacy", "erase-contact", "ask@klant.example"])
    assert result.exit_code == 1
    assert result.output.strip().count("\n") == 0 and "--yes" in result.output
    assert db.session.scalar(sa.select(Contact.erased_at)) is None


def test_erasing_a_contact_prints_its_certificate(app, runner):
    make_contact(email="ask@klant.example")
    result = runner.invoke(args=["privacy", "erase-contact", "ASK@klant.example", "--yes"])
    assert result.exit_code == 0, result.output
    certificate = db.session.scalar(sa.select(ErasureCertificate))
    assert certificate.digest in result.output and "ask@" not in result.output
    assert certificate.instructed_by == "command line"


def test_an_organisation_that_has_not_ended_is_not_erased(app, runner):
    organisation = make_organisation()
    result = runner.invoke(args=["privacy", "erase-org", organisation.slug, "--yes"])
    assert result.exit_code == 1 and "has not ended" in result.output


def test_the_dry_run_lists_what_goes_when_and_erases_nothing(app, runner):
    ended = datetime(2026, 1, 5, tzinfo=UTC)
    organisation = make_organisation(status=OrganisationStatus.ENDED, status_changed_at=ended)
    make_contact(organisation)
    result = runner.invoke(args=["privacy", "retention", "--dry-run"])
    assert result.exit_code == 0
    assert organisation.slug in result.output
    assert (ended + timedelta(days=365)).isoformat() in result.output
    assert db.session.scalar(sa.select(sa.func.count()).select_from(ErasureCertificate)) == 0


def test_retention_without_dry_run_runs_the_job_once(app, runner):
    organisation = make_organisation(status=OrganisationStatus.ENDED,
                                     status_changed_at=datetime(2020, 1, 1, tzinfo=UTC))
    make_contact(organisation)
    result = runner.invoke(args=["privacy", "retention"])
    assert result.exit_code == 0 and "'erased': 1" in result.output
