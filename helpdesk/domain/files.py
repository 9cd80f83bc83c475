"""Which files customers may upload, what we call them, and how we serve them back."""
import unicodedata

# Decided from the extension, never from the type a browser or mail client claims.
ACCEPTED_TYPES: dict[str, str] = {
    "png": "image/png",
    "jpg": "image/jpeg",
    "jpeg": "image/jpeg",
    "gif": "image/gif",
    "webp": "image/webp",
    "pdf": "application/pdf",
    "txt": "text/plain",
    "log": "text/plain",
    "csv": "text/csv",
    "json": "application/json",
    "xml": "application/xml",
    "eml": "message/rfc822",
    "zip": "application/zip",
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "pptx": "application/vnd.openxmlformats-officedocument.presentationml.presentation",
    "odt": "application/vnd.oasis.opendocument.text",
    "ods": "application/vnd.oasis.opendocument.spreadsheet",
    "mp4": "video/mp4",
    "webm": "video/webm",
}
# Raster images only: a browser may show these inline; SVG can carry script, so it is not here.
INLINE_IMAGE_TYPES = frozenset({"image/png", "image/jpeg", "image/gif", "image/webp"})
# The first bytes an image must start with, so a renamed file cannot pose as a picture.
_SIGNATURES: dict[str, tuple[bytes, ...]] = {
    "image/png": (b"\x89PNG\r\n\x1a\n",),
    "image/jpeg": (b"\xff\xd8\xff",),
    "image/gif": (b"GIF87a", b"GIF89a"),
    "application/pdf": (b"%PDF-",),
}
MAX_FILENAME_LENGTH = 200
FALLBACK_FILENAME = "attachment"


def clean_filename(name: str) -> str:
    """The last path component without control characters or leading dots, at most 200 long."""
    name = unicodedata.normalize("NFC", name.replace("\\", "/").rsplit("/", 1)[-1])
    name = "".join(ch for ch in name if not unicodedata.category(ch).startswith("C"))
    name = name.strip().lstrip(".").strip()
    if len(name) > MAX_FILENAME_LENGTH:
        stem, dot, extension = name.rpartition(".")
        if dot and 0 < len(extension) <= 10:
            name = stem[:MAX_FILENAME_LENGTH - len(extension) - 1] + "." + extension
        else:
            name = name[:MAX_FILENAME_LENGTH]
    return name or FALLBACK_FILENAME


def extension_of(filename: str) -> str:
    stem, dot, extension = filename.rpartition(".")
    return extension.lower() if dot and stem else ""


def accepted_type(filename: str) -> str | None:
    """The content type we store for a file with this name, or None when we do not take it."""
    return ACCEPTED_TYPES.get(extension_of(filename))


def content_matches(content_type: str, head: bytes) -> bool:
    """Whether the first bytes fit the type (checked for images and PDF, trusted otherwise)."""
    if content_type == "image/webp":
        return head[:4] == b"RIFF" and head[8:12] == b"WEBP"
    signatures = _SIGNATURES.get(content_type)
    return signatures is None or head.startswith(signatures)


def served_type(content_type: str) -> str:
    """The type to send a stored file with: one we know, else an opaque download."""
    return content_type if content_type in ACCEPTED_TYPES.values() else "application/octet-stream"


def shown_inline(content_type: str) -> bool:
    return content_type in INLINE_IMAGE_TYPES
