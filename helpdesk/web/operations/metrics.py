"""/metrics' registry, one per app: the database's figures, and this process's request times.

Request latency is the one figure kept in memory, so each process reports its own (Prometheus
sums them); it is labelled by the route's endpoint, never the raw path, so the number of
series stays bounded whatever addresses are asked for.
"""
import hmac
import time
from datetime import UTC, datetime

from flask import Flask, current_app, g, request
from prometheus_client import CollectorRegistry, Histogram

from helpdesk.services.operations.metrics import desk_metrics

UNMATCHED = "(none)"  # a request no route matched (404, 405)


class _DeskFigures:
    """Collected at each scrape, within the scraping request's app context."""

    def collect(self):
        return desk_metrics(datetime.now(UTC))


class AppMetrics:
    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.request_seconds = Histogram(
            "helpdesk_request_duration_seconds", "Time to answer a request, by route.",
            ["endpoint"], registry=self.registry)
        self.registry.register(_DeskFigures())


def init_app(app: Flask) -> None:
    """Give the app its registry and time its requests (first, before any hook can answer)."""
    app.extensions["metrics"] = AppMetrics()
    app.before_request(_start_timer)
    app.after_request(_observe)


def registry() -> CollectorRegistry:
    return current_app.extensions["metrics"].registry


def may_scrape() -> bool | None:
    """None when /metrics is off (no token); else whether the request bears the token."""
    token = current_app.config["METRICS_TOKEN"]
    if not token:
        return None
    given = request.headers.get("Authorization", "")
    return hmac.compare_digest(given.encode(), f"Bearer {token}".encode())


def _start_timer() -> None:
    g.request_started = time.perf_counter()


def _observe(response):
    started = g.pop("request_started", None)
    if started is not None:
        current_app.extensions["metrics"].request_seconds.labels(
            request.endpoint or UNMATCHED).observe(time.perf_counter() - started)
    return response
