"""gunicorn for the desk: `gunicorn --config deploy/gunicorn.conf.py` (docs/operations.md).

Read from the environment (systemd's /etc/helpdesk/env and the unit): GUNICORN_BIND (default
127.0.0.1:8000), GUNICORN_WORKERS (default 2 per core + 1, at most 8), FORWARDED_ALLOW_IPS
(the proxies whose X-Forwarded-Proto gunicorn believes; default loopback, where Caddy or nginx
runs), and HELPDESK_LOG_FORMAT for gunicorn's own lines and its access log alike.
"""
import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # the checkout, whatever folder gunicorn was started in

from helpdesk.logs import LineHandler  # noqa: E402
from helpdesk.settings import BY_NAME, from_environment  # noqa: E402

# Every HELPDESK_* setting is checked here, once, before a worker starts: a bad one stops the
# master with the one line that names it.
_LOG_FORMAT = from_environment(os.environ).get("LOG_FORMAT", BY_NAME["LOG_FORMAT"].default)
MAX_WORKERS = 8  # each holds its own database pool: mind PostgreSQL's max_connections

wsgi_app = "app:app"
chdir = str(ROOT)
bind = [os.environ.get("GUNICORN_BIND", "127.0.0.1:8000")]
workers = int(os.environ.get("GUNICORN_WORKERS") or
              min(2 * len(os.sched_getaffinity(0)) + 1, MAX_WORKERS))
timeout = 30
# Within systemd's TimeoutStopSec (15 s in deploy/systemd/helpdesk-web@.service): a request
# that is still running after this is cut off, and the load balancer retries it elsewhere.
graceful_timeout = 10
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1,::1")

# The path without its query string, and no referrer (whose query may hold anything); link
# tokens in paths are cut out by helpdesk/logs.py, as in every other line.
access_log_format = '%(h)s "%(m)s %(U)s %(H)s" %(s)s %(B)s %(M)sms "%(a)s"'
# gunicorn's lines (the master's too, before any app exists) go through the desk's handler:
# one format for every line the service writes to the journal.
logconfig_dict = {
    "version": 1,
    "disable_existing_loggers": False,
    "root": {"level": "INFO", "handlers": ["lines"]},
    "loggers": {
        "gunicorn.error": {"level": "INFO", "handlers": [], "propagate": True},
        "gunicorn.access": {"level": "INFO", "handlers": [], "propagate": True},
    },
    "handlers": {"lines": {"()": LineHandler, "log_format": _LOG_FORMAT}},
    "formatters": {},
}
