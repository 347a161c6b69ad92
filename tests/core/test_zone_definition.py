"""Defining a new adjacent zone (S-A1): who may, and the rules a zone must meet."""

import pytest

from tongcheng.core.models import AdjacentZone, AuditEntry, RoleGrant

pytestmark = pytest.mark.django_db

LISHUI_BOWANG = {
    "name": "溧水—博望跨界一体化发展示范区",
    "name_en": "Lishui-Bowang",
    "kind": "cross_border_demo_zone",
    "established": "2027-01-01",
    "planning_area_km2": "40.00",
    "members": [{"code": "320117"}, {"code": "340506"}],
}


def post(client, body):
    return client.post("/api/v1/zones", body, content_type="application/json")


def test_the_office_of_an_overlapping_zone_defines_it_and_becomes_its_office(client_for):
    """Given 江宁—博望's office, when it defines 溧水—博望 (博望 is shared), then the zone exists, the office
    holds an office grant on it, and both steps are in the audit log."""
    response = post(client_for("office_jb"), LISHUI_BOWANG)
    assert response.status_code == 201, response.content
    zone = AdjacentZone.objects.get(code="lishui-bowang")
    assert sorted(m.jurisdiction.code for m in zone.members.all()) == ["320117", "340506"]
    assert RoleGrant.objects.filter(user__username="office_jb", zone=zone, role="office").exists()
    assert set(AuditEntry.objects.filter(zone=zone).values_list("action", flat=True)) == {
        "zone.create",
        "grant.create",
    }
    assert client_for("office_jb").get("/zones/lishui-bowang/").status_code == 200


def test_an_office_without_shared_territory_is_refused_and_nothing_is_written(client_for):
    response = post(client_for("office_pn"), LISHUI_BOWANG)
    assert response.status_code == 403
    assert response.json()["field"] == "members"
    assert not AdjacentZone.objects.filter(code="lishui-bowang").exists()


@pytest.mark.parametrize(
    "username", ["officer_pukou", "leader_jb", "auditor_jb", "finance_bowang", "clerk_bowang"]
)
def test_roles_other_than_office_cannot_define_zones(client_for, username):
    response = post(client_for(username), LISHUI_BOWANG)
    assert response.status_code == 403
    assert not AdjacentZone.objects.filter(code="lishui-bowang").exists()


def test_a_member_must_exist_at_the_start_date(client_for):
    """溧水区 (320117) dates from 2013 and 博望区 (340506) from 2012: in 2010 neither existed, in late 2012
    only 博望 did; every failing member is named."""
    response = post(client_for("office_metro"), {**LISHUI_BOWANG, "established": "2010-01-01"})
    body = response.json()
    assert response.status_code == 422 and body["code"] == "member_not_valid_at_start"
    assert [e["field"] for e in body["errors"]] == ["members.0.code", "members.1.code"]
    response = post(client_for("office_metro"), {**LISHUI_BOWANG, "established": "2012-10-01"})
    assert [e["field"] for e in response.json()["errors"]] == ["members.0.code"]
    assert not AdjacentZone.objects.filter(code="lishui-bowang").exists()


def test_a_zone_needs_two_sides(client_for):
    response = post(
        client_for("office_metro"), {**LISHUI_BOWANG, "members": [{"code": "320117"}, {"code": "320115"}]}
    )
    assert response.status_code == 422 and response.json()["code"] == "one_sided_zone"


def test_the_page_form_shows_the_rule_and_keeps_the_input(client_for):
    client = client_for("office_metro")
    form = {
        "name": "溧水—江宁",
        "kind": "cross_border_demo_zone",
        "established": "2027-01-01",
        "members-TOTAL_FORMS": "3",
        "members-INITIAL_FORMS": "0",
        "members-MIN_NUM_FORMS": "2",
        "members-MAX_NUM_FORMS": "20",
        "members-0-code": "320117",
        "members-0-role": "partner",
        "members-1-code": "320115",
        "members-1-role": "partner",
        "members-2-role": "partner",
    }
    response = client.post("/zones/new/", form, HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 200
    assert not AdjacentZone.objects.filter(name="溧水—江宁").exists()
    assert "溧水—江宁" in response.content.decode()
