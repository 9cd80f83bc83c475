"""Probes for load balancers and supervisors, and Prometheus' /metrics: plain text, no
session, no personal data."""
from flask import Response, current_app
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from helpdesk.extensions import db
from helpdesk.services.operations.readiness import readiness_problem
from helpdesk.web.access import PUBLIC, policy
from helpdesk.web.operations import bp, metrics


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


@bp.get("/metrics")
@policy(PUBLIC)  # guarded by its bearer token instead: a scraper has no session
def metrics_page():
    """The desk's metrics for Prometheus; 404 while no HELPDESK_METRICS_TOKEN is set."""
    allowed = metrics.may_scrape()
    if allowed is None:
        return _plain("not found\n", 404)
    if not allowed:
        response = _plain("a bearer token is needed\n", 401)
        response.headers["WWW-Authenticate"] = 'Bearer realm="metrics"'
        return response
    response = current_app.response_class(generate_latest(metrics.registry()), status=200,
                                          content_type=CONTENT_TYPE_LATEST)
    response.headers["Cache-Control"] = "no-store"
    return response


def _plain(text: str, status: int) -> Response:
    response = current_app.response_class(text, status=status, mimetype="text/plain")
    response.headers["Cache-Control"] = "no-store"
    return response
