"""The languages the desk speaks, on its pages, in its mail and in canned replies."""

# Each language and the locale its dates, times and numbers are written in: English is written
# the British way (2 Dec 2026, 07:17, a 24-hour clock) while the language itself stays "en".
LOCALES = {"nl": "nl", "en": "en_GB"}
SUPPORTED = tuple(LOCALES)
# A customer, a staff member or a reply with no language of their own reads Dutch.
DEFAULT = "nl"


def is_supported(language: str | None) -> bool:
    return language in SUPPORTED


def locale_for(language: str) -> str:
    """The locale (translations and forms) a language is spoken in; KeyError for a language
    the desk does not speak, rather than mail in a language nobody chose."""
    return LOCALES[language]
