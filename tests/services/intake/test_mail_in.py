"""Mail pushed over SMTP and LMTP: the desk's addresses only, 250 once committed, exactly once."""
import multiprocessing
import smtplib
import ssl
import sys
import tempfile
import threading
import time
import uuid
from functools import partial
from pathlib import Path

import pytest
import sqlalchemy as sa
from flask_babel import force_locale

from helpdesk.adapters.mail_in import TRACE_ROOM
from helpdesk.extensions import db
from helpdesk.models import (
    Category,
    HeldMessage,
    HeldReason,
    MailReceipt,
    OutboxMessage,
    Ticket,
)
from helpdesk.services import Refusal
from helpdesk.services.intake import parse_ahead
from helpdesk.services.intake.mail_in import mail_in_job_forever, mail_in_summary, serve
from helpdesk.services.intake.raw_mail import raw_bytes
from tests.fixtures.factories import make_contact
from tests.fixtures.mail import NOW, make_mail
from tests.fixtures.mail_in import DESK
from tests.fixtures.poison import parse_poisoned_within_limits
from tests.fixtures.ports import free_port


def rows(model) -> list:
    db.session.rollback()  # see what the intake committed
    return db.session.scalars(sa.select(model).order_by(model.id)).all()


def test_a_super_users_mail_becomes_a_ticket_with_its_acknowledgement_queued(app, intake):
    make_contact(email="ann@customer.example", language="en")

    with intake.client() as client:
        client.ehlo()
        client.mail("ann@customer.example")
        client.rcpt(DESK)
        code, reply = client.data(make_mail("Ann <ann@customer.example>", "Export fails"))

    assert (code, reply) == (250, b"2.0.0 Ok: new ticket")
    [ticket] = rows(Ticket)
    assert ticket.subject == "Export fails"
    assert [m.kind for m in rows(OutboxMessage)] == ["acknowledgement"]
    assert [r.mailbox for r in rows(MailReceipt)] == ["smtp"]


def test_an_unknown_senders_mail_is_held_with_its_bytes_and_the_return_path(app, intake):
    raw = make_mail("stranger@elsewhere.example", "Hello")

    intake.send(raw, sender="bounces@elsewhere.example")

    [held] = rows(HeldMessage)
    assert held.reason == HeldReason.UNKNOWN_SENDER
    assert raw_bytes(held.raw_mail) == (b"Return-Path: <bounces@elsewhere.example>\r\n"
                                        b"Delivered-To: support@desk.example\r\n" + raw)
    assert rows(Ticket) == []


def test_a_bounce_to_the_desk_is_held_as_an_automatic_reply_not_a_ticket(app, intake):
    make_contact(email="ann@customer.example")

    intake.send(make_mail("ann@customer.example", "Out of office"), sender="<>")

    assert [h.reason for h in rows(HeldMessage)] == [HeldReason.AUTOMATIC_REPLY]


def test_a_reply_threads_to_its_ticket(app, intake):
    make_contact(email="ann@customer.example")
    intake.send(make_mail("ann@customer.example", "Export fails", message_id="first@customer"))

    with intake.client() as client:
        client.sendmail("ann@customer.example", [DESK], make_mail(
            "ann@customer.example", "Re: Export fails", "Still broken.",
            in_reply_to="first@customer"))

    [ticket] = rows(Ticket)
    assert [m.body_text.strip() for m in ticket.messages] == ["It breaks.", "Still broken."]


def test_the_same_mail_delivered_again_is_accepted_and_adds_nothing(app, intake):
    make_contact(email="ann@customer.example")
    raw = make_mail("ann@customer.example", "Export fails")
    intake.send(raw)

    with intake.client() as client:
        client.ehlo()
        client.mail("ann@customer.example")
        client.rcpt(DESK)
        assert client.data(raw) == (250, b"2.0.0 Ok: duplicate")

    assert len(rows(Ticket)) == 1 and len(rows(MailReceipt)) == 1
    assert len(rows(OutboxMessage)) == 1


@pytest.mark.parametrize("recipient", ["someone@elsewhere.example", "sales@desk.example"])
def test_a_recipient_that_is_not_the_desk_is_refused_and_nothing_is_delivered(
        app, intake, recipient):
    make_contact(email="ann@customer.example")

    with intake.client() as client:
        client.ehlo()
        client.mail("ann@customer.example")
        code, reply = client.rcpt(recipient)
        assert client.docmd("DATA")[0] == 503  # no recipient, no mail

    assert code == 550 and reply.startswith(b"5.1.1 ")
    assert rows(Ticket) == [] and rows(HeldMessage) == []


def test_the_desks_address_in_any_case_and_with_a_tag_is_accepted(app, intake):
    make_contact(email="ann@customer.example")

    with intake.client() as client:
        client.ehlo()
        client.mail("ann@customer.example")
        assert client.rcpt("Support@Desk.Example")[0] == 250
        assert client.rcpt("support+billing@desk.example")[0] == 250


def test_the_calamity_addresses_are_the_desks_too(app, start_intake):
    make_contact(email="ann@customer.example")
    intake = start_intake(CALAMITY_ADDRESSES=("urgent@desk.example",))

    intake.send(make_mail("ann@customer.example", "Everything is down"),
                to=["urgent@desk.example"])

    [ticket] = rows(Ticket)
    assert ticket.subject == "Everything is down"


def test_a_mail_to_a_calamity_address_by_bcc_is_a_calamity(app, start_intake):
    make_contact(email="ann@customer.example")
    intake = start_intake(CALAMITY_ADDRESSES=("urgent@desk.example",))

    intake.send(make_mail("ann@customer.example", "Everything is down", to=DESK),
                to=[DESK, "urgent@desk.example"])

    [ticket] = rows(Ticket)
    assert ticket.category == Category.CALAMITY
    assert raw_bytes(ticket.messages[0].raw_mail).startswith(
        b"Return-Path: <ann@customer.example>\r\nDelivered-To: support@desk.example\r\n"
        b"Delivered-To: urgent@desk.example\r\n")


def test_a_mail_to_a_tagged_address_by_alias_has_the_tags_category(app, intake):
    make_contact(email="ann@customer.example")

    intake.send(make_mail("ann@customer.example", "Everything is down", to="it@customer.example"),
                to=["support+calamity@desk.example"])

    [ticket] = rows(Ticket)
    assert ticket.category == Category.CALAMITY


def test_a_mail_without_a_message_id_sent_again_to_the_same_recipients_is_a_duplicate(
        app, intake):
    make_contact(email="ann@customer.example")
    raw = make_mail("ann@customer.example", "Export fails", message_id="")

    intake.send(raw, to=[DESK, "support+bug@desk.example"])
    intake.send(raw, to=["support+bug@desk.example", DESK])  # a relay's retry, reordered

    assert len(rows(Ticket)) == 1 and len(rows(MailReceipt)) == 1


def test_a_mail_announced_over_the_size_limit_is_refused_at_mail_from(app, start_intake):
    intake = start_intake(MAX_MESSAGE_BYTES=10_000)

    with intake.client() as client:
        client.ehlo()
        size = int(client.esmtp_features["size"])
        code, _ = client.mail("ann@customer.example", options=[f"SIZE={size + 1}"])

    assert size == 10_000 - TRACE_ROOM  # room for the trace the intake adds
    assert code == 552


def test_a_mail_of_the_advertised_size_with_the_longest_return_path_is_taken(
        app, start_intake):
    make_contact(email="ann@customer.example")
    intake = start_intake(MAX_MESSAGE_BYTES=10_000)
    sender = "b" * 400 + "@customer.example"
    raw = _grown(make_mail("ann@customer.example", "Export fails", "x"),
                 10_000 - TRACE_ROOM)

    with intake.client() as client:
        client.ehlo()
        client.mail(sender, options=[f"SIZE={len(raw)}"])
        client.rcpt(DESK)
        code, reply = client.data(raw)

    assert len(raw) == 10_000 - TRACE_ROOM
    assert (code, reply) == (250, b"2.0.0 Ok: new ticket")


def _grown(raw: bytes, size: int) -> bytes:
    """The mail with lines added to its body until it is `size` bytes."""
    lines, rest = divmod(size - len(raw), 80)
    if rest < 2:  # too short for a line of its own: the last full line takes it
        lines, rest = lines - 1, rest + 80
    return raw + (b"y" * 78 + b"\r\n") * lines + b"z" * (rest - 2) + b"\r\n"


def test_a_mail_over_the_size_limit_is_refused_at_the_end_of_data(app, start_intake):
    make_contact(email="ann@customer.example")
    intake = start_intake(MAX_MESSAGE_BYTES=10_000)

    with intake.client() as client:
        client.ehlo()
        client.mail("ann@customer.example")
        client.rcpt(DESK)
        code, _ = client.data(make_mail("ann@customer.example", body=("x" * 70 + "\n") * 200))

    assert code == 552
    assert rows(Ticket) == [] and rows(MailReceipt) == []


def test_a_mail_the_disk_cannot_take_is_a_temporary_refusal_and_the_retry_is_delivered(
        app, intake, tmp_path):
    make_contact(email="ann@customer.example")
    blobs = app.config["BLOB_STORE"]
    app.config["BLOB_STORE"] = str(tmp_path / "not-a-folder")
    (tmp_path / "not-a-folder").write_bytes(b"")  # mail over 1 MB cannot be written there
    raw = make_mail("ann@customer.example", "Big log",
                    attachments=(("log.txt", "text/plain", b"line\n" * 300_000),))

    with intake.client() as client:
        client.ehlo()
        client.mail("ann@customer.example")
        client.rcpt(DESK)
        code, reply = client.data(raw)
        assert rows(MailReceipt) == []
        app.config["BLOB_STORE"] = blobs
        assert client.sendmail("ann@customer.example", [DESK], raw) == {}  # the retry

    assert code == 451 and reply.startswith(b"4.3.0 "), reply
    [ticket] = rows(Ticket)
    assert raw_bytes(ticket.messages[0].raw_mail).endswith(raw)


def test_lmtp_answers_each_recipient_and_delivers_the_mail_once(app, start_intake):
    make_contact(email="ann@customer.example")
    intake = start_intake(MAIL_IN_PROTOCOL="lmtp",
                          CALAMITY_ADDRESSES=("urgent@desk.example",))

    with intake.client(smtplib.LMTP) as client:
        client.ehlo()  # smtplib.LMTP says LHLO
        client.mail("ann@customer.example")
        client.rcpt(DESK)
        client.rcpt("nobody@elsewhere.example")
        client.rcpt("urgent@desk.example")
        first = client.data(make_mail("ann@customer.example", "Export fails",
                                      to=f"{DESK}, urgent@desk.example"))
        second = client.getreply()  # RFC 2033: one reply per accepted recipient

    assert first == second == (250, b"2.0.0 Ok: new ticket")
    assert len(rows(Ticket)) == 1 and len(rows(MailReceipt)) == 1


def test_lmtp_refuses_ehlo(app, start_intake):
    intake = start_intake(MAIL_IN_PROTOCOL="lmtp")

    with intake.client(smtplib.LMTP) as client:
        assert client.docmd("EHLO", "client.example")[0] == 500


def test_starttls_is_offered_with_the_certificate_and_carries_the_mail(
        app, start_intake, tls_certificate):
    make_contact(email="ann@customer.example")
    intake = start_intake(MAIL_IN_TLS_CERT=tls_certificate.cert_file,
                          MAIL_IN_TLS_KEY=tls_certificate.key_file)
    trusting = ssl.create_default_context(cafile=tls_certificate.cert_file)

    with intake.client() as client:
        client.ehlo()
        assert client.has_extn("starttls")
        client.starttls(context=trusting)
        client.ehlo()
        assert not client.has_extn("auth")  # clients are trusted by network, not password
        client.sendmail("ann@customer.example", [DESK], make_mail("ann@customer.example"))
        assert client.sock.version() is not None

    assert len(rows(Ticket)) == 1


def test_a_client_outside_the_allowed_networks_is_refused_at_the_greeting(app, start_intake):
    intake = start_intake(MAIL_IN_CLIENTS=("192.0.2.0/24",))

    with pytest.raises(smtplib.SMTPConnectError) as refused:
        intake.client()

    assert refused.value.smtp_code == 554
    assert rows(MailReceipt) == []


def test_a_mail_that_kills_the_parser_is_held_as_unparsable_and_the_intake_goes_on(
        app, intake, monkeypatch):
    make_contact(email="ann@customer.example")
    # A parser bug that ends its process, in the parsing worker (pickled there by name).
    monkeypatch.setattr(parse_ahead, "parse_within_limits",
                        partial(parse_poisoned_within_limits, "killed"))
    poison = make_mail("ann@customer.example", "Bad", "POISON")

    intake.send(poison)
    intake.send(make_mail("ann@customer.example", "Fine after it"))

    [held] = rows(HeldMessage)
    assert held.reason == HeldReason.UNPARSABLE and "parsing worker died" in held.detail
    assert raw_bytes(held.raw_mail).endswith(poison)
    assert [t.subject for t in rows(Ticket)] == ["Fine after it"]


def test_a_parsing_worker_killed_by_something_else_is_replaced_and_the_mail_parsed_again(
        app, intake, monkeypatch):
    make_contact(email="ann@customer.example")
    monkeypatch.setattr(parse_ahead, "parse_within_limits",
                        partial(parse_poisoned_within_limits, "killed_once"))
    marker = Path(tempfile.gettempdir()) / f"killed-once-{uuid.uuid4().hex}"

    try:
        reply = intake.send(make_mail("ann@customer.example", "Export fails",
                                      f"POISON:{marker.name} it breaks"))
        assert reply == {} and marker.exists()
    finally:
        marker.unlink(missing_ok=True)
    assert [t.subject for t in rows(Ticket)] == ["Export fails"]
    assert rows(HeldMessage) == []


def test_the_intake_parses_in_a_worker_even_when_ingestion_is_set_to_parse_itself(
        app, start_intake, monkeypatch):
    make_contact(email="ann@customer.example")
    intake = start_intake(INGEST_PARSE_WORKERS=0)
    monkeypatch.setattr(parse_ahead, "parse_within_limits",
                        partial(parse_poisoned_within_limits, "killed"))

    intake.send(make_mail("ann@customer.example", "Bad", "POISON"))

    [held] = rows(HeldMessage)  # in the delivery thread, this parser would have killed it
    assert held.reason == HeldReason.UNPARSABLE and "parsing worker died" in held.detail


def test_without_a_parsing_worker_the_intake_asks_to_try_later_and_parses_nothing(
        app, intake, monkeypatch):
    make_contact(email="ann@customer.example")
    monkeypatch.setattr(parse_ahead, "parse_within_limits",
                        partial(parse_poisoned_within_limits, "killed"))
    intake.send(make_mail("ann@customer.example", "Bad", "POISON"))  # the worker is gone now
    multiprocessing.set_executable("/nonexistent/python")  # and no new one can start
    try:
        with intake.client() as client:
            client.ehlo()
            client.mail("ann@customer.example")
            client.rcpt(DESK)
            code, reply = client.data(make_mail("ann@customer.example", "Export fails"))
    finally:
        multiprocessing.set_executable(sys.executable)

    assert code == 451 and reply.startswith(b"4.3.0 "), reply
    assert [t.subject for t in rows(Ticket)] == []


def test_the_workers_intake_is_started_again_after_a_failure_until_the_worker_stops(
        app, caplog):
    make_contact(email="ann@customer.example")
    db.session.commit()
    app.config.update(MAIL_IN_HOST="127.0.0.1", MAIL_IN_PORT=free_port(),
                      MAIL_IN_PROTOCOL="no such protocol")  # fails once it listens
    stop = threading.Event()

    def run():
        with app.app_context():
            try:
                mail_in_job_forever(stop, lambda: NOW)
            finally:
                db.session.remove()

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    try:
        _wait_for(lambda: any(r.getMessage() == "mail in failed" for r in caplog.records))
        app.config["MAIL_IN_PROTOCOL"] = "smtp"  # as if what failed has gone away
        client = _wait_for(_connected(app.config["MAIL_IN_PORT"]))
        with client:
            client.sendmail("ann@customer.example", [DESK], make_mail("ann@customer.example"))
    finally:
        stop.set()
        thread.join(60)

    assert not thread.is_alive()
    assert len(rows(Ticket)) == 1


def _connected(port: int):
    def connect():
        try:
            return smtplib.SMTP("127.0.0.1", port, timeout=60)
        except ConnectionRefusedError:
            return None
    return connect


def _wait_for(found, seconds: float = 60):
    deadline = time.monotonic() + seconds
    while not (result := found()):
        assert time.monotonic() < deadline, "not in time"
        time.sleep(0.05)
    return result


def test_no_port_is_a_refusal(app):
    app.config["MAIL_IN_PORT"] = 0

    with force_locale("en"), pytest.raises(Refusal, match="no port"):
        serve(threading.Event(), lambda: NOW)


def test_a_port_in_use_is_a_refusal(app, intake):
    with force_locale("en"), pytest.raises(Refusal, match="cannot listen on SMTP on 127.0.0.1"):
        serve(threading.Event(), lambda: NOW, port=intake.port)


@pytest.mark.parametrize(("settings", "summary"), [
    ({"MAIL_IN_PORT": 2525}, "mail in: SMTP on 127.0.0.1:2525"),
    ({"MAIL_IN_PORT": 24, "MAIL_IN_PROTOCOL": "lmtp", "MAIL_IN_HOST": "::1",
      "MAIL_IN_TLS_CERT": "c.pem", "MAIL_IN_TLS_KEY": "k.pem"},
     "mail in: LMTP on [::1]:24 (STARTTLS)"),
    ({"IMAP_USER": "desk", "IMAP_HOST": "imap.example"},
     "mail in: IMAP desk@imap.example:993 INBOX"),
    ({}, "mail in: none (set HELPDESK_IMAP_USER or HELPDESK_MAIL_IN_PORT)"),
])
def test_the_summary_says_what_brings_mail_in(app, settings, summary):
    app.config.update(settings)

    assert mail_in_summary(app.config) == summary
