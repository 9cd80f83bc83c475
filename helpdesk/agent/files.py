"""Attachments for staff: served from the blob store, downloads unless provably a safe image."""
from datetime import UTC, datetime

from flask import abort, send_file
from flask_login import current_user

from helpdesk.access import AGENT, policy
from helpdesk.agent import bp
from helpdesk.services import attachments

# A file is never a page: no scripts, no styles, no plugins, even if a browser renders it.
FILE_POLICY = "default-src 'none'; img-src 'self'; sandbox"


@bp.get("/attachments/<int:attachment_id>")
@policy(AGENT)
def attachment(attachment_id: int):
    download = attachments.download(attachment_id, current_user, datetime.now(UTC))
    if download is None:
        abort(404)
    response = send_file(download.path, mimetype=download.content_type,
                         as_attachment=not download.inline, download_name=download.filename,
                         etag=False, max_age=0)
    response.headers["Content-Security-Policy"] = FILE_POLICY
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response
