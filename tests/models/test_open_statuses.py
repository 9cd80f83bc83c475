import importlib.util
import re
from pathlib import Path

from helpdesk.models import OPEN_STATUSES
from helpdesk.models.ticket import OPEN_STATUSES_SQL

MIGRATION = (Path(__file__).parents[2] / "migrations" / "versions"
             / "b7d4e2a91c3f_agent_workspace.py")


def _migrated_queue_index_condition() -> str:
    spec = importlib.util.spec_from_file_location("agent_workspace", MIGRATION)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.OPEN_STATUSES_SQL


def test_the_queue_index_condition_names_exactly_the_open_statuses():
    assert set(re.findall(r"'(\w+)'", OPEN_STATUSES_SQL)) == {s.value for s in OPEN_STATUSES}


def test_the_derived_condition_is_the_text_of_the_migrated_partial_index():
    # Both databases match a partial index by the text of its condition.
    assert _migrated_queue_index_condition() == OPEN_STATUSES_SQL
