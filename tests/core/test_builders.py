"""The test-data builders (tongcheng/core/testing.py) write through the services, fail loudly when a
service refuses, and the small demo holds one border with the demo's names and roles."""

from __future__ import annotations

import pytest

from tongcheng.core.models import (
    AdjacentZone,
    AuditEntry,
    Jurisdiction,
    Organisation,
    RoleGrant,
    User,
    ZoneStatus,
)
from tongcheng.core.testing import (
    SMALL_DEMO_JURISDICTIONS,
    SMALL_DEMO_ORGANISATIONS,
    SMALL_DEMO_USERS,
    grant,
    make_organisation,
    make_user,
    make_zone,
)
from tongcheng.kit.testing import BuildRefused

pytestmark = [pytest.mark.django_db, pytest.mark.small_demo]


def test_given_the_small_demo_then_it_holds_one_border_with_the_demos_names():
    assert list(AdjacentZone.objects.values_list("code", flat=True)) == ["pukou-nanqiao"]
    assert set(Jurisdiction.objects.values_list("code", flat=True)) == set(SMALL_DEMO_JURISDICTIONS)
    assert set(Organisation.objects.values_list("key", flat=True)) == set(SMALL_DEMO_ORGANISATIONS)
    assert set(User.objects.values_list("username", flat=True)) == {"admin", *SMALL_DEMO_USERS}
    zone = AdjacentZone.objects.get(code="pukou-nanqiao")
    members = list(zone.members.select_related("jurisdiction"))
    assert {m.jurisdiction.code for m in members} == {"320111", "341103"}
    assert len({m.side for m in members}) == 2  # one border between them


@pytest.mark.parametrize(
    ("username", "zones", "sees", "not_sees"),
    [
        (
            "office_pn",
            {"pukou-nanqiao"},
            {"pukou-nanqiao-office", "win-pukou", "win-nanqiao"},
            {"win-jiangning"},
        ),
        ("officer_jiangning", set(), {"win-jiangning"}, {"win-pukou", "win-nanqiao", "fin-nanqiao"}),
        ("clerk_nanqiao", {"pukou-nanqiao"}, {"win-nanqiao"}, {"win-jiangning"}),
    ],
)
def test_given_the_small_demo_when_a_role_reads_then_it_sees_its_side_only(username, zones, sees, not_sees):
    """Given the grants the small demo gave through the grant service, when each of three roles lists
    zones and organisations, then it sees what its scope reaches and not Jiangning (outside the zone), or,
    for Jiangning's officer, not the zone's organisations."""
    user = User.objects.get(username=username)
    assert set(AdjacentZone.objects.visible_to(user).values_list("code", flat=True)) == zones
    seen = set(Organisation.objects.visible_to(user).values_list("key", flat=True))
    assert sees <= seen, seen
    assert not (not_sees & seen), seen


def test_given_the_small_demo_then_its_records_were_written_by_the_services():
    """The small demo's zone, organisations and grants were made by the services as the users themselves:
    each has its audit entry and the grants name who gave them."""
    actions = set(AuditEntry.objects.values_list("action", flat=True))
    assert {"zone.create", "organisation.create", "grant.create"} <= actions
    office_pn_grant = RoleGrant.objects.get(user__username="office_pn")
    assert office_pn_grant.granted_by.username == "office_metro"
    assert AuditEntry.objects.filter(action="organisation.create").count() == len(SMALL_DEMO_ORGANISATIONS)


def test_when_the_metro_office_builds_a_zone_an_organisation_and_a_grant_then_each_is_saved_and_audited():
    newcomer = make_user("newcomer_b", display_name="新来的 小白")
    zone = make_zone("office_metro", members=["320115", "341103"], code="jn-nq-test")
    org = make_organisation("office_metro", key="test-window", jurisdiction="320115", zone=zone)
    given = grant("office_metro", newcomer, "officer", zone)

    assert zone.pk and zone.status == ZoneStatus.ACTIVE
    assert org.pk and org.zone_id == zone.pk
    assert given.pk and given.granted_by.username == "office_metro"
    assert set(AdjacentZone.objects.visible_to(newcomer).values_list("code", flat=True)) == {"jn-nq-test"}
    assert AuditEntry.objects.filter(action="zone.create", object_id=str(zone.pk)).exists()
    assert AuditEntry.objects.filter(action="organisation.create", object_id=str(org.pk)).exists()
    assert AuditEntry.objects.filter(action="grant.create", object_id=str(given.pk)).exists()


def test_when_an_office_defines_a_zone_beyond_its_territory_then_the_builder_returns_the_proposal():
    zone = make_zone("office_pn", members=["341103", "320115"], code="nq-jn-test")
    assert zone.status == ZoneStatus.PROPOSED


@pytest.mark.parametrize(
    ("build", "says"),
    [
        (lambda: make_zone("officer_pukou", members=["320111", "341103"]), "forbidden"),
        (lambda: grant("office_pn", "clerk_pukou", "office", "metro:nanjing"), "forbidden (field scope)"),
        (
            lambda: make_organisation("office_metro", key="x", kind="no-such-kind"),
            "invalid_choice (field kind)",
        ),
        (lambda: make_zone("office_metro", members=["320111", "320115"]), "one_sided_zone (field members)"),
    ],
)
def test_when_the_service_refuses_then_the_builder_fails_naming_the_refusal_and_nothing_is_written(
    build, says
):
    before = (AdjacentZone.objects.count(), Organisation.objects.count(), RoleGrant.objects.count())
    with pytest.raises(BuildRefused, match="was refused: " + says.replace("(", r"\(").replace(")", r"\)")):
        build()
    assert (AdjacentZone.objects.count(), Organisation.objects.count(), RoleGrant.objects.count()) == before
