"""Portal fixtures: a signed-in super-user and the instants the promise tests need."""
from datetime import UTC, datetime

import pytest
from flask import g, request_started

from tests.conftest import sign_in
from tests.fixtures.factories import make_contact

# Saturday 5 December 2026, 11:00 in Amsterdam: the desk is closed until Monday 09:00.
SATURDAY_ELEVEN = datetime(2026, 12, 5, 10, 0, tzinfo=UTC)
# Monday 30 November 2026, 10:00 in Amsterdam: the desk is open.
MONDAY_TEN = datetime(2026, 11, 30, 9, 0, tzinfo=UTC)


@pytest.fixture(autouse=True)
def user_loaded_per_request(app):
    """Load the signed-in person afresh on every request, as in production.

    The app fixture keeps one app context for the whole test, and Flask reuses it for each
    request, so Flask-Login's cached user in `g` would otherwise leak from one request (or
    one client) to the next.
    """
    def forget_user(sender, **extra):
        g.pop("_login_user", None)

    request_started.connect(forget_user, app)
    yield
    request_started.disconnect(forget_user, app)


@pytest.fixture
def super_user(app):
    return make_contact(name="Eva Jansen")


@pytest.fixture
def portal(client, super_user):
    """A client signed in as the super-user."""
    sign_in(client, super_user)
    return client
