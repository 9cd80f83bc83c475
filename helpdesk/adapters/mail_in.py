"""The rules of the SMTP or LMTP intake (the server is in mail_in_server.py); no database here.

It never relays: only the desk's own addresses are recipients, and only clients from the
allowed networks are served. A mail gets the trace a final delivery adds (Return-Path, and a
Delivered-To per recipient, as Postfix's and Dovecot's delivery do), so mail to a calamity
address by Bcc or alias is known as such once it is parsed.
"""
from __future__ import annotations

import ipaddress
import ssl
from collections.abc import Iterable
from dataclasses import dataclass

Network = ipaddress.IPv4Network | ipaddress.IPv6Network

# Kept free of the size limit for the trace added to each mail, so a mail within the advertised
# SIZE is never over the desk's limit once the trace is on it: the Return-Path of the longest
# MAIL FROM aiosmtpd takes (a 512-byte command line, with SIZE and SMTPUTF8) and Delivered-To
# fields up to the rest (a recipient past it is told to come in another mail: 452).
RETURN_PATH_ROOM = 600
TRACE_ROOM = 4096
LONGEST_ADDRESS = 254  # RFC 5321 4.5.3.1.3, less the angle brackets
LOOPBACK: tuple[Network, ...] = (ipaddress.ip_network("127.0.0.0/8"),
                                 ipaddress.ip_network("::1/128"))
# Memory is bounded by the sessions (each holds at most one mail) and the mails waiting for
# the one delivery thread; a mail server keeps what is refused for later and tries again.
MAX_SESSIONS = 32
MAX_QUEUED = 8
TIMEOUT_SECONDS = 300  # of silence from a client (RFC 5321 4.5.3.2.7 asks for 5 minutes)


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
    plain_clients: tuple[Network, ...] = LOOPBACK  # may send mail without STARTTLS
    max_sessions: int = MAX_SESSIONS
    max_queued: int = MAX_QUEUED  # mails handed to the delivery thread and not yet answered
    timeout_seconds: float = TIMEOUT_SECONDS

    def describe(self) -> str:
        """E.g. "LMTP on 127.0.0.1:2525 (STARTTLS)"."""
        host = f"[{self.host}]" if ":" in self.host else self.host
        return (f"{self.protocol.upper()} on {host}:{self.port}"
                + (" (STARTTLS)" if self.tls is not None else ""))

    def accepts_recipient(self, address: str) -> bool:
        """One of the desk's addresses, in any case, or one with a +tag on its local part;
        nothing that would not fit, as it is, in the Delivered-To field it gets."""
        address = address.strip().lower()
        if len(address) > LONGEST_ADDRESS or any(c <= " " or c == "\x7f" for c in address):
            return False
        local, at, domain = address.rpartition("@")
        return address in self.addresses or (
            bool(at) and f"{local.split('+', 1)[0]}@{domain}" in self.addresses)

    def accepts_client(self, peer: object) -> bool:
        """A peer (as asyncio gives it) from one of the allowed networks."""
        return _within(peer, self.clients)

    def needs_starttls(self, peer: object) -> bool:
        """With a certificate, a client sends mail over TLS unless it is on loopback."""
        return self.tls is not None and not _within(peer, self.plain_clients)


def _within(peer: object, networks: tuple[Network, ...]) -> bool:
    try:
        ip = ipaddress.ip_address(peer[0].split("%", 1)[0])  # type: ignore[index]
    except (TypeError, IndexError, ValueError):
        return False  # not an IP peer (a Unix socket): never configured, never allowed
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped  # a dual-stack socket shows IPv4 clients this way
    return any(ip in network for network in networks)


def tls_context(cert_file: str, key_file: str) -> ssl.SSLContext:
    """The server side of STARTTLS; a bad file raises here, at start, not at a client's STARTTLS."""
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert_file, key_file)
    return context


def with_trace(mail_from: str, recipients: Iterable[str], raw: bytes) -> bytes:
    """The mail with the Return-Path a final delivery adds (RFC 5321 4.4; an empty one marks a
    bounce) and its Delivered-To fields."""
    sender = "" if mail_from == "<>" else mail_from
    return (b"Return-Path: <" + sender.encode("utf-8", "surrogateescape") + b">\r\n"
            + delivered_to(recipients) + raw)


def delivered_to(recipients: Iterable[str]) -> bytes:
    """One Delivered-To field per recipient, in a fixed order: a retry has the same bytes."""
    return b"".join(b"Delivered-To: " + address.encode("utf-8", "surrogateescape") + b"\r\n"
                    for address in sorted({a.strip().lower() for a in recipients}))
