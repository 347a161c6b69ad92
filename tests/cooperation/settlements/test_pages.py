"""Pages and API of settlements: create as a job (202), each party's confirmation on the detail, the steps by
page and by API, scoped lines, statements as downloads, and a list whose query count does not grow."""

from __future__ import annotations

import io
import json

import openpyxl
import pytest
from django.utils import translation

from tongcheng.cooperation.models import Settlement, SettlementStatus
from tongcheng.core.models import AdjacentZone, User
from tongcheng.kit.testing import QueryBudget, assert_queries_flat

pytestmark = pytest.mark.django_db
DEMO_FINAL = "SJ-PUKOUNANQIAO-2025-000001"


@pytest.fixture(autouse=True)
def english(db):
    User.objects.update(language="en")
    with translation.override("en"):
        yield


def _post(client, url, body):
    return client.post(url, data=json.dumps(body), content_type="application/json")


def test_the_office_creates_a_settlement_by_api_as_a_job_and_the_parties_confirm_it(
    client_for, django_capture_on_commit_callbacks
):
    """Given the office, when it posts a settlement of 2024-11..12, then 202 names the job, which computes it;
    when it submits and both finance bureaus confirm by API, the detail shows both confirmations and final."""
    office = client_for("office_pn")
    with django_capture_on_commit_callbacks(execute=True):
        response = _post(
            office,
            "/api/v1/cooperation/settlements",
            {"zone": "pukou-nanqiao", "first": "2024-11", "last": "2024-12"},
        )
    assert response.status_code == 202, response.content
    assert response.json()["url"].startswith("/api/v1/jobs/") and response["Location"]
    s = Settlement.objects.get(zone__code="pukou-nanqiao", first=202411)
    assert s.run == 1 and not s.computing
    url = f"/api/v1/cooperation/settlements/{s.number}"
    body = _post(office, f"{url}/submit", {"version": s.version}).json()
    assert body["status"] == "submitted" and {p["state"] for p in body["parties"]} == {"pending"}
    assert (
        _post(client_for("finance_jiangning"), f"{url}/confirm", {"version": body["version"]}).status_code
        == 404
    )
    assert _post(client_for("office_pn"), f"{url}/confirm", {"version": body["version"]}).status_code == 403
    first = _post(client_for("finance_pukou"), f"{url}/confirm", {"version": body["version"]})
    assert first.status_code == 200 and first.json()["status"] == "submitted"
    last = _post(client_for("finance_nanqiao"), f"{url}/confirm", {"version": body["version"]}).json()
    assert last["status"] == "final" and {p["state"] for p in last["parties"]} == {"confirmed"}
    assert {p["by"] for p in last["parties"]} == {"finance_pukou", "finance_nanqiao"}
    assert _post(office, f"{url}/submit", {"version": last["version"]}).status_code == 409


def test_a_refusal_by_api_needs_a_reason_and_returns_the_draft(client_for):
    office = client_for("office_pn")
    s = Settlement.objects.get(number__endswith="2026-000001", zone__code="pukou-nanqiao")
    url = f"/api/v1/cooperation/settlements/{s.number}"
    _post(office, f"{url}/submit", {"version": s.version})
    assert _post(client_for("finance_nanqiao"), f"{url}/reject", {"reason": ""}).status_code == 422
    body = _post(client_for("finance_nanqiao"), f"{url}/reject", {"reason": "比例不符"}).json()
    assert body["status"] == "draft" and any(p["reason"] == "比例不符" for p in body["parties"])


def test_the_detail_page_shows_each_partys_confirmation_and_only_its_lines_to_a_bureau(client_for):
    html = client_for("office_pn").get(f"/cooperation/settlements/{DEMO_FINAL}/").content.decode()
    assert 'data-party="320111"' in html and 'data-party="341103"' in html and "finance_pukou" in html
    assert client_for("finance_jiangning").get(f"/cooperation/settlements/{DEMO_FINAL}/").status_code == 404
    assert (
        client_for("finance_jiangning").get(f"/api/v1/cooperation/settlements/{DEMO_FINAL}/lines").status_code
        == 404
    )
    lines = (
        client_for("finance_pukou").get(f"/api/v1/cooperation/settlements/{DEMO_FINAL}/lines").json()["items"]
    )
    assert lines and all("320111" in (line["jurisdiction"], line["payee"]) for line in lines)
    every = client_for("office_pn").get(f"/api/v1/cooperation/settlements/{DEMO_FINAL}/lines").json()["count"]
    assert every > len(lines)


def test_the_steps_by_page(client_for, django_capture_on_commit_callbacks):
    """Given the demo's 2026 draft, the office submits it on its page; 浦口 and 南谯 confirm on theirs; it is final."""
    s = Settlement.objects.get(number__endswith="2026-000001", zone__code="pukou-nanqiao")
    page = f"/cooperation/settlements/{s.number}/"
    assert 'data-testid="settlement-submit"' in client_for("office_pn").get(page).content.decode()
    assert client_for("office_pn").post(f"{page}submit/", {"version": s.version}).status_code == 302
    assert client_for("finance_pukou").post(f"{page}submit/", {"version": s.version + 1}).status_code == 403
    for name in ("finance_pukou", "finance_nanqiao"):
        client = client_for(name)
        assert 'data-testid="settlement-confirm"' in client.get(page).content.decode()
        assert client.post(f"{page}confirm/", {"version": s.version + 1}).status_code == 302
    assert Settlement.objects.get(pk=s.pk).status == SettlementStatus.FINAL


def test_the_new_settlement_page_starts_the_job(client_for, django_capture_on_commit_callbacks):
    client = client_for("office_pn")
    assert client.get("/cooperation/settlements/new/").status_code == 200
    assert client_for("finance_pukou").get("/cooperation/settlements/new/").status_code == 403
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            "/cooperation/settlements/new/", {"zone": "pukou-nanqiao", "first": "2024-11", "last": "2024-12"}
        )
    assert response.status_code == 302 and response["Location"].startswith("/jobs/")
    refused = client.post(
        "/cooperation/settlements/new/", {"zone": "pukou-nanqiao", "first": "2025-03", "last": "2025-04"}
    )
    assert refused.status_code == 409 and "already has a settlement" in refused.content.decode()


def test_statements_download_for_a_party_and_not_for_a_stranger(client_for):
    response = client_for("finance_nanqiao").get(f"/cooperation/settlements/{DEMO_FINAL}/statement.xlsx")
    assert response.status_code == 200 and response["Content-Disposition"].startswith("attachment")
    book = openpyxl.load_workbook(io.BytesIO(response.content))
    assert "汇总" in book.sheetnames
    pdf = client_for("office_pn").get(f"/api/v1/cooperation/settlements/{DEMO_FINAL}/statement.pdf")
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
    assert (
        client_for("finance_jiangning")
        .get(f"/cooperation/settlements/{DEMO_FINAL}/statement.pdf")
        .status_code
        == 404
    )


def test_the_list_runs_a_fixed_number_of_queries(client_for):
    client = client_for("office_pn")
    zone = AdjacentZone.objects.get(code="pukou-nanqiao")

    def more():
        for year in range(2000, 2020):
            Settlement.objects.create(
                zone=zone,
                number=f"SJ-TEST-{year}-000001",
                year=year,
                first=year * 100 + 1,
                last=year * 100 + 12,
            )

    assert_queries_flat(client, QueryBudget("/cooperation/settlements/", 14), more)
    assert_queries_flat(client, QueryBudget("/api/v1/cooperation/settlements", 10), lambda: None)
    listed = client.get("/api/v1/cooperation/settlements").json()
    assert listed["count"] >= 22
    assert client_for("finance_jiangning").get("/api/v1/cooperation/settlements").json()["count"] == 0
