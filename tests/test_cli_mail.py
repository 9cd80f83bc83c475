"""`flask mail import` and `flask mail send-demo`: one line per file, one per failure."""
from tests.fixtures.factories import make_contact
from tests.fixtures.mail import make_mail


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
