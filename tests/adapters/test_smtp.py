"""The SMTP adapter against real servers on loopback: TLS that fails closed, codes, timeouts."""
import socket
import threading
import time
from datetime import UTC, datetime
from email.policy import SMTP

import pytest
from aiosmtpd.smtp import AuthResult

from helpdesk.adapters.smtp import SendFailure, connect
from helpdesk.domain.mail.compose import OutgoingMail, compose
from tests.fixtures.smtp import use_mail_settings

NOW = datetime(2026, 11, 30, 9, 0, tzinfo=UTC)


def _message():
    return compose(OutgoingMail(
        from_name="Service desk", from_address="support@desk.example",
        to_address="person@customer.example", subject="[#1000] Export",
        message_id="abc@desk.example", date=NOW, body_text="Hello"))


def _configure(app, port: int, security: str, **settings) -> None:
    defaults = {"MAIL_TIMEOUT_SECONDS": 5, "MAIL_CA_FILE": None, "MAIL_USERNAME": None,
                "MAIL_PASSWORD": None}
    use_mail_settings(app, MAIL_SERVER="127.0.0.1", MAIL_PORT=port, MAIL_SECURITY=security,
                      **{**defaults, **settings})


def _send(app) -> None:
    with connect(app) as connection:
        connection.send_composed(_message(), "support@desk.example",
                                 ["person@customer.example"])


def test_flask_mail_is_told_the_tls_mode_and_never_to_suppress_sending(app):
    assert app.testing  # when Flask-Mail would suppress sending by default
    expected = {"ssl": (True, False), "starttls": (False, True), "none": (False, False)}
    for security, (use_ssl, use_tls) in expected.items():
        use_mail_settings(app, MAIL_SECURITY=security)
        state = app.extensions["mail"]
        assert (state.use_ssl, state.use_tls, state.suppress) == (use_ssl, use_tls, False)
        assert app.config["MAIL_SUPPRESS_SEND"] is False


def test_the_composed_bytes_arrive_unchanged_over_the_configured_timeout(app, start_smtp_server):
    server = start_smtp_server()
    _configure(app, server.port, "none", MAIL_TIMEOUT_SECONDS=7)
    with connect(app) as connection:
        connection.send_composed(_message(), "support@desk.example",
                                 ["person@customer.example"])
        assert connection.host.sock.gettimeout() == 7
    [arrival] = server.arrivals
    assert arrival.raw == _message().as_bytes(policy=SMTP)
    assert arrival.mail_from == "support@desk.example"


def test_nothing_due_never_contacts_the_server(app):
    listener = socket.create_server(("127.0.0.1", 0))
    port = listener.getsockname()[1]
    listener.close()  # nothing listens: connecting would fail
    _configure(app, port, "none")
    with connect(app) as connection:
        assert connection.host is None


def test_starttls_against_a_server_without_starttls_fails_and_sends_nothing(
        app, start_smtp_server):
    server = start_smtp_server()
    _configure(app, server.port, "starttls")
    with pytest.raises(SendFailure) as failure:
        _send(app)
    assert "STARTTLS" in failure.value.reason
    assert failure.value.connection and not failure.value.permanent
    assert server.arrivals == []


def test_starttls_with_a_trusted_certificate_sends_over_tls(
        app, start_smtp_server, tls_certificate):
    server = start_smtp_server(tls_context=tls_certificate.server_context(),
                               require_starttls=True)
    _configure(app, server.port, "starttls", MAIL_CA_FILE=tls_certificate.cert_file)
    _send(app)
    [arrival] = server.arrivals
    assert arrival.over_tls
    assert arrival.rcpt_tos == ["person@customer.example"]


def test_starttls_with_an_untrusted_certificate_fails_without_plaintext_fallback(
        app, start_smtp_server, tls_certificate):
    server = start_smtp_server(tls_context=tls_certificate.server_context())
    _configure(app, server.port, "starttls")
    with pytest.raises(SendFailure) as failure:
        _send(app)
    assert "CERTIFICATE_VERIFY_FAILED" in failure.value.reason
    assert server.arrivals == []


def test_implicit_tls_verifies_the_certificate(app, start_smtp_server, tls_certificate):
    server = start_smtp_server(ssl_context=tls_certificate.server_context())
    _configure(app, server.port, "ssl")
    with pytest.raises(SendFailure) as failure:
        _send(app)
    assert "CERTIFICATE_VERIFY_FAILED" in failure.value.reason
    assert server.arrivals == []
    _configure(app, server.port, "ssl", MAIL_CA_FILE=tls_certificate.cert_file)
    _send(app)
    [arrival] = server.arrivals
    assert arrival.over_tls


class _Password:
    def __call__(self, server, session, envelope, mechanism, auth_data):
        ok = auth_data.login == b"desk" and auth_data.password == b"s3cret"
        return AuthResult(success=ok, handled=False)


def test_login_after_starttls_and_a_wrong_password_is_a_temporary_failure(
        app, start_smtp_server, tls_certificate):
    server = start_smtp_server(tls_context=tls_certificate.server_context(),
                               require_starttls=True, authenticator=_Password(),
                               auth_required=True)
    _configure(app, server.port, "starttls", MAIL_CA_FILE=tls_certificate.cert_file,
               MAIL_USERNAME="desk", MAIL_PASSWORD="wrong")
    with pytest.raises(SendFailure) as failure:
        _send(app)
    assert "535" in failure.value.reason and not failure.value.permanent
    _configure(app, server.port, "starttls", MAIL_CA_FILE=tls_certificate.cert_file,
               MAIL_USERNAME="desk", MAIL_PASSWORD="s3cret")
    _send(app)
    assert len(server.arrivals) == 1


def test_reply_codes_tell_temporary_from_permanent(app, start_smtp_server):
    server = start_smtp_server()
    _configure(app, server.port, "none")
    server.answer_next("DATA", "451 4.3.0 Try again later")
    with pytest.raises(SendFailure) as temporary:
        _send(app)
    server.answer_next("RCPT", "550 5.1.1 No such user")
    with pytest.raises(SendFailure) as permanent:
        _send(app)
    assert temporary.value.reason.startswith("451") and not temporary.value.permanent
    assert permanent.value.reason.startswith("550") and permanent.value.permanent
    assert not temporary.value.connection and not permanent.value.connection


def test_a_server_that_never_answers_times_out(app):
    listener = socket.create_server(("127.0.0.1", 0))  # accepts, then says nothing
    port = listener.getsockname()[1]
    accepted = []
    thread = threading.Thread(target=lambda: accepted.append(listener.accept()), daemon=True)
    thread.start()
    _configure(app, port, "none", MAIL_TIMEOUT_SECONDS=0.5)
    started = time.monotonic()
    try:
        with pytest.raises(SendFailure) as failure:
            _send(app)
    finally:
        thread.join(2)
        for connection, _ in accepted:
            connection.close()
        listener.close()
    assert time.monotonic() - started < 3
    assert "timed out" in failure.value.reason and not failure.value.permanent


def test_plaintext_is_refused_for_a_mail_server_that_is_not_on_loopback(app):
    use_mail_settings(app, MAIL_SECURITY="none", MAIL_SERVER="smtp.example.com", MAIL_PORT=25)
    with pytest.raises(ValueError, match="loopback"):
        connect(app)
    use_mail_settings(app, MAIL_SERVER="::1")
    assert connect(app).mail.server == "::1"
    with pytest.raises(ValueError, match="ssl, starttls or none"):
        use_mail_settings(app, MAIL_SECURITY="tls-if-possible")
