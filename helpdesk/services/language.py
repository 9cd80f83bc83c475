"""Speaking a reader's language in mail and on pages: its words, its forms and the desk's name.

Mail is composed for its recipient, not for whoever's request or job made it, so it is written
inside `speaking(recipient.language)`; a page speaks the language helpdesk/web/i18n.py chose.
"""
from collections.abc import Iterator
from contextlib import contextmanager

from flask import current_app
from flask_babel import force_locale
from flask_babel import gettext as _

from helpdesk.domain import languages


@contextmanager
def speaking(language: str) -> Iterator[None]:
    """Translate and format in `language` inside the block: English with British forms."""
    with force_locale(languages.locale_for(language)):
        yield


def desk_name() -> str:
    """The desk's name as the reader sees it: the operator's HELPDESK_DESK_NAME, or ours,
    translated."""
    return current_app.config["DESK_NAME"] or _("Service desk")
