"""Signed-in clients for the agents' workspace, and htmx request headers."""
import pytest

from helpdesk.models import StaffRole
from tests.conftest import sign_in
from tests.fixtures.factories import make_staff


def htmx(target: str, **extra) -> dict:
    """The headers htmx sends when an element targeting #target makes a request."""
    return {"HX-Request": "true", "HX-Target": target, **extra}


@pytest.fixture
def agent(app):
    return make_staff(StaffRole.AGENT, name="Anna Agent")


@pytest.fixture
def agent_client(client, agent):
    sign_in(client, agent)
    return client
