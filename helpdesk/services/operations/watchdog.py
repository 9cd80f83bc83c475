"""The watchdog: when something the desk needs stops, the admins and managers are told at once,
by a way that does not pass through the part that failed; once per incident, once when it ends.

Mail not fetched, a mailbox that refuses the login, an outbox that cannot send, a worker whose
heartbeat stopped, a backup too old: each is an incident (`WatchdogIncident`), opened and
resolved by `check`, which the worker runs every minute and `flask watchdog` runs from a timer
of its own (a stopped worker cannot say that it stopped). Staff pages show the open incidents.
"""
import json
import logging
import urllib.request
from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa
from flask import current_app
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy.dialects import postgresql, sqlite

from helpdesk.adapters.imap import ImapConfigError, ImapSettings, MailboxLoginRefused
from helpdesk.extensions import db
from helpdesk.models import (
    Backup,
    BackupState,
    JobHeartbeat,
    MailboxState,
    OutboxMessage,
    OutboxState,
    StaffMember,
    StaffRole,
    WatchdogIncident,
)
from helpdesk.services.language import desk_name, speaking
from helpdesk.services.mail_out import outbox, sender
from helpdesk.services.operations import backups, heartbeats
from helpdesk.services.operations.status import MAIL_JOB, Rules
from helpdesk.services.transaction import job

log = logging.getLogger(__name__)

MAIL_NOT_FETCHED = "mail-not-fetched"
MAILBOX_LOGIN = "mailbox-login-refused"
OUTBOX_STUCK = "outbox-not-sending"
WORKER_STOPPED = "worker-stopped"
BACKUP_OLD = "backup-too-old"
OUTBOX_JOB = "outbox-send"

TITLES = {
    MAIL_NOT_FETCHED: _l("Mail is not being fetched"),
    MAILBOX_LOGIN: _l("The mailbox refuses the desk's login"),
    OUTBOX_STUCK: _l("The desk cannot send mail"),
    WORKER_STOPPED: _l("The worker has stopped"),
    BACKUP_OLD: _l("The last backup is too old"),
}
# How each kind is told besides the staff pages, never through the part that fails: mail
# queued in the outbox, mail sent at once (the worker that sends the outbox is what stopped),
# and the webhook when one is configured.
QUEUED, AT_ONCE, WEBHOOK = "queued mail", "mail sent at once", "webhook"
CHANNELS = {
    MAIL_NOT_FETCHED: (QUEUED, WEBHOOK),
    MAILBOX_LOGIN: (QUEUED, WEBHOOK),
    OUTBOX_STUCK: (WEBHOOK,),
    WORKER_STOPPED: (AT_ONCE, WEBHOOK),
    BACKUP_OLD: (QUEUED, WEBHOOK),
}
TOLD = (StaffRole.ADMIN, StaffRole.MANAGER)
WEBHOOK_TIMEOUT_SECONDS = 5
# A resolved incident stays on the staff pages this long, so whoever saw it sees it end.
RESOLVED_SHOWN = timedelta(hours=24)


@dataclass(frozen=True)
class Alarm:
    """Something wrong now: an incident of `kind` about `subject` (a mailbox, or "")."""
    kind: str
    subject: str
    detail: str  # one line in English for the operator: what, since when, the error

    @property
    def key(self) -> str:
        return f"{self.kind}:{self.subject}"


@dataclass(frozen=True)
class CheckReport:
    opened: tuple[str, ...]
    resolved: tuple[str, ...]

    def __bool__(self) -> bool:
        return bool(self.opened or self.resolved)

    def __str__(self) -> str:
        parts = [f"opened {', '.join(self.opened)}"] if self.opened else []
        parts += [f"resolved {', '.join(self.resolved)}"] if self.resolved else []
        return "; ".join(parts) or "nothing changed"


def alarms(now: datetime, rules: Rules | None = None) -> list[Alarm]:
    """Everything the watchdog finds wrong at `now`."""
    rules = rules or Rules.configured()
    return [*_mail_alarms(now, rules), *_outbox_alarms(now, rules), *_worker_alarms(now),
            *_backup_alarms(now, rules)]


@job
def check(now: datetime) -> CheckReport:
    """Open an incident for each new alarm, resolve those that ended, and tell each once."""
    found = {alarm.key: alarm for alarm in alarms(now)}
    standing = {incident.open_key: incident for incident in db.session.scalars(
        sa.select(WatchdogIncident).where(WatchdogIncident.open_key.is_not(None)))}
    opened = [alarm for key, alarm in found.items() if key not in standing]
    for alarm in opened:
        _open(alarm, now)
    resolved = [incident for key, incident in standing.items() if key not in found]
    for incident in resolved:
        incident.open_key, incident.resolved_at = None, now
    for key, incident in standing.items():
        if key in found:
            incident.detail = found[key].detail  # e.g. more jobs have stopped since
    db.session.commit()
    for incident in _untold(now):
        _tell(incident, now)
    return CheckReport(tuple(alarm.key for alarm in opened),
                       tuple(incident.kind for incident in resolved))


@dataclass(frozen=True)
class Notice:
    """One line of the staff pages' banner."""
    kind: str
    detail: str
    opened_at: datetime
    resolved_at: datetime | None

    @property
    def title(self) -> str:
        return title(self.kind)


def notices(now: datetime) -> list[Notice]:
    """What the staff pages show: the open incidents, then those resolved in the last day.

    A stopped worker is shown even before a check opened its incident: the check may be what
    stopped with it."""
    incidents = db.session.scalars(
        sa.select(WatchdogIncident)
        .where(sa.or_(WatchdogIncident.resolved_at.is_(None),
                      WatchdogIncident.resolved_at > now - RESOLVED_SHOWN))
        .order_by(WatchdogIncident.resolved_at.is_not(None), WatchdogIncident.opened_at.desc()))
    shown = [Notice(i.kind, i.detail, i.opened_at, i.resolved_at) for i in incidents]
    if not any(n.kind == WORKER_STOPPED and n.resolved_at is None for n in shown):
        shown[:0] = [Notice(a.kind, a.detail, now, None) for a in _worker_alarms(now)]
    return shown


def title(kind: str) -> str:
    return str(TITLES[kind])


# --- what is wrong -----------------------------------------------------------------------------

def _mail_alarms(now: datetime, rules: Rules) -> list[Alarm]:
    """The mailbox refuses the login; or no pass over it ran through for WATCHDOG_MAIL_MINUTES."""
    if not current_app.config["IMAP_USER"]:
        return []  # no mailbox: mail comes pushed, or not at all
    try:
        mailbox = ImapSettings.from_config(current_app.config).mailbox
    except ImapConfigError:
        return []  # flask health and the admins' page say what is wrong with the settings
    state = db.session.scalar(sa.select(MailboxState).where(MailboxState.mailbox == mailbox))
    error = state.last_error if state is not None else None
    found = []
    if error and error.startswith(MailboxLoginRefused.__name__):
        found.append(Alarm(MAILBOX_LOGIN, mailbox, error))
    # Since the last pass that ran through, or, before the first, since the worker began.
    since = state.last_success_at if state is not None else None
    if since is None:
        since = db.session.scalar(sa.select(JobHeartbeat.last_started_at)
                                  .where(JobHeartbeat.job == MAIL_JOB))
    if since is not None and now - since > rules.mail_pass_age:
        found.append(Alarm(MAIL_NOT_FETCHED, mailbox,
                           f"no pass over {mailbox} has run through since {_moment(since)}"
                           + (f"; the last error: {error}" if error else "")))
    return found


def _outbox_alarms(now: datetime, rules: Rules) -> list[Alarm]:
    """Mail has waited to be sent for 15 minutes and none was sent meanwhile, or the sender's
    passes have failed for that long."""
    cutoff = now - rules.outbox_not_sending
    waiting = db.session.execute(
        sa.select(OutboxMessage.created_at, OutboxMessage.last_error)
        .where(OutboxMessage.state == OutboxState.PENDING, OutboxMessage.created_at <= cutoff)
        .order_by(OutboxMessage.created_at).limit(1)).first()
    last_sent = db.session.scalar(sa.select(sa.func.max(OutboxMessage.sent_at)))
    beat = db.session.scalar(sa.select(JobHeartbeat).where(JobHeartbeat.job == OUTBOX_JOB))
    failing_since = None
    if beat is not None and beat.last_failed_at and (
            beat.last_succeeded_at is None or beat.last_failed_at > beat.last_succeeded_at):
        failing_since = beat.last_succeeded_at or beat.last_started_at
    if waiting is not None and (last_sent is None or last_sent <= cutoff):
        detail = f"mail has waited since {_moment(waiting.created_at)} and none was sent since"
        error = waiting.last_error or (failing_since and beat.last_error)
    elif failing_since is not None and failing_since <= cutoff:
        detail, error = f"every pass of the sender has failed since {_moment(failing_since)}", \
            beat.last_error
    else:
        return []
    return [Alarm(OUTBOX_STUCK, "", detail + (f"; the last error: {error}" if error else ""))]


def _worker_alarms(now: datetime) -> list[Alarm]:
    """Jobs whose lease ended more than a lease ago: a standby would have taken them over."""
    grace = current_app.config["WORKER_LEASE"]
    silent = [beat for beat in heartbeats.heartbeats()
              if beat.lease_until is not None and beat.lease_until <= now - grace]
    if not silent:
        return []
    since = min(beat.lease_until for beat in silent)
    return [Alarm(WORKER_STOPPED, "", f"no worker has run {', '.join(b.job for b in silent)} "
                                      f"since {_moment(since)}")]


def _backup_alarms(now: datetime, rules: Rules) -> list[Alarm]:
    """The last verified backup is older than two intervals (or none is, and the last failed)."""
    good = backups.last_good_backup()
    if good is not None:
        if now - good.started_at > rules.backup_age:
            return [Alarm(BACKUP_OLD, "",
                          f"the last verified backup is of {_moment(good.started_at)}")]
        return []
    failed = db.session.scalars(sa.select(Backup).order_by(Backup.started_at.desc())
                                .limit(1)).first()
    if failed is not None and failed.state == BackupState.FAILED:
        return [Alarm(BACKUP_OLD, "", f"no backup was verified yet; the last one failed: "
                                      f"{failed.error}")]
    return []


def _moment(moment: datetime) -> str:
    return f"{moment:%Y-%m-%d %H:%M} UTC"


# --- telling -----------------------------------------------------------------------------------

def _open(alarm: Alarm, now: datetime) -> None:
    """One open incident per kind and subject, also when two checks run at once."""
    table = WatchdogIncident.__table__
    insert = (postgresql.insert if db.engine.dialect.name == "postgresql"
              else sqlite.insert)
    db.session.execute(insert(table).values(
        kind=alarm.kind, subject=alarm.subject, open_key=alarm.key, detail=alarm.detail[:500],
        opened_at=now).on_conflict_do_nothing(index_elements=[table.c.open_key]))


def _untold(now: datetime) -> list[WatchdogIncident]:
    return list(db.session.scalars(sa.select(WatchdogIncident).where(sa.or_(
        WatchdogIncident.told_at.is_(None),
        sa.and_(WatchdogIncident.resolved_at.is_not(None),
                WatchdogIncident.resolved_told_at.is_(None)))).order_by(WatchdogIncident.id)))


@job
def _tell(incident: WatchdogIncident, now: datetime) -> None:
    """Say an incident's start (or its end) once: the claim and the queued mail commit together,
    so a second check at the same moment finds it told."""
    ending = incident.told_at is not None
    column = WatchdogIncident.resolved_told_at if ending else WatchdogIncident.told_at
    claimed = db.session.execute(sa.update(WatchdogIncident).where(
        WatchdogIncident.id == incident.id, column.is_(None)).values({column: now})).rowcount
    if not claimed:
        db.session.rollback()
        return
    channels = CHANNELS[incident.kind]
    mails = [_queue_mail(incident, staff, ending, now) for staff in _told_staff()
             if QUEUED in channels or AT_ONCE in channels]
    db.session.commit()
    if AT_ONCE in channels and mails:
        try:
            sender.send_due_mail(now, only=[mail.id for mail in mails])
        except Exception as error:  # queued all the same: the outbox tries again when it runs
            db.session.rollback()
            log.warning("watchdog: the mail about %s could not be sent at once: %s",
                        incident.kind, error)
    if WEBHOOK in channels and current_app.config["WATCHDOG_WEBHOOK_URL"]:
        _post_webhook(incident, ending)


def _told_staff() -> list[StaffMember]:
    return list(db.session.scalars(
        sa.select(StaffMember).where(StaffMember.active.is_(True), StaffMember.role.in_(TOLD))
        .order_by(StaffMember.id)))


def _queue_mail(incident: WatchdogIncident, staff: StaffMember, ending: bool,
                now: datetime) -> OutboxMessage:
    with speaking(staff.language):
        headline = title(incident.kind)
        subject = (_("Resolved: %(title)s", title=headline) if ending else headline)
        subject = f"[{desk_name()}] {subject}"
        lines = [_("%(desk)s: %(title)s.", desk=desk_name(), title=headline), "",
                 incident.detail, "",
                 _("Noticed at %(moment)s.", moment=_moment(incident.opened_at))]
        if ending:
            lines.append(_("Resolved at %(moment)s.", moment=_moment(incident.resolved_at)))
        else:
            lines.append(_("You are told again when it is resolved. `flask health` says more."))
    return outbox.queue_mail(
        to_address=staff.email, kind="watchdog", subject=subject,
        body_text="\n".join(lines) + "\n", now=now, language=staff.language,
        once_key=f"watchdog:{incident.id}:{'resolved' if ending else 'opened'}:{staff.id}")


def _post_webhook(incident: WatchdogIncident, ending: bool) -> None:
    """A JSON POST; a webhook that fails is logged (the staff pages still show the incident)."""
    url = current_app.config["WATCHDOG_WEBHOOK_URL"]
    if not url.startswith(("https://", "http://")):
        log.warning("watchdog: WATCHDOG_WEBHOOK_URL is not an http(s) address; not posted")
        return
    with speaking("en"):
        headline = title(incident.kind)
    body = json.dumps({
        "event": "resolved" if ending else "opened", "kind": incident.kind,
        "title": headline, "subject": incident.subject, "detail": incident.detail,
        "opened_at": incident.opened_at.isoformat(),
        "resolved_at": incident.resolved_at.isoformat() if incident.resolved_at else None,
        "desk": current_app.config["DESK_URL"],
    }).encode()
    request = urllib.request.Request(url, data=body,  # noqa: S310 (http(s) only, checked above)
                                     headers={"Content-Type": "application/json"}, method="POST")
    try:
        with urllib.request.urlopen(  # noqa: S310 (http(s) only, checked above)
                request, timeout=WEBHOOK_TIMEOUT_SECONDS) as response:
            response.read()
    except (OSError, ValueError) as error:
        log.warning("watchdog: the webhook for %s failed: %s", incident.kind, error)
