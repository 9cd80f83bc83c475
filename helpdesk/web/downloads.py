"""Sending a stored attachment, or a received mail, to someone already allowed to see it."""
from flask import Response, send_file

from helpdesk.adapters.storage import blob_store
from helpdesk.domain.files import content_matches, served_type, shown_inline
from helpdesk.models import Attachment

# A downloaded file can never run script or load anything, even if a browser renders it.
DOWNLOAD_SECURITY_POLICY = "default-src 'none'; img-src 'self'; sandbox"
OPAQUE = "application/octet-stream"


def send_attachment(attachment: Attachment) -> Response:
    """Raster images inline, everything else as a download, under a type we chose ourselves.

    Mail attachments arrive with whatever type the sender claimed, so an image is only shown
    inline when its first bytes prove it; anything else claiming to be one is a download.
    """
    path = blob_store().path(attachment.storage_path)
    content_type = served_type(attachment.content_type)
    if shown_inline(content_type):
        with open(path, "rb") as handle:
            if not content_matches(content_type, handle.read(16)):
                content_type = OPAQUE
    response = send_file(path, mimetype=content_type,
                         as_attachment=not shown_inline(content_type),
                         download_name=attachment.filename, etag=attachment.sha256,
                         conditional=True, max_age=0)
    response.headers["Content-Security-Policy"] = DOWNLOAD_SECURITY_POLICY
    response.headers["Cache-Control"] = "private, no-store"
    return response


def send_source(raw: bytes, filename: str) -> Response:
    """A received mail as it arrived, as a download that nothing can render or run."""
    return Response(raw, mimetype=OPAQUE, headers={
        "Content-Disposition": f'attachment; filename="{filename}"',
        "Content-Security-Policy": "default-src 'none'; sandbox",
        "Cache-Control": "private, no-store"})
