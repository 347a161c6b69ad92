"""The scoping matrix (issue 2, "Must show"): every demo role × every core model — lists, details, counts,
exports and the API show exactly what they should, and a forbidden detail is a 404, never a 403.

The expectation is an independent oracle written out by hand below from the rules (core/rules.py,
core/access.py) and the demo grants (core/demo.py), so that a drift of the rules fails here:

* a zone grant reaches that zone only (and, for organisations, the subtrees of the zone's members);
* a jurisdiction grant reaches every zone with a member inside, equal to or containing the jurisdiction
  (so 江宁区 reaches the city-level 宁淮合作, whose member is the whole city of 南京, but not the
  宁淮特别合作区, whose Nanjing member is 浦口区);
* an organisation grant reaches the organisation's zone and whatever its jurisdiction reaches;
* the metro grant reaches every zone; an applicant's grant reaches none of the registry.
"""

from __future__ import annotations

import dataclasses
import re

import pytest

from tests.conftest import DEMO_USERNAMES
from tongcheng.core.data.reader import UNKNOWN_START
from tongcheng.core.models import (
    AdjacentZone,
    AuditEntry,
    Jurisdiction,
    MetroArea,
    Organisation,
    Person,
    RoleGrant,
    User,
    ZoneMember,
)
from tongcheng.core.validators import mask_id_number
from tongcheng.kit.testing import ScopingCase, api_collect, check_scoping

pytestmark = pytest.mark.django_db

ALL_ZONES = {
    "ning-chu-nfz",
    "dingshan-chahe",
    "pukou-nanqiao",
    "jiangning-bowang",
    "ninghuai",
    "ninghuai-cooperation",
}
# 浦口区 and what contains it: 浦口 is the Nanjing member of 宁淮特别合作区, 南京 (320100) of 宁淮合作.
PUKOU = {"ning-chu-nfz", "dingshan-chahe", "pukou-nanqiao", "ninghuai", "ninghuai-cooperation"}
NANQIAO = {"ning-chu-nfz", "pukou-nanqiao"}
# 江宁's town 320115009 is a member of 江宁—博望; 南京 (320100), a member of 宁淮合作, contains 江宁.
JIANGNING = {"jiangning-bowang", "ninghuai-cooperation"}
BOWANG = {"jiangning-bowang"}

# username -> zone codes the user's staff grants reach.
ZONES: dict[str, set[str]] = {
    "admin": ALL_ZONES,
    "office_metro": ALL_ZONES,
    "office_pn": {"pukou-nanqiao"},
    "leader_pn": {"pukou-nanqiao"},
    "auditor_pn": {"pukou-nanqiao"},
    "office_jb": {"jiangning-bowang"},
    "leader_jb": {"jiangning-bowang"},
    "auditor_jb": {"jiangning-bowang"},
    "officer_pukou": PUKOU,
    "officer_nanqiao": NANQIAO,
    "officer_jiangning": JIANGNING,
    "officer_bowang": BOWANG,
    "finance_pukou": PUKOU,  # fin-pukou has no zone; its jurisdiction is 浦口区
    "finance_nanqiao": NANQIAO,
    "finance_jiangning": JIANGNING,
    "finance_bowang": BOWANG,
    "clerk_pukou": PUKOU,
    "clerk_nanqiao": NANQIAO,
    "clerk_jiangning": JIANGNING,
    "clerk_bowang": BOWANG,
    "applicant_demo": set(),
    None: set(),
}

METRO_CITIES = {
    "320100",
    "320413",
    "320481",
    "320800",
    "321000",
    "321100",
    "340200",
    "340500",
    "341100",
    "341800",
}
# username -> jurisdiction codes whose whole subtree the user's staff grants reach (for organisations).
SUBTREES: dict[str | None, set[str]] = {
    "admin": METRO_CITIES | {"320000", "340000"},
    "office_metro": METRO_CITIES,
    "office_pn": {"320111", "341103"},
    "leader_pn": {"320111", "341103"},
    "auditor_pn": {"320111", "341103"},
    "office_jb": {"320115009", "340506"},
    "leader_jb": {"320115009", "340506"},
    "auditor_jb": {"320115009", "340506"},
    "officer_pukou": {"320111"},
    "officer_nanqiao": {"341103"},
    "officer_jiangning": {"320115"},
    "officer_bowang": {"340506"},
    "finance_pukou": {"320111"},
    "finance_nanqiao": {"341103"},
    "finance_jiangning": {"320115"},
    "finance_bowang": {"340506"},
    "clerk_pukou": {"320111"},
    "clerk_nanqiao": {"341103"},
    "clerk_jiangning": {"320115"},
    "clerk_bowang": {"340506"},
    "applicant_demo": set(),
    None: set(),
}

# username -> zones whose audit entries the user reads (office and auditor grants only).
AUDIT_ZONES: dict[str | None, set[str]] = {
    "admin": ALL_ZONES,
    "office_metro": ALL_ZONES,
    "office_pn": {"pukou-nanqiao"},
    "auditor_pn": {"pukou-nanqiao"},
    "office_jb": {"jiangning-bowang"},
    "auditor_jb": {"jiangning-bowang"},
}

ROLES: list[str | None] = [*DEMO_USERNAMES, "admin", None]


def _id(username: str | None) -> str:
    return username or "anonymous"


def test_oracle_covers_every_demo_user():
    """Given the demo users, when the oracle tables are read, then each user (and admin, anonymous) has a row."""
    assert set(ZONES) == set(SUBTREES) == set(ROLES)


# --- the oracle -------------------------------------------------------------------------------------------


def _ancestors(j: Jurisdiction) -> set[str]:
    codes = set()
    node: Jurisdiction | None = j
    while node is not None:
        codes.add(node.code)
        node = node.parent
    return codes


def org_visible(username: str | None, org: Organisation) -> bool:
    if username == "admin":
        return True
    zone_ok = org.zone is not None and org.zone.code in ZONES[username]
    return zone_ok or bool(_ancestors(org.jurisdiction) & SUBTREES[username])


def expected_keys(model_name: str, username: str | None) -> set[str]:
    if username is None:
        return set()
    superuser = username == "admin"
    if model_name == "Jurisdiction":
        return {f"{j.code}@{j.valid_from}" for j in Jurisdiction.objects.all()}
    if model_name == "AdjacentZone":
        return set(ZONES[username])
    if model_name == "ZoneMember":
        return {
            f"{m.zone.code}:{m.jurisdiction.code}"
            for m in ZoneMember.objects.select_related("zone", "jurisdiction")
            if m.zone.code in ZONES[username]
        }
    if model_name == "Organisation":
        return {
            o.key
            for o in Organisation.objects.select_related("zone", "jurisdiction")
            if org_visible(username, o)
        }
    if model_name == "Person":
        return {
            str(p.pk)
            for p in Person.objects.select_related("organisation__zone", "organisation__jurisdiction")
            if org_visible(username, p.organisation)
        }
    if model_name == "AuditEntry":
        return {
            e.object_repr
            for e in AuditEntry.objects.select_related("zone")
            if superuser or (e.zone is not None and e.zone.code in AUDIT_ZONES.get(username, set()))
        }
    if model_name == "MetroArea":
        return set() if username == "applicant_demo" else {"nanjing"}
    if model_name == "RoleGrant":
        # Own grants, and those an office could give itself (the grant service's rule is the oracle).
        from tongcheng.core.services.grants import may_grant_on

        user = User.objects.get(username=username) if username else None
        rows = RoleGrant.objects.select_related("metro", "zone", "jurisdiction", "organisation__jurisdiction")
        return {
            str(g.pk)
            for g in rows
            if superuser
            or (user is not None and g.user_id == user.pk)
            or (
                user is not None
                and may_grant_on(
                    user, metro=g.metro, zone=g.zone, jurisdiction=g.jurisdiction, organisation=g.organisation
                )
            )
        }
    if model_name == "User":
        return set(User.objects.values_list("username", flat=True)) if superuser else {username}
    raise AssertionError(model_name)


# --- the surfaces of each model ---------------------------------------------------------------------------

CASES = {
    "Jurisdiction": ScopingCase(
        model=Jurisdiction,
        key=lambda j: f"{j.code}@{j.valid_from}",
        list_url="/jurisdictions/",
        detail_url=lambda j: f"/jurisdictions/{j.code}/?at={j.valid_from}",
        api_detail=lambda j: f"/api/v1/jurisdictions/{j.code}?at={j.valid_from}",
        detail_sample=3,
    ),
    "AdjacentZone": ScopingCase(
        model=AdjacentZone,
        key=lambda z: z.code,
        list_url="/zones/",
        export_url="/zones/?export=csv",
        export_column="code",
        detail_url=lambda z: f"/zones/{z.code}/",
        api_list="/api/v1/zones",
        api_key="code",
        api_detail=lambda z: f"/api/v1/zones/{z.code}",
    ),
    "Organisation": ScopingCase(
        model=Organisation,
        key=lambda o: o.key,
        list_url="/organisations/",
        export_url="/organisations/?export=csv",
        export_column="key",
        detail_url=lambda o: f"/organisations/{o.key}/",
        api_list="/api/v1/organisations",
        api_key="key",
        api_detail=lambda o: f"/api/v1/organisations/{o.key}",
        detail_sample=4,  # every invisible detail is still checked for its 404
    ),
    "AuditEntry": ScopingCase(
        model=AuditEntry,
        key=lambda e: e.object_repr,
        list_url="/audit/",
        export_url="/audit/?export=csv",
        export_column="object_repr",
    ),
    "ZoneMember": ScopingCase(model=ZoneMember, key=lambda m: f"{m.zone.code}:{m.jurisdiction.code}"),
    "Person": ScopingCase(model=Person),
    "MetroArea": ScopingCase(model=MetroArea, key=lambda m: m.code),
    "RoleGrant": ScopingCase(model=RoleGrant),
    "User": ScopingCase(model=User, key=lambda u: u.username),
}


@pytest.fixture
def audit_entries(db):
    """One audit entry per zone and one without a zone, recognisable by their object_repr."""
    for zone in AdjacentZone.objects.all():
        AuditEntry.objects.create(
            actor_name="matrix",
            action="zone.update",
            object_type="core.adjacentzone",
            object_id=str(zone.pk),
            object_repr=f"matrix-{zone.code}",
            zone=zone,
        )
    AuditEntry.objects.create(
        actor_name="matrix",
        action="token.create",
        object_type="core.apitoken",
        object_id="0",
        object_repr="matrix-no-zone",
    )


@pytest.mark.parametrize("model_name", list(CASES))
@pytest.mark.parametrize("username", ROLES, ids=_id)
def test_scoping_matrix(audit_entries, client_for, username, model_name):
    """Given the demo and a user of one role, when each surface of the model is read (visible_to and its
    count, the list page's count, the CSV export, the API list with every page, each detail page and API
    detail), then each shows exactly the oracle's rows, and every other row's detail is a 404."""
    case = dataclasses.replace(CASES[model_name], api_list=None)  # API lists: see test_api_lists_scoped
    expected = expected_keys(model_name, username)
    report = check_scoping(case, client_for(username), expected, label=_id(username))
    assert not report, str(report)


def test_api_lists_scoped(audit_entries, client_for):
    """Given every role, when the paginated API lists of zones and organisations are read page by page, then
    each returns exactly the oracle's rows with a matching count (anonymous: 401)."""
    reports = []
    for username in ROLES:
        for model_name in ("AdjacentZone", "Organisation"):
            case = dataclasses.replace(
                CASES[model_name], detail_url=None, api_detail=None, list_url=None, export_url=None
            )
            report = check_scoping(
                case, client_for(username), expected_keys(model_name, username), label=_id(username)
            )
            if report:
                reports.append(str(report))
    assert not reports, "\n".join(reports)


@pytest.mark.parametrize("username", ["office_metro", "applicant_demo", None], ids=_id)
def test_jurisdiction_api_lists_every_code_to_signed_in_users(client_for, username):
    """Given jurisdictions are public reference data, when the API list (including former codes) is read,
    then a signed-in user gets all of them and count matches, and an anonymous caller gets 401."""
    client = client_for(username)
    if username is None:
        response = client.get("/api/v1/jurisdictions")
        assert (response.status_code, response.json()["code"]) == (401, "unauthenticated")
        return
    items, count = api_collect(client, "/api/v1/jurisdictions?include_former=true", page_size=40)
    assert count == Jurisdiction.objects.count()
    # An unknown start is null in the API (never the 1980 floor); the stored floor still keys the row.
    floor = UNKNOWN_START.isoformat()
    keys = {f"{i['code']}@{i['valid_from'] or floor}" for i in items}
    assert keys == expected_keys("Jurisdiction", username)
    assert all(i["valid_from"] is None for i in items if i["valid_from_precision"] == "unknown")


@pytest.mark.parametrize("username", ROLES, ids=_id)
def test_zone_members_in_api_and_pages(client_for, username):
    """Given a user, when zones are read through the API and zone pages, then the members shown are exactly
    the members of the zones the user reaches (ZoneMember scoping follows its zone)."""
    client = client_for(username)
    expected = expected_keys("ZoneMember", username)
    if username is None:
        assert client.get("/api/v1/zones/pukou-nanqiao").status_code == 401
        return
    responses = {code: client.get(f"/api/v1/zones/{code}") for code in sorted(ZONES[username])}
    assert {code: r.status_code for code, r in responses.items()} == dict.fromkeys(responses, 200)
    shown = {
        f"{code}:{m['jurisdiction']['code']}" for code, r in responses.items() for m in r.json()["members"]
    }
    assert shown == expected
    for zone in AdjacentZone.objects.filter(code__in=ZONES[username]).prefetch_related(
        "members__jurisdiction"
    ):
        response = client.get(f"/zones/{zone.code}/")
        assert response.status_code == 200, zone.code
        table = response.content.decode().split('data-testid="zone-members"', 1)[1].split("</table>", 1)[0]
        codes = set(re.findall(r"/jurisdictions/(\d+)/", table))
        assert codes == {m.jurisdiction.code for m in zone.members.all()}, zone.code


@pytest.mark.parametrize("username", ROLES, ids=_id)
def test_people_on_organisation_pages(client_for, username):
    """Given the demo people, when a user opens each organisation page they can see, then the page answers 200
    and lists exactly the visible people of that organisation, each by the masked form of its own ID number;
    a user who sees no organisation gets no page that lists people (404, or the sign-in page)."""
    client = client_for(username)
    visible_people = expected_keys("Person", username)
    visible_orgs = Organisation.objects.filter(key__in=expected_keys("Organisation", username))
    staffed = Organisation.objects.filter(people__isnull=False).distinct()
    assert staffed.exists()
    if not visible_orgs.exists():
        for org in staffed:
            response = client.get(f"/organisations/{org.key}/")
            assert response.status_code == (302 if username is None else 404), org.key
            assert 'data-testid="masked-id"' not in response.content.decode()
        return
    assert visible_orgs.filter(pk__in=staffed).exists(), "no visible organisation has people: nothing checked"
    for org in visible_orgs.prefetch_related("people"):
        response = client.get(f"/organisations/{org.key}/")
        assert response.status_code == 200, org.key
        shown = re.findall(r'data-testid="masked-id">([^<]*)<', response.content.decode())
        wanted = [
            mask_id_number(p.id_number) if p.id_number else ""
            for p in org.people.all()
            if str(p.pk) in visible_people
        ]
        assert sorted(shown) == sorted(wanted), org.key


@pytest.mark.parametrize("username", ROLES, ids=_id)
def test_metro_page_and_me_grants(client_for, username):
    """Given a user, when the metropolitan-area page and /api/v1/me are read, then the metro area is named only
    to those who reach it, and /me lists exactly the user's own active grants."""
    client = client_for(username)
    if username is None:
        assert client.get("/metro/").status_code == 302
        assert client.get("/api/v1/me").status_code == 401
        return
    metro = MetroArea.objects.get(code="nanjing")
    html = client.get("/metro/").content.decode()
    h1 = html.split("<h1", 1)[1].split("</h1>", 1)[0]
    assert (metro.name in h1) == ("nanjing" in expected_keys("MetroArea", username))
    me = client.get("/api/v1/me").json()
    assert me["username"] == username
    grants = RoleGrant.objects.active().filter(user__username=username)
    assert sorted((g["role"], g["scope"]) for g in me["grants"]) == sorted(
        (g.role, str(g.scope)) for g in grants
    )
    assert len(me["grants"]) == (0 if username == "admin" else 1)  # one grant per demo user, none for admin


def test_forbidden_detail_is_404_not_403(client_for):
    """Given office_pn reaches only 浦口—南谯, when it opens 江宁—博望 and an organisation of that zone on pages and
    API, then every answer is 404 (a 403 would confirm the record exists) with the API code not_found."""
    client = client_for("office_pn")
    for url in [
        "/zones/jiangning-bowang/",
        "/organisations/jiangning-bowang-office/",
        "/api/v1/zones/jiangning-bowang",
        "/api/v1/organisations/jiangning-bowang-office",
    ]:
        response = client.get(url)
        assert response.status_code == 404, url
        if url.startswith("/api/"):
            assert response.json()["code"] == "not_found"
    missing = client.get("/api/v1/zones/no-such-zone")
    assert (
        missing.status_code == 404 and missing.json() == client.get("/api/v1/zones/jiangning-bowang").json()
    )
