"""The admins' overview: the mailbox and its last pass, what the desk keeps, every setting.

Nothing secret leaves here: the mailbox's password is never read, and a setting that may hold
a secret is only said to be set or not.
"""
import json
import re
from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa
from flask import current_app

from helpdesk.adapters.imap import ImapConfigError, ImapSettings
from helpdesk.extensions import db
from helpdesk.models import (
    Attachment,
    AuditEntry,
    HeldMessage,
    MailboxState,
    RawMail,
    Ticket,
)
from helpdesk.settings import SETTINGS, Setting, shown_span

# A setting whose name says this may hold a secret: shown as set or not, never its value.
SECRET_WORDS = re.compile(r"PASSWORD|SECRET|TOKEN|KEY")
ENVIRONMENT, CONFIGURATION, DEFAULT = "environment", "configuration", "default"


@dataclass(frozen=True)
class Mailbox:
    """The configured IMAP folder (no password) and what its last pass left."""

    configured: bool
    host: str
    port: int
    security: str
    user: str
    folder: str
    processed_folder: str
    problem: str | None  # why the configuration cannot be used
    last_pass_at: datetime | None
    last_error: str | None
    mail_waiting: int | None  # left in the folder by the last pass; None before any
    held_waiting: int  # held mail awaiting an agent's decision


def mailbox() -> Mailbox:
    config = current_app.config
    problem = state = None
    configured = bool(config["IMAP_USER"])
    if configured:
        try:
            name = ImapSettings.from_config(config).mailbox
        except ImapConfigError as error:
            problem = str(error)
        else:
            state = db.session.scalar(sa.select(MailboxState).where(MailboxState.mailbox == name))
    held = db.session.scalar(sa.select(sa.func.count()).select_from(HeldMessage)
                             .where(HeldMessage.resolved_at.is_(None)))
    return Mailbox(
        configured=configured, host=config["IMAP_HOST"], port=config["IMAP_PORT"],
        security=config["IMAP_SECURITY"], user=config["IMAP_USER"],
        folder=config["IMAP_FOLDER"], processed_folder=config["IMAP_PROCESSED_FOLDER"],
        problem=problem,
        last_pass_at=state.last_pass_at if state else None,
        last_error=state.last_error if state else None,
        mail_waiting=state.mail_waiting if state and state.last_pass_at else None,
        held_waiting=held)


@dataclass(frozen=True)
class Kept:
    """What the desk keeps today, counted, with the oldest of each where it has a date."""

    tickets: int
    oldest_ticket_at: datetime | None
    raw_mails: int
    attachments: int
    held_messages: int
    audit_entries: int
    oldest_audit_at: datetime | None


def kept() -> Kept:
    """No retention period exists yet: everything is kept until erasure is built."""
    tickets, oldest_ticket = db.session.execute(
        sa.select(sa.func.count(Ticket.id), sa.func.min(Ticket.created_at))).one()
    audits, oldest_audit = db.session.execute(
        sa.select(sa.func.count(AuditEntry.id), sa.func.min(AuditEntry.at))).one()

    def count(model) -> int:
        return db.session.scalar(sa.select(sa.func.count()).select_from(model))

    return Kept(tickets=tickets, oldest_ticket_at=oldest_ticket, raw_mails=count(RawMail),
                attachments=count(Attachment), held_messages=count(HeldMessage),
                audit_entries=audits, oldest_audit_at=oldest_audit)


@dataclass(frozen=True)
class ShownSetting:
    variable: str
    value: str | None  # as text; None for a secret, which is only said to be set or not
    is_set: bool
    source: str  # ENVIRONMENT, CONFIGURATION or DEFAULT


def is_secret(setting: Setting) -> bool:
    return setting.secret or bool(SECRET_WORDS.search(setting.name))


def settings() -> list[ShownSetting]:
    """Every setting, its current value (secrets only as set or not) and where it came from."""
    given = current_app.extensions.get("settings_given", {})
    shown = []
    for setting in SETTINGS:
        value = current_app.config.get(setting.name)
        if setting.name in given.get(ENVIRONMENT, ()):
            source = ENVIRONMENT
        elif setting.name in given.get(CONFIGURATION, ()):
            source = CONFIGURATION
        else:
            source = DEFAULT
        shown.append(ShownSetting(
            variable=setting.variable, source=source, is_set=bool(value),
            value=None if is_secret(setting) else _text(value)))
    return shown


def _text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, timedelta):
        return shown_span(value)  # as an operator would write it: "30m", "3d"
    if isinstance(value, tuple | list):
        return json.dumps(list(value))
    return str(value)
