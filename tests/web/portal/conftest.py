"""Portal fixtures: a signed-in super-user and the instants the promise tests need."""
from datetime import UTC, datetime

import pytest

from tests.conftest import sign_in
from tests.fixtures.factories import make_contact

# Saturday 5 December 2026, 11:00 in Amsterdam: the desk is closed until Monday 09:00.
SATURDAY_ELEVEN = datetime(2026, 12, 5, 10, 0, tzinfo=UTC)
# Monday 30 November 2026, 10:00 in Amsterdam: the desk is open.
MONDAY_TEN = datetime(2026, 11, 30, 9, 0, tzinfo=UTC)


@pytest.fixture
def super_user(app):
    return make_contact(name="Eva Jansen")


@pytest.fixture
def portal(client, super_user):
    """A client signed in as the super-user."""
    sign_in(client, super_user)
    return client
