"""The demo's cooperation records (issue 10, "Demo data"): the seed's totals exactly, invented detail labelled,
and a reload that changes nothing and never overwrites a user's edit."""

from __future__ import annotations

import pytest
from django.db.models import Sum

from tongcheng.cooperation.demo import NINGHUAI
from tongcheng.cooperation.models import (
    Enterprise,
    FundCommitment,
    FundContribution,
    Park,
    ParkYear,
    Project,
)
from tongcheng.cooperation.services import projects, records
from tongcheng.cooperation.testing import as_user
from tongcheng.core.demo import load_demo
from tongcheng.core.validators import is_valid_uscc

pytestmark = pytest.mark.django_db

NINGHUAI_ZONES = ("ninghuai-cooperation", "ninghuai")


def test_given_the_demo_when_the_ninghuai_records_are_added_up_then_they_are_the_seeds_figures():
    """S-Z3: 5 parks, 34.13 km², 540 projects, 550亿元 invested, 512.02亿元 business and 10.58亿元 budget
    revenue — from the records, to the fen."""
    parks = Park.objects.filter(zone__code__in=NINGHUAI_ZONES)
    projects_ = Project.objects.filter(zone__code__in=NINGHUAI_ZONES)
    years = ParkYear.objects.filter(park__in=parks).aggregate(
        b=Sum("business_revenue_fen"), g=Sum("budget_revenue_fen")
    )

    assert parks.count() == NINGHUAI["parks"] == 5
    assert parks.aggregate(a=Sum("area_m2"))["a"] == NINGHUAI["area_m2"] == 34_130_000
    assert projects_.count() == 540
    assert projects_.aggregate(i=Sum("investment_fen"))["i"] == 550 * 10**10
    assert (years["b"], years["g"]) == (51202 * 10**8, 1058 * 10**8)
    assert parks.filter(zone__code="ninghuai").get().name == "宁淮特别合作区"


def test_given_the_demo_when_pukou_nanqiao_is_read_then_it_holds_the_three_s_z4_projects_with_their_amounts():
    found = {
        p.name: p for p in Project.objects.filter(zone__code="pukou-nanqiao").prefetch_related("attracted_by")
    }

    assert {n: p.investment_fen // 10**10 for n, p in found.items()} == {
        "华诺半导体项目": 12,
        "亚芯微半导体产业园项目": 5,
        "交通工业化制造总部基地及生产基地项目": 15,
    }
    assert all({j.code for j in p.attracted_by.all()} == {"320111", "341103"} for p in found.values())
    park = Park.objects.get(code="pn-cobuilt-park")
    assert park.managing_organisation.name == "滁州南浦合作开发有限公司" and "8:2" in park.note


def test_given_invented_detail_when_it_is_stored_then_it_is_labelled_synthetic_in_the_note():
    for model in (Project, ParkYear, Enterprise, FundCommitment, FundContribution):
        for row in model.objects.filter(synthetic=True):
            assert "合成演示数据" in row.note, (model.__name__, row.pk)
    assert all(is_valid_uscc(e.credit_code) for e in Enterprise.objects.all())


def test_given_the_demo_loaded_when_it_loads_again_then_nothing_is_written():
    report, _accounts = load_demo()

    assert (report.created, report.updated, report.kept) == (0, 0, [])


def test_given_an_office_edited_a_demo_project_when_the_demo_reloads_then_the_edit_stays_and_is_reported():
    project = Project.objects.get(code="pn-huanuo")
    edited = projects.update_project(
        actor=as_user("office_pn"),
        project=project,
        changes={"investment_fen": 13 * 10**10},
        expected_version=project.version,
    )

    report, _accounts = load_demo()

    project.refresh_from_db()
    assert project.investment_fen == 13 * 10**10 and project.version == edited.version
    assert any("华诺半导体项目" in name for name in report.kept)


def test_given_a_demo_park_changed_behind_the_services_when_the_demo_reloads_then_it_is_restored_with_a_new_version():
    park = Park.objects.get(code="pn-cobuilt-park")
    Park.objects.filter(pk=park.pk).update(area_m2=1)

    report, _accounts = load_demo()

    park.refresh_from_db()
    assert park.area_m2 == 666_667 and report.updated >= 1


def test_given_the_province_rules_when_the_demo_is_loaded_then_both_provinces_default_to_not_apportioned():
    for code in ("320000", "340000"):
        rule = records.province_rule_for(records.Jurisdiction.objects.current().get(code=code))
        assert rule.pk is not None and rule.apportioned_across_cities is False
