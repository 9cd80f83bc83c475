"""The intake's rules without a server: whose mail it takes, from where, and what it adds."""
import ipaddress
import ssl

import pytest

from helpdesk.adapters.mail_in import MailInSettings, with_return_path


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
    assert with_return_path("ann@customer.example", b"Subject: x\r\n\r\nbody") == (
        b"Return-Path: <ann@customer.example>\r\nSubject: x\r\n\r\nbody")
    assert with_return_path("<>", b"Subject: x\r\n\r\n").startswith(b"Return-Path: <>\r\n")


def test_the_description_names_the_protocol_the_address_and_starttls():
    assert settings(protocol="lmtp", host="::1").describe() == "LMTP on [::1]:2525"
    assert settings(tls=ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)).describe() == (
        "SMTP on 127.0.0.1:2525 (STARTTLS)")
