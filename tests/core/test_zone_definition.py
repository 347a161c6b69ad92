"""Defining a new adjacent zone (S-A1): who may, and the rules a zone must meet."""

import pytest

from tongcheng.core.models import AdjacentZone, AuditEntry, Organisation, Person, RoleGrant, User

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


def visible_keys(username: str) -> set[str]:
    user = User.objects.get(username=username)
    return set(Organisation.objects.visible_to(user).values_list("key", flat=True))


def test_a_zone_beyond_the_office_territory_is_a_proposal_until_the_metro_office_approves_it(client_for):
    """Given 江宁—博望's office, when it defines 溧水—博望 (博望 is its own, 溧水 is not), then the zone is
    recorded as a proposal that grants nothing: the office gains no grant and no sight, and 博望's officer
    does not reach it. When the metro office approves it, the proposer becomes its office, granted by the
    approver, and every step is in the audit log."""
    before = visible_keys("office_jb")
    response = post(client_for("office_jb"), LISHUI_BOWANG)
    assert response.status_code == 201, response.content
    assert response.json()["status"] == "proposed"
    zone = AdjacentZone.objects.get(code="lishui-bowang")
    assert zone.status == "proposed" and zone.proposed_by.username == "office_jb"
    assert sorted(m.jurisdiction.code for m in zone.members.all()) == ["320117", "340506"]
    assert not RoleGrant.objects.filter(zone=zone).exists()
    assert visible_keys("office_jb") == before
    assert client_for("office_jb").get("/zones/lishui-bowang/").status_code == 200  # follows its proposal
    assert client_for("officer_bowang").get("/zones/lishui-bowang/").status_code == 404
    assert client_for("office_pn").get("/api/v1/zones/lishui-bowang").status_code == 404

    response = client_for("office_metro").post(
        "/api/v1/zones/lishui-bowang/approve", {"note": "同意"}, content_type="application/json"
    )
    assert response.status_code == 200, response.content
    assert response.json()["status"] == "active"
    grant = RoleGrant.objects.get(user__username="office_jb", zone=zone, role="office")
    assert grant.granted_by.username == "office_metro"
    assert list(AuditEntry.objects.filter(zone=zone).order_by("id").values_list("action", flat=True)) == [
        "zone.propose",
        "zone.approve",
        "grant.create",
    ]
    assert client_for("officer_bowang").get("/zones/lishui-bowang/").status_code == 200


def test_a_zone_inside_the_office_territory_is_active_and_its_office_sees_nothing_new(client_for):
    """Given 浦口—南谯's office, when it defines a zone of 顶山街道 (inside 浦口) and 南谯区, then the zone is
    active, the office runs it, and it sees exactly the organisations it saw before."""
    before = visible_keys("office_pn")
    body = {**LISHUI_BOWANG, "name": "顶山—南谯", "name_en": "Dingshan-Nanqiao"}
    body["members"] = [{"code": "320111002"}, {"code": "341103"}]
    response = post(client_for("office_pn"), body)
    assert response.status_code == 201, response.content
    zone = AdjacentZone.objects.get(code="dingshan-nanqiao")
    assert zone.status == "active"
    grant = RoleGrant.objects.get(user__username="office_pn", zone=zone, role="office")
    assert grant.granted_by.username == "office_pn"
    assert visible_keys("office_pn") == before


@pytest.mark.parametrize("members", [["320111", "340000"], ["341103", "320000"]])
def test_a_zone_office_cannot_reach_a_whole_province_through_a_zone(client_for, members):
    """Given 浦口—南谯's office, when it defines a zone of 浦口区 and the whole of 安徽省 (or 南谯区 and the whole of 江苏省), then it is
    refused (the province is not inside the metropolitan area): nothing is written, no grant is given and
    the office sees no organisation or person it did not see before."""
    before = visible_keys("office_pn")
    people_before = Person.objects.visible_to(User.objects.get(username="office_pn")).count()
    body = {
        **LISHUI_BOWANG,
        "name": "越权区",
        "name_en": "Overreach",
        "members": [{"code": c} for c in members],
    }
    response = post(client_for("office_pn"), body)
    assert response.status_code == 422, response.content
    assert response.json()["code"] == "member_outside_metro"
    assert not AdjacentZone.objects.filter(name="越权区").exists()
    assert (
        not RoleGrant.objects.filter(user__username="office_pn", role="office")
        .exclude(zone__code="pukou-nanqiao")
        .exists()
    )
    assert visible_keys("office_pn") == before
    assert Person.objects.visible_to(User.objects.get(username="office_pn")).count() == people_before


def test_a_zone_with_a_whole_city_beyond_the_office_is_only_a_proposal(client_for):
    """Given 浦口—南谯's office, when it defines 浦口区 + 马鞍山市 (a whole city of the metropolitan area), then
    the zone is a proposal and the office sees none of 马鞍山's organisations (e.g. 宁马新区 committee)."""
    body = {**LISHUI_BOWANG, "name": "浦口—马鞍山", "name_en": "Pukou-Maanshan"}
    body["members"] = [{"code": "320111"}, {"code": "340500"}]
    response = post(client_for("office_pn"), body)
    assert response.status_code == 201 and response.json()["status"] == "proposed"
    assert "ning-ma-nfz-committee" not in visible_keys("office_pn")
    assert client_for("office_pn").get("/organisations/ning-ma-nfz-committee/").status_code == 404


@pytest.mark.parametrize(
    "username,status",
    [
        ("office_metro", 200),
        ("office_jb", 403),  # the proposer sees its proposal but may not approve it
        ("officer_bowang", 404),
        ("auditor_jb", 404),
        ("office_pn", 404),
        ("applicant_demo", 404),
    ],
)
def test_who_may_decide_on_a_proposal(client_for, username, status):
    """Given a proposed zone, when each role tries to approve it, then only the metro office may; a role
    that sees the proposal gets 403, the others 404, and a refused call changes nothing."""
    assert post(client_for("office_jb"), LISHUI_BOWANG).status_code == 201
    response = client_for(username).post(
        "/api/v1/zones/lishui-bowang/approve", {"note": ""}, content_type="application/json"
    )
    assert response.status_code == status, response.content
    zone = AdjacentZone.objects.get(code="lishui-bowang")
    assert zone.status == ("active" if status == 200 else "proposed")
    assert RoleGrant.objects.filter(zone=zone).exists() == (status == 200)


def test_a_rejection_needs_a_reason_and_a_decided_zone_cannot_be_decided_again(client_for):
    assert post(client_for("office_jb"), LISHUI_BOWANG).status_code == 201
    metro = client_for("office_metro")
    url = "/api/v1/zones/lishui-bowang/reject"
    response = metro.post(url, {"note": "  "}, content_type="application/json")
    assert response.status_code == 422 and response.json()["field"] == "note"
    response = metro.post(url, {"note": "与既有示范区重叠"}, content_type="application/json")
    assert response.status_code == 200 and response.json()["status"] == "rejected"
    response = metro.post("/api/v1/zones/lishui-bowang/approve", {}, content_type="application/json")
    assert response.status_code == 409 and response.json()["code"] == "invalid_transition"
    assert not RoleGrant.objects.filter(zone__code="lishui-bowang").exists()
    page = client_for("office_jb").get("/zones/lishui-bowang/", HTTP_ACCEPT_LANGUAGE="zh-hans")
    assert "与既有示范区重叠" in page.content.decode()


def test_the_metro_office_decides_on_the_zone_page(client_for):
    """Given a proposal, the metro office sees the decision form on the zone page and approves there."""
    assert post(client_for("office_jb"), LISHUI_BOWANG).status_code == 201
    metro = client_for("office_metro")
    page = metro.get("/zones/lishui-bowang/")
    assert b'data-testid="zone-decision"' in page.content
    assert b'data-testid="zone-decision"' not in client_for("office_jb").get("/zones/lishui-bowang/").content
    response = metro.post("/zones/lishui-bowang/decide/", {"decision": "approve", "note": ""})
    assert response.status_code == 302
    assert AdjacentZone.objects.get(code="lishui-bowang").status == "active"
    # office_jb now runs the zone (it sees it) but only the metropolitan-area office decides: 403.
    decided = client_for("office_jb").post(
        "/zones/lishui-bowang/decide/", {"decision": "reject", "note": "x"}
    )
    assert decided.status_code == 403
    assert AdjacentZone.objects.get(code="lishui-bowang").status == "active"


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
    assert response.status_code == 422  # as the API answers, with the form and the input kept
    assert not AdjacentZone.objects.filter(name="溧水—江宁").exists()
    assert "溧水—江宁" in response.content.decode()


# --- sides are parties; a zone is defined once (issue 8, point 2) -------------------------------------------


def test_given_two_districts_of_one_city_when_a_zone_joins_them_then_it_is_refused_as_one_side(client_for):
    """溧水区 and 江宁区 both act for 南京市: a "cross-border" zone of the two is one side, refused with both
    names and the party in the message, and nothing is written."""
    before = AdjacentZone.objects.count()
    response = post(
        client_for("office_metro"), {**LISHUI_BOWANG, "members": [{"code": "320117"}, {"code": "320115"}]}
    )
    body = response.json()
    assert response.status_code == 422 and body["code"] == "one_sided_zone" and body["field"] == "members"
    assert "溧水区" in body["message"] and "江宁区" in body["message"] and "南京市" in body["message"]
    assert AdjacentZone.objects.count() == before


def test_given_members_of_two_cities_in_one_province_then_they_are_two_sides(client_for):
    """南京's 浦口区 and 淮安's 盱眙县 are both in Jiangsu but act for two cities: two sides, as for 宁淮."""
    response = post(
        client_for("office_metro"),
        {**LISHUI_BOWANG, "name": "浦口—盱眙", "members": [{"code": "320111"}, {"code": "320830"}]},
    )
    assert response.status_code == 201, response.content
    zone = AdjacentZone.objects.get(code=response.json()["code"])
    assert set(zone.members.values_list("side", flat=True)) == {"南京市", "淮安市"}


def test_given_a_party_code_that_is_not_the_members_city_then_it_is_refused_naming_the_row(client_for):
    response = post(
        client_for("office_metro"),
        {**LISHUI_BOWANG, "members": [{"code": "320117", "party_code": "341100"}, {"code": "340506"}]},
    )
    body = response.json()
    assert response.status_code == 422 and body["code"] == "party_mismatch"
    assert body["field"] == "members.0.party_code" and "南京市" in body["message"]


def test_given_an_existing_zone_when_the_same_name_is_defined_again_then_the_message_names_it(client_for):
    response = post(
        client_for("office_metro"),
        {
            **LISHUI_BOWANG,
            "name": "浦口—南谯跨界一体化发展示范区",
            "members": [{"code": "320117"}, {"code": "340506"}],
        },
    )
    body = response.json()
    assert response.status_code == 422 and body["code"] == "duplicate_zone" and body["field"] == "name"
    assert "pukou-nanqiao" in body["message"]


def test_given_an_existing_zone_when_its_members_and_date_are_defined_again_then_it_is_refused(client_for):
    zone = AdjacentZone.objects.get(code="jiangning-bowang")
    members = [{"code": code} for code in zone.members.values_list("jurisdiction__code", flat=True)]
    response = post(
        client_for("office_metro"),
        {
            **LISHUI_BOWANG,
            "name": "另一个名字",
            "established": zone.established.isoformat(),
            "members": members,
        },
    )
    body = response.json()
    assert response.status_code == 422 and body["code"] == "duplicate_zone" and body["field"] == "members"
    assert "jiangning-bowang" in body["message"]


def test_given_a_zone_the_office_cannot_see_when_it_is_defined_again_then_its_name_is_not_revealed(
    client_for,
):
    """office_pn runs 浦口—南谯 only: re-defining 宁淮特别合作区's name is refused without naming its code."""
    response = post(
        client_for("office_pn"),
        {**LISHUI_BOWANG, "name": "宁淮特别合作区", "members": [{"code": "320111"}, {"code": "341103"}]},
    )
    body = response.json()
    assert response.status_code == 422 and body["code"] == "duplicate_zone"
    assert "ninghuai" not in body["message"] and "宁淮" not in body["message"]
