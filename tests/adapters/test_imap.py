"""The IMAP session against a real Dovecot: TLS that fails closed, timeouts, UID bookkeeping."""
import socket
import threading
import time
from dataclasses import replace
from datetime import timedelta

import pytest

from helpdesk.adapters.imap import (
    ImapConfigError,
    ImapSettings,
    MailboxError,
    open_session,
)
from tests.fixtures.dovecot import PASSWORD, USER
from tests.fixtures.mail import RECEIVED_AT, make_mail
from tests.fixtures.tcp_proxy import FaultyProxy


@pytest.fixture
def settings(mailbox) -> ImapSettings:
    return ImapSettings(host="127.0.0.1", port=mailbox.server.port, user=USER, password=PASSWORD,
                        folder=mailbox.folder, security="none", timeout_seconds=5)


def test_ssl_connects_when_the_server_certificate_is_trusted(settings, dovecot):
    tls = replace(settings, port=dovecot.tls_port, security="ssl", ca_file=dovecot.ca_file)
    with open_session(tls) as session:
        assert session.select() > 0


def test_ssl_fails_closed_on_an_untrusted_certificate(settings, dovecot):
    untrusted = replace(settings, port=dovecot.tls_port, security="ssl")
    with pytest.raises(MailboxError, match="CERTIFICATE_VERIFY_FAILED"), open_session(untrusted):
        pass


def test_starttls_secures_the_connection_before_logging_in(settings, dovecot):
    proxy = FaultyProxy(dovecot.port)
    try:
        with open_session(replace(settings, port=proxy.port, security="starttls",
                                  ca_file=dovecot.ca_file)) as session:
            assert session.select() > 0
    finally:
        proxy.close()
    assert PASSWORD.encode() not in proxy.upstream  # the password went inside TLS


def test_starttls_stripped_by_a_man_in_the_middle_never_falls_back_to_plaintext(settings,
                                                                                dovecot):
    proxy = FaultyProxy(dovecot.port, rewrite=lambda data: data.replace(b" STARTTLS", b""))
    try:
        with pytest.raises(MailboxError, match="STARTTLS"), open_session(replace(
                settings, port=proxy.port, security="starttls", ca_file=dovecot.ca_file)):
            pass
    finally:
        proxy.close()
    assert b"LOGIN" not in proxy.upstream.upper() and PASSWORD.encode() not in proxy.upstream


def test_plaintext_is_allowed_for_loopback_only(settings):
    with pytest.raises(ImapConfigError, match="loopback"):
        replace(settings, host="192.0.2.10").check()
    replace(settings, host="[::1]").check()


def test_unknown_security_mode_is_refused(settings):
    with pytest.raises(ImapConfigError, match="ssl, starttls or none"):
        replace(settings, security="tls-if-possible").check()


def test_a_server_that_never_answers_times_out():
    silent = socket.create_server(("127.0.0.1", 0))
    port = silent.getsockname()[1]
    started = time.monotonic()
    try:
        with pytest.raises(MailboxError, match="timed out"), open_session(ImapSettings(
                host="127.0.0.1", port=port, user=USER, password=PASSWORD, security="none",
                timeout_seconds=0.5)):
            pass
    finally:
        silent.close()
    assert time.monotonic() - started < 3


def test_envelopes_after_a_position_give_size_and_arrival_in_uid_order(settings, mailbox):
    raws = [make_mail("a@customer.example", f"n{n}") for n in range(3)]
    uids = [mailbox.append(raw, RECEIVED_AT + timedelta(minutes=n)) for n, raw in enumerate(raws)]
    with open_session(settings) as session:
        session.select()
        envelopes = session.envelopes_after(uids[0])
        # "UID n:*" also answers with the last message when n is past it: never listed again.
        assert session.envelopes_after(uids[2]) == []
    assert [(e.uid, e.size, e.internal_date) for e in envelopes] == [
        (uids[1], len(raws[1]), RECEIVED_AT + timedelta(minutes=1)),
        (uids[2], len(raws[2]), RECEIVED_AT + timedelta(minutes=2))]


def test_fetching_leaves_the_seen_flag_alone_and_flagging_marks_processed(settings, mailbox):
    raw = make_mail("a@customer.example")
    uid = mailbox.append(raw, RECEIVED_AT)
    with open_session(settings) as session:
        session.select()
        assert session.fetch_raw([uid]) == {uid: raw}
        assert session.fetch_header(uid) == raw.split(b"\r\n\r\n")[0] + b"\r\n\r\n"
        session.mark_processed([uid])
        flags = session.client.get_flags([uid])[uid]
    assert b"\\Seen" not in flags and b"\\Flagged" in flags


def test_processed_mail_is_moved_even_without_the_move_capability(settings, mailbox,
                                                                  monkeypatch):
    uid = mailbox.append(make_mail("a@customer.example"), RECEIVED_AT)
    moving = replace(settings, processed_folder=mailbox.processed_folder)
    with open_session(moving) as session:
        session.select()
        real = session.client.has_capability
        monkeypatch.setattr(session.client, "has_capability",
                            lambda name: name.upper() != "MOVE" and real(name))
        session.mark_processed([uid])
    assert mailbox.uids() == [] and len(mailbox.uids(mailbox.processed_folder)) == 1


def test_idle_returns_soon_after_new_mail_and_otherwise_after_its_time(settings, mailbox):
    with open_session(settings) as session:
        session.select()
        started = time.monotonic()
        assert session.idle(0.5, stop=lambda: False) is False
        assert 0.4 < time.monotonic() - started < 3
        # Mail that arrives while idling is reported by the server...
        threading.Timer(0.5, mailbox.append, [make_mail("a@customer.example")]).start()
        started = time.monotonic()
        assert session.idle(20, stop=lambda: False) is True
        assert time.monotonic() - started < 5
        # ...and mail that arrived between commands is found before idling at all.
        mailbox.append(make_mail("b@customer.example"))
        started = time.monotonic()
        assert session.idle(20, stop=lambda: False) is True
        assert time.monotonic() - started < 2
        assert session.idle(20, stop=lambda: True) is False  # a stop request ends it at once


def test_session_reports_a_dropped_connection_as_a_mailbox_error(settings, mailbox):
    with open_session(settings) as session:
        session.select()
        mailbox.server.kick()
        with pytest.raises(MailboxError):
            session.envelopes_after(0)

