"""The services of the cooperation records (issue 10, "Records"): the only writers, audited, version-checked,
refusing bad input with a located error and anything outside the actor's scope."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import transaction

from tongcheng.cooperation.demo import synthetic_credit_code
from tongcheng.cooperation.models import Enterprise, Establishment, Park, Project, ProvinceRule
from tongcheng.cooperation.services import projects, records
from tongcheng.cooperation.testing import as_user, make_enterprise, make_park, make_project, place, zone
from tongcheng.core.models import AuditEntry
from tongcheng.kit.services import (
    ConflictError,
    ForbiddenError,
    NotFoundError,
    ServiceError,
    ValidationFailed,
)
from tongcheng.kit.testing import BuildRefused

pytestmark = pytest.mark.django_db

CODE_NANQIAO = synthetic_credit_code("test-nanqiao", "341103")
CODE_PUKOU = synthetic_credit_code("test-pukou", "320111")


def _refused(call) -> ServiceError:
    """The service's refusal of a builder's call (the builder reports it as BuildRefused)."""
    with pytest.raises(BuildRefused) as caught, transaction.atomic():
        call()
    assert isinstance(caught.value.__cause__, ServiceError)
    return caught.value.__cause__


# --- parks --------------------------------------------------------------------------------------------


def test_given_the_zone_office_when_it_creates_a_park_then_it_is_saved_with_partners_history_and_audit():
    park = make_park("office_pn", code="pn-second", name="浦南二期园区", area_m2=1_500_000)

    park.refresh_from_db()
    assert park.version == 1 and park.area_km2 == 1.5
    assert [p.code for p in park.partners.all()] == ["320111"]
    assert park.history.count() == 1
    entry = AuditEntry.objects.get(action="park.create", object_id=str(park.pk))
    assert entry.zone.code == "pukou-nanqiao" and entry.data["partners"] == ["320111"]
    assert park.search_key.startswith(" punan") and "pnejyq" in park.search_key


def test_given_another_zones_office_when_it_creates_a_park_in_pukou_nanqiao_then_it_is_refused_and_nothing_is_written():
    before = Park.objects.count()

    error = _refused(lambda: make_park("office_jb", code="jb-in-pn"))

    assert isinstance(error, ForbiddenError)
    assert Park.objects.count() == before


def test_given_a_host_outside_the_zone_when_a_park_is_created_then_it_is_refused_naming_the_host():
    error = _refused(lambda: make_park("office_pn", code="far-park", host="340506"))

    assert error.code == "outside_zone" and error.field == "host"


def test_given_a_park_when_only_its_partners_change_then_the_version_moves_on_and_the_change_is_audited():
    park = make_park("office_pn", code="pn-partners", partners=())

    saved = records.update_park(
        actor=as_user("office_pn"), park=park, changes={"partners": [place("320111")]}, expected_version=1
    )

    assert saved.version == 2
    entry = AuditEntry.objects.filter(action="park.update", object_id=str(park.pk)).latest("id")
    assert entry.data["changes"]["partners"] == [[], ["320111"]]


def test_given_two_editors_of_one_park_when_the_second_saves_with_the_old_version_then_it_gets_stale_version():
    park = Park.objects.get(code="pn-cobuilt-park")
    version = park.version
    records.update_park(
        actor=as_user("office_pn"), park=park, changes={"name_en": "first"}, expected_version=version
    )

    with pytest.raises(ConflictError) as caught:
        records.update_park(
            actor=as_user("office_metro"), park=park, changes={"name_en": "second"}, expected_version=version
        )

    assert caught.value.code == "stale_version"
    assert Park.objects.get(pk=park.pk).name_en == "first"


def test_given_a_reader_of_the_zone_when_it_edits_a_park_then_it_is_403_and_an_outsider_404():
    park = Park.objects.get(code="pn-cobuilt-park")

    with pytest.raises(ForbiddenError):
        records.update_park(actor=as_user("leader_pn"), park=park, changes={"note": "x"}, expected_version=1)
    with pytest.raises(NotFoundError):
        records.update_park(actor=as_user("office_jb"), park=park, changes={"note": "x"}, expected_version=1)


# --- enterprises and establishments ---------------------------------------------------------------------


def test_given_a_credit_code_with_a_wrong_check_character_when_an_enterprise_is_created_then_it_is_refused():
    wrong = CODE_NANQIAO[:17] + ("0" if CODE_NANQIAO[17] != "0" else "1")

    error = _refused(lambda: make_enterprise("office_pn", credit_code=wrong))

    assert error.field == "credit_code"
    assert not Enterprise.objects.filter(credit_code=wrong).exists()


def test_given_an_unknown_industry_code_when_an_enterprise_is_created_then_the_industry_is_named():
    error = _refused(lambda: make_enterprise("office_pn", credit_code=CODE_NANQIAO, industry="Z99"))

    assert error.field == "industry"


def test_given_an_enterprise_when_its_code_is_used_again_then_it_is_a_duplicate_key():
    make_enterprise("office_pn", credit_code=CODE_NANQIAO)

    error = _refused(lambda: make_enterprise("office_pn", credit_code=CODE_NANQIAO.lower()))

    assert error.code == "duplicate_key" and error.field == "credit_code"


def test_given_an_enterprise_registered_outside_the_office_territory_when_it_names_its_zone_then_it_may_keep_it():
    enterprise = make_enterprise(
        "office_pn",
        credit_code=synthetic_credit_code("outsider", "320115"),
        jurisdiction="320115",
        zone_code="pukou-nanqiao",
    )

    assert Enterprise.objects.visible_to(as_user("leader_pn")).filter(pk=enterprise.pk).exists()
    error = _refused(
        lambda: make_enterprise(
            "office_pn", credit_code=synthetic_credit_code("o2", "320115"), jurisdiction="320115"
        )
    )
    assert isinstance(error, ForbiddenError)


def test_given_an_enterprise_with_a_head_office_when_a_second_is_added_then_it_is_refused():
    enterprise = make_enterprise("office_pn", credit_code=CODE_NANQIAO)
    records.create_establishment(
        actor=as_user("office_pn"), enterprise=enterprise, kind="head_office", jurisdiction=place("341103")
    )

    with pytest.raises(ValidationFailed) as caught:
        records.create_establishment(
            actor=as_user("office_pn"),
            enterprise=enterprise,
            kind="head_office",
            jurisdiction=place("320111"),
        )

    assert caught.value.field == "kind"
    assert Establishment.objects.filter(enterprise=enterprise).count() == 1


# --- head-office apportionment: 57号 only across provinces ------------------------------------------------


def test_given_an_enterprise_with_branches_only_in_its_province_when_its_regime_is_asked_then_57_never_applies():
    enterprise = make_enterprise("office_pn", credit_code=CODE_PUKOU, jurisdiction="320111")
    for kind, code in (("head_office", "320111"), ("branch", "320115"), ("branch", "320113")):
        records.create_establishment(
            actor=as_user("office_metro"), enterprise=enterprise, kind=kind, jurisdiction=place(code)
        )

    regime = records.apportionment_regime(enterprise)

    assert regime.kind == "province" and regime.provinces == ["320000"]
    assert regime.rule is not None and regime.rule.apportioned_across_cities is False
    assert "未查到" in regime.rule.rule


def test_given_the_demo_transport_enterprise_when_its_regime_is_asked_then_57_applies_across_provinces():
    enterprise = Enterprise.objects.get(name="浦南交通工业化制造有限公司")

    regime = records.apportionment_regime(enterprise)

    assert regime.kind == "57" and regime.provinces == ["320000", "340000"]


def test_given_the_metro_office_when_it_records_a_provinces_rule_then_it_is_saved_and_others_are_refused():
    rule = ProvinceRule.objects.get(province__code="320000")

    saved = records.save_province_rule(
        actor=as_user("office_metro"),
        province=place("320000"),
        apportioned_across_cities=True,
        rule="按省定比例在市县间分配",
        expected_version=rule.version,
    )

    assert saved.apportioned_across_cities and saved.version == rule.version + 1
    with pytest.raises(ForbiddenError):
        records.save_province_rule(
            actor=as_user("office_pn"),
            province=place("340000"),
            apportioned_across_cities=True,
            expected_version=ProvinceRule.objects.get(province__code="340000").version,
        )
    with pytest.raises(ValidationFailed) as caught:
        records.save_province_rule(
            actor=as_user("office_metro"), province=place("320100"), apportioned_across_cities=False
        )
    assert caught.value.code == "not_a_province"


# --- projects and their workflow ------------------------------------------------------------------------


def test_given_a_park_of_another_zone_when_a_project_is_created_then_it_is_refused_naming_the_park():
    park = Park.objects.get(code="jb-manufacturing")

    with pytest.raises(ServiceError) as caught:
        projects.create_project(
            actor=as_user("office_metro"),
            code="wrong-park",
            name="错园区",
            zone=zone("pukou-nanqiao"),
            mode="industrial_park",
            park=park,
        )

    assert caught.value.code == "park_in_other_zone" and caught.value.field == "park"


def test_given_a_negative_investment_when_a_project_is_created_then_it_is_refused():
    error = _refused(lambda: make_project("office_pn", code="negative", investment_fen=-1))

    assert error.field == "investment_fen"


def test_given_jurisdictions_outside_the_zone_when_they_are_named_as_attracting_then_it_is_refused():
    error = _refused(lambda: make_project("office_pn", code="far-attract", attracted_by=("340506",)))

    assert error.code == "outside_zone" and error.field == "attracted_by"


def test_given_a_signed_project_when_it_moves_along_its_workflow_then_each_step_is_logged_and_audited():
    project = make_project("office_pn", code="flow", investment_fen=100, attracted_by=("320111", "341103"))
    office = as_user("office_pn")

    with pytest.raises(ConflictError) as skipped:
        projects.step_project(actor=office, project=project, step="start_production", expected_version=1)
    assert skipped.value.code == "invalid_transition"
    building = projects.step_project(
        actor=office, project=project, step="start_construction", expected_version=1
    )
    running = projects.step_project(
        actor=office, project=building, step="start_production", expected_version=2
    )

    assert running.status == "in_production" and running.version == 3
    actions = list(
        AuditEntry.objects.filter(object_id=str(project.pk), object_type="cooperation.project")
        .order_by("id")
        .values_list("action", flat=True)
    )
    assert actions == ["project.create", "project.start_construction", "project.start_production"]


def test_given_a_project_when_a_reader_or_an_outsider_takes_a_step_then_403_and_404():
    project = Project.objects.get(code="pn-huanuo")

    with pytest.raises(ForbiddenError):
        projects.step_project(
            actor=as_user("leader_pn"),
            project=project,
            step="start_construction",
            expected_version=project.version,
        )
    with pytest.raises(NotFoundError):
        projects.step_project(
            actor=as_user("office_jb"),
            project=project,
            step="start_construction",
            expected_version=project.version,
        )


def test_given_a_project_when_an_edit_names_its_status_then_it_is_refused_the_workflow_is_the_only_writer():
    project = Project.objects.get(code="pn-huanuo")

    with pytest.raises(ValidationFailed) as caught:
        projects.update_project(
            actor=as_user("office_pn"),
            project=project,
            changes={"status": "signed"},
            expected_version=project.version,
        )

    assert caught.value.code == "unknown_field"


def test_given_a_project_when_its_investment_and_attracting_jurisdictions_change_then_one_audit_names_both():
    project = make_project("office_pn", code="edit-me", investment_fen=100, attracted_by=("320111",))

    saved = projects.update_project(
        actor=as_user("office_pn"),
        project=project,
        changes={"investment_fen": 250, "attracted_by": [place("320111"), place("341103")]},
        expected_version=1,
    )

    assert saved.version == 2 and saved.investment_fen == 250
    entry = AuditEntry.objects.filter(action="project.update", object_id=str(project.pk)).get()
    assert entry.data["changes"] == {
        "investment_fen": [100, 250],
        "attracted_by": [["320111"], ["320111", "341103"]],
    }


def test_given_a_demo_project_when_the_signing_date_is_given_it_is_a_date():
    project = Project.objects.get(code="pn-transport-hq")

    assert isinstance(project.signed_on, dt.date) and project.investment_fen == 15 * 10**10
