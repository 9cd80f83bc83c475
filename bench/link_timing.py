"""Does a link request's timing tell a registered address from an unknown one?

Serves the desk on a free loopback port (Werkzeug, in a thread) on a fresh database, then asks
for sign-in links and password resets in pairs, one for a registered super-user and one for an
unknown address, in random order within each pair, each over its own HTTP connection like a
browser's form post. Prints, per form, the median time of each, the median of the paired
differences (registered minus unknown) and the share of pairs in which the registered address
answered slower (about 50% when timing reveals nothing).

    .venv/bin/python bench/link_timing.py [--pairs N] [--database URL]

Without --database it uses a SQLite file in a temporary folder.
"""
import argparse
import http.client
import random
import re
import statistics
import sys
import tempfile
import threading
import time
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import urlencode

# Run from the repository root, not this folder (bench/queue.py shadows the standard library's).
sys.path[0] = str(Path(__file__).resolve().parent.parent)

from flask_migrate import upgrade  # noqa: E402
from werkzeug.serving import make_server  # noqa: E402

from helpdesk import create_app  # noqa: E402
from helpdesk.extensions import db  # noqa: E402
from helpdesk.models import Contact, Organisation, OrganisationStatus  # noqa: E402

REGISTERED = "registered@customer.example"
UNKNOWN = "unknown@customer.example"
FORMS = {"sign-in link": "/portal/sign-in/link", "password reset": "/portal/password-reset"}
CSRF = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"')


def make_app(url: str, folder: Path):
    return create_app({
        "SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "bench-secret", "BLOB_STORE":
        str(folder / "blobs"),
        # The throttle does the same work for both addresses; it must not refuse the bench.
        "SIGN_IN_FAILURES_PER_ACCOUNT": 10**9, "SIGN_IN_FAILURES_PER_ADDRESS": 10**9,
    })


def seed(app) -> None:
    with app.app_context():
        upgrade()
        now = datetime.now(UTC)
        organisation = Organisation(slug="bench", name="Bench", status=OrganisationStatus.ACTIVE,
                                    created_at=now)
        db.session.add(Contact(organisation=organisation, email=REGISTERED, name="Registered",
                               is_super_user=True, language="nl", session_token="bench",
                               created_at=now))
        db.session.commit()


class Browser:
    """One visitor's cookie and CSRF token, each request on a fresh connection."""

    def __init__(self, port: int):
        self.port = port
        page = self._request("GET", "/portal/sign-in")
        self.cookie = page.getheader("Set-Cookie").split(";", 1)[0]
        self.token = CSRF.search(page.read().decode()).group(1)

    def _request(self, method: str, path: str, body: str | None = None, headers=None):
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        connection.request(method, path, body=body, headers=headers or {})
        return connection.getresponse()

    def post_seconds(self, path: str, email: str) -> float:
        body = urlencode({"email": email, "csrf_token": self.token})
        headers = {"Content-Type": "application/x-www-form-urlencoded", "Cookie": self.cookie}
        started = time.perf_counter()
        response = self._request("POST", path, body, headers)
        response.read()
        elapsed = time.perf_counter() - started
        if response.status != 302:
            raise SystemExit(f"{path} answered {response.status}")
        return elapsed


def measure(browser: Browser, path: str, pairs: int) -> dict:
    registered, unknown = [], []
    for _ in range(pairs):
        order = [REGISTERED, UNKNOWN]
        random.shuffle(order)
        timings = {email: browser.post_seconds(path, email) for email in order}
        registered.append(timings[REGISTERED] * 1000)
        unknown.append(timings[UNKNOWN] * 1000)
    differences = [r - u for r, u in zip(registered, unknown, strict=True)]
    return {"registered": statistics.median(registered), "unknown": statistics.median(unknown),
            "difference": statistics.median(differences),
            "slower": sum(d > 0 for d in differences) / pairs}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pairs", type=int, default=200)
    parser.add_argument("--database", help="a database URL (default: SQLite in a temp folder)")
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="link-timing-"))
    app = make_app(args.database or f"sqlite:///{folder / 'bench.sqlite'}", folder)
    seed(app)
    server = make_server("127.0.0.1", 0, app, threaded=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        browser = Browser(server.server_port)
        for path in FORMS.values():  # warm up: templates, connections, caches
            measure(browser, path, 10)
        print(f"{args.pairs} pairs per form, {app.config['SQLALCHEMY_DATABASE_URI'].split(':')[0]}")
        print(f"{'form':<16}{'registered ms':>15}{'unknown ms':>12}{'median diff ms':>16}"
              f"{'registered slower':>19}")
        for name, path in FORMS.items():
            result = measure(browser, path, args.pairs)
            print(f"{name:<16}{result['registered']:>15.2f}{result['unknown']:>12.2f}"
                  f"{result['difference']:>+16.2f}{result['slower']:>18.0%}")
    finally:
        server.shutdown()
        with app.app_context():
            db.engine.dispose()


if __name__ == "__main__":
    main()
