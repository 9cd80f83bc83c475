"""The desk's figures for Prometheus, read from the database when scraped.

Counting rows rather than events in memory gives every web process the same answer, however
many processes and workers run; a counter here falls only when erasure removes rows, which
Prometheus reads as a reset. The desk's status (`status.py`) supplies the ages and the health.
"""
import bisect
from collections.abc import Iterator
from datetime import datetime, timedelta

import sqlalchemy as sa
from prometheus_client.core import (
    CounterMetricFamily,
    GaugeMetricFamily,
    HistogramMetricFamily,
    Metric,
)

from helpdesk.extensions import db
from helpdesk.models import (
    AWAITING_DESK_STATUSES,
    HeldMessage,
    HeldReason,
    MailReceipt,
    OutboxMessage,
    OutboxState,
    Ticket,
)
from helpdesk.services.operations.status import DeskStatus, desk_status

# A mail that went or was given up took one attempt that was not a retry.
_FINAL_STATES = (OutboxState.SENT, OutboxState.FAILED)


def desk_metrics(now: datetime) -> Iterator[Metric]:
    """Every metric family the desk reports from its database at `now`."""
    status = desk_status(now)
    yield from _mail(status)
    yield _ingestion_latency(now)
    yield from _outbox(status)
    yield from _sla(now)
    yield from _jobs(status)
    yield from _health(status)


def _mail(status: DeskStatus) -> Iterator[Metric]:
    yield CounterMetricFamily("helpdesk_mail_ingested", "Mails received and stored, held or not.",
                              value=db.session.scalar(sa.select(sa.func.count(MailReceipt.id))))
    held, waiting = dict.fromkeys(HeldReason, 0), dict.fromkeys(HeldReason, 0)
    for reason, count, unresolved in db.session.execute(
            sa.select(HeldMessage.reason, sa.func.count(),
                      sa.func.count().filter(HeldMessage.resolved_at.is_(None)))
            .group_by(HeldMessage.reason)):
        held[reason], waiting[reason] = count, unresolved
    total = CounterMetricFamily("helpdesk_mail_held", "Mails held instead of ticketed, by reason.",
                                labels=["reason"])
    open_ = GaugeMetricFamily("helpdesk_mail_held_waiting",
                              "Held mails awaiting an agent's decision, by reason.",
                              labels=["reason"])
    for reason in HeldReason:
        total.add_metric([reason.value], held[reason])
        open_.add_metric([reason.value], waiting[reason])
    yield total
    yield open_
    mail = status.mail
    if mail.waiting_on_server is not None:
        yield GaugeMetricFamily("helpdesk_mail_waiting_on_server",
                                "Mails the last pass left in the IMAP folder (retried).",
                                value=mail.waiting_on_server)
    if mail.last_success_age_seconds is not None:
        yield GaugeMetricFamily("helpdesk_mail_last_success_age_seconds",
                                "Since the last pass over the IMAP folder that ran through.",
                                value=mail.last_success_age_seconds)


# Seconds from a mail's arrival at the server (its INTERNALDATE, or when it was pushed) to the
# desk's storing it, over the mails stored in the last LATENCY_WINDOW.
LATENCY_BUCKETS = (1, 5, 15, 30, 60, 120, 300, 900, 3600)
LATENCY_WINDOW = timedelta(hours=1)
LATENCY_SAMPLE = 10_000  # the newest; a backlog larger than this is seen in its newest part


def _ingestion_latency(now: datetime) -> Metric:
    rows = db.session.execute(
        sa.select(MailReceipt.received_at, MailReceipt.stored_at)
        .where(MailReceipt.stored_at > now - LATENCY_WINDOW)
        .order_by(MailReceipt.stored_at.desc()).limit(LATENCY_SAMPLE)).all()
    latencies = sorted(max((stored - received).total_seconds(), 0.0) for received, stored in rows)
    buckets = [(str(bound), bisect.bisect_right(latencies, bound)) for bound in LATENCY_BUCKETS]
    return HistogramMetricFamily(
        "helpdesk_mail_ingestion_latency_seconds",
        "From a mail's arrival at the server to its storing, over the last hour's mail.",
        buckets=[*buckets, ("+Inf", len(latencies))], sum_value=sum(latencies))


def _outbox(status: DeskStatus) -> Iterator[Metric]:
    sent, failed, retries = db.session.execute(sa.select(
        sa.func.count().filter(OutboxMessage.state == OutboxState.SENT),
        sa.func.count().filter(OutboxMessage.state == OutboxState.FAILED),
        sa.func.coalesce(sa.func.sum(sa.case(
            (OutboxMessage.attempts < 1, 0),
            (OutboxMessage.state.in_(_FINAL_STATES), OutboxMessage.attempts - 1),
            else_=OutboxMessage.attempts)), 0))).one()
    yield CounterMetricFamily("helpdesk_outbox_sent", "Mails sent.", value=sent)
    yield CounterMetricFamily("helpdesk_outbox_failed", "Mails given up (failed for good).",
                              value=failed)
    yield CounterMetricFamily("helpdesk_outbox_retries", "Sending attempts that failed and were "
                              "followed by another.", value=retries)
    outbox = status.outbox
    yield GaugeMetricFamily("helpdesk_outbox_waiting", "Mails waiting to be sent.",
                            value=outbox.waiting)
    yield GaugeMetricFamily("helpdesk_outbox_oldest_waiting_age_seconds",
                            "How long the oldest mail waiting to be sent has waited.",
                            value=outbox.oldest_waiting_age_seconds or 0)


def _sla(now: datetime) -> Iterator[Metric]:
    """From the due moments stored on each ticket, answered by the (status, due) index."""
    owed = Ticket.status.in_(AWAITING_DESK_STATUSES)
    due_soon, breached = db.session.execute(sa.select(
        sa.func.count().filter(Ticket.due_soon_at <= now, Ticket.response_due_at > now),
        sa.func.count().filter(Ticket.response_due_at <= now)).where(owed)).one()
    yield GaugeMetricFamily("helpdesk_sla_due_soon", "Open tickets whose response is due soon.",
                            value=due_soon)
    yield GaugeMetricFamily("helpdesk_sla_breached", "Open tickets whose response is overdue.",
                            value=breached)


def _jobs(status: DeskStatus) -> Iterator[Metric]:
    duration = GaugeMetricFamily("helpdesk_job_last_duration_seconds",
                                 "How long each job's last pass took.", labels=["job"])
    runs = CounterMetricFamily("helpdesk_job_runs", "Passes of each job.", labels=["job"])
    failures = CounterMetricFamily("helpdesk_job_failures", "Failed passes of each job.",
                                   labels=["job"])
    live = GaugeMetricFamily("helpdesk_job_live", "1 while a worker holds the job's lease.",
                             labels=["job"])
    for job in status.jobs:
        if job.last_duration_ms is not None:
            duration.add_metric([job.job], job.last_duration_ms / 1000)
        runs.add_metric([job.job], job.runs)
        failures.add_metric([job.job], job.failures)
        live.add_metric([job.job], int(job.live))
    yield from (duration, runs, failures, live)


def _health(status: DeskStatus) -> Iterator[Metric]:
    if status.backup.age_seconds is not None:
        yield GaugeMetricFamily("helpdesk_backup_last_verified_age_seconds",
                                "Since the last verified backup's snapshot (what a restore loses).",
                                value=status.backup.age_seconds)
    expiry = GaugeMetricFamily("helpdesk_certificate_expiry_timestamp_seconds",
                               "When each configured certificate expires.", labels=["setting"])
    for certificate in status.certificates:
        if certificate.expires_at is not None:
            expiry.add_metric([certificate.setting], certificate.expires_at.timestamp())
    yield expiry
    yield GaugeMetricFamily("helpdesk_health_problems", "Problems `flask health` reports.",
                            value=len(status.problems))
