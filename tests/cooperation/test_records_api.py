"""The cooperation API (/api/v1/cooperation/…): lists with the pages' filters, details, creates and updates
through the services, money as integer fen only, and the error JSON of every refusal."""

from __future__ import annotations

import json

import pytest

from tongcheng.cooperation.demo import NINGHUAI, synthetic_credit_code
from tongcheng.cooperation.models import Establishment, Park, Project

pytestmark = pytest.mark.django_db
API = "/api/v1/cooperation"


def _post(client, url: str, body: dict):
    return client.post(url, data=json.dumps(body), content_type="application/json")


def _patch(client, url: str, body: dict):
    return client.patch(url, data=json.dumps(body), content_type="application/json")


def test_given_the_ninghuai_overview_when_it_is_read_from_the_api_then_its_totals_are_the_seeds(client_for):
    body = client_for("office_metro").get(f"{API}/zones/ninghuai-cooperation/overview").json()

    assert (body["parks"], body["area_m2"], body["projects"]) == (5, NINGHUAI["area_m2"], 540)
    assert (body["investment_fen"], body["business_revenue_fen"], body["budget_revenue_fen"]) == (
        NINGHUAI["investment_fen"],
        NINGHUAI["business_revenue_fen"],
        NINGHUAI["budget_revenue_fen"],
    )
    assert sum(r["projects"] for r in body["by_mode"]) == 540
    assert sum(r["investment_fen"] for r in body["by_year"]) == NINGHUAI["investment_fen"]


def test_given_the_office_when_it_creates_a_park_by_api_then_201_with_its_partners(client_for):
    response = _post(
        client_for("office_pn"),
        f"{API}/parks",
        {
            "code": "api-park",
            "name": "接口园区",
            "zone": "pukou-nanqiao",
            "host": "341103",
            "partners": ["320111"],
            "managing_organisation": "nanpu-co",
            "area_m2": 100000,
        },
    )

    assert response.status_code == 201, response.content
    body = response.json()
    assert body["partners"][0]["code"] == "320111" and body["managing_organisation"] == "nanpu-co"
    assert body["area_m2"] == 100000 and body["version"] == 1


@pytest.mark.parametrize(
    ("body", "status", "field"),
    [
        ({"area_m2": 1.5}, 422, "area_m2"),
        ({"area_m2": "1000"}, 422, "area_m2"),
        ({"host": "999999"}, 422, "host"),
        ({"zone": "jiangning-bowang"}, 404, "zone"),
        ({"managing_organisation": "no-such-org"}, 404, "managing_organisation"),
        ({"surprise": 1}, 422, "surprise"),
    ],
)
def test_given_bad_input_when_a_park_is_created_by_api_then_the_error_names_the_field(
    client_for, body, status, field
):
    base = {"code": "api-bad", "name": "坏园区", "zone": "pukou-nanqiao", "host": "341103"}

    response = _post(client_for("office_pn"), f"{API}/parks", {**base, **body})

    assert response.status_code == status, response.content
    assert response.json()["field"] == field
    assert not Park.objects.filter(code="api-bad").exists()


def test_given_a_stale_version_when_a_project_is_patched_then_409(client_for):
    client = client_for("office_pn")
    version = client.get(f"{API}/projects/pn-huanuo").json()["version"]
    assert (
        _patch(client, f"{API}/projects/pn-huanuo", {"version": version, "investment_fen": 1}).status_code
        == 200
    )

    stale = _patch(client, f"{API}/projects/pn-huanuo", {"version": version, "investment_fen": 2})

    assert (stale.status_code, stale.json()["code"]) == (409, "stale_version")
    assert Project.objects.get(code="pn-huanuo").investment_fen == 1


def test_given_a_project_when_its_status_is_patched_then_it_is_refused_and_the_step_endpoint_moves_it(
    client_for,
):
    client = client_for("office_pn")
    version = Project.objects.get(code="pn-yaxinwei").version

    patched = _patch(client, f"{API}/projects/pn-yaxinwei", {"version": version, "status": "in_production"})
    stepped = _post(
        client, f"{API}/projects/pn-yaxinwei/steps", {"step": "start_production", "version": version}
    )
    again = _post(
        client, f"{API}/projects/pn-yaxinwei/steps", {"step": "start_production", "version": version + 1}
    )

    assert patched.status_code == 422 and patched.json()["field"] == "status"
    assert stepped.status_code == 200 and stepped.json()["status"] == "in_production"
    assert (again.status_code, again.json()["code"]) == (409, "invalid_transition")


def test_given_an_enterprise_when_establishments_and_factors_are_recorded_by_api_then_they_read_back(
    client_for,
):
    client = client_for("office_pn")
    code = synthetic_credit_code("api-enterprise", "320111")
    created = _post(
        client,
        f"{API}/enterprises",
        {"credit_code": code, "name": "接口企业", "industry": "c34", "jurisdiction": "320111"},
    )
    assert created.status_code == 201 and created.json()["industry"] == "C34"
    head = _post(
        client, f"{API}/enterprises/{code}/establishments", {"kind": "head_office", "jurisdiction": "320111"}
    )
    base = _post(
        client,
        f"{API}/enterprises/{code}/establishments",
        {"kind": "production_base", "jurisdiction": "341103", "park": "pn-cobuilt-park"},
    )
    assert head.status_code == 201 and base.status_code == 201, base.content
    factor = _post(
        client,
        f"{API}/establishments/{base.json()['id']}/factors",
        {"year": 2025, "revenue_fen": 100, "payroll_fen": 20, "assets_fen": 300},
    )
    assert factor.status_code == 200 and factor.json()["version"] == 1
    again = _post(
        client,
        f"{API}/establishments/{base.json()['id']}/factors",
        {"year": 2025, "revenue_fen": 101, "payroll_fen": 20, "assets_fen": 300},
    )
    assert (again.status_code, again.json()["code"]) == (422, "version_required")
    listed = client.get(f"{API}/enterprises/{code}/establishments").json()
    assert {e["kind"] for e in listed} == {"head_office", "production_base"}
    assert Establishment.objects.filter(enterprise__credit_code=code).count() == 2


def test_given_a_finance_bureau_of_a_party_when_it_reads_the_fund_by_api_then_it_sees_its_position_not_to_write(
    client_for,
):
    client = client_for("finance_nanqiao")

    body = client.get(f"{API}/zones/pukou-nanqiao/fund?as_of=2026-11-30").json()
    write = _post(
        client,
        f"{API}/zones/pukou-nanqiao/fund/contributions",
        {"party": "341103", "kind": "cash", "amount_fen": 1, "date": "2026-01-01", "reference": "x"},
    )

    shares = {p["party"]["code"]: p["share_bp"] for p in body["parties"]}
    assert shares == {"320111": 3919, "341103": 6081} and sum(shares.values()) == 10_000
    assert {p["party"]["code"]: p["arrears_fen"] for p in body["parties"]} == {
        "320111": 2 * 10**8,
        "341103": 0,
    }
    assert write.status_code == 403


def test_given_the_metro_office_when_it_records_a_provinces_rule_by_api_then_it_reads_back(client_for):
    client = client_for("office_metro")
    rules = {r["province"]["code"]: r for r in client.get(f"{API}/province-rules").json()}

    saved = _post(
        client,
        f"{API}/province-rules/340000",
        {"apportioned_across_cities": True, "rule": "按省定比例分配", "version": rules["340000"]["version"]},
    )
    refused = _post(
        client_for("office_pn"),
        f"{API}/province-rules/340000",
        {"apportioned_across_cities": False, "version": saved.json()["version"]},
    )

    assert saved.status_code == 200 and saved.json()["apportioned_across_cities"] is True
    assert refused.status_code == 403


def test_given_a_park_when_its_year_is_recorded_by_api_then_the_overview_adds_it(client_for):
    client = client_for("office_pn")

    saved = _post(
        client,
        f"{API}/parks/pn-cobuilt-park/years",
        {"year": 2025, "business_revenue_fen": 3 * 10**10, "budget_revenue_fen": 10**9},
    )

    assert saved.status_code == 200
    overview = client.get(f"{API}/zones/pukou-nanqiao/overview").json()
    assert (overview["business_revenue_fen"], overview["budget_revenue_fen"]) == (3 * 10**10, 10**9)
