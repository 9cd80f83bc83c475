"""Mail pushed by the desk's mail server (`flask mail-in`, the worker): 250 once it is committed.

Each mail goes through `deliver`, the one path for mail handed over whole, so it is kept,
routed and acknowledged as IMAP mail is, with its receipt. The reply waits for the commit: a
crash before it leaves the sending server to retry, and a retry after it is a duplicate. Mail
is delivered in one thread, one at a time (SQLite has one writer), and parsed in a worker
process with time and memory limits, so no message can hang or kill the intake.
"""
from __future__ import annotations

import asyncio
import errno
import ipaddress
import logging
import os
import threading
from collections.abc import Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack
from datetime import datetime

from flask import Flask, current_app

from helpdesk.adapters.mail_in import MailInSettings, tls_context
from helpdesk.adapters.mail_in_server import MailInServer
from helpdesk.extensions import db
from helpdesk.outages import OutageTracker, Unavailable
from helpdesk.services import Refusal
from helpdesk.services.intake.delivered import INFRASTRUCTURE_ERRORS, MailTooLarge, deliver
from helpdesk.services.intake.inbound_mail import MailSource, Result
from helpdesk.services.intake.parse_ahead import AheadParser, Parsed, Unparsed, ahead_parser
from helpdesk.services.intake.routing import sender_auth_mode
from helpdesk.services.mail_out.outbox import desk_address, desk_domain

log = logging.getLogger(__name__)

TASK = "mail in"
TOO_LARGE = "552 5.3.4 The mail is larger than this desk takes"
NO_STORAGE = "452 4.3.1 The desk is out of storage; try again later"
TRY_LATER = "451 4.3.0 The desk cannot store mail now; try again later"
PARSER_DIED = "the parsing worker died or did not answer while parsing it"
PARSER_START_SECONDS = 60
NO_PARSER = Unavailable("parsing worker", "no process can be started; mail is refused for later")


def mail_in_settings(host: str | None = None, port: int | None = None) -> MailInSettings:
    """The intake's settings, checked; `host` and `port` override the configured ones."""
    config = current_app.config
    port = config["MAIL_IN_PORT"] if port is None else port
    if not port:
        raise Refusal("Mail in has no port: set HELPDESK_MAIL_IN_PORT or pass --port.")
    cert, key = config["MAIL_IN_TLS_CERT"], config["MAIL_IN_TLS_KEY"]
    if bool(cert) != bool(key):
        raise Refusal("STARTTLS needs both HELPDESK_MAIL_IN_TLS_CERT and "
                      "HELPDESK_MAIL_IN_TLS_KEY.")
    try:
        tls = tls_context(cert, key) if cert else None
    except (OSError, ValueError) as error:  # ssl.SSLError is an OSError
        raise Refusal("The STARTTLS certificate or key cannot be used: %(error)s",
                      error=str(error)) from None
    addresses = desk_addresses(config)
    if not addresses:
        raise Refusal("HELPDESK_MAIL_IN_ADDRESSES is empty: mail in would refuse all mail.")
    try:
        clients = tuple(ipaddress.ip_network(network, strict=False)
                        for network in config["MAIL_IN_CLIENTS"])
    except ValueError as error:
        raise Refusal("HELPDESK_MAIL_IN_CLIENTS must list networks: %(error)s",
                      error=str(error)) from None
    sender_auth_mode()  # a bad setting stops the start, not every mail
    return MailInSettings(
        host=host or config["MAIL_IN_HOST"], port=port, protocol=config["MAIL_IN_PROTOCOL"],
        addresses=addresses, clients=clients, max_message_bytes=config["MAX_MESSAGE_BYTES"],
        hostname=desk_domain(), tls=tls)


def desk_addresses(config: Mapping) -> frozenset[str]:
    """The addresses the intake takes mail for: as set, else the desk's own and its calamity
    addresses."""
    configured = config["MAIL_IN_ADDRESSES"]
    if configured is None:
        configured = (desk_address(), *config["CALAMITY_ADDRESSES"])
    return frozenset(address.strip().lower() for address in configured if address.strip())


def mail_in_summary(config: Mapping) -> str:
    """What brings mail in, in one line, e.g. "mail in: SMTP on 127.0.0.1:2525"."""
    ways = []
    if config["MAIL_IN_PORT"]:
        host = config["MAIL_IN_HOST"]
        host = f"[{host}]" if ":" in host else host
        tls = " (STARTTLS)" if config["MAIL_IN_TLS_CERT"] and config["MAIL_IN_TLS_KEY"] else ""
        ways.append(f"{config['MAIL_IN_PROTOCOL'].upper()} on {host}:"
                    f"{config['MAIL_IN_PORT']}{tls}")
    if config["IMAP_USER"]:
        ways.append(f"IMAP {config['IMAP_USER']}@{config['IMAP_HOST']}:{config['IMAP_PORT']} "
                    f"{config['IMAP_FOLDER']}")
    return "mail in: " + ("; ".join(ways)
                          or "none (set HELPDESK_IMAP_USER or HELPDESK_MAIL_IN_PORT)")


def serve(stop: threading.Event, clock: Callable[[], datetime], *, host: str | None = None,
          port: int | None = None, tracker: OutageTracker | None = None,
          on_listening: Callable[[MailInServer], None] | None = None) -> None:
    """Take mail until `stop` is set; a port that cannot be had is a Refusal, at once."""
    settings = mail_in_settings(host, port)
    intake = Intake(current_app._get_current_object(), settings.protocol, clock,
                    tracker or OutageTracker(log))
    try:
        server = MailInServer(settings, intake.deliver)
    except OSError as error:
        raise Refusal("Mail in cannot listen on %(address)s: %(error)s",
                      address=settings.describe(),
                      error=os.strerror(error.errno) if error.errno else str(error)) from None
    with intake:
        if on_listening is not None:
            on_listening(server)
        server.serve(stop)


def mail_in_job(now: datetime) -> str:
    """`flask worker --once`: nothing to do in one pass (the intake answers as mail comes)."""
    return ""


def mail_in_job_forever(stop: threading.Event, clock: Callable[[], datetime],
                        tracker: OutageTracker | None = None) -> None:
    """The worker's intake beside its other jobs, when HELPDESK_MAIL_IN_PORT is set; started
    again, with backoff, whatever stopped it, until the worker stops."""
    if not current_app.config["MAIL_IN_PORT"]:
        return
    tracker = tracker or OutageTracker(log)
    while not stop.is_set():
        try:
            serve(stop, clock, tracker=tracker)
        except Refusal as error:  # a port in use may come free: said, and tried again
            log.error("%s", error)
            stop.wait(60)
        except Exception as error:  # the intake outlives any one failure
            db.session.rollback()
            tracker.failed(TASK, error, clock())
            stop.wait(tracker.delay_seconds(TASK))


class Intake:
    """The server's callback: each mail parsed, then delivered in the one delivery thread."""

    def __init__(self, app: Flask, protocol: str, clock: Callable[[], datetime],
                 tracker: OutageTracker):
        self.app, self.clock, self.tracker = app, clock, tracker
        self.source = MailSource(protocol)
        self.thread = ThreadPoolExecutor(1, thread_name_prefix="mail-in")  # its thread: lazily
        self.parsing: _Parsing | None = None

    def __enter__(self) -> Intake:
        self.parsing = _Parsing(self.app.config)  # the worker process starts now
        return self

    def __exit__(self, *exc_info) -> None:
        self.thread.shutdown(wait=True)
        self.parsing.close()

    async def deliver(self, raw: bytes, mail_from: str) -> str:
        """The reply to DATA, once the mail is committed (or known not to be)."""
        return await asyncio.get_running_loop().run_in_executor(
            self.thread, self.deliver_now, raw, mail_from)

    def deliver_now(self, raw: bytes, mail_from: str) -> str:
        """Parse and deliver one mail (in the delivery thread); the reply, logged."""
        with self.app.app_context():
            reply = self._delivered(raw)
        log.info("%s: %s bytes from <%s>: %s", self.source.mailbox, len(raw),
                 "" if mail_from == "<>" else mail_from, reply)
        return reply

    def _delivered(self, raw: bytes) -> str:
        parsed = self.parsing.parse(raw)
        if parsed is None:
            self.tracker.failed(TASK, NO_PARSER, self.clock())  # said once, and when back
            return TRY_LATER
        try:
            result = deliver(raw, now=self.clock(), source=self.source, parsed=parsed)
        except MailTooLarge:
            return TOO_LARGE
        except INFRASTRUCTURE_ERRORS as error:  # nothing committed: the sender tries again
            self.tracker.failed(TASK, error, self.clock())
            out_of_space = isinstance(error, OSError) and error.errno in (errno.ENOSPC,
                                                                          errno.EDQUOT)
            return NO_STORAGE if out_of_space else TRY_LATER
        except Exception as error:  # a fault of ours: the sender tries again, we see why
            self.tracker.failed(TASK, error, self.clock())
            return TRY_LATER
        self.tracker.succeeded(TASK, self.clock())
        return accepted(result)


def accepted(result: Result) -> str:
    """The 250 for a committed mail, saying what it became; a duplicate is accepted too."""
    return f"250 2.0.0 Ok: {result.outcome.value}"


class _Parsing:
    """The intake's parsing worker process, whatever INGEST_PARSE_WORKERS says (that is for
    IMAP backlogs): in the delivery thread no time limit works, so a bad mail would hang it."""

    def __init__(self, config: Mapping):
        self.config = config
        self.stack = ExitStack()
        self.parser: AheadParser | None = self._started()

    def _started(self) -> AheadParser | None:
        parser = self.stack.enter_context(ahead_parser(
            1, self.config["MAX_ATTACHMENT_BYTES"], self.config["INGEST_PARSE_SECONDS"],
            self.config["INGEST_PARSE_MEMORY_MB"]))
        # One that cannot start would look as if each mail killed it.
        return parser if parser.ready(PARSER_START_SECONDS) else None

    def parse(self, raw: bytes) -> Parsed | None:
        """What the worker made of the mail; None: no worker can be started now."""
        # A worker that died on this mail may have died of something else (the OOM killer
        # picks the largest process): a fresh one tries once more before the mail is held.
        for _ in range(2):
            if self.parser is None or not self.parser.working:
                self.close()
                self.parser = self._started()
                if self.parser is None:
                    return None
            parsing = self.parser.start({0: raw})
            parsed = self.parser.result(parsing) if parsing is not None else None
            if parsed is not None:
                return parsed[0]
            if self.parser.working:  # it answered with an error, and lives on: no retry
                break
        return Unparsed(PARSER_DIED)

    def close(self) -> None:
        self.stack.close()
        self.stack = ExitStack()
