"""The pages and the API of agreements, receipts and imports: who sees which receipts, forms that locate each
refusal at its field, the ratio chart with its table, an import as a job with its rejects, the what-if
preview on a crafted case, and list query counts that do not grow with the rows."""

from __future__ import annotations

import io
import json

import pytest
from django.test import override_settings
from django.utils import translation

from tongcheng.cooperation.engine.agreements import parse_agreements
from tongcheng.cooperation.engine.io import uscc_with_check
from tongcheng.cooperation.models import Agreement, AgreementVersion, Receipt
from tongcheng.cooperation.sharing import canonical
from tongcheng.cooperation.sharing.imports import import_table
from tongcheng.cooperation.sharing.testing import approve, make_agreement, make_version, user
from tongcheng.core.models import AdjacentZone, User
from tongcheng.kit.jobs.models import Job
from tongcheng.kit.testing import QueryBudget, assert_queries_flat

pytestmark = pytest.mark.django_db

E = uscc_with_check("91341103MA2Y99990")  # a test enterprise no demo agreement names


@pytest.fixture(autouse=True)
def english(db):
    """Pages and the API answer in the user's saved language: English here, so messages can be compared."""
    User.objects.update(language="en")
    with translation.override("en"):
        yield


def _zone(code="pukou-nanqiao"):
    return AdjacentZone.objects.get(code=code)


def _receipts(rows, actor="office_pn", zone="pukou-nanqiao"):
    text = "receipt_id,enterprise,jurisdiction,period,tax_type,amount_yuan\n" + "".join(
        ",".join(r) + "\n" for r in rows
    )
    outcome = import_table(user(actor), _zone(zone), "receipts", "t.csv", io.BytesIO(text.encode()))
    assert outcome.applied, outcome.errors
    return outcome


# --- who sees which receipts ---------------------------------------------------------------------------


def _api_receipt_ids(client, **params):
    query = "&".join(f"{k}={v}" for k, v in {"limit": 500, **params}.items())
    body = client.get(f"/api/v1/cooperation/receipts?{query}").json()
    return {r["receipt_id"] for r in body["items"]}, body["count"]


def test_a_finance_bureau_sees_the_receipts_its_treasury_collected_and_the_office_sees_all(client_for):
    """Given receipts of 浦口—南谯 collected by 南谯 and by 浦口, when the page and the API are asked, then the
    zone's office sees both, finance_nanqiao only 南谯's, finance_pukou only 浦口's, office_jb and the
    officers none; a detail they may not see is simply not listed."""
    _receipts([("S1", E, "341103", "2026-01", "VAT", "1"), ("S2", E, "320111", "2026-01", "VAT", "2")])
    expected = {
        "office_pn": {"S1", "S2"},
        "auditor_pn": {"S1", "S2"},
        "finance_nanqiao": {"S1"},
        "finance_pukou": {"S2"},
        "office_jb": set(),
        "officer_pukou": set(),
        "leader_pn": set(),
        "applicant_demo": set(),
    }
    for role, ids in expected.items():
        client = client_for(role)
        got, _count = _api_receipt_ids(client, enterprise=E)
        assert got == ids, role
        page = client.get(f"/cooperation/receipts/?enterprise={E}")
        assert page.status_code == 200
        for rid in {"S1", "S2"}:
            assert (f">{rid}<" in page.content.decode()) == (rid in ids), (role, rid)


def test_the_receipt_filters_are_the_same_on_the_page_and_the_api(client_for):
    _receipts([("F1", E, "341103", "2026-01", "VAT", "1"), ("F2", E, "341103", "2026-03", "CIT", "2")])
    client = client_for("office_pn")
    assert _api_receipt_ids(client, enterprise=E, period_from="2026-02")[0] == {"F2"}
    assert _api_receipt_ids(client, enterprise=E, tax_type="VAT")[0] == {"F1"}
    assert client.get("/api/v1/cooperation/receipts?period_from=2026-13").status_code == 422
    assert client.get("/cooperation/receipts/?period_from=2026/01").status_code == 400


def test_the_list_query_counts_do_not_grow_with_the_rows(client_for):
    """Given 5 then 60 more receipts and agreements, when the lists (pages and API) are fetched, then each
    runs the same number of queries, within its budget."""
    client = client_for("office_pn")
    zone = _zone()

    added = iter(range(10**6))

    def more_receipts():
        Receipt.objects.bulk_create(
            Receipt(
                zone=zone,
                receipt_id=f"Q{next(added)}",
                enterprise=E,
                jurisdiction="341103",
                period=202601,
                tax_type="VAT",
                amount_fen=1,
            )
            for _ in range(60)
        )

    def more_agreements():
        for _ in range(20):
            make_agreement("office_pn", code=f"q-{next(added)}")

    assert_queries_flat(client, QueryBudget("/cooperation/receipts/", 14), more_receipts)
    assert_queries_flat(client, QueryBudget("/api/v1/cooperation/receipts", 10), more_receipts)
    assert_queries_flat(client, QueryBudget("/cooperation/agreements/", 14), more_agreements)
    assert_queries_flat(client, QueryBudget("/api/v1/cooperation/agreements", 10), more_agreements)


# --- agreement pages ------------------------------------------------------------------------------------


def test_the_agreement_page_draws_the_schedule_and_gives_it_as_a_table(client_for):
    """Given 江宁—博望's demo agreement (6:4, then 5:5 from 2025, a draft 55:45 from 2026), then its page holds
    the chart's data as a JSON block (no inline script) and the same schedule as a table."""
    response = client_for("office_jb").get("/cooperation/agreements/jb-demo-share/")
    html = response.content.decode()
    assert response.status_code == 200
    assert 'id="ratio-chart-data" type="application/json"' in html
    assert 'src="/static/js/ratio_chart.js"' in html
    start = html.index('id="ratio-chart-data" type="application/json">') + len(
        'id="ratio-chart-data" type="application/json">'
    )
    chart = json.loads(html[start : html.index("</script>", start)])
    approved = [s for s in chart["series"] if not s["draft"]]
    assert chart["months"][0] == "2022-01"
    assert approved[0]["data"][0] == 60 and approved[0]["data"][chart["months"].index("2025-01")] == 50
    assert any(s["draft"] and s["data"][chart["months"].index("2026-01")] == 55 for s in chart["series"])
    table = html[html.index('data-testid="ratio-table"') :]
    assert "60%" in table and "50%" in table and "55%" in table


def test_a_version_form_with_a_per_tax_schedule_is_stored_as_the_engines_rules(client_for):
    """Given office_pn, when it drafts a version with a schedule (one step per tax type in 2025) through the
    page, then the stored rules are the engine's stepped ratio with a per-tax map, and the edit form shows
    them back as written."""
    agreement = make_agreement("office_pn", code="t-form")
    form = {
        "effective_from": "2024-01",
        "enterprises": E,
        "tax_types": ["VAT", "CIT"],
        "base_kind": "local_share",
        "fraction_bp": "VAT: 5000\n*: 10000",
        "ratio_kind": "stepped",
        "ratio_steps": "2024-01: 7000, 3000\n2025-01 VAT: 6000, 4000\n2025-01: 5000, 5000",
        "statistics": "gdp: 7000, 3000",
        "double_count": "on",
    }
    response = client_for("office_pn").post(f"/cooperation/agreements/{agreement.code}/versions/new/", form)
    assert response.status_code == 302, response.content.decode()[:2000]
    version = agreement.versions.get()
    assert version.rules["ratio"] == {
        "kind": "stepped",
        "steps": [
            {"from": "2024-01", "bp": [7000, 3000]},
            {"from": "2025-01", "bp": {"VAT": [6000, 4000], "*": [5000, 5000]}},
        ],
    }
    assert version.rules["base"] == {"kind": "local_share", "fraction_bp": {"VAT": 5000, "*": 10000}}
    assert version.rules["statistics"] == {"bp": {"gdp": [7000, 3000]}, "double_count": True}
    edit = (
        client_for("office_pn")
        .get(f"/cooperation/agreements/{agreement.code}/versions/1/edit/")
        .content.decode()
    )
    assert "2025-01 VAT: 6000, 4000" in edit


@pytest.mark.parametrize(
    "change,field,words",
    [
        ({"ratio_bp": "6000, 3000"}, "ratio_bp", "add up to 9,000 bp"),
        ({"ratio_bp": "6000"}, "ratio_bp", "Give 2 values"),
        ({"ratio_bp": "VATT: 5000, 5000"}, "ratio_bp", "VATT"),
        ({"enterprises": "91341103MA2X00010H"}, "enterprises", "check character"),
        ({"effective_to": "2023-01"}, "effective_to", "ends before it starts"),
        (
            {"ratio_kind": "stepped", "ratio_steps": "2024-01: 5000, 5000\n2023-06: 5000, 5000"},
            "ratio_steps",
            "step 2",
        ),
        (
            {"ratio_kind": "increment", "ratio_bp": "5000, 5000", "baseline_fen": "1000"},
            "stock_party",
            "not a party",
        ),
    ],
)
def test_a_refused_version_is_shown_with_the_error_beside_its_field(client_for, change, field, words):
    agreement = make_agreement("office_pn", code="t-refused")
    form = {
        "effective_from": "2024-01",
        "enterprises": E,
        "base_kind": "local_share",
        "ratio_kind": "fixed",
        "ratio_bp": "5000, 5000",
        **change,
    }
    response = client_for("office_pn").post(f"/cooperation/agreements/{agreement.code}/versions/new/", form)
    assert response.status_code in (400, 422)
    errors = response.context["form"].errors
    assert field in errors and words in " ".join(errors[field]), errors
    assert not agreement.versions.exists()


def test_approving_on_the_page_moves_the_draft_into_force(client_for):
    draft = AgreementVersion.objects.get(agreement__code="pn-park-district-share", number=2)
    AgreementVersion.objects.filter(pk=draft.pk).update(resolution="决议〔2026〕1号")
    response = client_for("office_pn").post(
        "/cooperation/agreements/pn-park-district-share/versions/2/approve/",
        {"version": draft.version, "note": ""},
    )
    assert response.status_code == 302
    first = AgreementVersion.objects.get(agreement__code="pn-park-district-share", number=1)
    assert (first.status, first.effective_to) == ("approved", "2025-12")
    ours = canonical.agreements_for_engine(_zone(), "2026-03").agreements[0]
    assert ours.ratio.bp["*"] == (3000, 7000)


def test_the_engine_agreements_endpoint_gives_a_file_the_engine_reads(client_for):
    body = (
        client_for("finance_nanqiao")
        .get("/api/v1/cooperation/zones/pukou-nanqiao/engine-agreements?periods=2025-01..2025-12")
        .json()
    )
    parsed = parse_agreements(body, "api", known_taxes=canonical.known_tax_types())
    assert [a.id for a in parsed.agreements] == ["pn-park-district-share"]


# --- imports ---------------------------------------------------------------------------------------------


def test_the_import_page_imports_a_small_file_in_the_request(client_for):
    data = f"receipt_id,enterprise,jurisdiction,period,tax_type,amount_yuan\nP1,{E},341103,2026-01,VAT,1.50\n".encode()
    upload = io.BytesIO(data)
    upload.name = "p.csv"
    response = client_for("office_pn").post(
        "/cooperation/imports/", {"dataset": "receipts", "zone": "pukou-nanqiao", "file": upload}
    )
    assert response.status_code == 200
    assert Receipt.objects.get(zone=_zone(), receipt_id="P1").amount_fen == 150


@override_settings(TASKS={"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}})
def test_applying_the_good_rows_runs_as_a_job_whose_result_is_the_rejects(
    client_for, django_capture_on_commit_callbacks
):
    """Given a file with one bad row, when office_pn asks to apply the good rows, then the import runs as a
    job (the page redirects to it), the good row is written, and the job's result file holds the bad row
    with its error."""
    data = f"receipt_id,enterprise,jurisdiction,period,tax_type,amount_yuan\nG1,{E},341103,2026-01,VAT,1\nG2,{E},341103,2026-01,VAT,1.005\n".encode()
    upload = io.BytesIO(data)
    upload.name = "g.csv"
    client = client_for("office_pn")
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            "/cooperation/imports/",
            {"dataset": "receipts", "zone": "pukou-nanqiao", "file": upload, "apply_good_rows": "on"},
        )
    assert response.status_code == 302
    job = Job.objects.get(kind="cooperation.receipts_import")
    assert job.status == "succeeded", (job.error, job.log)
    assert Receipt.objects.filter(zone=_zone(), receipt_id="G1").exists()
    assert not Receipt.objects.filter(zone=_zone(), receipt_id="G2").exists()
    result = client.get(f"/jobs/{job.pk}/result/")
    text = (
        b"".join(result.streaming_content).decode("utf-8-sig")
        if result.streaming
        else result.content.decode("utf-8-sig")
    )
    assert "G2" in text and "3 decimals" in text


# --- the what-if preview ------------------------------------------------------------------------------------


def test_the_preview_of_a_draft_gives_the_difference_per_party_on_a_crafted_case(client_for):
    """Given an agreement of 浦口—南谯 approved 6:4 on the whole VAT of one enterprise, which paid 100.00 元 of
    VAT every month of the window (2025-11 … 2026-10, the last 12 months of the zone's receipts), when a
    draft sharing 5:5 is previewed, then 南谯 gets 720.00 元 under the approved version and 600.00 元 under
    the draft (−120.00), 浦口 480.00 and 600.00 (+120.00), 10.00 元 a month each way."""
    agreement = make_agreement("office_pn", code="t-preview")
    rules = {
        "scope": {"enterprises": [E]},
        "tax_types": ["VAT"],
        "base": {"kind": "total", "fraction_bp": 10000},
        "ratio": {"kind": "fixed", "bp": [6000, 4000]},
    }
    approve("office_pn", make_version("office_pn", agreement, effective_from="2024-01", rules=rules))
    draft = make_version(
        "office_pn",
        agreement,
        effective_from="2026-06",
        rules={**rules, "ratio": {"kind": "fixed", "bp": [5000, 5000]}},
    )
    months = [f"2025-{m:02d}" for m in (11, 12)] + [f"2026-{m:02d}" for m in range(1, 11)]
    _receipts([(f"V{i}", E, "341103", m, "VAT", "100.00") for i, m in enumerate(months)])
    body = (
        client_for("finance_pukou")
        .get(f"/api/v1/cooperation/agreements/t-preview/versions/{draft.number}/preview")
        .json()
    )
    assert (body["first"], body["last"], body["error"]) == ("2025-11", "2026-10", "")
    parties = {
        p["jurisdiction"]: (p["approved_fen"], p["draft_fen"], p["difference_fen"]) for p in body["parties"]
    }
    assert parties == {"341103": (72000, 60000, -12000), "320111": (48000, 60000, 12000)}
    assert all(m["difference"] == [-1000, 1000] for m in body["months"])
    assert any("2026-06" in n for n in body["notes"])  # applied to the whole window, though in force later
    page = client_for("office_pn").get(f"/cooperation/agreements/t-preview/versions/{draft.number}/preview/")
    assert (
        page.status_code == 200 and "-120.00" in page.content.decode() and "+120.00" in page.content.decode()
    )
    assert (
        client_for("officer_pukou")
        .get(f"/cooperation/agreements/t-preview/versions/{draft.number}/preview/")
        .status_code
        == 403
    )
    assert (
        client_for("finance_jiangning")
        .get(f"/api/v1/cooperation/agreements/t-preview/versions/{draft.number}/preview")
        .status_code
        == 404
    )


def test_a_preview_the_engine_refuses_says_why(client_for):
    """Given a draft covering an enterprise that the demo's approved agreement already covers for VAT, then the
    preview names the overlap instead of a figure."""
    agreement = make_agreement("office_pn", code="t-clash")
    taken = (
        Agreement.objects.get(code="pn-park-district-share")
        .versions.get(number=1)
        .rules["scope"]["enterprises"][0]
    )
    draft = make_version(
        "office_pn",
        agreement,
        rules={
            "scope": {"enterprises": [taken]},
            "tax_types": ["VAT"],
            "base": {"kind": "total", "fraction_bp": 10000},
            "ratio": {"kind": "fixed", "bp": [5000, 5000]},
        },
    )
    body = (
        client_for("office_pn")
        .get(f"/api/v1/cooperation/agreements/t-clash/versions/{draft.number}/preview")
        .json()
    )
    assert "already in the scope of agreement pn-park-district-share" in body["error"]
    assert body["parties"] == []
