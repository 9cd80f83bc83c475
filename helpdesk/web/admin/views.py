"""The administration page: read-only, for admins only."""
from flask import render_template
from flask_babel import lazy_gettext as _l

from helpdesk.services.administration import overview
from helpdesk.web.access import ADMIN, policy
from helpdesk.web.admin import bp

SOURCE_LABELS = {overview.ENVIRONMENT: _l("environment"),
                 overview.CONFIGURATION: _l("given to the app"),
                 overview.DEFAULT: _l("default")}


@bp.get("/")
@policy(ADMIN)
def overview_page():
    return render_template("admin/overview.html", mailbox=overview.mailbox(),
                           kept=overview.kept(), settings=overview.settings(),
                           sources=SOURCE_LABELS)
