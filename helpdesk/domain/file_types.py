"""Which stored files a browser may show inline: raster images proven by their first bytes.

A claimed content type is never trusted: an "image/png" that is really HTML, or an SVG (which
can carry script), is served as a download.
"""

from __future__ import annotations

_SIGNATURES = (
    ("image/png", b"\x89PNG\r\n\x1a\n"),
    ("image/jpeg", b"\xff\xd8\xff"),
    ("image/gif", b"GIF87a"),
    ("image/gif", b"GIF89a"),
)
SNIFF_BYTES = 16


def safe_image_type(head: bytes) -> str | None:
    """The image type the first bytes prove (png, jpeg, gif, webp), else None."""
    for content_type, signature in _SIGNATURES:
        if head.startswith(signature):
            return content_type
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "image/webp"
    return None
