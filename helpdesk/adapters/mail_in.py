"""The SMTP or LMTP server a mail server pushes the desk's mail to (aiosmtpd); no database here.

It never relays: RCPT accepts the desk's own addresses only (550 for any other), and only
clients from the allowed networks get past the greeting (554). SIZE is advertised (the desk's
limit, less room for the Return-Path added) and a larger mail is refused at MAIL FROM or at the
end of DATA (552). The mail's bytes go to a callback and its answer is the reply to DATA, so
the 250 can wait for the commit.
"""
from __future__ import annotations

import asyncio
import ipaddress
import logging
import socket
import ssl
import threading
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from aiosmtpd.lmtp import LMTP
from aiosmtpd.smtp import SMTP

log = logging.getLogger(__name__)

PROTOCOLS = {"smtp": SMTP, "lmtp": LMTP}
# Kept free of the size limit for the Return-Path added to each mail: the longest MAIL FROM
# aiosmtpd takes (a 512-byte command line, with SIZE and SMTPUTF8) fits, so a mail within the
# advertised SIZE is never over the desk's limit once the Return-Path is on it.
RETURN_PATH_ROOM = 600
IDENT = "helpdesk mail in"
STOP_CHECK_SECONDS = 0.2

# The mail's bytes (with the Return-Path a final delivery adds) and the envelope sender; the
# answer is the reply to DATA, e.g. "250 2.0.0 Ok".
Deliver = Callable[[bytes, str], Awaitable[str]]
Network = ipaddress.IPv4Network | ipaddress.IPv6Network


@dataclass(frozen=True)
class MailInSettings:
    """Where the intake listens, what it accepts and from whom."""

    host: str
    port: int
    protocol: str  # "smtp" or "lmtp"
    addresses: frozenset[str]  # lower case
    clients: tuple[Network, ...]
    max_message_bytes: int
    hostname: str  # named in the greeting and the EHLO reply
    tls: ssl.SSLContext | None = None

    def describe(self) -> str:
        """E.g. "LMTP on 127.0.0.1:2525 (STARTTLS)"."""
        host = f"[{self.host}]" if ":" in self.host else self.host
        return (f"{self.protocol.upper()} on {host}:{self.port}"
                + (" (STARTTLS)" if self.tls is not None else ""))

    def accepts_recipient(self, address: str) -> bool:
        """One of the desk's addresses, in any case, or one with a +tag on its local part."""
        address = address.strip().lower()
        local, at, domain = address.rpartition("@")
        return address in self.addresses or (
            bool(at) and f"{local.split('+', 1)[0]}@{domain}" in self.addresses)

    def accepts_client(self, peer: object) -> bool:
        """A peer (as asyncio gives it) from one of the allowed networks."""
        try:
            ip = ipaddress.ip_address(peer[0].split("%", 1)[0])  # type: ignore[index]
        except (TypeError, IndexError, ValueError):
            return False  # not an IP peer (a Unix socket): never configured, never allowed
        if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
            ip = ip.ipv4_mapped  # a dual-stack socket shows IPv4 clients this way
        return any(ip in network for network in self.clients)


def tls_context(cert_file: str, key_file: str) -> ssl.SSLContext:
    """The server side of STARTTLS; a bad file raises here, at start, not at a client's STARTTLS."""
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert_file, key_file)
    return context


def with_return_path(mail_from: str, raw: bytes) -> bytes:
    """The Return-Path a final delivery adds (RFC 5321 4.4): an empty one marks a bounce."""
    sender = "" if mail_from == "<>" else mail_from
    return b"Return-Path: <" + sender.encode("utf-8", "surrogateescape") + b">\r\n" + raw


class _Handler:
    """aiosmtpd's hooks: the desk's recipients only, and the mail handed to `deliver`."""

    def __init__(self, settings: MailInSettings, deliver: Deliver):
        self.settings = settings
        self.deliver = deliver
        self.delivering = 0  # mails handed over and not yet answered

    async def handle_EHLO(self, server, session, envelope, hostname, responses):
        session.host_name = hostname  # this hook owns it when it is defined
        # No AUTH: a client is trusted by its network, never by a password.
        return [line for line in responses if not line.startswith("250-AUTH")]

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if not self.settings.accepts_recipient(address):
            log.info("mail in: refused recipient %s from %s", address, session.peer)
            return f"550 5.1.1 <{address}>: not an address of this desk"
        envelope.rcpt_tos.append(address)
        envelope.rcpt_options.extend(rcpt_options)
        return "250 2.1.5 Ok"

    async def handle_DATA(self, server, session, envelope):
        self.delivering += 1
        try:
            reply = await self.deliver(
                with_return_path(envelope.mail_from, envelope.original_content),
                envelope.mail_from)
        finally:
            self.delivering -= 1
        if self.settings.protocol == "lmtp":
            # RFC 2033: one reply per accepted recipient; the one mail was delivered once.
            return "\r\n".join([reply] * len(envelope.rcpt_tos))
        return reply


def _server_class(base: type[SMTP], settings: MailInSettings) -> type[SMTP]:
    class Server(base):
        """Refuses a client outside the allowed networks at its greeting (554), then hangs up."""

        refused = False

        def connection_made(self, transport):
            # Called again with the TLS transport after STARTTLS: the peer was checked then.
            if self.transport is None:
                if not settings.accepts_client(transport.get_extra_info("peername")):
                    log.warning("mail in: refused client %s",
                                transport.get_extra_info("peername"))
                    self.refused = True
                    transport.write(b"554 5.7.1 This desk takes no mail from your address\r\n")
                    transport.close()
                    return
                # aiosmtpd writes a multi-line reply line by line: without this, each EHLO
                # waits for the client's delayed ACK (40 ms). asyncio sets it only on sockets
                # made with IPPROTO_TCP, which socket.create_server's are not.
                transport.get_extra_info("socket").setsockopt(
                    socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            super().connection_made(transport)

        def connection_lost(self, error):
            if not self.refused:  # a refused client never had a session to end
                super().connection_lost(error)

    return Server


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
        self.size_limit = max(settings.max_message_bytes - RETURN_PATH_ROOM, 1)  # SIZE

    def serve(self, stop: threading.Event) -> None:
        """Answer clients until `stop` is set; mail being delivered then is answered first."""
        try:
            asyncio.run(self._serve(stop))
        finally:
            self.socket.close()

    async def _serve(self, stop: threading.Event) -> None:
        server_class = _server_class(PROTOCOLS[self.settings.protocol], self.settings)
        server = await asyncio.get_running_loop().create_server(
            lambda: server_class(self.handler, data_size_limit=self.size_limit,
                                 enable_SMTPUTF8=True, hostname=self.settings.hostname,
                                 ident=IDENT, tls_context=self.settings.tls),
            sock=self.socket)
        while not stop.is_set():
            await asyncio.sleep(STOP_CHECK_SECONDS)
        server.close()  # no new clients
        # A reply is written in the same step that ends its delivery: none is cut off.
        while self.handler.delivering:
            await asyncio.sleep(STOP_CHECK_SECONDS / 4)
        # Leaving asyncio.run cancels the open sessions, which closes their connections (not
        # `wait_closed`: from Python 3.12 it waits for idle clients to leave of their own accord).
