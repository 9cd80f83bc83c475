"""The command line: each command, and one clear line on bad input."""
import json
import zipfile
from datetime import UTC, datetime, timedelta

import pyotp
import pytest
import sqlalchemy as sa
import time_machine

from helpdesk.extensions import db
from helpdesk.models import (
    Category,
    Contact,
    HeldMessage,
    HeldReason,
    Message,
    Organisation,
    OrganisationStatus,
    OutboxMessage,
    StaffMember,
    Ticket,
)
from helpdesk.services.tickets import desk
from helpdesk.services.tickets.desk import CallOutcome
from tests.fixtures.factories import make_contact, make_organisation, make_staff, make_ticket


def _fails_with_one_line(result, text):
    assert result.exit_code != 0
    assert "Traceback" not in result.output
    lines = [line for line in result.output.splitlines() if line.strip()]
    assert len(lines) == 1 and text in lines[0], result.output


def test_orgs_add_creates_an_organisation(runner):
    result = runner.invoke(args=["orgs", "add", "acme", "--name", "Acme B.V."])
    assert result.exit_code == 0, result.output
    assert db.session.scalar(sa.select(Organisation).filter_by(slug="acme")).name == "Acme B.V."


def test_orgs_add_refuses_a_duplicate_slug(runner):
    make_organisation(slug="acme")
    _fails_with_one_line(runner.invoke(args=["orgs", "add", "acme", "--name", "Again"]),
                         "exists already")


def test_orgs_add_refuses_a_malformed_slug(runner):
    _fails_with_one_line(runner.invoke(args=["orgs", "add", "Acme Corp", "--name", "x"]),
                         "slug")


def test_orgs_status_suspends_and_refuses_unknown_values(runner):
    make_organisation(slug="acme")
    assert runner.invoke(args=["orgs", "status", "acme", "suspended"]).exit_code == 0
    db.session.expire_all()
    organisation = db.session.scalar(sa.select(Organisation).filter_by(slug="acme"))
    assert organisation.status == OrganisationStatus.SUSPENDED
    _fails_with_one_line(runner.invoke(args=["orgs", "status", "acme", "paused"]),
                         "Choose active, suspended or ended")
    _fails_with_one_line(runner.invoke(args=["orgs", "status", "nope", "active"]),
                         "no organisation")


def test_orgs_status_from_a_later_day_waits_for_the_job_and_names_no_staff_member(runner):
    make_organisation(slug="acme")
    later = (datetime.now(UTC) + timedelta(days=3)).date()
    result = runner.invoke(args=["orgs", "status", "acme", "suspended",
                                 "--from", later.isoformat()])
    assert result.exit_code == 0, result.output
    assert result.output.startswith("acme becomes suspended at ")
    organisation = db.session.scalar(sa.select(Organisation).filter_by(slug="acme"))
    assert (organisation.status, organisation.pending_status) == (
        OrganisationStatus.ACTIVE, OrganisationStatus.SUSPENDED)
    db.session.rollback()
    assert runner.invoke(args=["orgs", "apply-due"]).output == "Statuses applied: 0.\n"
    with time_machine.travel(datetime.combine(later, datetime.min.time(), UTC)
                             + timedelta(days=1), tick=False):
        assert runner.invoke(args=["orgs", "apply-due"]).output == "Statuses applied: 1.\n"
    db.session.expire_all()
    assert organisation.status == OrganisationStatus.SUSPENDED
    assert organisation.status_changed_by_id is None
    _fails_with_one_line(runner.invoke(args=["orgs", "status", "acme", "ended",
                                             "--from", "2020-01-01"]), "today or later")
    _fails_with_one_line(runner.invoke(args=["orgs", "status", "acme", "ended",
                                             "--from", "soon"]), "not a date")


def test_ending_an_organisation_ends_its_portal_sessions(runner):
    contact = make_contact(make_organisation(slug="acme"))
    token = contact.session_token
    assert runner.invoke(args=["orgs", "status", "acme", "ended"]).exit_code == 0
    db.session.expire_all()
    assert db.session.get(Contact, contact.id).session_token != token


def test_contacts_add_registers_a_super_user_with_a_lower_case_address(runner):
    make_organisation(slug="acme")
    result = runner.invoke(args=["contacts", "add", "Eva@Acme.Example", "--org", "acme",
                                 "--name", "Eva", "--super-user"])
    assert result.exit_code == 0, result.output
    contact = db.session.scalar(sa.select(Contact).filter_by(email="eva@acme.example"))
    assert contact.is_super_user


def test_contacts_add_error_cases(runner):
    make_organisation(slug="acme")
    args = ["contacts", "add", "eva@acme.example", "--org", "acme", "--name", "Eva"]
    assert runner.invoke(args=args).exit_code == 0
    _fails_with_one_line(runner.invoke(args=args), "exists already")
    _fails_with_one_line(runner.invoke(args=["contacts", "add", "EVA@acme.example", "--org",
                                             "acme", "--name", "Eva"]), "exists already")
    _fails_with_one_line(runner.invoke(args=["contacts", "add", "x@y.example", "--org", "nope",
                                             "--name", "X"]), "no organisation")
    _fails_with_one_line(runner.invoke(args=["contacts", "add", "not-an-address", "--org",
                                             "acme", "--name", "X"]), "not an email address")


def test_staff_add_reads_the_password_from_stdin_and_prints_the_totp_uri_once(runner):
    result = runner.invoke(args=["staff", "add", "anna@desk.example", "--name", "Anna",
                                 "--role", "agent"], input="a long enough password\n")
    assert result.exit_code == 0, result.output
    staff = db.session.scalar(sa.select(StaffMember).filter_by(email="anna@desk.example"))
    assert f"secret={staff.totp_secret}" in result.output
    assert "a long enough password" not in result.output
    code = runner.invoke(args=["staff", "code", "anna@desk.example"]).output.strip()
    assert pyotp.TOTP(staff.totp_secret).verify(code)


def test_a_refusal_prints_error_and_its_english_sentence_and_exits_1(runner):
    make_organisation(slug="acme")
    result = runner.invoke(args=["orgs", "add", "acme", "--name", "Again"])
    assert result.exit_code == 1
    assert result.output == "Error: An organisation with slug acme exists already.\n"


def test_staff_add_error_cases(runner):
    args = ["staff", "add", "anna@desk.example", "--name", "Anna", "--role", "agent"]
    _fails_with_one_line(runner.invoke(args=args, input="short\n"), "at least 10")
    assert runner.invoke(args=args, input="a long enough password\n").exit_code == 0
    _fails_with_one_line(runner.invoke(args=args, input="a long enough password\n"),
                         "exists already")
    bad_role = runner.invoke(args=["staff", "add", "b@desk.example", "--name", "B",
                                   "--role", "boss"], input="a long enough password\n")
    assert bad_role.exit_code != 0 and "Traceback" not in bad_role.output


def test_export_writes_the_documented_json(runner, tmp_path):
    ticket = make_ticket(raised_by=make_contact(make_organisation(slug="acme"), phone="0612"))
    make_ticket(raised_by=make_contact())  # another organisation: not exported
    output = tmp_path / "acme.json"
    result = runner.invoke(args=["export", "--org", "acme", "--output", str(output)])
    assert result.exit_code == 0, result.output
    data = json.loads(output.read_text())
    assert set(data) >= {"organisation", "contacts", "tickets", "held_messages"}
    assert data["organisation"] == {**data["organisation"], "slug": "acme", "status": "active"}
    assert [c["email"] for c in data["contacts"]] == [ticket.raised_by.email]
    assert data["contacts"][0]["phone"] == "0612"
    assert {"email", "name", "super_user"} <= set(data["contacts"][0])
    [exported] = data["tickets"]
    assert exported["number"] == ticket.number
    assert set(exported) >= {"number", "subject", "category", "status", "channel", "raised_by",
                             "created_at", "response_due_at", "first_response_at", "breached",
                             "messages"}
    assert exported["created_at"].endswith("Z")
    [message] = exported["messages"]
    assert set(message) >= {"kind", "sender", "created_at", "message_id", "body_text",
                            "attachments"}
    assert message["kind"] == "inbound"


def test_export_keeps_a_logged_call_as_a_call_with_its_end(runner, now):
    caller = make_contact(make_organisation(slug="acme"))
    desk.log_call(make_staff(name="Anna"), caller.id, category=Category.QUESTION,
                  subject="Export", summary="Explained the export.", call_at=now,
                  call_ended_at=now + timedelta(minutes=5), outcome=CallOutcome.ANSWERED,
                  now=now + timedelta(minutes=6))
    data = json.loads(runner.invoke(args=["export", "--org", "acme"]).output)
    [ticket] = data["tickets"]
    [call] = ticket["messages"]
    assert (call["kind"], call["sender"], call["body_text"]) == (
        "call", "Anna", "Explained the export.")
    assert call["call_ended_at"] == ticket["first_response_at"] == "2026-11-30T09:05:00Z"


def test_export_includes_held_mail_from_the_organisations_contacts(runner, now):
    contact = make_contact(make_organisation(slug="acme"), is_super_user=False)
    db.session.add(HeldMessage(sender=contact.email, subject="Hello", received_at=now,
                               reason=HeldReason.NOT_SUPER_USER, message_id="m1@x"))
    db.session.commit()
    data = json.loads(runner.invoke(args=["export", "--org", "acme"]).output)
    assert data["held_messages"] == [{"sender": contact.email, "subject": "Hello",
                                      "reason": "not a super-user",
                                      "received_at": "2026-11-30T09:00:00Z",
                                      "message_id": "m1@x"}]


def test_export_of_an_unknown_organisation_fails_with_one_line(runner):
    _fails_with_one_line(runner.invoke(args=["export", "--org", "nope"]), "no organisation")


def test_held_lists_reasons_and_json(runner, now):
    db.session.add(HeldMessage(sender="spam@example.com", subject="Win", received_at=now,
                               reason=HeldReason.UNKNOWN_SENDER))
    db.session.commit()
    assert "unknown sender" in runner.invoke(args=["held"]).output
    rows = json.loads(runner.invoke(args=["held", "--json"]).output)
    assert rows[0]["reason"] == "unknown sender" and rows[0]["sender"] == "spam@example.com"


def test_demo_seeds_every_state_once_and_bulk_adds_tickets(runner):
    first = runner.invoke(args=["demo"])
    assert first.exit_code == 0, first.output
    assert "agent@helpdesk.example" in first.output
    statuses = set(db.session.scalars(sa.select(Ticket.status)))
    assert {s.value for s in statuses} == {"new", "open", "waiting", "resolved", "closed"}
    count = db.session.scalar(sa.select(sa.func.count()).select_from(Ticket))
    again = runner.invoke(args=["demo", "--tickets", "200"])
    assert again.exit_code == 0, again.output
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Ticket)) == count + 200
    numbers = db.session.scalars(sa.select(Ticket.number)).all()
    assert len(set(numbers)) == len(numbers)


def _counts() -> tuple[int, ...]:
    return tuple(db.session.scalar(sa.select(sa.func.count()).select_from(model))
                 for model in (Ticket, Message, HeldMessage, OutboxMessage, StaffMember))


def test_demo_on_a_seeded_desk_keeps_its_data_and_prints_the_logins_again(runner):
    first = runner.invoke(args=["demo"])
    counts = _counts()

    again = runner.invoke(args=["demo"])

    assert again.exit_code == 0, again.output
    assert _counts() == counts
    assert "Demo desk seeded." in first.output and "seeded" not in again.output
    assert again.output == first.output.replace("Demo desk seeded.\n", "")
    for login in ("manager  manager@helpdesk.example", "eva@acme.example (Acme Logistics B.V.)",
                  "password 'demo-password'", "flask staff code EMAIL"):
        assert login in again.output


def test_demo_on_a_real_desk_seeds_nothing_and_shows_no_demo_logins(runner):
    make_staff(email="boss@real.example")
    result = runner.invoke(args=["demo"])
    assert result.exit_code == 0, result.output
    assert result.output == "This desk has staff and no demo accounts: nothing seeded.\n"
    assert not db.session.scalar(sa.select(sa.func.count()).select_from(Ticket))


@pytest.mark.parametrize("address", [
    "ok\u202e@acme.example",  # a right-to-left override: 'ok@' reads otherwise in a mail client
    "a\x1bb@acme.example", "a\u200bb@acme.example", "a@acme\u2028.example",
    "a\u00a0b@acme.example",
])
def test_an_address_with_control_or_invisible_characters_is_refused(runner, address):
    make_organisation(slug="acme")
    _fails_with_one_line(runner.invoke(args=["contacts", "add", address, "--org", "acme",
                                             "--name", "X"]), "not an email address")
    _fails_with_one_line(runner.invoke(args=["staff", "add", address, "--name", "X",
                                             "--role", "agent"]), "not an email address")


@pytest.mark.parametrize("args", [["outbox", "send", "--limit"], ["demo", "--tickets"]])
def test_a_count_too_large_for_the_database_is_a_usage_error(runner, args):
    result = runner.invoke(args=[*args, "9" * 23])
    assert result.exit_code == 2
    assert "is not in the range" in result.output


def test_privacy_export_writes_the_zip_and_keeps_flask_export_as_json(runner, tmp_path):
    ticket = make_ticket(raised_by=make_contact(make_organisation(slug="acme")))
    output = tmp_path / "acme.zip"
    result = runner.invoke(args=["privacy", "export", "--org", "acme", "--output", str(output)])
    assert result.exit_code == 0, result.output
    with zipfile.ZipFile(output) as archive:
        data = json.loads(archive.read("export.json"))
    assert [t["number"] for t in data["tickets"]] == [ticket.number]
    old = json.loads(runner.invoke(args=["export", "--org", "acme"]).output)
    assert old["tickets"] == data["tickets"]


def test_privacy_export_of_an_unknown_organisation_fails_with_one_line(runner, tmp_path):
    _fails_with_one_line(runner.invoke(args=["privacy", "export", "--org", "nope", "--output",
                                             str(tmp_path / "x.zip")]), "no organisation")
