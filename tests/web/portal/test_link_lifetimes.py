"""A link's lifetime is said as its setting defines it, on the page that sent it and in its mail."""
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa

from helpdesk.extensions import db
from helpdesk.models import OutboxMessage
from helpdesk.services.portal import link_mail
from tests.conftest import post_form
from tests.fixtures.factories import make_contact

LINKS = {
    # (where it is asked for, its setting, the outbox kind)
    "sign-in": ("/portal/sign-in/link", "SIGN_IN_LINK_VALID", "sign_in_link"),
    "reset": ("/portal/password-reset", "PASSWORD_RESET_VALID", "password_reset"),
}


@pytest.mark.parametrize("link", sorted(LINKS))
@pytest.mark.parametrize(("lifetime", "dutch"), [(timedelta(minutes=1), "1 minuut lang"),
                                                 (timedelta(minutes=45), "45 minuten lang")])
def test_the_page_and_the_mail_say_the_configured_lifetime(app, client, link, lifetime, dutch):
    path, setting, kind = LINKS[link]
    app.config[setting] = lifetime
    contact = make_contact()
    response = post_form(client, path, {"email": contact.email}, follow_redirects=True)
    assert f"Die werkt één keer, {dutch}." in response.get_data(as_text=True)
    assert link_mail.answer_link_requests(datetime.now(UTC)) == 1
    mail = db.session.scalars(sa.select(OutboxMessage).filter_by(kind=kind)).one()
    assert f"Hij werkt één keer, {dutch}:" in " ".join(mail.body_text.split())
