"""Who commits: a use case owns its transaction, a job commits per item, a building block never.

`tests/fixtures/transactions.py` fails any test in which helpdesk code commits outside a use
case or a job, and `tests/services/test_transactions.py` finds every `.commit()` in the source
outside a job.
"""
from collections.abc import Callable
from contextvars import ContextVar
from functools import wraps
from typing import ParamSpec, TypeVar

from helpdesk.extensions import db

USE_CASE = "use case"
JOB = "job"

# The use cases and jobs this call runs inside, innermost last.
_scope: ContextVar[tuple[str, ...]] = ContextVar("transaction_scope", default=())

P = ParamSpec("P")
R = TypeVar("R")


def current_scope() -> str | None:
    """USE_CASE or JOB for the innermost one running, None outside both."""
    scope = _scope.get()
    return scope[-1] if scope else None


def use_case(function: Callable[P, R]) -> Callable[P, R]:
    """What a person or a job asks for: one transaction, committed when it returns.

    On an exception it is rolled back and the exception goes on. A use case called by another
    runs inside the caller's transaction, so the outermost one commits or rolls back; called by
    a job, it is the outermost, and each item the job hands it is a transaction of its own.
    The function itself never calls commit.
    """

    @wraps(function)
    def run(*args: P.args, **kwargs: P.kwargs) -> R:
        outermost = current_scope() != USE_CASE
        token = _scope.set((*_scope.get(), USE_CASE))
        try:
            result = function(*args, **kwargs)
            if outermost:
                db.session.commit()
            return result
        except BaseException:
            if outermost:
                db.session.rollback()
            raise
        finally:
            _scope.reset(token)

    run.transaction = USE_CASE  # type: ignore[attr-defined]
    return run


def job(function: Callable[P, R]) -> Callable[P, R]:
    """A worker pass or a batch that commits per item itself, so it may call commit.

    One transaction for a pass would hold locks and rows for its whole length, and one failing
    item would undo all the others; some steps must also be durable before the next one talks
    to a server (a mail's receipt before the IMAP flag, a claimed outbox row before the SMTP
    send, an attempt counted before the parse that could kill the process). So a job commits
    and rolls back as its items need; it neither commits nor rolls back on its own behalf.
    A step of a job that commits on its own (the folder's position, a counted attempt) is
    marked `job` too: it says so where the commit is.
    """

    @wraps(function)
    def run(*args: P.args, **kwargs: P.kwargs) -> R:
        token = _scope.set((*_scope.get(), JOB))
        try:
            return function(*args, **kwargs)
        finally:
            _scope.reset(token)

    run.transaction = JOB  # type: ignore[attr-defined]
    return run
