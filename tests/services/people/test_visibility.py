"""Least privilege: who sees which organisation, with and without teams, and for how long."""
from datetime import UTC, datetime, timedelta

import pytest

from helpdesk.extensions import db
from helpdesk.models import AuditEntry, Category, StaffRole
from helpdesk.services import NotFound, Refusal
from helpdesk.services.people import teams, visibility
from helpdesk.services.people.directory import find_super_users
from helpdesk.services.tickets.queue import (
    QueueFilters,
    organisation_choices,
    queue_query,
    ticket_by_number,
)
from tests.fixtures.factories import make_contact, make_organisation, make_staff, make_ticket

NOW = datetime(2026, 11, 30, 9, 0, tzinfo=UTC)


@pytest.fixture
def desk(app):
    """Two organisations with a ticket each, an agent, and a manager."""
    acme = make_organisation(slug="acme", name="Acme")
    globex = make_organisation(slug="globex", name="Globex")
    made = {"acme": acme, "globex": globex,
            "agent": make_staff(name="Anna"), "manager": make_staff(StaffRole.MANAGER),
            "acme_ticket": make_ticket(make_contact(acme, name="Eva Acme"), now=NOW),
            "globex_ticket": make_ticket(make_contact(globex, name="Gert Globex"), now=NOW)}
    return made


def _queue_numbers(viewer, now=NOW) -> set[int]:
    query = queue_query(QueueFilters(status="all"), viewer, now)
    return {row.number for row in db.session.execute(query)}


def _team_serving(desk, organisation, *members):
    team = teams.create_team(desk["manager"], f"Team {organisation.slug}", NOW)
    teams.set_organisations(desk["manager"], team.id, [organisation.id], NOW)
    teams.set_members(desk["manager"], team.id, [m.id for m in members], NOW)
    return team


def test_without_teams_every_agent_sees_every_organisation(desk):
    assert visibility.visible_organisation_ids(desk["agent"], NOW) is None
    assert _queue_numbers(desk["agent"]) == {desk["acme_ticket"].number,
                                             desk["globex_ticket"].number}


def test_with_teams_an_agent_sees_only_the_organisations_their_teams_serve(desk):
    _team_serving(desk, desk["acme"], desk["agent"])
    assert visibility.visible_organisation_ids(desk["agent"], NOW) == {desk["acme"].id}
    assert _queue_numbers(desk["agent"]) == {desk["acme_ticket"].number}
    assert [o.slug for o in organisation_choices(desk["agent"], NOW)] == ["acme"]


def test_an_agent_in_no_team_sees_nothing_once_teams_exist(desk):
    _team_serving(desk, desk["acme"])
    assert _queue_numbers(desk["agent"]) == set()


def test_a_ticket_of_another_organisation_is_not_found(desk):
    _team_serving(desk, desk["acme"], desk["agent"])
    assert ticket_by_number(desk["acme_ticket"].number, desk["agent"], NOW)
    with pytest.raises(NotFound):
        ticket_by_number(desk["globex_ticket"].number, desk["agent"], NOW)


def test_search_finds_only_tickets_the_agent_may_see(desk):
    _team_serving(desk, desk["acme"], desk["agent"])
    query = queue_query(QueueFilters(q="export", status="all"), desk["agent"], NOW)
    assert {row.number for row in db.session.execute(query)} == {desk["acme_ticket"].number}
    by_number = queue_query(QueueFilters(q=str(desk["globex_ticket"].number)), desk["agent"], NOW)
    assert db.session.execute(by_number).all() == []


def test_managers_see_every_organisation_whatever_the_teams(desk):
    _team_serving(desk, desk["acme"], desk["agent"])
    assert visibility.visible_organisation_ids(desk["manager"], NOW) is None
    assert len(_queue_numbers(desk["manager"])) == 2


def test_a_calamity_is_seen_by_every_agent_whatever_their_teams(desk):
    _team_serving(desk, desk["acme"], desk["agent"])
    calamity = make_ticket(make_contact(desk["globex"]), now=NOW, category=Category.CALAMITY,
                           subject="Everything is down")
    assert calamity.number in _queue_numbers(desk["agent"])
    assert ticket_by_number(calamity.number, desk["agent"], NOW) == calamity


def test_the_super_user_finder_offers_only_visible_organisations(desk):
    _team_serving(desk, desk["acme"], desk["agent"])
    assert [c.name for c in find_super_users("e", desk["agent"], NOW)] == ["Eva Acme"]
    assert len(find_super_users("e", desk["manager"], NOW)) == 2


def test_a_grant_opens_one_organisation_until_it_expires(desk):
    _team_serving(desk, desk["acme"], desk["agent"])
    grant = teams.grant_access(desk["manager"], desk["agent"].id, desk["globex"].id, 4,
                               "Covering for Bob", NOW)
    end = NOW + timedelta(hours=4)
    assert grant.expires_at == end
    assert _queue_numbers(desk["agent"], NOW - timedelta(seconds=1)) == {
        desk["acme_ticket"].number}
    assert desk["globex_ticket"].number in _queue_numbers(desk["agent"], NOW)
    assert desk["globex_ticket"].number in _queue_numbers(desk["agent"],
                                                          end - timedelta(seconds=1))
    assert desk["globex_ticket"].number not in _queue_numbers(desk["agent"], end)
    with pytest.raises(NotFound):
        ticket_by_number(desk["globex_ticket"].number, desk["agent"], end)


def test_revoking_a_grant_ends_it_at_once(desk):
    _team_serving(desk, desk["acme"], desk["agent"])
    grant = teams.grant_access(desk["manager"], desk["agent"].id, desk["globex"].id, 24,
                               "Holiday cover", NOW)
    teams.revoke_grant(desk["manager"], grant.id, NOW + timedelta(hours=1))
    assert desk["globex_ticket"].number not in _queue_numbers(desk["agent"],
                                                              NOW + timedelta(hours=1))
    with pytest.raises(Refusal):
        teams.revoke_grant(desk["manager"], grant.id, NOW + timedelta(hours=2))


@pytest.mark.parametrize("hours", [0, 30 * 24 + 1])
def test_a_grant_lasts_at_least_an_hour_and_at_most_thirty_days(desk, hours):
    with pytest.raises(Refusal):
        teams.grant_access(desk["manager"], desk["agent"].id, desk["globex"].id, hours,
                           "Cover", NOW)


def test_a_grant_needs_a_reason_and_an_agent(desk):
    with pytest.raises(Refusal):
        teams.grant_access(desk["manager"], desk["agent"].id, desk["globex"].id, 4, " ", NOW)
    with pytest.raises(Refusal):
        teams.grant_access(desk["manager"], desk["manager"].id, desk["globex"].id, 4, "x", NOW)


def test_team_changes_grants_and_revocations_are_audited_with_who_and_when(desk):
    team = _team_serving(desk, desk["acme"], desk["agent"])
    teams.rename_team(desk["manager"], team.id, "Benelux", NOW)
    grant = teams.grant_access(desk["manager"], desk["agent"].id, desk["globex"].id, 2,
                               "Cover", NOW)
    teams.revoke_grant(desk["manager"], grant.id, NOW)
    teams.delete_team(desk["manager"], team.id, NOW)
    entries = db.session.scalars(db.select(AuditEntry).where(
        AuditEntry.subject_type.in_(["team", "access_grant"])).order_by(AuditEntry.id)).all()
    assert [e.action for e in entries] == [
        "team_create", "team_organisations", "team_members", "team_rename", "access_grant",
        "access_revoke", "team_delete"]
    assert {e.staff_id for e in entries} == {desk["manager"].id}
    assert all(e.at == NOW for e in entries)
    assert entries[2].detail == f"members: +{desk['agent'].email}"
    assert "globex" in entries[4].detail and "Cover" in entries[4].detail


def test_deleting_the_last_team_gives_every_agent_every_organisation_again(desk):
    team = _team_serving(desk, desk["acme"], desk["agent"])
    teams.delete_team(desk["manager"], team.id, NOW)
    assert len(_queue_numbers(desk["agent"])) == 2


def test_two_teams_cannot_share_a_name(desk):
    teams.create_team(desk["manager"], "Benelux", NOW)
    with pytest.raises(Refusal):
        teams.create_team(desk["manager"], "benelux", NOW)
