"""The administration pages: read-only, for admins only."""
from datetime import UTC, datetime

from flask import jsonify, render_template
from flask_babel import lazy_gettext as _l

from helpdesk.services.administration import overview
from helpdesk.services.operations import watchdog
from helpdesk.services.operations.status import desk_status
from helpdesk.web.access import ADMIN, policy
from helpdesk.web.admin import bp

SOURCE_LABELS = {overview.ENVIRONMENT: _l("environment"),
                 overview.CONFIGURATION: _l("given to the app"),
                 overview.DEFAULT: _l("default")}


@bp.app_context_processor
def watchdog_banner():
    """Every staff page can show the watchdog's incidents; the query runs only if it does."""
    return {"watchdog_notices": lambda: watchdog.notices(datetime.now(UTC))}


@bp.get("/")
@policy(ADMIN)
def overview_page():
    return render_template("admin/overview.html", mailbox=overview.mailbox(),
                           kept=overview.kept(), settings=overview.settings(),
                           sources=SOURCE_LABELS)


@bp.get("/status.json")
@policy(ADMIN)
def status_json():
    """The desk's status as `flask health --json` prints it (always 200: `ok` says the verdict)."""
    return jsonify(desk_status(datetime.now(UTC)).as_json())
