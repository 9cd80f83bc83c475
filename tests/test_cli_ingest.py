"""`flask ingest --once`, `flask worker --once` and `flask held` on a real mailbox."""
from helpdesk.services.intake.ingest import ingest_job
from tests.fixtures.factories import make_contact
from tests.fixtures.mail import NOW, RECEIVED_AT, make_mail


def test_ingest_once_prints_what_it_did_and_held_lists_the_reason(app, runner, mailbox):
    make_contact(email="ann@customer.example")
    mailbox.append(make_mail("ann@customer.example", "Export fails"), RECEIVED_AT)
    mailbox.append(make_mail("stranger@elsewhere.example", "Buy now"), RECEIVED_AT)

    result = runner.invoke(args=["ingest", "--once"])

    assert result.exit_code == 0, result.output
    assert result.output.strip().endswith(": 1 held, 1 new ticket")
    held = runner.invoke(args=["held"])
    assert "unknown sender" in held.output and "stranger@elsewhere.example" in held.output
    assert "Buy now" in held.output


def test_ingest_refuses_plaintext_to_a_remote_server_with_one_line(app, runner):
    app.config.update(IMAP_HOST="192.0.2.10", IMAP_SECURITY="none", IMAP_USER="desk")
    result = runner.invoke(args=["ingest", "--once"])
    assert result.exit_code == 1
    assert result.output == ("Error: Incoming mail cannot be fetched: "
                             "IMAP_SECURITY none is allowed for a loopback host only\n")


def test_ingest_reports_an_unreachable_server_with_one_line(app, runner, mailbox):
    app.config.update(IMAP_PORT=1, IMAP_TIMEOUT_SECONDS=2)
    result = runner.invoke(args=["ingest", "--once"])
    assert result.exit_code == 75  # a temporary failure: cron tries again
    assert result.output.startswith(
        "Error: IMAP server unavailable: IMAP connect failed: ConnectionRefusedError")
    assert result.output.count("\n") == 1


def test_enforcing_sender_authentication_without_a_trusted_server_is_refused(app, runner,
                                                                            mailbox):
    app.config.update(SENDER_AUTH="enforce", AUTHSERV_ID="")
    result = runner.invoke(args=["ingest", "--once"])
    assert result.exit_code == 1
    assert "AUTHSERV_ID" in result.output


def test_the_worker_fetches_mail_as_one_of_its_jobs(app, runner, mailbox):
    make_contact(email="ann@customer.example")
    mailbox.append(make_mail("ann@customer.example", "Via the worker"), RECEIVED_AT)
    result = runner.invoke(args=["worker", "--once"])
    assert result.exit_code == 0, result.output
    assert result.output.split("mail-ingest: ")[1].startswith(
        f"desk@127.0.0.1:{mailbox.server.port}/{mailbox.folder}: 1 new ticket")


def test_the_ingest_job_is_quiet_when_there_is_nothing_new_or_no_mailbox(app, mailbox):
    assert ingest_job(NOW) == ""
    app.config["IMAP_USER"] = ""
    assert ingest_job(NOW) == ""
