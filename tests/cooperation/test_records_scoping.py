"""The scoping matrix of the cooperation records and the fund (issue 10, "Scoping"), in the style of
tests/core/test_scoping_matrix.py: every demo role × every model — visible_to and its count, the list page,
the CSV export, the API list, the detail page and API detail — shows exactly what an independent oracle
says, and a record out of sight is a 404.

The oracle, written from the rules (cooperation/rules.py) and the demo grants:
* parks, projects and a park's years lie in a zone: every staff role reaching the zone (core's ``ZONES``);
* an enterprise (and its establishments and factors) is kept by a zone or registered in a jurisdiction:
  reached through the zone, or when the jurisdiction lies in the user's territory (core's ``SUBTREES``);
* a zone's fund: its office, leader and auditor, the metropolitan-area office, and the finance bureaus whose
  jurisdiction is or contains a member of the zone (``FUNDS``); officers and windows never."""

from __future__ import annotations

import dataclasses

import pytest

from tests.core.test_scoping_matrix import ROLES, SUBTREES, ZONES, _ancestors, _id
from tongcheng.cooperation.models import (
    ApportionmentFactor,
    Enterprise,
    Establishment,
    FundCommitment,
    FundContribution,
    FundDisbursement,
    Park,
    ParkYear,
    Project,
    ProvinceRule,
)
from tongcheng.kit.testing import ScopingCase, check_scoping

pytestmark = pytest.mark.django_db

PN, JB = "pukou-nanqiao", "jiangning-bowang"
# username -> the zones whose fund the user reads (the demo has funds in 浦口—南谯 and 江宁—博望).
FUNDS: dict[str | None, set[str]] = {
    "admin": {PN, JB},
    "office_metro": {PN, JB},
    "office_pn": {PN},
    "leader_pn": {PN},
    "auditor_pn": {PN},
    "office_jb": {JB},
    "leader_jb": {JB},
    "auditor_jb": {JB},
    "finance_pukou": {PN},
    "finance_nanqiao": {PN},
    "finance_jiangning": {JB},
    "finance_bowang": {JB},
}


def _enterprise_visible(username: str | None, e: Enterprise) -> bool:
    if username == "admin":
        return True
    if username is None:
        return False
    return (e.zone is not None and e.zone.code in ZONES[username]) or bool(
        _ancestors(e.jurisdiction) & SUBTREES[username]
    )


def expected_keys(model_name: str, username: str | None) -> set[str]:
    if username is None:
        return set()
    zones = ZONES[username]
    if model_name == "Park":
        return {p.code for p in Park.objects.select_related("zone") if p.zone.code in zones}
    if model_name == "Project":
        return {p.code for p in Project.objects.select_related("zone") if p.zone.code in zones}
    if model_name == "ParkYear":
        return {str(y.pk) for y in ParkYear.objects.select_related("park__zone") if y.park.zone.code in zones}
    enterprises = {e.pk: e for e in Enterprise.objects.select_related("zone", "jurisdiction__parent__parent")}
    if model_name == "Enterprise":
        return {e.credit_code for e in enterprises.values() if _enterprise_visible(username, e)}
    if model_name == "Establishment":
        return {
            str(x.pk)
            for x in Establishment.objects.all()
            if _enterprise_visible(username, enterprises[x.enterprise_id])
        }
    if model_name == "ApportionmentFactor":
        return {
            str(f.pk)
            for f in ApportionmentFactor.objects.select_related("establishment")
            if _enterprise_visible(username, enterprises[f.establishment.enterprise_id])
        }
    if model_name == "ProvinceRule":
        # Public policy: every staff role reads the provinces' rules; the applicant does not.
        return (
            set() if username == "applicant_demo" else {r.province.code for r in ProvinceRule.objects.all()}
        )
    funds = FUNDS.get(username, set())
    model = {
        "FundCommitment": FundCommitment,
        "FundContribution": FundContribution,
        "FundDisbursement": FundDisbursement,
    }[model_name]
    return {str(r.pk) for r in model.objects.select_related("zone") if r.zone.code in funds}


CASES = {
    "Park": ScopingCase(
        model=Park,
        key=lambda p: p.code,
        list_url="/cooperation/parks/",
        export_url="/cooperation/parks/?export=csv",
        export_column="code",
        detail_url=lambda p: f"/cooperation/parks/{p.code}/",
        api_list="/api/v1/cooperation/parks",
        api_key="code",
        api_detail=lambda p: f"/api/v1/cooperation/parks/{p.code}",
    ),
    "Enterprise": ScopingCase(
        model=Enterprise,
        key=lambda e: e.credit_code,
        list_url="/cooperation/enterprises/",
        export_url="/cooperation/enterprises/?export=csv",
        export_column="credit_code",
        detail_url=lambda e: f"/cooperation/enterprises/{e.credit_code}/",
        api_list="/api/v1/cooperation/enterprises",
        api_key="credit_code",
        api_detail=lambda e: f"/api/v1/cooperation/enterprises/{e.credit_code}",
    ),
    # 551 projects: every surface but the details, which test_project_details_are_scoped samples.
    "Project": ScopingCase(
        model=Project,
        key=lambda p: p.code,
        list_url="/cooperation/projects/",
        export_url="/cooperation/projects/?export=csv",
        export_column="code",
        api_list="/api/v1/cooperation/projects",
        api_key="code",
    ),
    "ParkYear": ScopingCase(model=ParkYear),
    "Establishment": ScopingCase(model=Establishment),
    "ApportionmentFactor": ScopingCase(model=ApportionmentFactor),
    "FundCommitment": ScopingCase(model=FundCommitment),
    "FundContribution": ScopingCase(model=FundContribution),
    "FundDisbursement": ScopingCase(model=FundDisbursement),
    "ProvinceRule": ScopingCase(model=ProvinceRule, key=lambda r: r.province.code),
}
WITH_API = ("Park", "Enterprise", "Project")


@pytest.mark.parametrize("model_name", list(CASES))
@pytest.mark.parametrize("username", ROLES, ids=_id)
def test_scoping_matrix(client_for, username, model_name):
    """Given the demo and a user of one role, when each surface of the model is read, then each shows exactly
    the oracle's rows, and every other row's detail is a 404 (API lists: test_api_lists_scoped)."""
    case = dataclasses.replace(CASES[model_name], api_list=None)
    report = check_scoping(
        case, client_for(username), expected_keys(model_name, username), label=_id(username)
    )
    assert not report, str(report)


@pytest.mark.parametrize("model_name", WITH_API)
def test_api_lists_scoped(client_for, model_name):
    """Given every role, when the paginated API list is read page by page, then it returns exactly the
    oracle's rows with a matching count (anonymous: 401)."""
    reports = []
    for username in ROLES:
        case = dataclasses.replace(
            CASES[model_name], detail_url=None, api_detail=None, list_url=None, export_url=None
        )
        report = check_scoping(
            case, client_for(username), expected_keys(model_name, username), label=_id(username)
        )
        if report:
            reports.append(str(report))
    assert not reports, "\n".join(reports)


SAMPLE_PROJECTS = ("pn-huanuo", "pn-transport-hq", "jb-tengya", "jb-2022-3", "nh-0001", "nh-0540")


@pytest.mark.parametrize("username", ROLES, ids=_id)
def test_project_details_are_scoped(client_for, username):
    """Given sample projects of every zone, when their page and API detail are fetched, then a visible one
    answers 200 and any other 404 (anonymous: the sign-in page and 401)."""
    client = client_for(username)
    expected = expected_keys("Project", username)
    for code in SAMPLE_PROJECTS:
        page = client.get(f"/cooperation/projects/{code}/")
        api = client.get(f"/api/v1/cooperation/projects/{code}")
        if username is None:
            assert page.status_code == 302 and api.status_code == 401, code
            continue
        wanted = 200 if code in expected else 404
        assert (page.status_code, api.status_code) == (wanted, wanted), code


@pytest.mark.parametrize("username", ROLES, ids=_id)
def test_fund_pages_are_read_by_the_zone_and_its_parties_finance_bureaus(client_for, username):
    """Given the funds of 浦口—南谯 and 江宁—博望, when each role opens the fund page and its API, then the
    readers of the oracle get 200 and everyone else 404 — a finance bureau of a non-party included."""
    client = client_for(username)
    for zone in (PN, JB):
        page = client.get(f"/cooperation/zones/{zone}/fund/")
        api = client.get(f"/api/v1/cooperation/zones/{zone}/fund")
        if username is None:
            assert page.status_code == 302 and api.status_code == 401
            continue
        wanted = 200 if zone in FUNDS.get(username, set()) else 404
        assert (page.status_code, api.status_code) == (wanted, wanted), zone


@pytest.mark.parametrize("username", ["office_pn", "officer_jiangning", "applicant_demo"])
def test_the_overview_counts_only_what_the_user_sees(client_for, username):
    """Given the city-level 宁淮合作 holds four parks and its special zone the fifth, when a user who reaches
    only the city-level zone reads its overview, then the cards count the parks and projects it sees."""
    response = client_for(username).get("/api/v1/cooperation/zones/ninghuai-cooperation/overview")
    if username in {"office_pn", "applicant_demo"}:
        assert response.status_code == 404
        return
    body = response.json()
    parks = Park.objects.filter(zone__code="ninghuai-cooperation")
    assert body["parks"] == parks.count() == 4
    assert body["projects"] == Project.objects.filter(zone__code="ninghuai-cooperation").count()
