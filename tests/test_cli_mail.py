"""`flask mail import` and `flask mail send-demo`: one line per file, one per failure."""
from email.utils import parsedate_to_datetime

import sqlalchemy as sa

from helpdesk.extensions import db
from helpdesk.models import OutboxMessage, Ticket
from tests.fixtures.factories import make_contact
from tests.fixtures.mail import make_mail
from tests.fixtures.ports import free_port


def test_mail_import_prints_each_file_and_a_total_and_fails_when_a_file_did(
        app, runner, tmp_path):
    make_contact(email="ann@customer.example")
    saved = tmp_path / "saved.eml"
    saved.write_bytes(make_mail("ann@customer.example", "Export fails"))
    stranger = tmp_path / "stranger.eml"
    stranger.write_bytes(make_mail("who@elsewhere.example", "Hello"))

    result = runner.invoke(args=["mail", "import", str(saved), str(stranger),
                                 str(tmp_path / "gone.mbox")])

    assert result.exit_code == 1
    assert "Traceback" not in result.output
    assert result.output.splitlines() == [
        f"{saved}: 1 new ticket, 0 replies, 0 held, 0 already there",
        f"{stranger}: 0 new tickets, 0 replies, 1 held, 0 already there",
        f"{tmp_path / 'gone.mbox'}: 0 new tickets, 0 replies, 0 held, 0 already there",
        f"{tmp_path / 'gone.mbox'}: cannot read it: [Errno 2] No such file or directory: "
        f"'{tmp_path / 'gone.mbox'}'",
        "Total: 1 new ticket, 0 replies, 1 held, 0 already there, 1 failed.",
    ]
    again = runner.invoke(args=["mail", "import", str(saved), str(stranger)])
    assert again.exit_code == 0, again.output
    assert again.output.splitlines()[-1] == (
        "Total: 0 new tickets, 0 replies, 0 held, 2 already there, 0 failed.")


def test_mail_import_tells_no_customers_when_asked_for_a_move_from_another_desk(
        app, runner, tmp_path):
    make_contact(email="ann@customer.example")
    make_contact(email="piet@customer.example", is_super_user=False)
    old = tmp_path / "old-desk.mbox"
    old.write_bytes(b"".join(
        b"From someone Mon Nov 23 09:00:00 2026\n" + make_mail(sender, subject).replace(
            b"\r\n", b"\n") + b"\n"
        for sender, subject in (("ann@customer.example", "Export fails"),
                                ("piet@customer.example", "Can I ask too?"))))

    result = runner.invoke(args=["mail", "import", "--tell-no-customers", str(old)])

    assert result.exit_code == 0, result.output
    assert "1 new ticket, 0 replies, 1 held" in result.output
    assert db.session.scalars(sa.select(Ticket.subject)).all() == ["Export fails"]
    assert db.session.scalars(sa.select(OutboxMessage)).all() == []


def test_mail_import_acknowledges_a_replayed_mail_as_one_that_arrives(app, runner, tmp_path):
    make_contact(email="ann@customer.example")
    saved = tmp_path / "saved.eml"
    saved.write_bytes(make_mail("ann@customer.example", "Export fails"))

    assert runner.invoke(args=["mail", "import", str(saved)]).exit_code == 0

    assert db.session.scalars(sa.select(OutboxMessage.kind)).all() == ["acknowledgement"]


def test_send_demo_hands_a_plain_mail_to_the_desks_own_intake(app, runner, start_smtp_server):
    intake = start_smtp_server()
    app.config["MAIL_IN_PORT"] = intake.port

    result = runner.invoke(args=["mail", "send-demo", "--from", "Eva@Acme.example",
                                 "--subject", "Export fails", "--body", "It breaks."])

    assert result.exit_code == 0, result.output
    [arrival] = intake.arrivals
    assert (arrival.mail_from, arrival.rcpt_tos) == ("eva@acme.example",
                                                     ["support@desk.example"])
    mail = arrival.message
    assert (mail["From"], mail["To"], mail["Subject"]) == (
        "eva@acme.example", "support@desk.example", "Export fails")
    assert mail.get_content().strip() == "It breaks."
    assert parsedate_to_datetime(mail["Date"]).tzinfo is not None
    assert result.output == f"Sent {mail['Message-ID']} to the desk's intake.\n"
    assert mail["Message-ID"].endswith("@acme.example>")


def test_send_demo_goes_to_the_address_given(app, runner, start_smtp_server):
    intake = start_smtp_server()
    app.config["MAIL_IN_PORT"] = intake.port
    result = runner.invoke(args=["mail", "send-demo", "--from", "eva@acme.example",
                                 "--subject", "Down", "--to", "support+storing@desk.example"])
    assert result.exit_code == 0, result.output
    assert intake.arrivals[0].rcpt_tos == ["support+storing@desk.example"]


def test_send_demo_says_in_one_line_that_nothing_listens(app, runner):
    app.config["MAIL_IN_PORT"] = port = free_port()
    result = runner.invoke(args=["mail", "send-demo", "--from", "eva@acme.example",
                                 "--subject", "Export fails"])
    assert result.exit_code == 1
    assert result.output == (f"Error: nothing listens on 127.0.0.1:{port}: "
                             "is `make run` running?\n")


def test_send_demo_goes_to_make_runs_port_when_the_settings_name_none(app, runner):
    app.config["MAIL_IN_PORT"] = 0
    app.config["MAIL_IN_HOST"] = "127.0.0.2"  # loopback, where nothing listens on 2525
    result = runner.invoke(args=["mail", "send-demo", "--from", "eva@acme.example",
                                 "--subject", "Export fails"])
    assert result.exit_code == 1
    assert result.output == ("Error: nothing listens on 127.0.0.2:2525: "
                             "is `make run` running?\n")


def test_send_demo_reports_the_intakes_refusal(app, runner, start_smtp_server):
    intake = start_smtp_server()
    intake.answer_next("RCPT", "550 5.1.1 No such mailbox here")
    app.config["MAIL_IN_PORT"] = intake.port
    result = runner.invoke(args=["mail", "send-demo", "--from", "eva@acme.example",
                                 "--subject", "Export fails", "--to", "nobody@desk.example"])
    assert result.exit_code == 1
    assert result.output == ("Error: The desk's intake did not take the mail: "
                             "550 5.1.1 No such mailbox here\n")
