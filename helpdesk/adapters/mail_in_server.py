"""The SMTP or LMTP server a mail server pushes the desk's mail to (aiosmtpd); no database here.

RCPT takes the desk's addresses only (550) and only clients from the allowed networks get past
the greeting (554), at most `max_sessions` at once (421); with a certificate, a client off
loopback must STARTTLS before MAIL (530). SIZE is advertised (the desk's limit, less room for
the trace added) and a larger mail is refused at MAIL FROM or at the end of DATA (552). The
mail's bytes go to a callback and its answer is the reply to DATA, so the 250 can wait for the
commit: the client's timeout counts its own silence, not that wait. LMTP answers the end of
DATA once per recipient, whatever the answer (RFC 2033 4.2).
"""
from __future__ import annotations

import asyncio
import collections
import logging
import socket
import threading
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager

from aiosmtpd.lmtp import LMTP
from aiosmtpd.smtp import SMTP, syntax

from helpdesk.adapters.mail_in import (
    RETURN_PATH_ROOM,
    TRACE_ROOM,
    MailInSettings,
    delivered_to,
    with_trace,
)

log = logging.getLogger(__name__)

PROTOCOLS = {"smtp": SMTP, "lmtp": LMTP}
IDENT = "helpdesk mail in"
STOP_CHECK_SECONDS = 0.2
# Real mail has lines far over RFC 5321's 1,000 octets (HTML on one line) and the IMAP path
# takes them; a line over this is refused (500). A session buffers at most twice this.
LINE_LENGTH_LIMIT = 1024 * 1024

REFUSED_CLIENT = "554 5.7.1 This desk takes no mail from your address"
TOO_MANY_SESSIONS = "421 4.7.0 Too many connections to this desk; try again later"
NO_TLS = "530 5.7.0 Must issue a STARTTLS command first"
STOPPING = "421 4.3.2 This desk is shutting down; try again later"
BUSY = "451 4.3.2 This desk is busy; try again later"
FAULT = "451 4.3.0 The desk cannot take mail now; try again later"
TOO_MANY_RECIPIENTS = "452 4.5.3 Too many recipients; send the rest in another mail"

# The mail's bytes (with the trace a final delivery adds) and the envelope sender; the answer
# is the reply to DATA, e.g. "250 2.0.0 Ok".
Deliver = Callable[[bytes, str], Awaitable[str]]


class _Handler:
    """aiosmtpd's hooks, shared by the sessions: the desk's recipients only, each mail handed
    to `deliver`, and the counts that bound them."""

    def __init__(self, settings: MailInSettings, deliver: Deliver):
        self.settings = settings
        self.deliver = deliver
        self.sessions = 0
        self.delivering = 0  # mails handed over and not yet answered
        self.stopping = False

    @property
    def busy(self) -> bool:
        """As many mails wait for the delivery thread as may."""
        return self.delivering >= self.settings.max_queued

    async def handle_EHLO(self, server, session, envelope, hostname, responses):
        session.host_name = hostname  # this hook owns it when it is defined
        # No AUTH: a client is trusted by its network, never by a password.
        return [line for line in responses if not line.startswith("250-AUTH")]

    async def handle_MAIL(self, server, session, envelope, address, mail_options):
        if self.stopping:  # a client with mail after mail does not hold the shutdown up
            asyncio.get_running_loop().call_soon(server.transport.close)  # after the reply
            return STOPPING
        # Not aiosmtpd's require_starttls: it is for all clients, and refuses LMTP's LHLO.
        if session.ssl is None and self.settings.needs_starttls(session.peer):
            return NO_TLS
        envelope.mail_from = address
        envelope.mail_options.extend(mail_options)
        return "250 2.1.0 Ok"

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if not self.settings.accepts_recipient(address):
            log.info("mail in: refused recipient %r from %s", address, session.peer)
            return f"550 5.1.1 <{address}>: not an address of this desk"
        if len(delivered_to([*envelope.rcpt_tos, address])) > TRACE_ROOM - RETURN_PATH_ROOM:
            return TOO_MANY_RECIPIENTS  # its Delivered-To would not fit in the room kept
        envelope.rcpt_tos.append(address)
        envelope.rcpt_options.extend(rcpt_options)
        return "250 2.1.5 Ok"

    async def handle_DATA(self, server, session, envelope):
        if self.busy:  # filled up while this mail came in
            return BUSY
        self.delivering += 1
        try:
            with server.unhurried():
                return await self.deliver(
                    with_trace(envelope.mail_from, envelope.rcpt_tos, envelope.original_content),
                    envelope.mail_from)
        except Exception:  # answered here, so that LMTP answers it for each recipient
            log.exception("mail in: a mail from %s could not be handed over", session.peer)
            return FAULT
        finally:
            self.delivering -= 1


def _server_class(base: type[SMTP], settings: MailInSettings, handler: _Handler) -> type[SMTP]:
    lmtp = issubclass(base, LMTP)

    class Server(base):
        """One client's session, within the intake's bounds."""

        line_length_limit = LINE_LENGTH_LIMIT  # aiosmtpd's reader is made with it
        counted = False  # one of the sessions (else refused at the greeting)
        working = False  # the desk, not the client, is taking its time
        data_replies: int | None = None  # in DATA: replies its end gets
        data_started = False  # in DATA: the 354 is sent

        def __init__(self, *args, **kwargs):
            # aiosmtpd keeps these in a dict of the class, which each new session clears and
            # each EHLO raises: another client's connection shortened this one's MAIL FROM.
            self.command_size_limits = collections.defaultdict(lambda: SMTP.command_size_limit)
            super().__init__(*args, **kwargs)

        def connection_made(self, transport):
            # Called again with the TLS transport after STARTTLS: the peer was checked then.
            if self.transport is None:
                peer = transport.get_extra_info("peername")
                if not settings.accepts_client(peer):
                    log.warning("mail in: refused client %s", peer)
                    _refuse(transport, REFUSED_CLIENT)
                    return
                if handler.sessions >= settings.max_sessions:
                    log.warning("mail in: refused client %s: %s sessions open", peer,
                                handler.sessions)
                    _refuse(transport, TOO_MANY_SESSIONS)
                    return
                handler.sessions += 1
                self.counted = True
                # aiosmtpd writes a multi-line reply line by line: without this, each EHLO
                # waits for the client's delayed ACK (40 ms). asyncio sets it only on sockets
                # made with IPPROTO_TCP, which socket.create_server's are not.
                transport.get_extra_info("socket").setsockopt(
                    socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            super().connection_made(transport)

        def connection_lost(self, error):
            if self.counted:  # a refused client never had a session to end
                self.counted = False
                handler.sessions -= 1
                super().connection_lost(error)

        def data_received(self, data):
            # aiosmtpd restarts its timer at each command only, so the time a mail takes to
            # come in counted as silence; now the client's last bytes restart it.
            if self.counted and not self.working:
                self._reset_timeout()
            super().data_received(data)

        @contextmanager
        def unhurried(self) -> Iterator[None]:
            """No timeout while the desk delivers (aiosmtpd's timer runs from DATA on, and a
            backlog would close the connection without a reply: a retry storm)."""
            self.working = True
            self._timeout_handle.cancel()
            try:
                yield
            finally:
                self.working = False
                if self.transport is not None:  # not lost meanwhile
                    self._reset_timeout()

        @syntax("DATA")
        async def smtp_DATA(self, arg):
            if self.envelope.rcpt_tos and not arg and handler.busy:
                await self.push(BUSY)  # before the mail is sent, not after
                return
            self.data_replies = len(self.envelope.rcpt_tos) if lmtp else 1
            self.data_started = False
            try:
                await super().smtp_DATA(arg)
            finally:
                self.data_replies = None

        async def push(self, status):
            # aiosmtpd answers the end of DATA itself too (552, 500): each answer, for LMTP,
            # once per recipient.
            if self.data_replies is not None:
                if self.data_started:
                    status, self.data_replies = "\r\n".join([status] * self.data_replies), None
                else:
                    self.data_started = status.startswith("354")
            await super().push(status)

    return Server


def _refuse(transport, reply: str) -> None:
    transport.write(reply.encode() + b"\r\n")
    transport.close()


class MailInServer:
    """Listening from construction (a port in use fails there), serving until `stop` is set."""

    def __init__(self, settings: MailInSettings, deliver: Deliver):
        self.settings = settings
        self.handler = _Handler(settings, deliver)
        commands = logging.getLogger("mail.log")  # aiosmtpd's: each command at INFO
        if commands.level == logging.NOTSET:
            commands.setLevel(logging.WARNING)  # the intake logs one line per mail
        family = socket.AF_INET6 if ":" in settings.host else socket.AF_INET
        self.socket = socket.create_server((settings.host, settings.port), family=family)
        self.port = self.socket.getsockname()[1]
        self.size_limit = max(settings.max_message_bytes - TRACE_ROOM, 1)  # SIZE

    def serve(self, stop: threading.Event) -> None:
        """Answer clients until `stop` is set; mail being delivered then is answered first."""
        try:
            asyncio.run(self._serve(stop))
        finally:
            self.socket.close()

    async def _serve(self, stop: threading.Event) -> None:
        settings = self.settings
        server_class = _server_class(PROTOCOLS[settings.protocol], settings, self.handler)
        server = await asyncio.get_running_loop().create_server(
            lambda: server_class(self.handler, data_size_limit=self.size_limit,
                                 enable_SMTPUTF8=True, hostname=settings.hostname,
                                 ident=IDENT, tls_context=settings.tls,
                                 timeout=settings.timeout_seconds),
            sock=self.socket)
        while not stop.is_set():
            await asyncio.sleep(STOP_CHECK_SECONDS)
        self.handler.stopping = True  # no new mail on open connections (421)
        server.close()  # no new clients
        # A reply is written in the same step that ends its delivery: none is cut off.
        while self.handler.delivering:
            await asyncio.sleep(STOP_CHECK_SECONDS / 4)
        # Leaving asyncio.run cancels the open sessions, which closes their connections (not
        # `wait_closed`: from Python 3.12 it waits for idle clients to leave of their own accord).
