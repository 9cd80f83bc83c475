"""Probes for load balancers and supervisors: plain text, no session, no personal data."""
from flask import Response, current_app

from helpdesk.extensions import db
from helpdesk.services.operations.readiness import readiness_problem
from helpdesk.web.access import PUBLIC, policy
from helpdesk.web.operations import bp


@bp.get("/healthz")
@policy(PUBLIC)
def healthz():
    """The process lives and answers; nothing else is asked, so a database outage does not
    make a supervisor restart healthy web processes."""
    return _plain("ok\n", 200)


@bp.get("/readyz")
@policy(PUBLIC)
def readyz():
    """Ready to serve: the database answers and its schema is this code's."""
    problem = readiness_problem(db.engine, current_app.extensions["migrate"].directory)
    return _plain(f"{problem}\n", 503) if problem else _plain("ready\n", 200)


def _plain(text: str, status: int) -> Response:
    response = current_app.response_class(text, status=status, mimetype="text/plain")
    response.headers["Cache-Control"] = "no-store"
    return response
