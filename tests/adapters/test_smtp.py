"""The SMTP adapter against real servers on loopback: TLS that fails closed, codes, timeouts."""
import socket
import threading
import time
from datetime import UTC, datetime

import pytest
from aiosmtpd.smtp import AuthResult

from helpdesk.adapters.smtp import SendFailure, SmtpSession, SmtpSettings
from helpdesk.domain.mail.compose import OutgoingMail, compose

NOW = datetime(2026, 11, 30, 9, 0, tzinfo=UTC)


def _message():
    return compose(OutgoingMail(
        from_name="Service desk", from_address="support@desk.example",
        to_address="person@customer.example", subject="[#1000] Export",
        message_id="abc@desk.example", date=NOW, body_text="Hello"))


def _settings(server, security: str, **overrides) -> SmtpSettings:
    fields = {"host": "127.0.0.1", "port": server.port, "security": security,
              "timeout_seconds": 5.0}
    return SmtpSettings(**{**fields, **overrides})


def _send(settings: SmtpSettings) -> None:
    with SmtpSession(settings) as session:
        session.send(_message(), "support@desk.example", ["person@customer.example"])


def test_starttls_against_a_server_without_starttls_fails_and_sends_nothing(start_smtp_server):
    server = start_smtp_server()
    with pytest.raises(SendFailure) as failure:
        _send(_settings(server, "starttls"))
    assert "STARTTLS" in failure.value.reason
    assert failure.value.connection and not failure.value.permanent
    assert server.arrivals == []


def test_starttls_with_a_trusted_certificate_sends_over_tls(start_smtp_server, tls_certificate):
    server = start_smtp_server(tls_context=tls_certificate.server_context(),
                               require_starttls=True)
    _send(_settings(server, "starttls", ca_file=tls_certificate.cert_file))
    [arrival] = server.arrivals
    assert arrival.over_tls
    assert arrival.rcpt_tos == ["person@customer.example"]


def test_starttls_with_an_untrusted_certificate_fails_without_plaintext_fallback(
        start_smtp_server, tls_certificate):
    server = start_smtp_server(tls_context=tls_certificate.server_context())
    with pytest.raises(SendFailure) as failure:
        _send(_settings(server, "starttls"))
    assert "CERTIFICATE_VERIFY_FAILED" in failure.value.reason
    assert server.arrivals == []


def test_implicit_tls_verifies_the_certificate(start_smtp_server, tls_certificate):
    server = start_smtp_server(ssl_context=tls_certificate.server_context())
    with pytest.raises(SendFailure):
        _send(_settings(server, "ssl"))
    assert server.arrivals == []
    _send(_settings(server, "ssl", ca_file=tls_certificate.cert_file))
    [arrival] = server.arrivals
    assert arrival.over_tls


class _Password:
    def __call__(self, server, session, envelope, mechanism, auth_data):
        ok = auth_data.login == b"desk" and auth_data.password == b"s3cret"
        return AuthResult(success=ok, handled=False)


def test_login_after_starttls_and_a_wrong_password_is_a_temporary_failure(
        start_smtp_server, tls_certificate):
    server = start_smtp_server(tls_context=tls_certificate.server_context(),
                               require_starttls=True, authenticator=_Password(),
                               auth_required=True)
    settings = _settings(server, "starttls", ca_file=tls_certificate.cert_file,
                         username="desk", password="wrong")
    with pytest.raises(SendFailure) as failure:
        _send(settings)
    assert "535" in failure.value.reason and not failure.value.permanent
    _send(_settings(server, "starttls", ca_file=tls_certificate.cert_file,
                    username="desk", password="s3cret"))
    assert len(server.arrivals) == 1


def test_reply_codes_tell_temporary_from_permanent(start_smtp_server):
    server = start_smtp_server()
    server.answer_next("DATA", "451 4.3.0 Try again later")
    with pytest.raises(SendFailure) as temporary:
        _send(_settings(server, "none"))
    server.answer_next("RCPT", "550 5.1.1 No such user")
    with pytest.raises(SendFailure) as permanent:
        _send(_settings(server, "none"))
    assert temporary.value.reason.startswith("451") and not temporary.value.permanent
    assert permanent.value.reason.startswith("550") and permanent.value.permanent
    assert not temporary.value.connection and not permanent.value.connection


def test_a_server_that_never_answers_times_out():
    listener = socket.create_server(("127.0.0.1", 0))  # accepts, then says nothing
    port = listener.getsockname()[1]
    accepted = []
    thread = threading.Thread(target=lambda: accepted.append(listener.accept()), daemon=True)
    thread.start()
    started = time.monotonic()
    try:
        with pytest.raises(SendFailure) as failure:
            _send(SmtpSettings(host="127.0.0.1", port=port, security="none",
                               timeout_seconds=0.5))
    finally:
        thread.join(2)
        for connection, _ in accepted:
            connection.close()
        listener.close()
    assert time.monotonic() - started < 3
    assert "timed out" in failure.value.reason and not failure.value.permanent


def test_plaintext_is_refused_for_a_mail_server_that_is_not_on_loopback():
    config = {"MAIL_SECURITY": "none", "MAIL_SERVER": "smtp.example.com", "MAIL_PORT": 25,
              "MAIL_TIMEOUT_SECONDS": 30}
    with pytest.raises(ValueError, match="loopback"):
        SmtpSettings.from_config(config)
    assert SmtpSettings.from_config({**config, "MAIL_SERVER": "::1"}).security == "none"
    with pytest.raises(ValueError, match="ssl, starttls or none"):
        SmtpSettings.from_config({**config, "MAIL_SECURITY": "tls-if-possible"})
