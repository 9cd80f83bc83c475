"""The intake's server with a callback of the test's: its bounds, its timeout, its replies."""
import asyncio
import smtplib
import socket
import ssl
import threading
import time

import pytest

from helpdesk.adapters.mail_in import TRACE_ROOM, tls_context
from helpdesk.adapters.mail_in_server import MailInServer
from tests.adapters.test_mail_in import settings

DESK = "support@desk.example"
MAIL = b"From: ann@customer.example\r\nSubject: Export fails\r\n\r\nIt breaks.\r\n"


class Deliveries:
    """The callback: each mail kept; each answer waits while `held` is set."""

    def __init__(self, seconds: float = 0):
        self.seconds = seconds
        self.mails: list[bytes] = []
        self.held = threading.Event()
        self.started = threading.Event()  # a delivery is under way

    async def __call__(self, raw: bytes, mail_from: str) -> str:
        self.started.set()
        await asyncio.sleep(self.seconds)
        while self.held.is_set():
            await asyncio.sleep(0.01)
        self.mails.append(raw)
        return "250 2.0.0 Ok"


@pytest.fixture
def start_server():
    running = []

    def start(deliveries: Deliveries | None = None, **overrides) -> tuple[int, Deliveries]:
        deliveries = deliveries or Deliveries()
        overrides = {"port": 0, "max_message_bytes": 100_000, **overrides}
        server = MailInServer(settings(**overrides), deliveries)  # listening now
        stop = threading.Event()
        thread = threading.Thread(target=server.serve, args=(stop,), daemon=True)
        thread.start()
        running.append((stop, thread))
        return server.port, deliveries

    yield start
    for stop, thread in running:
        stop.set()
        thread.join(60)


def client(port: int, client_class=smtplib.SMTP) -> smtplib.SMTP:
    return client_class("127.0.0.1", port, timeout=60)


class Raw:
    """A client speaking SMTP byte by byte, for what smtplib will not do."""

    def __init__(self, port: int):
        self.connection = socket.create_connection(("127.0.0.1", port), timeout=60)
        self.greeting = self.reply()

    def reply(self) -> bytes:
        data = b""
        while not data.endswith(b"\r\n") or data.splitlines()[-1][3:4] == b"-":
            chunk = self.connection.recv(65536)
            if not chunk:
                return data
            data += chunk
        return data

    def command(self, line: bytes) -> bytes:
        self.connection.sendall(line + b"\r\n")
        return self.reply()

    def start_data(self, *recipients: str) -> None:
        for line, expected in ((b"EHLO sender.example", b"250"),
                               (b"MAIL FROM:<ann@customer.example>", b"250"),
                               *((f"RCPT TO:<{r}>".encode(), b"250") for r in recipients),
                               (b"DATA", b"354")):
            assert self.command(line).startswith(expected)


def test_a_delivery_slower_than_the_timeout_is_still_answered(start_server):
    port, deliveries = start_server(Deliveries(seconds=1.5), timeout_seconds=0.5)

    with client(port) as smtp:
        smtp.ehlo()
        smtp.mail("ann@customer.example")
        smtp.rcpt(DESK)
        assert smtp.data(MAIL) == (250, b"2.0.0 Ok")
        assert smtp.noop()[0] == 250  # and the session goes on

    assert len(deliveries.mails) == 1


def test_a_mail_coming_in_slowly_counts_as_silence_only_between_its_bytes(start_server):
    port, deliveries = start_server(timeout_seconds=0.5)
    raw = Raw(port)
    raw.start_data(DESK)

    for _ in range(6):  # 1.5 s in all, never 0.5 s without a byte
        raw.connection.sendall(b"line of a large mail\r\n")
        time.sleep(0.2)
    raw.connection.sendall(MAIL + b".\r\n")

    assert raw.reply() == b"250 2.0.0 Ok\r\n"


def test_a_client_silent_in_the_middle_of_a_mail_is_hung_up_on(start_server):
    port, deliveries = start_server(timeout_seconds=0.5)
    raw = Raw(port)
    raw.start_data(DESK)
    raw.connection.sendall(MAIL)

    assert raw.reply() == b""  # closed
    assert deliveries.mails == []


def test_a_line_far_longer_than_rfc_5321s_is_taken(start_server):
    port, deliveries = start_server(max_message_bytes=2_000_000)
    html = b"<p>" + b"x" * 500_000 + b"</p>\r\n"

    with client(port) as smtp:
        assert smtp.sendmail("ann@customer.example", [DESK], MAIL + html) == {}

    assert deliveries.mails[0].endswith(MAIL + html)


def test_lmtp_answers_each_recipient_when_the_mail_is_too_large(start_server):
    port, deliveries = start_server(protocol="lmtp", max_message_bytes=10_000)

    with client(port, smtplib.LMTP) as lmtp:
        lmtp.ehlo()
        lmtp.mail("ann@customer.example")
        lmtp.rcpt(DESK)
        lmtp.rcpt("urgent@desk.example")
        first = lmtp.data(MAIL + (b"x" * 70 + b"\r\n") * 200)
        second = lmtp.getreply()
        assert lmtp.noop()[0] == 250  # no reply was left over

    assert first[0] == second[0] == 552
    assert deliveries.mails == []


def test_lmtp_answers_each_recipient_when_a_line_is_too_long(start_server):
    port, deliveries = start_server(protocol="lmtp", max_message_bytes=4_000_000)

    with client(port, smtplib.LMTP) as lmtp:
        lmtp.ehlo()
        lmtp.mail("ann@customer.example")
        lmtp.rcpt(DESK)
        lmtp.rcpt("urgent@desk.example")
        first = lmtp.data(MAIL + b"x" * 1_100_000 + b"\r\n")
        second = lmtp.getreply()
        assert lmtp.noop()[0] == 250

    assert first[0] == second[0] == 500
    assert deliveries.mails == []


def test_a_client_over_the_session_limit_is_told_to_come_back_later(start_server):
    port, _ = start_server(max_sessions=2)
    first, second = client(port), client(port)

    with pytest.raises(smtplib.SMTPConnectError) as refused:
        client(port)
    second.quit()
    with client(port) as third:  # a session ended: room for one more
        assert third.noop()[0] == 250
    first.quit()

    assert refused.value.smtp_code == 421 and refused.value.smtp_error.startswith(b"4.7.0 ")


def test_mail_beyond_those_waiting_for_delivery_is_told_to_come_back_later(start_server):
    deliveries = Deliveries()
    deliveries.held.set()
    port, _ = start_server(deliveries, max_queued=1)
    waiting = Raw(port)
    waiting.start_data(DESK)
    waiting.connection.sendall(MAIL + b".\r\n")
    assert deliveries.started.wait(60)

    with client(port) as smtp:
        smtp.ehlo()
        smtp.mail("ann@customer.example")
        smtp.rcpt(DESK)
        code, reply = smtp.docmd("DATA")  # refused before the mail is sent
    deliveries.held.clear()

    assert (code, reply) == (451, b"4.3.2 This desk is busy; try again later")
    assert waiting.reply() == b"250 2.0.0 Ok\r\n"
    assert len(deliveries.mails) == 1


def test_the_longest_mail_from_is_taken_whatever_other_clients_do_meanwhile(start_server):
    port, deliveries = start_server()
    sender = "b" * 483 + "@customer.example"  # with SIZE and SMTPUTF8, over 512 bytes

    with client(port) as smtp:
        smtp.ehlo()
        with client(port) as other:  # its session began after this one's EHLO
            other.noop()
        smtp.sendmail(sender, [DESK], MAIL, mail_options=["SIZE=100", "SMTPUTF8"])

    assert len(deliveries.mails) == 1


def test_recipients_beyond_the_room_kept_for_their_trace_are_sent_another_time(start_server):
    port, deliveries = start_server(max_message_bytes=10_000)
    recipients = [f"support+{i:03}{'t' * 229}@desk.example" for i in range(20)]
    sender = "b" * 400 + "@customer.example"

    with client(port) as smtp:
        smtp.ehlo()
        size = int(smtp.esmtp_features["size"])
        smtp.mail(sender, options=[f"SIZE={size}"])
        codes = [smtp.rcpt(address)[0] for address in recipients]
        code, _ = smtp.data(MAIL + b"x" * (size - len(MAIL) - 2) + b"\r\n")

    assert size == 10_000 - TRACE_ROOM and code == 250
    assert codes == [250] * codes.count(250) + [452] * codes.count(452)
    assert 10 <= codes.count(250) < 20
    [mail] = deliveries.mails
    assert mail.count(b"\r\nDelivered-To: ") == codes.count(250)
    assert len(mail) <= 10_000  # within the desk's limit, trace and all


@pytest.fixture
def tls(tls_certificate):
    return tls_context(tls_certificate.cert_file, tls_certificate.key_file)


def test_with_a_certificate_a_client_off_loopback_sends_mail_only_after_starttls(
        start_server, tls, tls_certificate):
    port, deliveries = start_server(tls=tls, plain_clients=())  # as if 127.0.0.1 were remote
    trusting = ssl.create_default_context(cafile=tls_certificate.cert_file)

    with client(port) as smtp:
        smtp.ehlo()
        assert smtp.mail("ann@customer.example")[0] == 530
        smtp.starttls(context=trusting)
        assert smtp.sendmail("ann@customer.example", [DESK], MAIL) == {}

    assert len(deliveries.mails) == 1


def test_with_a_certificate_a_client_on_loopback_may_send_mail_without_starttls(
        start_server, tls):
    port, deliveries = start_server(tls=tls, protocol="lmtp")

    with client(port, smtplib.LMTP) as lmtp:
        assert lmtp.sendmail("ann@customer.example", [DESK], MAIL) == {}

    assert len(deliveries.mails) == 1


def test_once_stopping_new_mail_on_an_open_connection_is_refused_for_later():
    deliveries = Deliveries()
    deliveries.held.set()
    server = MailInServer(settings(port=0, max_message_bytes=100_000), deliveries)
    stop = threading.Event()
    thread = threading.Thread(target=server.serve, args=(stop,), daemon=True)
    thread.start()
    delivering, chatty = Raw(server.port), client(server.port)
    chatty.ehlo()
    delivering.start_data(DESK)
    delivering.connection.sendall(MAIL + b".\r\n")
    assert deliveries.started.wait(60)

    stop.set()
    while server.handler.stopping is False:  # the server has seen it
        time.sleep(0.01)
    refused = chatty.mail("ann@customer.example")
    deliveries.held.clear()
    answered = delivering.reply()
    thread.join(60)

    assert refused == (421, b"4.3.2 This desk is shutting down; try again later")
    assert answered == b"250 2.0.0 Ok\r\n" and not thread.is_alive()
