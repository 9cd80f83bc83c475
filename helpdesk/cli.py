"""Every admin task as a `flask` command; bad input exits non-zero with one line."""
import contextlib
import json
import logging
import signal
import sys
import threading
import time
from collections import Counter
from datetime import UTC, date, datetime
from functools import wraps
from zoneinfo import ZoneInfo

import click
import pyotp
import sqlalchemy as sa
from flask import Blueprint, current_app
from flask_babel import force_locale

from helpdesk import jobs, logs
from helpdesk.adapters.private_files import write_private
from helpdesk.domain import languages
from helpdesk.domain.ids import MAX_ID
from helpdesk.domain.sla import response_due_at
from helpdesk.extensions import db
from helpdesk.models import Category, HeldMessage, StaffMember
from helpdesk.outages import EX_TEMPFAIL, SMTP_SERVER, OutageTracker, Unavailable, unavailable
from helpdesk.services import Refusal, demo
from helpdesk.services.demo import send as demo_send
from helpdesk.services.escalation import sweep
from helpdesk.services.intake import ingest, mail_import, mail_in
from helpdesk.services.mail_out import route, sender
from helpdesk.services.operations import backups, watchdog
from helpdesk.services.operations.status import DeskStatus, desk_status
from helpdesk.services.people import contacts, directory
from helpdesk.services.portal import link_mail
from helpdesk.services.privacy import (
    access,
    audit_chain,
    breaches,
    erase,
    export_requests,
    retention,
)
from helpdesk.services.privacy.export import export_organisation
from helpdesk.services.privacy.export_zip import export_zip
from helpdesk.services.promise import recompute
from helpdesk.services.promise.calendar_settings import (
    configured_calendar,
    configured_policy,
    desk_timezone,
)
from helpdesk.services.stats import rollup

bp = Blueprint("cli", __name__, cli_group=None)
log = logging.getLogger(__name__)


def _now() -> datetime:
    return datetime.now(UTC)


class TemporaryFailure(click.ClickException):
    """One line and exit code 75 (EX_TEMPFAIL): cron and scripts may simply try again later."""

    exit_code = EX_TEMPFAIL


def one_line_errors(command):
    """A Refusal: one line, exit code 1; a server that is down: one line, exit code 75."""
    @wraps(command)
    def run(*args, **kwargs):
        try:
            return command(*args, **kwargs)
        except Refusal as error:
            db.session.rollback()
            with force_locale("en"):  # the operator's console speaks English
                raise click.ClickException(str(error)) from None
        except Exception as error:
            outage = unavailable(error)
            if outage is None:
                raise
            with contextlib.suppress(Exception):  # the database may be what is down
                db.session.rollback()
            raise TemporaryFailure(str(outage)) from None
    return run


@bp.cli.command("demo")
@click.option("--tickets", "ticket_count", type=click.IntRange(min=0, max=MAX_ID), default=0,
              help="Also add this many realistic tickets in bulk (for benchmarks).")
@one_line_errors
def demo_command(ticket_count: int):
    """Seed a demo desk: organisations, super-users, staff and tickets in every state."""
    now = _now()
    if demo.seed_demo(now):
        click.echo("Demo desk seeded.")
    logins = demo.staff_demo_logins()
    if not logins:
        click.echo("This desk has staff and no demo accounts: nothing seeded.")
    else:
        click.echo(f"Staff (password {demo.DEMO_PASSWORD!r}):")
        for email, role in logins:
            click.echo(f"  {role:8} {email}")
        click.echo("Portal super-users (same password):")
        for contact in demo.demo_contacts():
            click.echo(f"  {contact.email} ({contact.organisation.name})")
        click.echo("A staff member's current TOTP code: flask staff code EMAIL")
    if ticket_count:
        with click.progressbar(length=ticket_count, label="Adding tickets",
                               file=sys.stderr) as bar:
            demo.seed_bulk_tickets(ticket_count, now, progress=bar.update)
        click.echo(f"Added {ticket_count} tickets.")


@bp.cli.group("staff")
def staff_group():
    """Staff accounts."""


@staff_group.command("add")
@click.argument("email")
@click.option("--name", required=True)
@click.option("--role", type=click.Choice(["agent", "manager", "admin"]), required=True)
@one_line_errors
def staff_add(email: str, name: str, role: str):
    """Create a staff account; the password is read from stdin."""
    password = sys.stdin.readline().rstrip("\n")
    staff = directory.add_staff(email, name, role, password, _now())
    click.echo(f"Created {staff.role.value} {staff.email}.")
    click.echo("Add this to an authenticator app now; it is not shown again:")
    click.echo(directory.totp_provisioning_uri(staff))


@staff_group.command("code")
@click.argument("email")
@one_line_errors
def staff_code(email: str):
    """Print a staff member's current TOTP code (demo, or recovery with server access)."""
    staff = db.session.scalar(sa.select(StaffMember).filter_by(email=email.strip().lower()))
    if staff is None:
        raise Refusal("There is no staff member with email %(email)s.", email=email)
    click.echo(pyotp.TOTP(staff.totp_secret).now())


@bp.cli.group("orgs")
def orgs_group():
    """Customer organisations."""


@orgs_group.command("add")
@click.argument("slug")
@click.option("--name", required=True)
@one_line_errors
def orgs_add(slug: str, name: str):
    """Create an organisation."""
    organisation = directory.add_organisation(slug, name, _now())
    click.echo(f"Created organisation {organisation.slug}.")


@orgs_group.command("status")
@click.argument("slug")
@click.argument("status")
@click.option("--from", "effective_on", default=None, metavar="YYYY-MM-DD",
              help="Take effect when this day begins in the desk's time zone (today or later).")
@one_line_errors
def orgs_status(slug: str, status: str, effective_on: str | None):
    """Change an organisation's status: active, suspended or ended, now or from a day on."""
    day = _parse_day(effective_on) if effective_on else None
    organisation = directory.set_organisation_status(slug, status, _now(), effective_on=day,
                                                     timezone=desk_timezone())
    if organisation.pending_status is not None:
        click.echo(f"{organisation.slug} becomes {organisation.pending_status.value} at "
                   f"{organisation.pending_status_at.isoformat()}.")
    else:
        click.echo(f"{organisation.slug} is now {organisation.status.value}.")


@orgs_group.command("apply-due")
@one_line_errors
def orgs_apply_due():
    """Apply the organisation statuses whose day has begun (one pass of the job)."""
    click.echo(f"Statuses applied: {directory.apply_due_status_changes(_now())}.")


def _parse_day(text: str) -> date:
    try:
        return date.fromisoformat(text.strip())
    except ValueError:
        raise Refusal("%(text)r is not a date like 2027-01-01.", text=text) from None


@bp.cli.group("contacts")
def contacts_group():
    """Contacts of customer organisations."""


@contacts_group.command("add")
@click.argument("email")
@click.option("--org", "organisation_slug", required=True)
@click.option("--name", required=True)
@click.option("--super-user", is_flag=True, help="May raise tickets and use the portal.")
@click.option("--language", type=click.Choice(languages.SUPPORTED), default=languages.DEFAULT)
@one_line_errors
def contacts_add(email: str, organisation_slug: str, name: str, super_user: bool,
                 language: str):
    """Register a contact of an organisation."""
    contact = directory.add_contact(email, organisation_slug, name, _now(),
                                 super_user=super_user, language=language)
    kind = "super-user" if contact.is_super_user else "contact"
    click.echo(f"Registered {kind} {contact.email} of {organisation_slug}.")


@bp.cli.command("export")
@click.option("--org", "organisation_slug", required=True)
@click.option("--output", type=click.Path(dir_okay=False, writable=True), default=None)
@one_line_errors
def export_command(organisation_slug: str, output: str | None):
    """Write everything held about an organisation as JSON."""
    data = export_organisation(organisation_slug, _now())
    text = json.dumps(data, indent=2, ensure_ascii=False)
    if output:
        write_private(output, text + "\n")  # everything held about the customer
        click.echo(f"Wrote {output}.", err=True)
    else:
        click.echo(text)


@bp.cli.command("backup")
@click.option("--output", type=click.Path(file_okay=False), default=None,
              help="The folder to write the backup in (default: HELPDESK_BACKUP_DIR).")
@one_line_errors
def backup_command(output: str | None):
    """Back up the database and blob store, then restore it into a scratch database to check."""
    click.echo(backups.make_backup(_now(), output))


@bp.cli.command("restore")
@click.argument("folder", type=click.Path(exists=True, file_okay=False))
@click.option("--yes", is_flag=True, help="Replace the desk's data by the backup's.")
@click.option("--force", is_flag=True, help="Also when the desk's database holds data.")
@one_line_errors
def restore_command(folder: str, yes: bool, force: bool):
    """Check a backup's manifest, then make the desk's database and blob store the backup's."""
    if not yes:
        raise Refusal("A restore replaces the desk's data; add --yes to restore.")
    click.echo(backups.restore_backup(folder, _now(), force=force))


@bp.cli.command("watchdog")
@one_line_errors
def watchdog_command():
    """Look once for what has stopped and tell the admins and managers (run it from a timer:
    a stopped worker cannot say so itself)."""
    click.echo(watchdog.check(_now()))


@bp.cli.group("privacy")
def privacy_group():
    """The customer's data: export, erasure, retention and who saw what."""


@privacy_group.command("breaches")
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of a table.")
@one_line_errors
def privacy_breaches(as_json: bool):
    """List the breach register, newest first."""
    rows = breaches.register()
    if as_json:
        click.echo(json.dumps(rows, indent=2, ensure_ascii=False))
        return
    if not rows:
        click.echo("No breaches recorded.")
    for row in rows:
        informed = row["informed_at"][:16] if row["informed_at"] else "not informed"
        names = ", ".join(o["slug"] for o in row["organisations"])
        click.echo(f"{row['id']:>5}  {row['found_at'][:16]}  {row['status']:<6}  "
                   f"{informed:<16}  {row['title']}  [{names}]")


@privacy_group.command("export")
@click.option("--org", "organisation_slug", required=True)
@click.option("--output", type=click.Path(dir_okay=False, writable=True), required=True,
              help="The zip to write (readable by this account only).")
@one_line_errors
def privacy_export(organisation_slug: str, output: str):
    """Write everything held about an organisation as a zip: JSON, CSVs, files and mail."""
    report = export_zip(organisation_slug, output, _now())
    click.echo(f"Wrote {output}.", err=True)
    if report.missing:
        click.echo(f"{len(report.missing)} files were missing from the file store; "
                   "missing.txt in the zip names them.", err=True)


@privacy_group.command("build-exports")
def privacy_build_exports():
    """Build the exports super-users asked for (one pass of the job); remove expired files."""
    click.echo(f"Exports built: {export_requests.exports_job(_now())}.")


# --- privacy access-report: who at the desk saw this person's or organisation's data ---

@privacy_group.command("access-report")
@click.option("--org", "organisation_slug", default=None, metavar="SLUG")
@click.option("--contact", "contact_email", default=None, metavar="EMAIL")
@click.option("--from", "first_day", required=True, metavar="YYYY-MM-DD")
@click.option("--to", "last_day", required=True, metavar="YYYY-MM-DD")
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of a table.")
@one_line_errors
def privacy_access_report(organisation_slug: str | None, contact_email: str | None,
                          first_day: str, last_day: str, as_json: bool):
    """Every read of an organisation's or a contact's data between two days (desk time)."""
    if (organisation_slug is None) == (contact_email is None):
        raise click.UsageError("Give either --org or --contact.")
    organisation = contact = None
    if organisation_slug is not None:
        organisation = directory.organisation_by_slug(organisation_slug)
    else:
        contact = contacts.contact_by_email(contact_email)
    rows = access.accesses(first_day=_parse_day(first_day), last_day=_parse_day(last_day),
                           timezone=desk_timezone(), organisation=organisation,
                           contact=contact)
    if as_json:
        click.echo(json.dumps([
            {"at": row.at.isoformat().replace("+00:00", "Z"), "staff": row.staff_name,
             "role": row.staff_role.value if row.staff_role else None, "action": row.action,
             "ticket": row.ticket_number} for row in rows], indent=2))
        return
    for row in rows:
        who = f"{row.staff_name} ({row.staff_role.value})" if row.staff_name else "command line"
        ticket = f"#{row.ticket_number}" if row.ticket_number else ""
        click.echo(f"{row.at.isoformat(timespec='seconds')}  {who}  {row.action}  {ticket}"
                   .rstrip())
    click.echo(f"{len(rows)} reads")

# --- end of privacy access-report ---


@bp.cli.group("audit")
def audit_group():
    """The audit trail."""


@audit_group.command("verify")
@one_line_errors
def audit_verify():
    """Walk the audit trail's hash chain; exit 1 at the first broken link."""
    verdict = audit_chain.verify()
    if verdict.intact:
        click.echo(f"{verdict.entries} entries, chain intact")
        return
    where = f"entry {verdict.broken_at}" if verdict.broken_at else "the chain's head"
    raise click.ClickException(
        f"chain broken at {where} after {verdict.entries} good entries: {verdict.problem}")


def _require_yes(yes: bool) -> None:
    if not yes:
        raise Refusal("Erasure cannot be undone; add --yes to erase.")


def _echo_certificate(certificate) -> None:
    click.echo(json.dumps({
        "certificate": certificate.id, "subject_kind": certificate.subject_kind,
        "pseudonym": certificate.pseudonym,
        "erased_at": certificate.erased_at.isoformat().replace("+00:00", "Z"),
        "instructed_by": certificate.instructed_by, "reason": certificate.reason,
        "counts": certificate.counts, "digest": certificate.digest}, indent=2))


@privacy_group.command("erase-contact")
@click.argument("email")
@click.option("--yes", is_flag=True, help="Erase: this cannot be undone.")
@one_line_errors
def privacy_erase_contact(email: str, yes: bool):
    """Erase one person's personal data and print the certificate."""
    _require_yes(yes)
    _echo_certificate(erase.erase_contact(email, _now()))


@privacy_group.command("erase-org")
@click.argument("slug")
@click.option("--yes", is_flag=True, help="Erase: this cannot be undone.")
@one_line_errors
def privacy_erase_org(slug: str, yes: bool):
    """Erase an ended organisation's personal data now and print the certificate."""
    _require_yes(yes)
    _echo_certificate(erase.erase_organisation(slug, _now()))


@privacy_group.command("retention")
@click.option("--dry-run", is_flag=True, help="List what goes when; erase nothing.")
@one_line_errors
def privacy_retention(dry_run: bool):
    """Erase the ended organisations whose retention has passed (the worker's job, once)."""
    if dry_run:
        for due in retention.schedule():
            click.echo(f"{due.slug}\tended {due.ended_at.isoformat()}"
                       f"\terased {due.erased_at.isoformat()}")
        return
    click.echo(retention.retention_job(_now()) or "Nothing is due.")


@bp.cli.command("ingest")
@click.option("--once", is_flag=True, help="Process what is in the mailbox now, then exit.")
@one_line_errors
def ingest_command(once: bool):
    """Fetch mail from the IMAP mailbox into tickets (IDLE or polling until stopped)."""
    if once:
        report = ingest.ingest_once(_now())
        if report.busy:
            raise TemporaryFailure(report.summary())
        click.echo(report.summary())
        return
    stop = _stop_on_signals()
    click.echo("Ingesting mail until stopped (Ctrl-C).", err=True)
    ingest.ingest_forever(stop, clock=_now)


@bp.cli.command("mail-in")
@click.option("--host", default=None, help="Listen on this address (HELPDESK_MAIL_IN_HOST).")
@click.option("--port", type=click.IntRange(min=1, max=65535), default=None,
              help="Listen on this port (HELPDESK_MAIL_IN_PORT).")
@one_line_errors
def mail_in_command(host: str | None, port: int | None):
    """Take mail pushed by your mail server (SMTP or LMTP) into tickets until stopped."""
    logs.configure(current_app.config["LOG_FORMAT"], logging.INFO)
    stop = _stop_on_signals()
    mail_in.serve(stop, _now, host=host, port=port, on_listening=lambda server: _tell_operator(
        f"Mail in: {server.settings.describe()}; stop it with Ctrl-C."))


@bp.cli.command("held")
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of a table.")
@one_line_errors
def held_command(as_json: bool):
    """List held (not ticketed) messages with their reasons."""
    held = db.session.scalars(
        sa.select(HeldMessage).where(HeldMessage.resolved_at.is_(None))
        .order_by(HeldMessage.received_at)
    ).all()
    rows = [{"id": h.id, "received_at": h.received_at.isoformat(), "sender": h.sender,
             "subject": h.subject, "reason": h.reason.value, "detail": h.detail,
             "message_id": h.message_id} for h in held]
    if as_json:
        click.echo(json.dumps(rows, indent=2, ensure_ascii=False))
        return
    if not rows:
        click.echo("No held messages.")
    for row in rows:
        click.echo(f"{row['id']:>6}  {row['received_at'][:16]}  {row['reason']:<28} "
                   f"{row['sender'] or '-':<32} {row['subject']}")


@bp.cli.command("health")
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of lines.")
@one_line_errors
def health_command(as_json: bool):
    """How the desk runs: mail, outbox, jobs, backup, certificates; exit 1 if something is wrong."""
    status = desk_status(_now())
    if as_json:
        click.echo(json.dumps(status.as_json(), indent=2, ensure_ascii=False))
    else:
        for line in _health_lines(status):
            click.echo(line)
        for problem in status.problems:
            click.echo(f"problem: {problem}")
        click.echo("all is well" if status.ok else f"{len(status.problems)} problem(s)")
    if not status.ok:
        sys.exit(1)


def _health_lines(status: DeskStatus) -> list[str]:
    def moment(at: datetime | None) -> str:
        return f"{at:%Y-%m-%d %H:%M:%S} UTC" if at else "never"

    mail, outbox, backup = status.mail, status.outbox, status.backup
    lines = [f"mail: {mail.mailbox}, last good pass {moment(mail.last_success_at)}, "
             f"{mail.waiting_on_server if mail.waiting_on_server is not None else 'unknown'} "
             f"waiting on the server, {mail.failing} failing" if mail.mailbox else
             "mail: no IMAP mailbox configured",
             f"mail: last received {moment(mail.last_received_at)}; {mail.held_waiting} held "
             f"awaiting a decision ({mail.held_unreadable} unreadable)",
             f"outbox: {outbox.waiting} waiting (oldest since {moment(outbox.oldest_waiting_at)}), "
             f"{outbox.failed} failed, {outbox.held_back} held back"]
    for job in status.jobs:
        runner = f"run by {job.holder}" if job.live else "no worker"
        duration = f"{job.last_duration_ms} ms" if job.last_duration_ms is not None else "-"
        lines.append(f"job {job.job}: {runner}, last success {moment(job.last_succeeded_at)}, "
                     f"last pass {duration}, {job.runs} runs, {job.failures} failed")
    lines.append(f"backup: last verified {moment(backup.last_verified_at)}")
    for certificate in status.certificates:
        lines.append(f"certificate {certificate.setting}: {certificate.path}, valid until "
                     f"{moment(certificate.expires_at)}")
    return lines


@bp.cli.command("worker")
@click.option("--once", is_flag=True, help="Run one pass of every job and exit.")
@click.option("--jobs", "only", default="", metavar="NAME,...",
              help="Run only these jobs (e.g. on a machine of their own).")
@click.option("--skip", default="", metavar="NAME,...", help="Run every job but these.")
@one_line_errors
def worker_command(once: bool, only: str, skip: str):
    """Run the periodic jobs (SLA sweep, calendar recompute, ...) until stopped."""
    chosen = jobs.chosen(_names(only), _names(skip))
    # One pass prints its own summary; a running worker logs each pass.
    logs.configure(current_app.config["LOG_FORMAT"], logging.WARNING if once else logging.INFO)
    if once:
        tracker = OutageTracker(logging.getLogger("helpdesk.jobs"))
        results = jobs.run_once(chosen, tracker=tracker)
        for name, summary in results:
            click.echo(f"{name}: {'failed, see the log' if summary is None else summary}")
        failed = [name for name, summary in results if summary is None]
        if failed:
            sys.exit(EX_TEMPFAIL if all(tracker.is_down(name) for name in failed) else 1)
        return
    stop = _stop_on_signals()
    _tell_operator(mail_in.mail_in_summary(current_app.config))
    _tell_operator(route.mail_out_line())
    _tell_operator(f"Worker running {', '.join(job.name for job in chosen)}; stop it with "
                   "Ctrl-C.")
    jobs.run_forever(stop, chosen)


def _names(text: str) -> list[str]:
    return [name.strip() for name in text.split(",") if name.strip()]


def _stop_on_signals() -> threading.Event:
    """An event set soon after SIGTERM or SIGINT.

    The handler only notes the signal; a thread of its own sets the event. A handler that
    set it itself would take the event's lock in the main thread, which may hold that lock
    already (waiting on the event), or be inside the handler of a first signal (make run's
    Ctrl-C is followed by its trap's SIGTERM): it would wait for itself forever.
    """
    stop, received = threading.Event(), []
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda signum, _frame: received.append(signum))

    def relay() -> None:
        while not received:
            time.sleep(0.1)
        stop.set()

    threading.Thread(target=relay, name="signals", daemon=True).start()
    return stop


def _tell_operator(line: str) -> None:
    """What a service says as it starts: a plain line, or a log record when the log is JSON
    lines, so that every line a service writes parses."""
    if current_app.config["LOG_FORMAT"] == "json":
        log.info("%s", line)
    else:
        click.echo(line, err=True)


@bp.cli.group("sla")
def sla_group():
    """The response promise: due moments and escalation."""


@sla_group.command("due")
@click.argument("received")
@click.option("--category", default=Category.QUESTION.value, show_default=True,
              help="bug, outage, wish, configuration, question or calamity.")
@one_line_errors
def sla_due(received: str, category: str):
    """Print the response due moment for a message received at RECEIVED (ISO 8601)."""
    received_at = _parse_moment(received)
    try:
        category = Category(category.strip().lower())
    except ValueError:
        names = ", ".join(c.value for c in Category)
        raise Refusal("Unknown category %(category)r; use one of %(names)s.", category=category,
                      names=names) from None
    calendar = configured_calendar()
    due = response_due_at(received_at, category, calendar, configured_policy())
    click.echo(due.astimezone(ZoneInfo(calendar.timezone)).isoformat())


def _parse_moment(text: str) -> datetime:
    try:
        moment = datetime.fromisoformat(text.strip())
    except ValueError:
        raise Refusal("%(text)r is not an ISO 8601 moment.", text=text) from None
    if moment.utcoffset() is None:
        raise Refusal("Give %(text)r with an offset or Z, e.g. 2026-11-30T10:00:00+01:00.",
                      text=text)
    return moment


@sla_group.command("sweep")
@one_line_errors
def sla_sweep():
    """Escalate the tickets whose due-soon or due moment has passed, batch by batch, to the end."""
    result = sweep.sweep(_now())
    click.echo(result)
    while result.more:
        result = sweep.sweep(_now())
        click.echo(result)


@sla_group.command("recompute")
@one_line_errors
def sla_recompute():
    """Recompute open tickets' due moments after a settings change, to the end."""
    click.echo(recompute.run_pending(_now(), max_batches=None))


@bp.cli.group("stats")
def stats_group():
    """Manager statistics."""


@stats_group.command("rollup")
@one_line_errors
def stats_rollup_command():
    """Roll up the statistics of settled days (one pass of the job, to the end)."""
    click.echo(f"Rolled up {rollup.refresh_job(_now(), max_rolls=None).days} days.")


@bp.cli.group("outbox")
def outbox_group():
    """Outgoing mail."""


@outbox_group.command("send")
@click.option("--limit", type=click.IntRange(min=1, max=MAX_ID), default=200, show_default=True,
              help="Send at most this many mails in this run.")
@one_line_errors
def outbox_send(limit: int):
    """Send the mail that is due now; retry, fail or hold back what cannot go."""
    report = sender.send_due_mail(_now(), limit=limit)
    counts = (f"sent {report.sent}, to retry {report.retrying}, failed {report.failed}, "
              f"held back {report.held_back}")
    if report.connection_error:
        raise Unavailable(SMTP_SERVER, f"{report.connection_error} ({counts})")
    click.echo(f"{counts.capitalize()}.")


@bp.cli.group("links")
def links_group():
    """Sign-in and password-reset links for the portal."""


@links_group.command("send")
def links_send():
    """Answer the queued requests for links (one pass of the job): mail registered super-users."""
    click.echo(f"Links mailed: {link_mail.answer_link_requests(_now())}.")


@bp.cli.group("mail")
def mail_group():
    """Mail handed to the desk whole: imported from files, or a demo mail to its intake."""


@mail_group.command("import")
@click.argument("files", nargs=-1, required=True, type=click.Path())
@click.option("--tell-customers/--tell-no-customers", default=True, show_default=True,
              help="Acknowledge new tickets and tell contacts who are not super-users, as for "
                   "mail that arrives; --tell-no-customers for a move from another desk.")
@one_line_errors
def mail_import_command(files: tuple[str, ...], tell_customers: bool):
    """Deliver the mails of .eml and mbox FILES as if they had arrived; each mail once."""
    def show(report: mail_import.FileReport) -> None:
        click.echo(f"{report.path}: {report.summary()}")
        for failure in report.failures:
            click.echo(f"{report.path}: {failure}", err=True)

    reports = mail_import.import_files(list(files), _now(), report=show,
                                       tell_customers=tell_customers)
    total = mail_import.FileReport("total", sum((r.outcomes for r in reports), Counter()))
    failed = sum(len(r.failures) for r in reports)
    click.echo(f"Total: {total.summary()}, {failed} failed.")
    if failed:
        sys.exit(1)


@mail_group.command("send-demo")
@click.option("--from", "sender", required=True, help="The sender, e.g. a demo super-user.")
@click.option("--subject", required=True)
@click.option("--body", default="Hello,\n\nThis is a demo mail.\n", show_default=False,
              help="The text of the mail (a short greeting when left out).")
@click.option("--to", default=None, help="The recipient; the desk's own address when left out.")
@one_line_errors
def mail_send_demo(sender: str, subject: str, body: str, to: str | None):
    """Write to the desk as a customer would: a plain mail to its SMTP intake (MAIL_IN_PORT)."""
    message_id = demo_send.send_demo_mail(sender=sender, subject=subject, body=body, to=to,
                                          now=_now())
    click.echo(f"Sent <{message_id}> to the desk's intake.")
