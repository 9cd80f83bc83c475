"""Attachments for staff: served by the one download rule, every download audited."""
from datetime import UTC, datetime

from flask import abort
from flask_login import current_user

from helpdesk.access import AGENT, policy
from helpdesk.agent import bp
from helpdesk.downloads import send_attachment
from helpdesk.services.attachments import audited_attachment


@bp.get("/attachments/<int:attachment_id>")
@policy(AGENT)
def attachment(attachment_id: int):
    found = audited_attachment(attachment_id, current_user, datetime.now(UTC))
    if found is None:
        abort(404)
    return send_attachment(found)
