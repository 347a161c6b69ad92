"""The audited actions of the cooperation records and the fund, each done once on a record of known place,
with who must read its entry and who must not (run by tests/core/test_audit_anchors.py, which requires a
scenario for every registered action)."""

from __future__ import annotations

import datetime as dt

from tongcheng.cooperation.demo import synthetic_credit_code
from tongcheng.cooperation.models import (
    Enterprise,
    Establishment,
    FundContribution,
    FundDisbursement,
    Park,
    Project,
    ProvinceRule,
)
from tongcheng.cooperation.services import fund, projects, records
from tongcheng.cooperation.testing import as_user, make_enterprise, make_park, make_project, place, zone

PN_READERS = ["auditor_pn", "office_pn", "office_metro", "auditor_metro"]
PN_OTHERS = ["auditor_jb", "office_jb"]


def _park() -> Park:
    return Park.objects.get(code="pn-cobuilt-park")


def _project() -> Project:
    return Project.objects.get(code="pn-yaxinwei")


def _enterprise() -> Enterprise:
    return Enterprise.objects.get(name="华诺半导体")


def _establishment() -> Establishment:
    return Establishment.objects.filter(enterprise__name="浦南交通工业化制造有限公司").order_by("pk").first()


RECORD_SCENARIOS = {
    "park.create": (lambda: make_park("office_pn", code="audit-park"), PN_READERS, PN_OTHERS),
    "park.update": (
        lambda: records.update_park(
            actor=as_user("office_pn"),
            park=_park(),
            changes={"note": "审计"},
            expected_version=_park().version,
        ),
        PN_READERS,
        PN_OTHERS,
    ),
    "park_year.save": (
        lambda: records.save_park_year(
            actor=as_user("office_pn"), park=_park(), year=2025, business_revenue_fen=1, budget_revenue_fen=1
        ),
        PN_READERS,
        PN_OTHERS,
    ),
    "enterprise.create": (
        lambda: make_enterprise("office_pn", credit_code=synthetic_credit_code("audit", "341103")),
        PN_READERS,
        PN_OTHERS,
    ),
    "enterprise.update": (
        lambda: records.update_enterprise(
            actor=as_user("office_pn"),
            enterprise=_enterprise(),
            changes={"note": "审计"},
            expected_version=_enterprise().version,
        ),
        PN_READERS,
        PN_OTHERS,
    ),
    "establishment.create": (
        lambda: records.create_establishment(
            actor=as_user("office_pn"), enterprise=_enterprise(), kind="branch", jurisdiction=place("320111")
        ),
        PN_READERS,
        PN_OTHERS,
    ),
    "establishment.update": (
        lambda: records.update_establishment(
            actor=as_user("office_pn"),
            establishment=_establishment(),
            changes={"support_unit": True},
            expected_version=_establishment().version,
        ),
        PN_READERS,
        PN_OTHERS,
    ),
    "factor.save": (
        lambda: records.save_factors(
            actor=as_user("office_pn"),
            establishment=_establishment(),
            year=2023,
            revenue_fen=1,
            payroll_fen=1,
            assets_fen=1,
        ),
        PN_READERS,
        PN_OTHERS,
    ),
    "project.create": (lambda: make_project("office_pn", code="audit-project"), PN_READERS, PN_OTHERS),
    "project.update": (
        lambda: projects.update_project(
            actor=as_user("office_pn"),
            project=_project(),
            changes={"note": "审计"},
            expected_version=_project().version,
        ),
        PN_READERS,
        PN_OTHERS,
    ),
    "project.start_construction": (
        lambda: projects.step_project(
            actor=as_user("office_pn"),
            project=make_project("office_pn", code="audit-step"),
            step="start_construction",
            expected_version=1,
        ),
        PN_READERS,
        PN_OTHERS,
    ),
    "project.start_production": (
        lambda: projects.step_project(
            actor=as_user("office_pn"),
            project=_project(),
            step="start_production",
            expected_version=_project().version,
        ),
        PN_READERS,
        PN_OTHERS,
    ),
    # A province's rule lies in the province: the metropolitan area's auditors read it, a zone's do not.
    "province_rule.save": (
        lambda: records.save_province_rule(
            actor=as_user("office_metro"),
            province=place("340000"),
            apportioned_across_cities=False,
            rule="审计",
            expected_version=ProvinceRule.objects.get(province__code="340000").version,
        ),
        ["office_metro", "auditor_metro"],
        ["auditor_pn", "auditor_jb"],
    ),
    "fund.commitment": (
        lambda: fund.save_commitment(
            actor=as_user("office_pn"),
            zone=zone("pukou-nanqiao"),
            party=place("320111"),
            year=2027,
            amount_fen=1,
        ),
        PN_READERS,
        PN_OTHERS,
    ),
    "fund.contribution.create": (
        lambda: fund.create_contribution(
            actor=as_user("office_pn"),
            zone=zone("pukou-nanqiao"),
            party=place("341103"),
            kind="cash",
            amount_fen=1,
            date=dt.date(2026, 2, 1),
            reference="审计1号",
        ),
        PN_READERS,
        PN_OTHERS,
    ),
    "fund.contribution.update": (
        lambda: fund.update_contribution(
            actor=as_user("office_pn"),
            contribution=FundContribution.objects.filter(zone__code="pukou-nanqiao").first(),
            changes={"description": "审计"},
            expected_version=FundContribution.objects.filter(zone__code="pukou-nanqiao").first().version,
        ),
        PN_READERS,
        PN_OTHERS,
    ),
    "fund.disbursement.create": (
        lambda: fund.create_disbursement(
            actor=as_user("office_pn"),
            zone=zone("pukou-nanqiao"),
            purpose="public_service",
            name="审计",
            amount_fen=1,
            date=dt.date(2026, 2, 1),
            resolution="纪要1号",
        ),
        PN_READERS,
        PN_OTHERS,
    ),
    "fund.disbursement.update": (
        lambda: fund.update_disbursement(
            actor=as_user("office_pn"),
            disbursement=FundDisbursement.objects.filter(zone__code="pukou-nanqiao").first(),
            changes={"note": "审计"},
            expected_version=FundDisbursement.objects.filter(zone__code="pukou-nanqiao").first().version,
        ),
        PN_READERS,
        PN_OTHERS,
    ),
}
