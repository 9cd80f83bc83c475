"""The languages the desk speaks, on its pages, in its mail and in canned replies."""

SUPPORTED = ("nl", "en")
# A customer, a staff member or a reply with no language of their own reads Dutch.
DEFAULT = "nl"


def is_supported(language: str | None) -> bool:
    return language in SUPPORTED
