"""What a load balancer asks: does the process live (/healthz), can it serve (/readyz);
and what Prometheus scrapes (/metrics)."""
from flask import Blueprint

bp = Blueprint("operations", __name__)

from helpdesk.web.operations import views  # noqa: E402,F401
