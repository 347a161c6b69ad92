"""The writes of the cooperation records and the fund in the write-permission matrix (run by
tests/core/test_write_matrix.py, mirrored in docs/access-matrix.md): every API operation and page form,
tried by every role, with the outcome the rules call for and nothing written on a refusal.

The samples are the demo's 浦口—南谯 records: its co-built park, 华诺半导体, the transport enterprise's
production base, the projects 华诺 and 亚芯微 (under construction), the zone's fund.

Who is who (cooperation/rules.py): the zone's records are read by every staff role reaching the zone
(``PN_READERS`` besides its office) and written by its office and the metropolitan-area office; its fund is
read by its office, leader and auditor and by the finance bureaus of 浦口 and 南谯 (``FUND_READERS``), and
nobody else — not its officers or windows. A create page is an office's: other staff see the lists (403),
the applicant nothing (404); another zone's office (office_jb) gets the page, and its form does not offer
浦口—南谯 (400)."""

from __future__ import annotations

import csv
import io
from typing import Any

from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from tests.conftest import DEMO_USERNAMES
from tongcheng.cooperation.demo import synthetic_credit_code
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
from tongcheng.core.models import AdjacentZone, AuditEntry
from tongcheng.kit.testing import read_csv_export
from tongcheng.kit.workflow.models import TransitionLog
from tongcheng.kit.write_matrix import LOGIN, Outcome, WriteCase

ROLES = [*DEMO_USERNAMES, "admin", "anonymous"]
API = "/api/v1/cooperation"
OFFICES = {"office_metro", "office_pn", "admin"}
PN_READERS = (
    "leader_pn",
    "auditor_pn",
    "officer_pukou",
    "officer_nanqiao",
    "finance_pukou",
    "finance_nanqiao",
    "clerk_pukou",
    "clerk_nanqiao",
)
FUND_READERS = ("leader_pn", "auditor_pn", "finance_pukou", "finance_nanqiao")
NEW_CODE = synthetic_credit_code("matrix-enterprise", "341103")


def outcomes(default: Outcome, **by_role: Outcome) -> dict[str, Outcome]:
    table = {role: by_role.get(role, default) for role in ROLES}
    table["anonymous"] = by_role.get("anonymous", LOGIN)
    return table


def _each(roles: tuple[str, ...], outcome: Outcome) -> dict[str, Outcome]:
    return dict.fromkeys(roles, outcome)


def _record(success: Outcome) -> dict[str, Outcome]:
    """A write on an existing 浦口—南谯 record: its offices succeed, its readers 403, others 404."""
    return outcomes(404, **_each(tuple(OFFICES), success), **_each(PN_READERS, 403))


def _create_api(success: Outcome) -> dict[str, Outcome]:
    """A new 浦口—南谯 record by API: the zone is named; who does not see it gets 404 (office_jb too)."""
    return outcomes(404, **_each(tuple(OFFICES), success), **_each(PN_READERS, 403))


def _create_page(success: Outcome) -> dict[str, Outcome]:
    return outcomes(403, **_each(tuple(OFFICES), success), office_jb=400, applicant_demo=404)


def _fund(success: Outcome) -> dict[str, Outcome]:
    return outcomes(404, **_each(tuple(OFFICES), success), **_each(FUND_READERS, 403))


RECORD_EXPECTED: dict[str, dict[str, Outcome]] = {
    # API
    "coop_park_create_api": _create_api(201),
    "coop_park_patch_api": _record(200),
    "coop_park_year_api": _record(200),
    "coop_enterprise_create_api": _create_api(201),
    "coop_enterprise_patch_api": _record(200),
    "coop_establishment_create_api": _record(201),
    "coop_establishment_patch_api": _record(200),
    "coop_factor_api": _record(200),
    "coop_project_create_api": _create_api(201),
    "coop_project_patch_api": _record(200),
    "coop_project_step_api": _record(200),
    "coop_commitment_api": _fund(200),
    "coop_contribution_create_api": _fund(201),
    "coop_contribution_patch_api": _fund(200),
    "coop_disbursement_create_api": _fund(201),
    "coop_disbursement_patch_api": _fund(200),
    # Every staff role reads the provinces' rules; only the metropolitan-area office records them.
    "coop_province_rule_api": outcomes(403, office_metro=200, admin=200, applicant_demo=404),
    # pages
    "coop_park_create_page": _create_page(302),
    "coop_park_edit_page": _record(302),
    "coop_park_import_page": _create_page(200),
    "coop_enterprise_create_page": _create_page(302),
    "coop_enterprise_edit_page": _record(302),
    "coop_enterprise_import_page": _create_page(200),
    "coop_project_create_page": _create_page(302),
    "coop_project_edit_page": _record(302),
    "coop_project_import_page": _create_page(200),
    "coop_project_step_page": _record(302),
    "coop_commitment_page": _fund(302),
    "coop_contribution_page": _fund(302),
    "coop_disbursement_page": _fund(302),
}


def _pn_zone() -> int:
    return AdjacentZone.objects.get(code="pukou-nanqiao").pk


def _park() -> Park:
    return Park.objects.get(code="pn-cobuilt-park")


def _huanuo() -> Enterprise:
    return Enterprise.objects.get(name="华诺半导体")


def _base() -> Establishment:
    return Establishment.objects.get(enterprise__name="浦南交通工业化制造有限公司", kind="production_base")


def _contribution() -> FundContribution:
    return FundContribution.objects.filter(zone__code="pukou-nanqiao").order_by("pk").first()


def _disbursement() -> FundDisbursement:
    return FundDisbursement.objects.filter(zone__code="pukou-nanqiao").order_by("pk").first()


def _version(getter) -> Any:
    return lambda role, prepared: {"version": getter().version, "note": "矩阵"}


def import_files(office_metro: Client) -> dict[str, bytes]:
    """office_metro's exports, each cut to one 浦口—南谯 record with its note edited."""
    files = {}
    for kind, key, value in (
        ("parks", "code", "pn-cobuilt-park"),
        ("enterprises", "name", "华诺半导体"),
        ("projects", "code", "pn-huanuo"),
    ):
        rows = [
            r
            for r in read_csv_export(office_metro.get(f"/cooperation/{kind}/?export=csv"))
            if r[key] == value
        ]
        assert len(rows) == 1, kind
        rows[0]["note"] = "矩阵"
        out = io.StringIO()
        writer = csv.DictWriter(out, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
        files[kind] = ("\ufeff" + out.getvalue()).encode()
    return files


def _upload(files: dict[str, bytes] | None, kind: str):
    return lambda role, prepared: {
        "file": SimpleUploadedFile(f"{kind}.csv", (files or {}).get(kind, b""), "text/csv")
    }


def _tables(model) -> tuple:
    return (model, model.history.model, AuditEntry)


def record_cases(files: dict[str, bytes] | None = None) -> list[WriteCase]:
    def case(name: str, **kwargs: Any) -> WriteCase:
        return WriteCase(name=name, expected=RECORD_EXPECTED[name], **kwargs)

    park_body = {"code": "matrix-park", "name": "矩阵园区", "zone": "pukou-nanqiao", "host": "341103"}
    project_body = {
        "code": "matrix-project",
        "name": "矩阵项目",
        "zone": "pukou-nanqiao",
        "mode": "industrial_park",
    }
    return [
        case(
            "coop_park_create_api",
            route="/api/v1/cooperation/parks",
            method="POST",
            url=f"{API}/parks",
            payload=park_body,
            tables=_tables(Park),
        ),
        case(
            "coop_park_patch_api",
            route="/api/v1/cooperation/parks/{code}",
            method="PATCH",
            url=f"{API}/parks/pn-cobuilt-park",
            payload=_version(_park),
            tables=_tables(Park),
        ),
        case(
            "coop_park_year_api",
            route="/api/v1/cooperation/parks/{code}/years",
            method="POST",
            url=f"{API}/parks/pn-cobuilt-park/years",
            payload={"year": 2026, "business_revenue_fen": 1, "budget_revenue_fen": 1},
            tables=_tables(ParkYear),
        ),
        case(
            "coop_enterprise_create_api",
            route="/api/v1/cooperation/enterprises",
            method="POST",
            url=f"{API}/enterprises",
            payload={
                "credit_code": NEW_CODE,
                "name": "矩阵企业",
                "industry": "C39",
                "jurisdiction": "341103",
                "zone": "pukou-nanqiao",
            },
            tables=_tables(Enterprise),
        ),
        case(
            "coop_enterprise_patch_api",
            route="/api/v1/cooperation/enterprises/{credit_code}",
            method="PATCH",
            url=lambda role, p: f"{API}/enterprises/{_huanuo().credit_code}",
            payload=_version(_huanuo),
            tables=_tables(Enterprise),
        ),
        case(
            "coop_establishment_create_api",
            route="/api/v1/cooperation/enterprises/{credit_code}/establishments",
            method="POST",
            url=lambda role, p: f"{API}/enterprises/{_huanuo().credit_code}/establishments",
            payload={"kind": "branch", "jurisdiction": "320111"},
            tables=_tables(Establishment),
        ),
        case(
            "coop_establishment_patch_api",
            route="/api/v1/cooperation/establishments/{establishment_id}",
            method="PATCH",
            url=lambda role, p: f"{API}/establishments/{_base().pk}",
            payload=_version(_base),
            tables=_tables(Establishment),
        ),
        case(
            "coop_factor_api",
            route="/api/v1/cooperation/establishments/{establishment_id}/factors",
            method="POST",
            url=lambda role, p: f"{API}/establishments/{_base().pk}/factors",
            payload={"year": 2023, "revenue_fen": 1, "payroll_fen": 1, "assets_fen": 1},
            tables=_tables(ApportionmentFactor),
        ),
        case(
            "coop_project_create_api",
            route="/api/v1/cooperation/projects",
            method="POST",
            url=f"{API}/projects",
            payload=project_body,
            tables=_tables(Project),
        ),
        case(
            "coop_project_patch_api",
            route="/api/v1/cooperation/projects/{code}",
            method="PATCH",
            url=f"{API}/projects/pn-huanuo",
            payload=_version(lambda: Project.objects.get(code="pn-huanuo")),
            tables=_tables(Project),
        ),
        case(
            "coop_project_step_api",
            route="/api/v1/cooperation/projects/{code}/steps",
            method="POST",
            url=f"{API}/projects/pn-yaxinwei/steps",
            payload=lambda role, p: {
                "step": "start_production",
                "version": Project.objects.get(code="pn-yaxinwei").version,
            },
            tables=(*_tables(Project), TransitionLog),
        ),
        case(
            "coop_commitment_api",
            route="/api/v1/cooperation/zones/{code}/fund/commitments",
            method="POST",
            url=f"{API}/zones/pukou-nanqiao/fund/commitments",
            payload={"party": "320111", "year": 2027, "amount_fen": 1},
            tables=_tables(FundCommitment),
        ),
        case(
            "coop_contribution_create_api",
            route="/api/v1/cooperation/zones/{code}/fund/contributions",
            method="POST",
            url=f"{API}/zones/pukou-nanqiao/fund/contributions",
            payload={
                "party": "320111",
                "kind": "cash",
                "amount_fen": 1,
                "date": "2026-01-01",
                "reference": "矩阵",
            },
            tables=_tables(FundContribution),
        ),
        case(
            "coop_contribution_patch_api",
            route="/api/v1/cooperation/fund/contributions/{contribution_id}",
            method="PATCH",
            url=lambda role, p: f"{API}/fund/contributions/{_contribution().pk}",
            payload=_version(_contribution),
            tables=_tables(FundContribution),
        ),
        case(
            "coop_disbursement_create_api",
            route="/api/v1/cooperation/zones/{code}/fund/disbursements",
            method="POST",
            url=f"{API}/zones/pukou-nanqiao/fund/disbursements",
            payload={
                "purpose": "infrastructure",
                "name": "矩阵",
                "amount_fen": 1,
                "date": "2026-01-01",
                "resolution": "矩阵",
            },
            tables=_tables(FundDisbursement),
        ),
        case(
            "coop_disbursement_patch_api",
            route="/api/v1/cooperation/fund/disbursements/{disbursement_id}",
            method="PATCH",
            url=lambda role, p: f"{API}/fund/disbursements/{_disbursement().pk}",
            payload=_version(_disbursement),
            tables=_tables(FundDisbursement),
        ),
        case(
            "coop_province_rule_api",
            route="/api/v1/cooperation/province-rules/{province}",
            method="POST",
            url=f"{API}/province-rules/340000",
            payload=lambda role, p: {
                "apportioned_across_cities": True,
                "version": ProvinceRule.objects.get(province__code="340000").version,
            },
            tables=_tables(ProvinceRule),
        ),
        # pages
        case(
            "coop_park_create_page",
            route="/cooperation/parks/new/",
            method="POST",
            api=False,
            url="/cooperation/parks/new/",
            payload=lambda role, p: {
                "code": "matrix-park",
                "name": "矩阵园区",
                "zone": str(_pn_zone()),
                "host": "南谯区",
                "host_code": "341103",
            },
            tables=_tables(Park),
        ),
        case(
            "coop_park_edit_page",
            route="/cooperation/parks/{code}/edit/",
            method="POST",
            api=False,
            url="/cooperation/parks/pn-cobuilt-park/edit/",
            payload=lambda role, p: {
                "name": "矩阵园区",
                "host": "南谯区",
                "host_code": "341103",
                "version": str(_park().version),
            },
            tables=_tables(Park),
        ),
        case(
            "coop_park_import_page",
            route="/cooperation/parks/import/",
            method="POST",
            api=False,
            url="/cooperation/parks/import/",
            payload=_upload(files, "parks"),
            tables=_tables(Park),
        ),
        case(
            "coop_enterprise_create_page",
            route="/cooperation/enterprises/new/",
            method="POST",
            api=False,
            url="/cooperation/enterprises/new/",
            payload=lambda role, p: {
                "credit_code": NEW_CODE,
                "name": "矩阵企业",
                "industry": "C39",
                "jurisdiction": "南谯区",
                "jurisdiction_code": "341103",
                "zone": str(_pn_zone()),
            },
            tables=_tables(Enterprise),
        ),
        case(
            "coop_enterprise_edit_page",
            route="/cooperation/enterprises/{credit_code}/edit/",
            method="POST",
            api=False,
            url=lambda role, p: f"/cooperation/enterprises/{_huanuo().credit_code}/edit/",
            payload=lambda role, p: {
                "name": "矩阵企业",
                "industry": "C39",
                "version": str(_huanuo().version),
            },
            tables=_tables(Enterprise),
        ),
        case(
            "coop_enterprise_import_page",
            route="/cooperation/enterprises/import/",
            method="POST",
            api=False,
            url="/cooperation/enterprises/import/",
            payload=_upload(files, "enterprises"),
            tables=_tables(Enterprise),
        ),
        case(
            "coop_project_create_page",
            route="/cooperation/projects/new/",
            method="POST",
            api=False,
            url="/cooperation/projects/new/",
            payload=lambda role, p: {
                "code": "matrix-project",
                "name": "矩阵项目",
                "zone": str(_pn_zone()),
                "mode": "industrial_park",
            },
            tables=_tables(Project),
        ),
        case(
            "coop_project_edit_page",
            route="/cooperation/projects/{code}/edit/",
            method="POST",
            api=False,
            url="/cooperation/projects/pn-huanuo/edit/",
            payload=lambda role, p: {
                "name": "矩阵项目",
                "mode": "industrial_park",
                "investment": "12亿元",
                "version": str(Project.objects.get(code="pn-huanuo").version),
            },
            tables=_tables(Project),
        ),
        case(
            "coop_project_import_page",
            route="/cooperation/projects/import/",
            method="POST",
            api=False,
            url="/cooperation/projects/import/",
            payload=_upload(files, "projects"),
            tables=_tables(Project),
        ),
        case(
            "coop_project_step_page",
            route="/cooperation/projects/{code}/step/",
            method="POST",
            api=False,
            url="/cooperation/projects/pn-yaxinwei/step/",
            payload=lambda role, p: {
                "step": "start_production",
                "version": str(Project.objects.get(code="pn-yaxinwei").version),
            },
            tables=(*_tables(Project), TransitionLog),
        ),
        case(
            "coop_commitment_page",
            route="/cooperation/zones/{code}/fund/commitments/new/",
            method="POST",
            api=False,
            url="/cooperation/zones/pukou-nanqiao/fund/commitments/new/",
            payload={"party": "320111", "year": "2027", "amount": "100万元"},
            tables=_tables(FundCommitment),
        ),
        case(
            "coop_contribution_page",
            route="/cooperation/zones/{code}/fund/contributions/new/",
            method="POST",
            api=False,
            url="/cooperation/zones/pukou-nanqiao/fund/contributions/new/",
            payload={
                "party": "320111",
                "kind": "cash",
                "amount": "100万元",
                "date": "2026-01-01",
                "reference": "矩阵",
            },
            tables=_tables(FundContribution),
        ),
        case(
            "coop_disbursement_page",
            route="/cooperation/zones/{code}/fund/disbursements/new/",
            method="POST",
            api=False,
            url="/cooperation/zones/pukou-nanqiao/fund/disbursements/new/",
            payload={
                "purpose": "infrastructure",
                "name": "矩阵",
                "amount": "100万元",
                "date": "2026-01-01",
                "resolution": "矩阵",
            },
            tables=_tables(FundDisbursement),
        ),
    ]
