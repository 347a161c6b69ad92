"""Role grants managed in the UI (issue 7, point 2): offices give and withdraw roles within their scope.

Given the demo (office_metro runs the metropolitan area, office_pn and office_jb each run one zone), then
- /grants/ lists exactly the grants on scopes the office's own grants cover (the "manage" action of the
  RoleGrant rule, which must agree with services.grants.may_grant_on for every grant and every user);
- only offices use the pages: another signed-in user gets 403, an anonymous visitor the sign-in page;
- giving a role inside the scope is 302, a row and an audit entry; on a scope the office sees but does not
  run it is 403 and nothing is written; on a scope it cannot see it reads like a missing code (400);
- withdrawing asks for a confirmation, then ends the grant today with an audit entry; another office's
  grant is 404, nothing changes when refused;
- users are found by exact username, or by display name only among people already holding a role in the
  office's scope (the office cannot list every account)."""

from __future__ import annotations

import re

import pytest
from django.test import Client
from django.utils import timezone

from tongcheng.core.models import AdjacentZone, AuditEntry, MetroArea, RoleGrant, User, ZoneStatus
from tongcheng.core.services import grants
from tongcheng.core.testing import make_user, make_zone
from tongcheng.kit.access import forget_scope, restrict
from tongcheng.kit.testing import list_count, read_csv_export

from .test_security_headers import assert_strict_page

pytestmark = pytest.mark.django_db

OFFICES = ["office_metro", "office_pn", "office_jb"]
OTHERS = ["officer_pukou", "auditor_pn", "applicant_demo"]


def grant_of(username: str) -> RoleGrant:
    return RoleGrant.objects.get(user__username=username)


def written() -> tuple[list, int]:
    """What a refused request must leave unchanged: every grant with its end, and the audit log's size."""
    return list(RoleGrant.objects.order_by("pk").values_list("pk", "valid_to")), AuditEntry.objects.count()


def form_errors(response) -> str:
    """The error messages the form page shows (field errors and the form's own), as one text."""
    html = response.content.decode()
    found = re.findall(r'<div class="text-danger small" role="alert">(.*?)</div>', html)
    found += re.findall(r'<div class="alert alert-danger" role="alert"><div>(.*?)</div>', html)
    return " | ".join(found)


def give(client: Client, **fields: str):
    data = {"user": "", "role": "leader", "scope_kind": "zone", "scope_code": "", **fields}
    return client.post("/grants/new/", data)


# --- who may use the pages -----------------------------------------------------------------------------


@pytest.mark.parametrize("path", ["/grants/", "/grants/new/"])
@pytest.mark.parametrize(
    ("username", "status"), [*((u, 200) for u in OFFICES), *((u, 403) for u in OTHERS), ("admin", 200)]
)
def test_who_opens_the_grants_pages(client_for, username, status, path):
    """Given each role, when it opens the grants list and the form, then offices (and the administrator) get
    the page and every other signed-in user our 403 page."""
    response = client_for(username).get(path)
    assert response.status_code == status
    if status == 403:
        assert b'data-testid="error-page"' in response.content


@pytest.mark.parametrize("path", ["/grants/", "/grants/new/", "/grants/1/"])
def test_anonymous_is_sent_to_sign_in(client_for, path):
    response = client_for(None).get(path)
    assert response.status_code == 302 and response["Location"].startswith("/login/")


def test_the_nav_names_the_grants_page_for_offices_only(client_for):
    assert b'href="/grants/"' in client_for("office_pn").get("/").content
    assert b'href="/grants/"' not in client_for("auditor_pn").get("/").content


# --- what the list shows -------------------------------------------------------------------------------


def _may_grant(user: User, grant: RoleGrant) -> bool:
    return grants.may_grant_on(
        user,
        metro=grant.metro,
        zone=grant.zone,
        jurisdiction=grant.jurisdiction,
        organisation=grant.organisation,
    )


@pytest.fixture
def grant_on_a_proposal(demo_user):
    """A proposed zone (nobody's grant reaches through it until approved) with a grant on it. The zone is
    proposed through the zone service (江宁—博望's office reaching into 溧水); the grant service refuses a
    grant on a proposal, so that grant is written directly: the rule must still answer for such a row."""
    proposal = make_zone("office_jb", members=["320117", "340506"], code="proposal-x", name="待批准的区")
    assert proposal.status == ZoneStatus.PROPOSED
    return RoleGrant.objects.create(user=demo_user("leader_pn"), role="leader", zone=proposal)


@pytest.mark.parametrize("username", [*OFFICES, *OTHERS, "officer_jiangning", "clerk_bowang", "admin"])
def test_the_manage_rule_is_the_grant_services_rule(demo_user, grant_on_a_proposal, username):
    """Given every grant of the demo (and one on a proposed zone), when the RoleGrant rule's "manage" action
    is applied for a user, then it reaches exactly the grants that services.grants.may_grant_on lets that
    user give or withdraw, so the page never offers what the service would refuse (nor hides what it
    allows)."""
    user = demo_user(username)
    managed = set(restrict(RoleGrant.objects.all(), user, "manage").values_list("pk", flat=True))
    expected = {
        g.pk
        for g in RoleGrant.objects.select_related("zone", "organisation__jurisdiction")
        if _may_grant(user, g)
    }
    assert managed == expected
    visible = set(restrict(RoleGrant.objects.all(), user, "view").values_list("pk", flat=True))
    assert visible == expected | set(RoleGrant.objects.filter(user=user).values_list("pk", flat=True))


def test_a_zone_office_lists_the_grants_of_its_zone_only(client_for):
    """Given office_pn, when it opens /grants/ (page and export), then it sees the roles on its zone, its
    jurisdictions and organisations, and none of the other zone's or the metropolitan area's."""
    client = client_for("office_pn")
    page = client.get("/grants/").content.decode()
    rows = read_csv_export(client.get("/grants/?export=csv"))
    users = {r["username"] for r in rows}
    assert {"office_pn", "officer_pukou", "officer_nanqiao", "clerk_pukou", "finance_nanqiao"} <= users
    assert not users & {"office_jb", "officer_jiangning", "clerk_bowang", "office_metro", "applicant_demo"}
    assert list_count(page) == len(rows)
    assert "浦口区 发改委 孙" in page and "江宁区 发改委 赵" not in page


def test_the_metro_office_lists_every_grant_of_the_area(client_for):
    rows = read_csv_export(client_for("office_metro").get("/grants/?export=csv"))
    assert len(rows) == RoleGrant.objects.count()


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("role=officer", {"officer_pukou", "officer_nanqiao"}),
        ("user=clerk_pukou", {"clerk_pukou"}),
        ("q=财政局", {"finance_pukou", "finance_nanqiao"}),
        ("role=finance&q=浦口", {"finance_pukou"}),
        ("state=ended", set()),
        ("start_from=2020-01-01&start_to=2020-01-01&role=leader", {"leader_pn"}),
        ("start_from=2021-01-01", set()),
    ],
)
def test_the_list_filters_by_role_user_state_and_start(client_for, query, expected):
    """Given office_pn, when the list is filtered by role, user, a search on the name, status or the day the
    grant starts, then the export of that list holds exactly the matching grants."""
    response = client_for("office_pn").get(f"/grants/?{query}&export=csv")
    assert {r["username"] for r in read_csv_export(response)} == expected


@pytest.mark.parametrize("query", ["role=king", "user=office_jb", "state=maybe", "start_from=2020-02-30"])
def test_a_bad_list_parameter_is_a_400(client_for, query):
    """A user outside the office's scope is not a choice of the user filter: refused like any bad value."""
    response = client_for("office_pn").get(f"/grants/?{query}")
    assert response.status_code == 400 and b'role="alert"' in response.content


# --- giving a role -------------------------------------------------------------------------------------

INSIDE = [
    (
        "office_pn",
        {"user": "officer_pukou", "role": "leader", "scope_kind": "zone", "scope_code": "pukou-nanqiao"},
    ),
    (
        "office_pn",
        {"user": "clerk_nanqiao", "role": "officer", "scope_kind": "jurisdiction", "scope_code": "341103"},
    ),
    (
        "office_jb",
        {
            "user": "officer_bowang",
            "role": "finance",
            "scope_kind": "organisation",
            "scope_code": "fin-bowang",
        },
    ),
    (
        "office_metro",
        {"user": "officer_pukou", "role": "auditor", "scope_kind": "metro", "scope_code": "nanjing"},
    ),
]


@pytest.mark.parametrize(("username", "fields"), INSIDE, ids=[f"{u}:{f['scope_code']}" for u, f in INSIDE])
def test_an_office_gives_a_role_inside_its_scope(client_for, username, fields):
    """Given an office, when it gives a role on a scope it runs, then the answer is a redirect to the new
    grant, the grant exists (granted by the office, from today), it is on the list, and the audit log
    holds its grant.create entry, shown on the grant's page."""
    client = client_for(username)
    response = give(client, **fields)
    assert response.status_code == 302
    grant = RoleGrant.objects.get(
        user__username=fields["user"], role=fields["role"], granted_by__username=username
    )
    assert response["Location"] == f"/grants/{grant.pk}/"
    assert grant.valid_from == timezone.localdate() and grant.valid_to is None
    assert str(grant.scope.pk) and grant.scope == getattr(grant, fields["scope_kind"])
    entry = AuditEntry.objects.get(action="grant.create", object_id=str(grant.pk))
    assert entry.actor.username == username
    rows = read_csv_export(client.get(f"/grants/?user={fields['user']}&role={fields['role']}&export=csv"))
    assert len(rows) == 1
    detail = client.get(f"/grants/{grant.pk}/").content.decode()
    assert "授予角色" in detail  # the audit entry, in words, on the grant's page


OUTSIDE = [
    # Seen (public jurisdictions, the metropolitan area office_pn works in) but not run by the office: 403.
    ("office_pn", {"scope_kind": "jurisdiction", "scope_code": "320000"}),
    ("office_pn", {"scope_kind": "jurisdiction", "scope_code": "320115"}),
    ("office_pn", {"scope_kind": "metro", "scope_code": "nanjing"}),
    ("office_jb", {"scope_kind": "jurisdiction", "scope_code": "320111"}),
]


@pytest.mark.parametrize(("username", "fields"), OUTSIDE, ids=[f"{u}:{f['scope_code']}" for u, f in OUTSIDE])
def test_a_role_outside_the_scope_is_403_and_nothing_is_written(client_for, username, fields):
    before = written()
    response = give(client_for(username), user="officer_pukou", **fields)
    assert response.status_code == 403
    assert form_errors(response) == "只能在本同城办负责的范围内授予角色。"
    assert written() == before


def test_a_scope_the_office_cannot_see_reads_like_a_missing_one(client_for):
    """Given office_pn, which cannot see the other zone, when it names that zone and a zone that does not
    exist, then both are the same 400 form error (nothing says the zone exists) and nothing is written."""
    before = written()
    client = client_for("office_pn")
    assert AdjacentZone.objects.filter(code="jiangning-bowang").exists()
    hidden = give(client, user="officer_pukou", scope_code="jiangning-bowang")
    missing = give(client, user="officer_pukou", scope_code="no-such-zone")
    assert hidden.status_code == missing.status_code == 400
    assert form_errors(hidden) == "没有代码为“jiangning-bowang”的毗邻区。"
    assert form_errors(missing) == "没有代码为“no-such-zone”的毗邻区。"
    assert written() == before


@pytest.mark.parametrize("username", OTHERS)
def test_a_non_office_cannot_give_a_role(client_for, username):
    before = written()
    response = give(client_for(username), user="officer_pukou", scope_code="pukou-nanqiao")
    assert response.status_code == 403
    assert written() == before


def test_anonymous_cannot_give_a_role(client_for):
    before = written()
    response = give(client_for(None), user="officer_pukou", scope_code="pukou-nanqiao")
    assert response.status_code == 302 and response["Location"].startswith("/login/")
    assert written() == before


def test_the_form_needs_its_csrf_token(demo_user):
    client = Client(enforce_csrf_checks=True)
    client.force_login(demo_user("office_pn"))
    before = written()
    response = give(client, user="officer_pukou", scope_code="pukou-nanqiao")
    assert response.status_code == 403
    assert written() == before


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"role": "applicant"}, "applicant 不在可用的选项中"),  # not a staff role: not offered
        ({"valid_from": "2027-01-01", "valid_to": "2026-01-01"}, "授权的结束日期必须晚于开始日期。"),
        ({"valid_from": "2027-02-30"}, "输入一个有效的日期。"),
        ({"user": "nobody-at-all"}, "没有与“nobody-at-all”相符的用户，请填写完整的用户名。"),
        ({"scope_code": ""}, "这个字段是必填项。"),
    ],
)
def test_bad_form_input_is_a_400_naming_the_fault(client_for, fields, message):
    before = written()
    data = {"user": "officer_pukou", "scope_code": "pukou-nanqiao", **fields}
    response = give(client_for("office_pn"), **data)
    assert response.status_code == 400
    assert message in form_errors(response)
    assert written() == before


# --- finding the user ----------------------------------------------------------------------------------


@pytest.fixture
def newcomer(db):
    """An account that holds no role yet."""
    return make_user("newcomer_x", display_name="新来的 浦口 小王")


def test_a_display_name_finds_only_people_in_the_offices_scope(client_for, newcomer):
    """Given office_pn, when it searches by part of a display name, then it finds the people holding a role
    in its scope and nobody else: neither the other zone's staff nor an account without a role."""
    client = client_for("office_pn")
    found = client.get("/grants/new/?find=浦口").content.decode()
    assert "浦口区 发改委 孙" in found and "浦口—南谯同城办 陈科长" in found
    assert "新来的" not in found
    assert (
        "江宁"
        not in client.get("/grants/new/?find=江宁").content.decode().split('data-testid="candidates"')[1]
    )


def test_an_exact_username_finds_any_account_and_shows_only_that_username(client_for, newcomer):
    """Given an account with no role (or one in another zone), when office_pn types its exact username,
    then it is found, shown by the username it typed (its display name stays unseen), and can be given a
    role by that username."""
    client = client_for("office_pn")
    html = client.get("/grants/new/?find=newcomer_x").content.decode()
    candidates = html.split('data-testid="candidates"')[1].split("</ul>")[0]
    assert "newcomer_x" in candidates and "新来的" not in candidates
    other = (
        client.get("/grants/new/?find=officer_jiangning")
        .content.decode()
        .split('data-testid="candidates"')[1]
    )
    assert "officer_jiangning" in other and "江宁区 发改委 赵" not in other
    assert give(client, user="newcomer_x", scope_code="pukou-nanqiao").status_code == 302
    assert RoleGrant.objects.filter(user=newcomer, zone__code="pukou-nanqiao").exists()


def test_an_ambiguous_display_name_asks_for_the_username(client_for):
    before = written()
    response = give(client_for("office_pn"), user="浦口区", scope_code="pukou-nanqiao")
    assert response.status_code == 400
    message = form_errors(response)
    assert message.startswith("有多个用户与“浦口区”相符：")
    assert "officer_pukou" in message and "clerk_pukou" in message and "finance_pukou" in message
    assert written() == before


# --- withdrawing ---------------------------------------------------------------------------------------


def test_withdrawing_asks_for_a_confirmation_then_ends_the_grant_today(client_for, demo_user):
    """Given office_pn and officer_pukou's grant on a jurisdiction of its zone, when the withdraw button is
    pressed, then a confirmation page answers and nothing changes; when that page's button is pressed, the
    grant ends today, grant.withdraw is in the audit log (and on the grant's page), the list shows it ended
    and officer_pukou has lost the role."""
    client = client_for("office_pn")
    grant = grant_of("officer_pukou")
    before = written()
    confirm = client.post(f"/grants/{grant.pk}/withdraw/")
    assert confirm.status_code == 200 and b'data-testid="confirm-withdraw"' in confirm.content
    assert_strict_page(confirm, "withdraw confirmation")
    assert written() == before

    done = client.post(f"/grants/{grant.pk}/withdraw/", {"confirm": "on"})
    assert done.status_code == 302 and done["Location"] == "/grants/"
    grant.refresh_from_db()
    assert grant.valid_to == timezone.localdate()
    entry = AuditEntry.objects.get(action="grant.withdraw", object_id=str(grant.pk))
    assert entry.actor.username == "office_pn"
    history = client.get(f"/grants/{grant.pk}/").content.decode()
    assert "收回角色" in history.split('data-testid="grant-history"')[1]
    assert not RoleGrant.objects.active().filter(user__username="officer_pukou").exists()
    rows = read_csv_export(client.get("/grants/?state=ended&export=csv"))
    assert [r["username"] for r in rows] == ["officer_pukou"]
    officer = demo_user("officer_pukou")
    forget_scope(officer)
    assert not restrict(MetroArea.objects.all(), officer).exists()


@pytest.mark.parametrize(
    ("username", "owner", "status"),
    [
        ("office_pn", "office_jb", 404),  # another office's grant
        ("office_pn", "officer_jiangning", 404),
        ("office_pn", "office_metro", 404),  # the metropolitan area's office: above office_pn
        ("office_jb", "officer_pukou", 404),
        ("officer_pukou", "officer_pukou", 403),  # its own grant: the pages are offices' only
        ("auditor_pn", "officer_pukou", 403),
        ("applicant_demo", "officer_pukou", 403),
    ],
)
def test_a_grant_out_of_reach_is_not_withdrawn(client_for, username, owner, status):
    before = written()
    grant = grant_of(owner)
    client = client_for(username)
    assert client.post(f"/grants/{grant.pk}/withdraw/", {"confirm": "on"}).status_code == status
    assert client.get(f"/grants/{grant.pk}/").status_code == status
    assert written() == before


def test_a_missing_grant_is_404_like_an_invisible_one(client_for):
    client = client_for("office_pn")
    missing = RoleGrant.objects.order_by("-pk").first().pk + 1000
    assert client.post(f"/grants/{missing}/withdraw/", {"confirm": "on"}).status_code == 404
    assert client.get(f"/grants/{missing}/").status_code == 404


def test_anonymous_cannot_withdraw(client_for):
    before = written()
    response = client_for(None).post(f"/grants/{grant_of('officer_pukou').pk}/withdraw/", {"confirm": "on"})
    assert response.status_code == 302 and response["Location"].startswith("/login/")
    assert written() == before


def test_withdrawing_is_a_post(client_for):
    before = written()
    assert client_for("office_pn").get(f"/grants/{grant_of('officer_pukou').pk}/withdraw/").status_code == 405
    assert written() == before


def test_the_metro_office_withdraws_a_zone_offices_grant(client_for):
    grant = grant_of("office_jb")
    assert (
        client_for("office_metro").post(f"/grants/{grant.pk}/withdraw/", {"confirm": "on"}).status_code == 302
    )
    grant.refresh_from_db()
    assert grant.valid_to == timezone.localdate()


def test_withdrawing_ones_own_role_says_so_before_it_is_done(client_for):
    """An office may withdraw its own office role (the service allows it): the confirmation says whose."""
    client = client_for("office_pn")
    own = client.post(f"/grants/{grant_of('office_pn').pk}/withdraw/")
    other = client.post(f"/grants/{grant_of('officer_pukou').pk}/withdraw/")
    assert b'data-testid="own-role"' in own.content and b'data-testid="own-role"' not in other.content
