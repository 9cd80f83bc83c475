"""The intake's rules without a server: whose mail it takes, from where, and what it adds."""
import ipaddress
import ssl

import pytest

from helpdesk.adapters.mail_in import MailInSettings, tls_context, with_trace


def settings(**overrides) -> MailInSettings:
    fields = {"host": "127.0.0.1", "port": 2525, "protocol": "smtp",
              "addresses": frozenset({"support@desk.example", "urgent@desk.example"}),
              "clients": (ipaddress.ip_network("127.0.0.0/8"), ipaddress.ip_network("::1")),
              "max_message_bytes": 1000, "hostname": "desk.example"}
    return MailInSettings(**{**fields, **overrides})


@pytest.mark.parametrize(("address", "accepted"), [
    ("support@desk.example", True),
    ("SUPPORT@Desk.Example", True),
    ("support+billing@desk.example", True),
    ("urgent@desk.example", True),
    ("support@desk.example.evil.example", False),
    ("support@elsewhere.example", False),
    ("sales@desk.example", False),
    ("support", False),
    ("", False),
    ("support+a\rX-Evil: 1@desk.example", False),  # it becomes a Delivered-To field
    ("support+a b@desk.example", False),
    ("support+" + "t" * 230 + "@desk.example", True),
    ("support+" + "t" * 240 + "@desk.example", False),  # longer than RFC 5321 allows
])
def test_only_the_desks_addresses_are_accepted_as_recipients(address, accepted):
    assert settings().accepts_recipient(address) is accepted


@pytest.mark.parametrize(("peer", "accepted"), [
    (("127.0.0.1", 40000), True),
    (("::1", 40000, 0, 0), True),
    (("::ffff:127.0.0.1", 40000, 0, 0), True),  # IPv4 on a dual-stack socket
    (("192.0.2.7", 40000), False),
    (("2001:db8::1", 40000, 0, 0), False),
    ("/run/desk.sock", False),
    (None, False),
])
def test_only_clients_from_the_allowed_networks_are_accepted(peer, accepted):
    assert settings().accepts_client(peer) is accepted


def test_a_mail_gets_the_return_path_of_its_envelope_and_a_bounce_an_empty_one():
    assert with_trace("ann@customer.example", [], b"Subject: x\r\n\r\nbody") == (
        b"Return-Path: <ann@customer.example>\r\nSubject: x\r\n\r\nbody")
    assert with_trace("<>", [], b"Subject: x\r\n\r\n").startswith(b"Return-Path: <>\r\n")


def test_a_mail_gets_one_delivered_to_per_recipient_the_same_whatever_their_order():
    first = with_trace("ann@customer.example",
                       ["support@desk.example", "Urgent@Desk.Example"], b"Subject: x\r\n\r\n")
    again = with_trace("ann@customer.example",
                       ["urgent@desk.example", "support@desk.example", "SUPPORT@desk.example"],
                       b"Subject: x\r\n\r\n")

    assert first == again == (b"Return-Path: <ann@customer.example>\r\n"
                              b"Delivered-To: support@desk.example\r\n"
                              b"Delivered-To: urgent@desk.example\r\n"
                              b"Subject: x\r\n\r\n")


@pytest.mark.parametrize(("peer", "needs"), [
    (("127.0.0.1", 40000), False),
    (("127.0.0.9", 40000), False),
    (("::1", 40000, 0, 0), False),
    (("::ffff:127.0.0.1", 40000, 0, 0), False),
    (("192.0.2.7", 40000), True),
    (("2001:db8::1", 40000, 0, 0), True),
])
def test_with_a_certificate_only_clients_on_loopback_may_send_mail_without_starttls(
        peer, needs, tls_certificate):
    tls = tls_context(tls_certificate.cert_file, tls_certificate.key_file)

    assert settings(tls=tls).needs_starttls(peer) is needs
    assert settings().needs_starttls(peer) is False  # no certificate: no STARTTLS


def test_the_description_names_the_protocol_the_address_and_starttls():
    assert settings(protocol="lmtp", host="::1").describe() == "LMTP on [::1]:2525"
    assert settings(tls=ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)).describe() == (
        "SMTP on 127.0.0.1:2525 (STARTTLS)")
