"""A use case owns its transaction, a job commits per item, a building block never commits."""
import ast
import types
from pathlib import Path

import pytest

from helpdesk.extensions import db
from helpdesk.models import Organisation, OrganisationStatus
from helpdesk.services.transaction import job, use_case

PACKAGE = Path(__file__).resolve().parents[2] / "helpdesk"


def _is_job(function: ast.FunctionDef | ast.AsyncFunctionDef) -> bool:
    for decorator in function.decorator_list:
        name = decorator.attr if isinstance(decorator, ast.Attribute) else getattr(
            decorator, "id", None)
        if name == "job":
            return True
    return False


def commits_outside_jobs(source: str, name: str) -> list[str]:
    """`.commit()` calls not inside a function decorated with `job`, as name:line.

    A connection of its own (the ingest lock, an outbox lease) is no unit of work of the
    session: it commits outside the session on purpose, so `connection.commit()` is left out.
    """
    offences = []

    def visit(node: ast.AST, in_job: bool) -> None:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef):
                visit(child, in_job or _is_job(child))
                continue
            if (not in_job and isinstance(child, ast.Call)
                    and isinstance(child.func, ast.Attribute) and child.func.attr == "commit"
                    and not (isinstance(child.func.value, ast.Name)
                             and child.func.value.id == "connection")):
                offences.append(f"{name}:{child.lineno}")
            visit(child, in_job)

    visit(ast.parse(source), False)
    return offences


def test_only_jobs_call_commit():
    """Use cases leave the commit to their decorator; building blocks never commit."""
    offences = []
    for path in sorted(PACKAGE.rglob("*.py")):
        if "migrations" in path.parts or path.name == "transaction.py":
            continue
        offences += commits_outside_jobs(path.read_text(), str(path.relative_to(PACKAGE)))
    assert offences == []


BUILDING_BLOCK = """
def open_row(row):
    db.session.add(row)
    db.session.commit()
"""


def test_the_source_check_finds_a_building_block_that_commits():
    assert commits_outside_jobs(BUILDING_BLOCK, "block.py") == ["block.py:4"]
    assert commits_outside_jobs("@use_case" + BUILDING_BLOCK, "block.py") == ["block.py:4"]
    assert commits_outside_jobs("@transaction.job" + BUILDING_BLOCK, "block.py") == []
    assert commits_outside_jobs("def lock(connection):\n    connection.commit()\n", "x") == []


def _open_row(row):
    db.session.add(row)
    db.session.commit()


def _add(row):
    db.session.add(row)


def as_helpdesk_code(function):
    """The same function, run as if a module of the helpdesk package defined it."""
    return types.FunctionType(function.__code__, {"__name__": "helpdesk.services.example",
                                                   "db": db}, function.__name__)


def _organisation(now) -> Organisation:
    return Organisation(slug="acme", name="Acme", created_at=now, status=OrganisationStatus.ACTIVE)


def test_a_building_block_that_commits_fails_the_test(app, now, undeclared_commits):
    open_row = as_helpdesk_code(_open_row)
    with pytest.raises(AssertionError, match="_open_row .* commits inside no use case or job"):
        open_row(_organisation(now))
    assert len(undeclared_commits) == 1
    undeclared_commits.clear()  # seen: the fixture would fail this test on it


def test_a_use_case_that_calls_commit_itself_fails_the_test(app, now, undeclared_commits):
    open_row = use_case(as_helpdesk_code(_open_row))
    with pytest.raises(AssertionError, match="commits inside use case"):
        open_row(_organisation(now))
    assert db.session.get(Organisation, 1) is None  # rolled back
    undeclared_commits.clear()


def test_a_job_commits_and_a_use_case_is_committed_by_its_decorator(app, now):
    job(as_helpdesk_code(_open_row))(_organisation(now))
    add = use_case(as_helpdesk_code(_add))
    add(Organisation(slug="other", name="Other", created_at=now,
                     status=OrganisationStatus.ACTIVE))
    db.session.rollback()
    assert {o.slug for o in db.session.scalars(db.select(Organisation))} == {"acme", "other"}


def test_a_nested_use_case_runs_in_its_callers_transaction(app, now):
    add = use_case(as_helpdesk_code(_add))

    @use_case
    def add_then_refuse():
        add(_organisation(now))
        raise LookupError("refused after the nested use case returned")

    with pytest.raises(LookupError):
        add_then_refuse()
    assert db.session.scalars(db.select(Organisation)).all() == []


def test_test_code_commits_as_it_likes(app, now):
    db.session.add(_organisation(now))
    db.session.commit()
    assert db.session.scalar(db.select(Organisation.slug)) == "acme"


def test_only_the_audit_module_writes_audit_entries():
    """Every entry is chained, so no code but services/people/audit.py builds an AuditEntry."""
    writers = [str(path.relative_to(PACKAGE)) for path in sorted(PACKAGE.rglob("*.py"))
               if "AuditEntry(" in path.read_text()
               and path.relative_to(PACKAGE).as_posix() not in (
                   "services/people/audit.py", "models/security.py")]
    assert writers == []
