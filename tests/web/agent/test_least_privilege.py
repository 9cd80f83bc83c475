"""With teams, an agent's pages show only their organisations; the rest is not found (404)."""
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa

from helpdesk.adapters.storage import blob_store
from helpdesk.extensions import db
from helpdesk.models import (
    AccessGrant,
    Attachment,
    AuditEntry,
    Category,
    StaffRole,
    Team,
    Ticket,
)
from helpdesk.services import Refusal
from helpdesk.services.people.visibility import staff_who_may_see_ticket
from helpdesk.services.tickets import desk
from tests.conftest import post_form, sign_in
from tests.fixtures.factories import make_contact, make_organisation, make_staff, make_ticket
from tests.fixtures.mail import accept_mail, make_mail
from tests.web.agent.conftest import htmx


@pytest.fixture
def teams_desk(app, agent):
    """Acme served by the agent's team; Globex by nobody the agent knows."""
    acme = make_organisation(slug="acme", name="Acme")
    globex = make_organisation(slug="globex", name="Globex")
    team = Team(name="Benelux", created_at=datetime.now(UTC), members=[agent],
                organisations=[acme])
    db.session.add(team)
    db.session.commit()
    return {"acme": make_ticket(make_contact(acme, name="Eva Acme"), subject="Acme export"),
            "globex": make_ticket(make_contact(globex, name="Gert Globex"),
                                  subject="Globex export")}


def test_the_queue_and_its_search_show_only_the_teams_organisations(agent_client, teams_desk):
    page = agent_client.get("/desk/?status=all").get_data(as_text=True)
    assert "Acme export" in page and "Globex export" not in page
    assert '<option value="globex"' not in page  # the organisation filter too
    found = agent_client.get("/desk/?q=export", headers=htmx("queue-results"))
    assert "Acme export" in found.get_data(as_text=True)
    assert "Globex export" not in found.get_data(as_text=True)


def test_a_ticket_of_another_organisation_is_not_found_on_every_route(agent_client,
                                                                      teams_desk):
    number = teams_desk["globex"].number
    assert agent_client.get(f"/desk/tickets/{teams_desk['acme'].number}").status_code == 200
    assert agent_client.get(f"/desk/tickets/{number}").status_code == 404
    assert post_form(agent_client, f"/desk/tickets/{number}/note",
                     {"body": "Peek"}).status_code == 404
    assert post_form(agent_client, f"/desk/tickets/{number}/presence").status_code == 404
    assert db.session.scalars(sa.select(AuditEntry).filter_by(
        action="view_ticket", subject_id=teams_desk["globex"].id)).all() == []


def test_attachments_of_another_organisation_are_not_found(agent_client, teams_desk):
    path, digest = blob_store().put(b"%PDF-1.7")
    attachment = Attachment(message_id=teams_desk["globex"].messages[0].id, filename="a.pdf",
                            content_type="application/pdf", size=8, sha256=digest,
                            storage_path=path)
    db.session.add(attachment)
    db.session.commit()
    assert agent_client.get(f"/desk/attachments/{attachment.id}").status_code == 404
    assert db.session.scalars(sa.select(AuditEntry).filter_by(action="download")).all() == []


def test_the_source_of_a_mail_of_another_organisation_is_not_found(agent_client, teams_desk):
    globex = teams_desk["globex"].organisation
    make_contact(globex, email="gina@globex.example")
    raw = make_mail("gina@globex.example", "Globex mail", "Secret")
    now = datetime.now(UTC)
    accept_mail(raw, received_at=now, now=now)
    ticket = db.session.scalars(sa.select(Ticket).filter_by(subject="Globex mail")).one()
    for suffix in ("source", "source.eml"):
        url = f"/desk/tickets/{ticket.number}/messages/{ticket.messages[0].id}/{suffix}"
        response = agent_client.get(url)
        assert response.status_code == 404 and b"Secret" not in response.data


def test_the_phone_pickers_offer_only_the_teams_super_users(agent_client, teams_desk):
    page = agent_client.get("/desk/contacts?contact_q=e").get_data(as_text=True)
    assert "Eva Acme" in page and "Gert Globex" not in page
    def log_call_with(contact):
        return post_form(agent_client, "/desk/phone", {
            "contact_id": str(contact.id), "category": "question", "subject": "Call",
            "summary": "Asked", "call_at": "2026-11-30T09:00", "duration_minutes": "5",
            "outcome": "follow-up"})
    assert log_call_with(teams_desk["globex"].raised_by).status_code == 200
    assert db.session.scalars(sa.select(Ticket).filter_by(subject="Call")).all() == []
    assert log_call_with(teams_desk["acme"].raised_by).status_code == 303


def test_a_manager_sees_every_ticket_whatever_the_teams(client, teams_desk):
    sign_in(client, make_staff(StaffRole.MANAGER))
    assert client.get(f"/desk/tickets/{teams_desk['globex'].number}").status_code == 200


def test_a_ticket_is_offered_and_given_only_to_colleagues_who_may_see_it(agent_client, agent,
                                                                        teams_desk):
    outsider = make_staff(name="Otto Outside")
    manager = make_staff(StaffRole.MANAGER, name="Mia Manager")
    ticket = teams_desk["acme"]
    page = agent_client.get(f"/desk/tickets/{ticket.number}").get_data(as_text=True)
    assert f'<option value="{manager.id}"' in page and f'<option value="{agent.id}"' in page
    assert f'<option value="{outsider.id}"' not in page

    refused = post_form(agent_client, f"/desk/tickets/{ticket.number}/assign",
                        {"assignee": str(outsider.id)})
    assert refused.status_code == 200  # the form again, with its error
    assert "Otto Outside" not in refused.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(Ticket, ticket.id).assignee_id is None
    given = post_form(agent_client, f"/desk/tickets/{ticket.number}/assign",
                      {"assignee": str(manager.id)})
    assert given.status_code == 303
    db.session.expire_all()
    assert db.session.get(Ticket, ticket.id).assignee_id == manager.id


def test_a_grant_makes_a_colleague_a_choice_until_it_ends(agent_client, teams_desk):
    outsider = make_staff(name="Otto Outside")
    ticket = teams_desk["acme"]
    now = datetime.now(UTC)
    db.session.add(AccessGrant(staff_id=outsider.id, organisation_id=ticket.organisation_id,
                               granted_at=now - timedelta(hours=1),
                               expires_at=now + timedelta(hours=1), reason="Holiday cover"))
    db.session.commit()
    assert [s.name for s in staff_who_may_see_ticket(ticket, now)].count("Otto Outside") == 1
    assert "Otto Outside" not in [
        s.name for s in staff_who_may_see_ticket(ticket, now + timedelta(hours=2))]


def test_the_service_refuses_a_colleague_who_cannot_see_the_ticket(agent, teams_desk):
    outsider = make_staff(name="Otto Outside")
    with pytest.raises(Refusal) as refused:
        desk.assign(teams_desk["acme"], agent, outsider.id, datetime.now(UTC))
    assert refused.value.message.startswith("%(name)s does not serve this organisation")
    calamity = teams_desk["globex"]
    calamity.category = Category.CALAMITY  # everyone's: all hands
    db.session.commit()
    desk.assign(calamity, agent, outsider.id, datetime.now(UTC))
    assert calamity.assignee_id == outsider.id
