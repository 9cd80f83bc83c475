"""Language choice: the switch on the page, else the person's own setting, else Dutch."""
from flask import current_app, has_request_context, session
from flask_login import current_user

from helpdesk.domain import languages


def select_locale() -> str:
    if not has_request_context():  # the worker and the CLI: mail sets its own language
        return languages.DEFAULT
    chosen = session.get("language")
    if languages.is_supported(chosen):
        return chosen
    if (current_user and current_user.is_authenticated
            and languages.is_supported(current_user.language)):
        return current_user.language
    return languages.DEFAULT


def select_timezone() -> str:
    return current_app.config["BABEL_DEFAULT_TIMEZONE"]
