"""Sending a stored attachment to someone already allowed to see it."""
from flask import Response, send_file

from helpdesk.domain.files import served_type, shown_inline
from helpdesk.models import Attachment
from helpdesk.storage import blob_store

# A downloaded file can never run script or load anything, even if a browser renders it.
DOWNLOAD_SECURITY_POLICY = "default-src 'none'; img-src 'self'; sandbox"


def send_attachment(attachment: Attachment) -> Response:
    """Raster images inline, everything else as a download, under a type we chose ourselves."""
    content_type = served_type(attachment.content_type)
    response = send_file(blob_store().path(attachment.storage_path), mimetype=content_type,
                         as_attachment=not shown_inline(content_type),
                         download_name=attachment.filename, etag=attachment.sha256,
                         conditional=True, max_age=0)
    response.headers["Content-Security-Policy"] = DOWNLOAD_SECURITY_POLICY
    response.headers["Cache-Control"] = "private, no-store"
    return response
