"""Every audit entry is read by the auditors and offices whose scope contains the record.

Each audited action (the registry in core.auditing) is run once here on a record of known place; the test
checks who reads the entry: the auditor (and office) whose scope contains the record do, an auditor of
another zone does not, and account actions (language, tokens) stay with their actor. A new action without a
scenario here fails ``test_every_registered_action_has_a_scenario``."""

from __future__ import annotations

import datetime as dt

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.test import override_settings

from tests.cooperation.records_audit_scenarios import RECORD_SCENARIOS
from tests.cooperation.settlements.audit_scenarios import SCENARIOS as SETTLEMENT_SCENARIOS
from tests.cooperation.sharing.audit_scenarios import SCENARIOS as COOP_SCENARIOS
from tongcheng.core.calendar import services as calendar_services
from tongcheng.core.models import (
    AdjacentZone,
    AuditEntry,
    Jurisdiction,
    MetroArea,
    Organisation,
    Person,
    User,
)
from tongcheng.core.services import accounts, grants, organisations, people, zones
from tongcheng.core.testing import grant, make_user
from tongcheng.kit.attachments import services as attachment_services
from tongcheng.kit.auditing import AUDIT_ACTIONS
from tongcheng.kit.workflow import confirmations

pytestmark = pytest.mark.django_db

NANJING = "nanjing"


def user(name: str) -> User:
    return User.objects.get(username=name)


@pytest.fixture
def auditor_metro(db):
    """An auditor of the whole metropolitan area (the demo has none), appointed by the metropolitan-area office
    through the grant service."""
    account = make_user("auditor_metro_test")
    grant("office_metro", account, "auditor", f"metro:{NANJING}")
    return account


def _propose(actor="office_jb"):
    return zones.create_zone(
        actor=user(actor),
        metro=MetroArea.objects.get(code=NANJING),
        code="lishui-bowang",
        name="溧水—博望",
        kind="cross_border_demo_zone",
        established=dt.date(2027, 1, 1),
        members=[zones.MemberSpec(code="320117"), zones.MemberSpec(code="340506")],
    )


def _nested_zone():
    return zones.create_zone(
        actor=user("office_pn"),
        metro=MetroArea.objects.get(code=NANJING),
        code="dingshan-nanqiao",
        name="顶山—南谯",
        kind="cross_border_demo_zone",
        established=dt.date(2027, 1, 1),
        members=[zones.MemberSpec(code="320111002"), zones.MemberSpec(code="341103")],
    )


def _grant():
    return grants.grant_role(
        actor=user("office_pn"),
        user=user("officer_jiangning"),
        role="officer",
        jurisdiction=Jurisdiction.objects.current().get(code="320111"),
    )


def _person_without_zone() -> Person:
    # 浦口区财政局 belongs to no zone: its staff are reached through the jurisdiction alone.
    person = Person.objects.select_related("organisation").get(organisation__key="fin-pukou")
    assert person.organisation.zone_id is None
    return person


def _attach():
    # An organisation with no zone (fin-pukou): its files are anchored on its jurisdiction. The bytes go to
    # an in-memory storage, never to the real attachment folder.
    with override_settings(
        STORAGES={
            **settings.STORAGES,
            "attachments": {"BACKEND": "django.core.files.storage.InMemoryStorage"},
        }
    ):
        return attachment_services.attach(
            actor=user("office_pn"),
            owner=Organisation.objects.get(key="fin-pukou"),
            use="organisation.document",
            uploaded_file=SimpleUploadedFile("决算.pdf", b"%PDF-1.4\n%%EOF\n"),
        )


def _ask_finance_bureaus():
    zone = AdjacentZone.objects.get(code="pukou-nanqiao")
    bureaus = list(Organisation.objects.filter(key__in=["fin-pukou", "fin-nanqiao"]))
    confirmations.request_confirmations(user("office_pn"), zone, bureaus, role="finance")
    return zone, Organisation.objects.get(key="fin-pukou")


# action -> (what to do, who must read the entry, who must not)
SCENARIOS = {
    "confirmation.request": (
        _ask_finance_bureaus,
        ["auditor_pn", "office_pn", "office_metro", "auditor_metro"],
        ["auditor_jb"],
    ),
    "confirmation.confirm": (
        lambda: confirmations.confirm(
            user("finance_pukou"),
            *_ask_finance_bureaus(),
            expected_version=AdjacentZone.objects.get(code="pukou-nanqiao").version,
        ),
        ["auditor_pn", "office_pn", "auditor_metro"],
        ["auditor_jb"],
    ),
    "confirmation.reject": (
        lambda: confirmations.reject(user("finance_pukou"), *_ask_finance_bureaus(), reason="金额有误"),
        ["auditor_pn", "office_pn", "auditor_metro"],
        ["auditor_jb"],
    ),
    "zone.create": (
        _nested_zone,
        ["auditor_pn", "office_pn", "office_metro", "auditor_metro"],
        ["auditor_jb"],
    ),
    "zone.propose": (_propose, ["office_jb", "office_metro", "auditor_metro"], ["auditor_jb", "auditor_pn"]),
    "zone.approve": (
        lambda: zones.approve_zone(actor=user("office_metro"), zone=_propose()),
        ["office_metro", "auditor_metro"],
        ["auditor_pn"],
    ),
    "zone.reject": (
        lambda: zones.reject_zone(actor=user("office_metro"), zone=_propose(), note="重叠"),
        ["office_metro", "auditor_metro"],
        ["auditor_pn"],
    ),
    "zone.update": (
        lambda: zones.update_zone(
            actor=user("office_pn"),
            zone=AdjacentZone.objects.get(code="pukou-nanqiao"),
            changes={"name_en": "Pukou-Nanqiao (edited)"},
            expected_version=AdjacentZone.objects.get(code="pukou-nanqiao").version,
        ),
        ["auditor_pn", "office_pn", "office_metro", "auditor_metro"],
        ["auditor_jb", "office_jb", "leader_pn"],
    ),
    "zone.members": (
        lambda: zones.update_zone_members(
            actor=user("office_pn"),
            zone=AdjacentZone.objects.get(code="pukou-nanqiao"),
            members=[
                zones.MemberSpec(code="341103", role="host"),
                zones.MemberSpec(code="320111"),
                zones.MemberSpec(code="320111002"),
            ],
            expected_version=AdjacentZone.objects.get(code="pukou-nanqiao").version,
        ),
        ["auditor_pn", "office_pn", "office_metro", "auditor_metro"],
        ["auditor_jb", "office_jb", "leader_pn"],
    ),
    "grant.create": (_grant, ["auditor_pn", "office_metro", "auditor_metro"], ["auditor_jb"]),
    "grant.withdraw": (
        lambda: grants.withdraw_grant(actor=user("office_pn"), grant=_grant()),
        ["auditor_pn", "auditor_metro"],
        ["auditor_jb"],
    ),
    "organisation.create": (
        lambda: organisations.create_organisation(
            actor=user("office_jb"),
            key="bowang-test-bureau",
            name="博望区测试局",
            kind="government_department",
            jurisdiction=Jurisdiction.objects.current().get(code="340506"),
        ),
        ["auditor_jb", "office_jb", "auditor_metro"],
        ["auditor_pn"],
    ),
    "organisation.update": (
        lambda: organisations.update_organisation(
            actor=user("office_pn"),
            organisation=Organisation.objects.get(key="fin-pukou"),
            changes={"name_en": "Pukou Finance Bureau (edited)"},
            expected_version=Organisation.objects.get(key="fin-pukou").version,
        ),
        ["auditor_pn", "auditor_metro"],
        ["auditor_jb"],
    ),
    "person.create": (
        lambda: people.create_person(
            actor=user("office_pn"), organisation=Organisation.objects.get(key="fin-pukou"), name="新人"
        ),
        ["auditor_pn", "auditor_metro"],
        ["auditor_jb"],
    ),
    "person.update": (
        lambda: people.update_person(
            actor=user("office_pn"),
            person=_person_without_zone(),
            changes={"position": "科长"},
            expected_version=_person_without_zone().version,
        ),
        ["auditor_pn", "auditor_metro"],
        ["auditor_jb"],
    ),
    "person.unmask_id": (
        lambda: organisations.unmask_id_number(
            actor=user("office_pn"), person=_person_without_zone(), reason="核对身份"
        ),
        ["auditor_pn", "office_pn", "auditor_metro"],
        ["auditor_jb", "officer_pukou"],
    ),
    "user.set_language": (
        lambda: accounts.set_language(actor=user("officer_pukou"), language="en"),
        ["officer_pukou"],
        ["auditor_pn", "office_pn", "auditor_metro"],
    ),
    "token.create": (
        lambda: accounts.create_api_token(actor=user("officer_pukou"), name="脚本"),
        ["officer_pukou"],
        ["auditor_pn", "auditor_metro"],
    ),
    "attachment.add": (_attach, ["auditor_pn", "office_pn", "auditor_metro"], ["auditor_jb", "office_jb"]),
    "attachment.remove": (
        lambda: attachment_services.remove(actor=user("office_pn"), attachment=_attach()),
        ["auditor_pn", "office_pn", "auditor_metro"],
        ["auditor_jb", "office_jb"],
    ),
    "token.revoke": (
        lambda: accounts.revoke_api_token(
            actor=user("officer_pukou"),
            token_id=accounts.create_api_token(actor=user("officer_pukou"), name="脚本")[0].pk,
        ),
        ["officer_pukou"],
        ["auditor_pn", "auditor_metro"],
    ),
    # The calendar is national: its entry is anchored on the metro area of the office that entered it.
    "calendar.schedule": (
        lambda: calendar_services.save_schedule(
            actor=user("office_metro"),
            year=2027,
            days=[calendar_services.DaySpec(dt.date(2027, 2, 8), False, "春节")],
            basis="国办发明电（测试）",
            published_on=None,
            complete=True,
            expected_version=0,
        ),
        ["office_metro", "auditor_metro"],
        ["auditor_pn", "office_pn"],
    ),
}

# The cooperation records and fund (tests/cooperation/records_audit_scenarios.py).
SCENARIOS.update(RECORD_SCENARIOS)
# The modules' actions, with their own scenarios.
SCENARIOS.update(COOP_SCENARIOS)
SCENARIOS.update(SETTLEMENT_SCENARIOS)


def test_every_registered_action_has_a_scenario():
    assert sorted(AUDIT_ACTIONS) == sorted(SCENARIOS)


@pytest.mark.parametrize("action", sorted(SCENARIOS))
def test_the_auditor_whose_scope_contains_the_record_reads_the_entry(action, auditor_metro):
    """Given an audited action on a record of known place, when it is done, then the entry is read by
    exactly the auditors and offices whose scope contains the record (and by the actor), through the
    queryset, the audit page and its export."""
    run, readers, others = SCENARIOS[action]
    first_id = AuditEntry.objects.order_by("-id").values_list("id", flat=True).first() or 0
    with transaction.atomic():
        run()
    entry = AuditEntry.objects.filter(id__gt=first_id, action=action).latest("id")
    for name in readers:
        account = auditor_metro if name == "auditor_metro" else user(name)
        assert AuditEntry.objects.visible_to(account).filter(pk=entry.pk).exists(), (
            f"{name} cannot read {action}"
        )
    for name in others:
        account = auditor_metro if name == "auditor_metro" else user(name)
        assert not AuditEntry.objects.visible_to(account).filter(pk=entry.pk).exists(), (
            f"{name} reads {action}"
        )


def test_the_unmasking_in_a_zoneless_organisation_is_on_the_auditors_page(client_for):
    """The issue's case: an ID number unmasked in an organisation with no zone appears on the audit page
    and in the export of the zone auditor whose territory holds it."""
    organisations.unmask_id_number(actor=user("office_pn"), person=_person_without_zone(), reason="核对身份")
    page = client_for("auditor_pn").get("/audit/?action=person.unmask_id")
    assert page.status_code == 200 and "核对身份".encode() in page.content
    export = client_for("auditor_pn").get("/audit/?export=csv&action=person.unmask_id")
    assert "核对身份" in b"".join(export.streaming_content).decode("utf-8-sig")
    assert "核对身份".encode() not in client_for("auditor_jb").get("/audit/").content


def test_a_batched_import_anchors_every_entry_like_a_single_edit():
    """Given the batched update that an import runs, when it changes a zoneless organisation, then its entry
    carries the same anchors as a single edit, so the auditor of the territory reads it."""
    org = Organisation.objects.get(key="fin-pukou")
    result = organisations.update_organisations(
        actor=user("office_pn"),
        updates=[
            organisations.OrganisationUpdate(
                organisation=org, changes={"name_en": "Pukou Finance (batch)"}, expected_version=org.version
            )
        ],
    )
    assert result.written and result.changed == 1
    entry = AuditEntry.objects.filter(action="organisation.update", object_id=str(org.pk)).latest("id")
    assert (entry.organisation_id, entry.jurisdiction_id, entry.zone_id) == (
        org.pk,
        org.jurisdiction_id,
        None,
    )
    assert AuditEntry.objects.visible_to(user("auditor_pn")).filter(pk=entry.pk).exists()
    assert not AuditEntry.objects.visible_to(user("auditor_jb")).filter(pk=entry.pk).exists()
