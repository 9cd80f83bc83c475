"""Where outgoing mail goes: an SMTP server, the desk's own catcher, or nowhere yet.

The catcher is for development only. HELPDESK_MAIL_CATCHER decides when given; left unset, it
is on for a development desk (HELPDESK_ENVIRONMENT) without HELPDESK_MAIL_SERVER. It is decided
once, when the app is created, and a desk that would catch mail it must send does not start:
in production, at an https DESK_URL, or with a MAIL_SERVER beside it (mail goes one way only,
so neither silently wins). Every staff member reads every caught mail, sign-in and reset links
included, so the catcher also needs a DESK_URL on loopback: one person's machine, not a shared
test desk.
"""
from collections.abc import Mapping

import sqlalchemy as sa
from flask import current_app

from helpdesk import desk_url
from helpdesk.adapters.network import is_loopback
from helpdesk.extensions import db
from helpdesk.models import OutboxMessage, OutboxState
from helpdesk.settings import SettingError

SMTP, CATCHER, NOWHERE = "smtp", "catcher", "nowhere"
CATCHER_ENDPOINT = "dev_mail.mail_list"


def catcher_setting(config: Mapping) -> bool:
    """MAIL_CATCHER as the desk runs it; SettingError when it would catch in earnest."""
    server = str(config.get("MAIL_SERVER") or "").strip()
    development = config["ENVIRONMENT"] == "development"
    given = config.get("MAIL_CATCHER")
    if not (given if given is not None else (development and not server)):
        return False
    if not development:
        raise SettingError("HELPDESK_MAIL_CATCHER: the mail catcher is for development only, "
                           "and HELPDESK_ENVIRONMENT is production")
    if desk_url.is_https(config):
        raise SettingError("HELPDESK_MAIL_CATCHER: the mail catcher is for development only, "
                           "not for a desk at an https HELPDESK_DESK_URL; set "
                           "HELPDESK_MAIL_SERVER or HELPDESK_MAIL_CATCHER=false")
    if not is_loopback(desk_url.parse(config["DESK_URL"]).hostname or ""):
        raise SettingError("HELPDESK_MAIL_CATCHER: the mail catcher shows every mail, sign-in "
                           "links included, to every staff member, so only a desk on loopback "
                           "may have it (HELPDESK_DESK_URL such as http://127.0.0.1:5000); set "
                           "HELPDESK_MAIL_SERVER or HELPDESK_MAIL_CATCHER=false")
    if server:
        raise SettingError("HELPDESK_MAIL_CATCHER: mail is caught or sent, not both; unset "
                           "HELPDESK_MAIL_CATCHER or HELPDESK_MAIL_SERVER")
    return True


def route() -> str:
    """SMTP, CATCHER or NOWHERE for the running app."""
    if current_app.config["MAIL_CATCHER"]:
        return CATCHER
    if str(current_app.extensions["mail"].server).strip():
        return SMTP
    return NOWHERE


def mail_out_line() -> str:
    """What mail out is, in one line for the operator starting the worker."""
    where = route()
    if where == CATCHER:
        return f"mail out: caught locally, see {desk_url.address(CATCHER_ENDPOINT)}"
    if where == SMTP:
        mail = current_app.extensions["mail"]
        return (f"mail out: SMTP on {str(mail.server).strip()}:{mail.port} "
                f"({current_app.config['MAIL_SECURITY']})")
    return "mail out: none: mail waits in the outbox (set HELPDESK_MAIL_SERVER)"


def waiting_in_outbox() -> int:
    """Mail not sent yet: one count on the outbox's state index."""
    return db.session.scalar(sa.select(sa.func.count()).select_from(OutboxMessage)
                             .where(OutboxMessage.state == OutboxState.PENDING))
