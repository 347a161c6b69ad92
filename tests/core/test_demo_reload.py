"""Reloading the demo (every `make run` does) never destroys a user's work (issue 8, point 5)."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import call_command

from tongcheng.core.demo import load_demo
from tongcheng.core.models import AdjacentZone, Jurisdiction, Organisation, ZoneMember
from tongcheng.core.services.organisations import update_organisation
from tongcheng.core.services.zones import update_zone

pytestmark = pytest.mark.django_db


def test_given_an_office_edited_its_zone_when_the_demo_reloads_then_the_edit_and_its_version_stay(demo_user):
    zone = AdjacentZone.objects.get(code="pukou-nanqiao")
    edited = update_zone(
        actor=demo_user("office_pn"),
        zone=zone,
        changes={"description": "同城办修订的说明"},
        expected_version=zone.version,
    )

    report, _accounts = load_demo()

    zone.refresh_from_db()
    assert zone.description == "同城办修订的说明"
    assert zone.version == edited.version
    assert any("浦口" in name for name in report.kept), report.kept


def test_given_an_office_edited_a_zone_when_the_demo_reloads_then_a_member_it_removed_is_not_put_back(
    demo_user,
):
    zone = AdjacentZone.objects.get(code="pukou-nanqiao")
    update_zone(
        actor=demo_user("office_pn"), zone=zone, changes={"description": "改"}, expected_version=zone.version
    )
    removed = ZoneMember.objects.filter(zone=zone).order_by("pk").first()
    removed_jurisdiction = removed.jurisdiction_id
    removed.delete()  # what the member editor's service does; the zone's audit entry marks it as the user's

    load_demo()

    assert not ZoneMember.objects.filter(zone=zone, jurisdiction_id=removed_jurisdiction).exists()


def test_given_an_organisation_edited_through_the_service_when_the_demo_reloads_then_it_is_left_and_reported(
    demo_user,
):
    org = Organisation.objects.get(key="fin-pukou")
    update_organisation(
        actor=demo_user("office_pn"),
        organisation=org,
        changes={"name": "浦口区财政局（改）"},
        expected_version=org.version,
    )
    out = StringIO()

    call_command("load_demo", stdout=out)

    org.refresh_from_db()
    assert org.name == "浦口区财政局（改）"
    assert "浦口区财政局（改）" in out.getvalue()
    assert "Left as users changed them (1" in out.getvalue()


def test_given_a_record_no_user_touched_when_the_demo_data_differs_then_it_is_updated_with_a_new_version():
    # As if an earlier release of the demo had written another name: no audit entry names this record.
    org = Organisation.objects.get(key="fin-pukou")
    demo_name = org.name
    Organisation.objects.filter(pk=org.pk).update(name="旧名称")
    before = Organisation.objects.get(pk=org.pk).version

    report, _accounts = load_demo()

    org.refresh_from_db()
    assert org.name == demo_name
    assert org.version == before + 1
    assert report.updated >= 1
    assert report.kept == []


def test_given_nothing_changed_when_the_demo_reloads_then_nothing_is_written():
    report, _accounts = load_demo()

    assert (report.created, report.updated, report.kept) == (0, 0, [])


def test_given_a_member_an_earlier_demo_listed_when_the_demo_reloads_then_an_untouched_zone_loses_it():
    # The 宁淮特别合作区 of earlier releases had the whole city of 南京 as a member.
    zone = AdjacentZone.objects.get(code="ninghuai")
    pukou = ZoneMember.objects.get(zone=zone, jurisdiction__code="320111")
    nanjing = Jurisdiction.objects.current().get(code="320100")
    ZoneMember.objects.create(zone=zone, jurisdiction=nanjing, party=nanjing, side="南京市", role="origin")
    version = zone.version

    load_demo()

    assert set(ZoneMember.objects.filter(zone=zone).values_list("jurisdiction__code", flat=True)) == {
        "320111",
        "320830",
    }
    assert ZoneMember.objects.filter(pk=pukou.pk).exists()
    zone.refresh_from_db()
    assert zone.version == version + 1


def test_given_an_english_session_when_the_demo_reloads_then_people_keep_their_chinese_positions():
    from django.utils import translation

    with translation.override("en"):
        report, _accounts = load_demo()

    assert (report.updated, report.kept) == (0, [])
