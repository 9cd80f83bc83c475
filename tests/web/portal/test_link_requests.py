"""Asking for a sign-in or reset link does the same work for any address; the worker answers."""
import re
from datetime import UTC, datetime

import pytest
import sqlalchemy as sa

from helpdesk.extensions import db
from helpdesk.jobs import JOBS
from helpdesk.models import OrganisationStatus, OutboxMessage
from helpdesk.services.portal import link_mail
from tests.conftest import post_form
from tests.fixtures.factories import make_contact, make_organisation, make_staff

PATHS = {"sign_in_link": "/portal/sign-in/link", "password_reset": "/portal/password-reset"}
# Values differ per request; what is asked of the database must not.
_LITERALS = re.compile(r"'[^']*'|\b\d+\b")


def _statements(app, client, path: str, email: str) -> list[str]:
    seen = []

    def record(conn, cursor, statement, parameters, context, executemany):
        seen.append(_LITERALS.sub("?", " ".join(statement.split())))

    sa.event.listen(db.engine, "before_cursor_execute", record)
    try:
        response = post_form(client, path, {"email": email})
    finally:
        sa.event.remove(db.engine, "before_cursor_execute", record)
    assert response.status_code == 302
    return seen


@pytest.mark.parametrize("kind", sorted(PATHS))
def test_a_request_asks_the_same_of_the_database_for_registered_and_unknown(app, kind):
    registered = make_contact()
    known = _statements(app, app.test_client(), PATHS[kind], registered.email)
    unknown = _statements(app, app.test_client(), PATHS[kind], "nobody@nowhere.example")
    assert known == unknown
    assert not [s for s in known if re.search(r"\b(contact|sign_in_token|outbox_message)\b", s)]


@pytest.mark.parametrize("kind", sorted(PATHS))
def test_the_worker_mails_the_link_only_to_registered_super_users(app, client, kind):
    super_user = make_contact()
    ended = make_contact(make_organisation(status=OrganisationStatus.ENDED))
    addresses = [super_user.email, "nobody@nowhere.example",
                 make_contact(is_super_user=False).email, make_contact(active=False).email,
                 ended.email, make_staff().email]
    for email in addresses:
        post_form(client, PATHS[kind], {"email": email})
    assert db.session.scalars(sa.select(OutboxMessage)).all() == []  # nothing yet

    assert link_mail.answer_link_requests(datetime.now(UTC)) == 1
    mails = db.session.scalars(sa.select(OutboxMessage)).all()
    assert [(mail.kind, mail.to_address) for mail in mails] == [(kind, super_user.email)]
    # Answered once: a second pass finds nothing to do.
    assert not link_mail.answer_link_requests(datetime.now(UTC))
    assert len(db.session.scalars(sa.select(OutboxMessage)).all()) == 1


def test_the_worker_answers_link_requests_every_few_seconds():
    [job] = [job for job in JOBS if job.name == "link-requests"]
    assert job.run == link_mail.answer_link_requests
    assert job.interval_seconds <= 5


def test_flask_links_send_answers_the_queue(app, client, runner):
    super_user = make_contact()
    post_form(client, "/portal/sign-in/link", {"email": super_user.email})
    result = runner.invoke(args=["links", "send"])
    assert result.exit_code == 0, result.output
    assert result.output == "Links mailed: 1.\n"
    [mail] = db.session.scalars(sa.select(OutboxMessage)).all()
    assert mail.to_address == super_user.email
