"""The cooperation pages (issue 10, "Pages"): create and edit parks, enterprises and projects through their
forms, take a project's workflow step, read the overview's cards and charts, the fund page, and the lists'
filters; every refusal shown on the form and nothing written."""

from __future__ import annotations

import re

import pytest

from tongcheng.cooperation.demo import synthetic_credit_code
from tongcheng.cooperation.models import Enterprise, FundContribution, Park, Project
from tongcheng.core.models import AuditEntry
from tongcheng.kit.testing import list_count

pytestmark = pytest.mark.django_db


def _text(response) -> str:
    return response.content.decode()


def test_given_the_zone_office_when_it_creates_a_project_through_the_form_then_it_appears_on_the_overview(
    client_for,
):
    client = client_for("office_pn")
    before = client.get("/cooperation/zones/pukou-nanqiao/")
    cards = dict(re.findall(r'data-testid="card-(\w+)">([^<]*)<', _text(before)))

    response = client.post(
        "/cooperation/projects/new/",
        {
            "code": "pn-form-project",
            "name": "表单新建项目",
            "zone": Project.objects.get(code="pn-huanuo").zone_id,
            "park": Park.objects.get(code="pn-cobuilt-park").pk,
            "mode": "cross_region",
            "investment": "2.5亿元",
            "signed_on": "2026-05-01",
            "attracted_by": "320111；341103",
        },
    )

    assert response.status_code == 302 and response["Location"] == "/cooperation/projects/pn-form-project/"
    project = Project.objects.get(code="pn-form-project")
    assert project.investment_fen == 25 * 10**9 and project.status == "signed"
    after = dict(
        re.findall(
            r'data-testid="card-(\w+)">([^<]*)<', _text(client.get("/cooperation/zones/pukou-nanqiao/"))
        )
    )
    assert int(after["projects"]) == int(cards["projects"]) + 1
    assert after["investment"] == "34.50" and cards["investment"] == "32.00"


def test_given_a_bad_amount_when_the_project_form_is_sent_then_it_is_refused_beside_the_field(client_for):
    response = client_for("office_pn").post(
        "/cooperation/projects/new/",
        {
            "code": "pn-bad",
            "name": "坏金额",
            "zone": Project.objects.get(code="pn-huanuo").zone_id,
            "mode": "industrial_park",
            "investment": "1.234",
        },
    )

    assert response.status_code == 400
    assert 'data-error-for="investment"' in _text(response)
    assert not Project.objects.filter(code="pn-bad").exists()


def test_given_a_park_of_another_zone_when_a_project_is_created_there_then_the_service_refusal_is_on_the_park(
    client_for,
):
    response = client_for("office_metro").post(
        "/cooperation/projects/new/",
        {
            "code": "pn-wrong-park",
            "name": "错园区",
            "zone": Project.objects.get(code="pn-huanuo").zone_id,
            "park": Park.objects.get(code="jb-manufacturing").pk,
            "mode": "industrial_park",
        },
    )

    assert response.status_code == 422
    assert 'data-error-for="park"' in _text(response)


def test_given_a_project_page_when_the_office_takes_the_step_then_the_status_moves_and_the_button_changes(
    client_for,
):
    client = client_for("office_pn")
    project = Project.objects.get(code="pn-yaxinwei")
    page = _text(client.get("/cooperation/projects/pn-yaxinwei/"))
    assert 'data-testid="step-start_production"' in page and "start_construction" not in page

    response = client.post(
        "/cooperation/projects/pn-yaxinwei/step/", {"step": "start_production", "version": project.version}
    )

    assert response.status_code == 302
    project.refresh_from_db()
    assert project.status == "in_production"
    assert 'data-testid="step-' not in _text(client.get("/cooperation/projects/pn-yaxinwei/"))
    stale = client.post("/cooperation/projects/pn-yaxinwei/step/", {"step": "start_production", "version": 1})
    assert stale.status_code == 302
    assert (
        AuditEntry.objects.filter(action="project.start_production", object_id=str(project.pk)).count() == 1
    )


def test_given_a_reader_when_it_posts_a_step_then_403_and_an_outsider_404(client_for):
    project = Project.objects.get(code="pn-yaxinwei")
    body = {"step": "start_production", "version": project.version}

    assert client_for("leader_pn").post("/cooperation/projects/pn-yaxinwei/step/", body).status_code == 403
    assert client_for("office_jb").post("/cooperation/projects/pn-yaxinwei/step/", body).status_code == 404
    project.refresh_from_db()
    assert project.status == "under_construction"


def test_given_a_park_when_its_edit_form_is_sent_with_an_old_version_then_the_conflict_is_shown(client_for):
    park = Park.objects.get(code="pn-cobuilt-park")
    client = client_for("office_pn")
    form = {
        "name": park.name,
        "name_en": park.name_en,
        "host": "南谯区",
        "host_code": "341103",
        "partners": "320111",
        "area_m2": "800000",
        "version": str(park.version),
    }
    assert client.post("/cooperation/parks/pn-cobuilt-park/edit/", form).status_code == 302

    again = client.post("/cooperation/parks/pn-cobuilt-park/edit/", {**form, "area_m2": "1"})

    assert again.status_code == 409
    assert Park.objects.get(pk=park.pk).area_m2 == 800_000


def test_given_an_office_when_it_creates_an_enterprise_with_a_bad_credit_code_then_the_field_says_so(
    client_for,
):
    good = synthetic_credit_code("form-enterprise", "341103")
    client = client_for("office_pn")
    form = {
        "credit_code": good[:17] + ("0" if good[17] != "0" else "1"),
        "name": "表单企业",
        "industry": "C39",
        "jurisdiction": "南谯区",
        "jurisdiction_code": "341103",
    }

    refused = client.post("/cooperation/enterprises/new/", form)
    created = client.post("/cooperation/enterprises/new/", {**form, "credit_code": good.lower()})

    assert refused.status_code == 400 and 'data-error-for="credit_code"' in _text(refused)
    assert created.status_code == 302
    assert Enterprise.objects.get(credit_code=good).name == "表单企业"


def test_given_the_list_filters_when_projects_are_filtered_then_the_count_follows(client_for):
    client = client_for("office_metro")

    by_mode = list_count(_text(client.get("/cooperation/projects/?zone=pukou-nanqiao&mode=headquarters")))
    by_park = list_count(_text(client.get("/cooperation/projects/?park=jb-manufacturing")))
    by_search = list_count(_text(client.get("/cooperation/projects/?q=hnbdt")))
    bad = client.get("/cooperation/projects/?status=finished")

    assert by_mode == 1 and by_park == Project.objects.filter(park__code="jb-manufacturing").count()
    assert by_search == 1  # the pinyin initials of 华诺半导体
    assert bad.status_code == 400
    api = client.get("/api/v1/cooperation/projects?status=finished")
    assert api.status_code == 422 and api.json()["field"] == "status"


def test_given_the_ninghuai_overview_when_it_is_read_then_charts_have_payloads_and_tables(client_for):
    page = _text(client_for("office_metro").get("/cooperation/zones/ninghuai-cooperation/"))

    for chart in ("chart-park", "chart-year", "chart-mode"):
        assert f'data-chart-payload="{chart}-data"' in page
        assert f'<script id="{chart}-data" type="application/json">' in page
        assert f'data-testid="{chart}-table"' in page
    assert "宁淮特别合作区" in page and "<script>" not in page


def test_given_the_fund_page_when_the_office_reads_it_then_arrears_and_shares_are_shown_exactly(client_for):
    page = _text(client_for("office_pn").get("/cooperation/zones/pukou-nanqiao/fund/?as_of=2026-11-30"))

    assert re.search(r'data-testid="arrears-320111">200\.00<', page)
    assert 'data-testid="share-320111" data-bp="3919">39.19%' in page
    assert 'data-testid="share-341103" data-bp="6081">60.81%' in page
    assert "浦口—南谯党政联席会议纪要〔2024〕2号" in page


def test_given_a_bad_day_when_the_fund_page_is_asked_then_it_is_refused_and_shown_for_today(client_for):
    assert (
        client_for("office_pn").get("/cooperation/zones/pukou-nanqiao/fund/?as_of=2026-13-01").status_code
        == 400
    )


def test_given_the_office_when_it_records_a_contribution_through_the_form_then_it_is_saved(client_for):
    response = client_for("office_pn").post(
        "/cooperation/zones/pukou-nanqiao/fund/contributions/new/",
        {
            "party": "341103",
            "kind": "land",
            "amount": "1,200万元",
            "date": "2026-06-30",
            "reference": "浦南基金〔2026〕土地1号",
        },
    )

    assert response.status_code == 302
    row = FundContribution.objects.get(reference="浦南基金〔2026〕土地1号")
    assert row.amount_fen == 12 * 10**8 and row.party.code == "341103"


def test_given_the_english_ui_when_the_project_list_is_read_then_labels_and_names_are_english(client_for):
    client = client_for("office_pn")
    client.post("/language/", {"language": "en", "next": "/"})

    page = _text(client.get("/cooperation/projects/"))

    assert "Cooperation mode" in page and "Huanuo Semiconductor project" in page
