"""Agreements and their versions through the services: who may write them, the draft → approved → superseded
workflow, history kept, and the engine's agreement set of a zone made from the approved versions — the same
set ``tongcheng settle`` reads from the file ``engine_document`` gives."""

from __future__ import annotations

import json

import pytest

from tongcheng.cooperation.engine.io import read_agreements
from tongcheng.cooperation.engine.types import EngineInputError
from tongcheng.cooperation.models import Agreement, AgreementVersion, VersionStatus
from tongcheng.cooperation.sharing import canonical, services
from tongcheng.cooperation.sharing.demo import DEMO_ENTERPRISES
from tongcheng.cooperation.sharing.testing import approve, make_agreement, make_version, user
from tongcheng.core.models import AdjacentZone, AuditEntry
from tongcheng.kit.services import ConflictError, ForbiddenError, NotFoundError, ValidationFailed
from tongcheng.kit.workflow.models import TransitionLog

pytestmark = pytest.mark.django_db

ENT = "91341103MA2X00010G"
RULES = {
    "scope": {"enterprises": [ENT]},
    "tax_types": ["VAT"],
    "base": {"kind": "local_share", "fraction_bp": 10000},
    "ratio": {"kind": "fixed", "bp": [6000, 4000]},
}


def _ratio(bp):
    return {**RULES, "ratio": {"kind": "fixed", "bp": bp}}


@pytest.fixture
def agreement():
    return make_agreement("office_pn", code="t-park")


# --- who writes --------------------------------------------------------------------------------------------


def test_the_zone_office_creates_an_agreement_and_the_audit_log_says_so(agreement):
    """Given office_pn, when it creates an agreement of 浦口—南谯, then it exists with its parties, and an audit
    entry anchored on the zone records it."""
    assert agreement.parties[0] == {"jurisdiction": "341103", "role": "host"}
    entry = AuditEntry.objects.get(action="agreement.create", object_id=str(agreement.pk))
    assert entry.zone_id == agreement.zone_id


@pytest.mark.parametrize("actor", ["office_jb", "leader_pn", "finance_pukou"])
def test_others_may_not_create_an_agreement_in_the_zone(actor):
    """Given an office of another zone, or a reader of this one, when it tries to create an agreement of
    浦口—南谯, then it is refused (403) and nothing is written."""
    with pytest.raises(ForbiddenError):
        services.create_agreement(
            actor=user(actor),
            zone=AdjacentZone.objects.get(code="pukou-nanqiao"),
            code="t-x",
            title="x",
            parties=[
                {"jurisdiction": "341103", "role": "host"},
                {"jurisdiction": "320111", "role": "partner"},
            ],
        )
    assert not Agreement.objects.filter(code="t-x").exists()


def test_a_party_must_take_part_in_the_zone():
    """Given 320115 (江宁区), which is no member of 浦口—南谯, as a party, then the creation is refused at
    parties[1].jurisdiction."""
    with pytest.raises(ValidationFailed) as refused:
        services.create_agreement(
            actor=user("office_pn"),
            zone=AdjacentZone.objects.get(code="pukou-nanqiao"),
            code="t-y",
            title="y",
            parties=[
                {"jurisdiction": "341103", "role": "host"},
                {"jurisdiction": "320115", "role": "partner"},
            ],
        )
    assert refused.value.field == "parties[1].jurisdiction"
    assert refused.value.errors[0]["code"] == "party_outside_zone"
    assert not Agreement.objects.filter(code="t-y").exists()


def test_a_taken_code_is_named_to_the_office_only(agreement):
    with pytest.raises(ValidationFailed) as refused:
        services.create_agreement(
            actor=user("office_pn"), zone=agreement.zone, code="t-park", title="z", parties=agreement.parties
        )
    assert refused.value.code == "duplicate_key"
    with pytest.raises(ForbiddenError):
        services.create_agreement(
            actor=user("office_jb"), zone=agreement.zone, code="t-park", title="z", parties=agreement.parties
        )


# --- drafts, approval, history ------------------------------------------------------------------------


def test_a_draft_is_edited_with_its_version_and_an_approved_one_is_history(agreement):
    """Given a draft, when office_pn edits it with the version it read, then it changes; with an older
    version it is refused (409); once approved it cannot change (409 not_draft)."""
    draft = make_version("office_pn", agreement, rules=RULES, resolution="")
    services.update_version(
        actor=user("office_pn"), version=draft, changes={"rules": _ratio([5000, 5000])}, expected_version=1
    )
    draft.refresh_from_db()
    assert draft.rules["ratio"]["bp"] == [5000, 5000] and draft.version == 2
    with pytest.raises(ConflictError):
        services.update_version(
            actor=user("office_pn"), version=draft, changes={"note": "x"}, expected_version=1
        )
    with pytest.raises(ConflictError) as blocked:
        services.approve_version(actor=user("office_pn"), version=draft, expected_version=2)
    assert blocked.value.code == "transition_blocked"  # no resolution recorded yet
    services.update_version(
        actor=user("office_pn"), version=draft, changes={"resolution": "决议〔2024〕2号"}, expected_version=2
    )
    approved = approve("office_pn", draft)
    assert approved.status == VersionStatus.APPROVED
    assert TransitionLog.objects.filter(object_id=draft.pk, transition="approve").exists()
    with pytest.raises(ConflictError) as frozen:
        services.update_version(
            actor=user("office_pn"),
            version=approved,
            changes={"note": "x"},
            expected_version=approved.version,
        )
    assert frozen.value.code == "not_draft"
    assert [h.status for h in approved.history.order_by("history_date")][-1] == "approved"


def test_a_broken_draft_is_refused_with_the_field_at_fault(agreement):
    with pytest.raises(ValidationFailed) as refused:
        services.create_version(
            actor=user("office_pn"), agreement=agreement, effective_from="2024-01", rules=_ratio([6000, 3000])
        )
    assert refused.value.field == "rules.ratio.bp"
    assert refused.value.errors[0]["code"] == "ratios_not_whole"
    assert not agreement.versions.exists()


def test_readers_and_other_offices_cannot_approve(agreement):
    draft = make_version("office_pn", agreement, rules=RULES)
    with pytest.raises(ForbiddenError):
        services.approve_version(actor=user("leader_pn"), version=draft, expected_version=1)
    with pytest.raises(NotFoundError):
        services.approve_version(actor=user("office_jb"), version=draft, expected_version=1)
    draft.refresh_from_db()
    assert draft.status == VersionStatus.DRAFT


def test_a_new_version_ends_the_earlier_one_the_month_before_it_starts(agreement):
    """Given v1 approved from 2024-01 (open), when v2 from 2025-07 is approved, then v1 stays approved but ends
    2025-06 (its change is in its history and the audit log), and the engine sees one agreement with a
    stepped ratio: 6:4 until 2025-06, 5:5 from 2025-07."""
    v1 = approve("office_pn", make_version("office_pn", agreement, rules=RULES))
    v2 = approve(
        "office_pn",
        make_version("office_pn", agreement, effective_from="2025-07", rules=_ratio([5000, 5000])),
    )
    v1.refresh_from_db()
    assert (v1.status, v1.effective_to, v2.status) == ("approved", "2025-06", "approved")
    assert AuditEntry.objects.filter(action="agreement_version.cut", object_id=str(v1.pk)).exists()
    assert v1.history.filter(effective_to="").exists()
    ours = [
        a
        for a in canonical.agreements_for_engine(agreement.zone, "2025-01..2025-12").agreements
        if a.id == "t-park"
    ]
    assert ours[0].ratio.kind == "stepped"
    assert [(s.start, s.bp["*"]) for s in ours[0].ratio.steps] == [
        (canonical.month("2024-01"), (6000, 4000)),
        (canonical.month("2025-07"), (5000, 5000)),
    ]


def test_a_version_covering_an_approved_one_supersedes_it(agreement):
    v1 = approve("office_pn", make_version("office_pn", agreement, effective_from="2025-01", rules=RULES))
    approve(
        "office_pn",
        make_version("office_pn", agreement, effective_from="2024-01", rules=_ratio([5000, 5000])),
    )
    v1.refresh_from_db()
    assert v1.status == VersionStatus.SUPERSEDED
    assert TransitionLog.objects.filter(object_id=v1.pk, transition="supersede").exists()


def test_a_version_inside_an_approved_one_is_refused(agreement):
    """Given v1 approved from 2024-01 (open), when a draft for 2025 only is approved, then it is refused
    (version_overlap at effective_to): it would leave 2026 on without the rules approved for it."""
    approve("office_pn", make_version("office_pn", agreement, rules=RULES))
    draft = make_version(
        "office_pn", agreement, effective_from="2025-01", effective_to="2025-12", rules=_ratio([5000, 5000])
    )
    with pytest.raises(ValidationFailed) as refused:
        services.approve_version(actor=user("office_pn"), version=draft, expected_version=1)
    assert refused.value.field == "effective_to"
    assert refused.value.errors[0]["code"] == "version_overlap"


def test_two_agreements_of_a_zone_may_not_cover_one_enterprise_and_tax(agreement):
    """Given the demo's approved 浦口—南谯 agreement covering a demo enterprise's VAT, when a second agreement
    covering the same enterprise's VAT is approved, then the engine's refusal of the zone's set refuses it."""
    taken = next(e.code for e in DEMO_ENTERPRISES if e.zone == "pukou-nanqiao")
    draft = make_version("office_pn", agreement, rules={**RULES, "scope": {"enterprises": [taken]}})
    with pytest.raises(ValidationFailed) as refused:
        services.approve_version(actor=user("office_pn"), version=draft, expected_version=1)
    assert refused.value.errors[0]["code"] == "agreements_overlap"
    draft.refresh_from_db()
    assert draft.status == VersionStatus.DRAFT


def test_the_parties_are_fixed_once_a_version_is_approved(agreement):
    swapped = list(reversed(agreement.parties))
    services.update_agreement(
        actor=user("office_pn"), agreement=agreement, changes={"parties": swapped}, expected_version=1
    )
    agreement.refresh_from_db()
    approve("office_pn", make_version("office_pn", agreement, rules=RULES))
    with pytest.raises(ConflictError) as refused:
        services.update_agreement(
            actor=user("office_pn"),
            agreement=agreement,
            changes={"parties": list(reversed(swapped))},
            expected_version=agreement.version,
        )
    assert refused.value.code == "parties_fixed"


# --- the engine's input ----------------------------------------------------------------------------------


@pytest.mark.parametrize("zone", ["pukou-nanqiao", "jiangning-bowang", "ninghuai"])
def test_the_database_and_the_command_line_read_the_same_agreements(zone, tmp_path):
    """Given a demo zone, when its engine document is written to a file and read by the command line's reader
    (with the GB/T 2260 checks of the settled years), then it gives exactly agreements_for_engine."""
    zone_obj = AdjacentZone.objects.get(code=zone)
    path = tmp_path / "agreements.json"
    path.write_text(
        json.dumps(canonical.engine_document(zone_obj, "2024-11..2026-10"), ensure_ascii=False),
        encoding="utf-8",
    )
    errors: list[str] = []
    first, last = canonical.month("2024-11"), canonical.month("2026-10")
    from_file = read_agreements(path, errors, canonical.known_tax_types(), periods=(first, last))
    assert errors == []
    assert from_file == canonical.agreements_for_engine(zone_obj, (first, last))


def test_versions_that_change_more_than_the_ratio_settle_in_segments(agreement):
    """Given v1 (VAT only) and v2 from 2025-01 (VAT and CIT), when the engine's input of 2024-07..2025-06 is
    asked, then it comes as two segments (before and from 2025-01), and one set for the whole range is
    refused naming the cut."""
    approve("office_pn", make_version("office_pn", agreement, rules=RULES))
    approve(
        "office_pn",
        make_version(
            "office_pn", agreement, effective_from="2025-01", rules={**RULES, "tax_types": ["VAT", "CIT"]}
        ),
    )
    first, last = canonical.month("2024-07"), canonical.month("2025-06")
    segments = canonical.engine_segments(agreement.zone, first, last)
    assert [s.periods for s in segments] == ["2024-07..2024-12", "2025-01..2025-06"]
    with pytest.raises(EngineInputError, match="2025-01"):
        canonical.agreements_for_engine(agreement.zone, (first, last))
    one_month = canonical.agreements_for_engine(agreement.zone, "2025-03")
    assert next(a for a in one_month.agreements if a.id == "t-park").tax_types == ("VAT", "CIT")


def test_the_demo_records_the_seven_three_assumption_where_the_office_can_change_it():
    """Given the demo, then 浦口—南谯's approved version shares 7:3 with 南谯 (341103) first, and its note says
    that this side is an assumption the office may change by a new version."""
    version = AgreementVersion.objects.get(agreement__code="pn-park-district-share", status="approved")
    assert version.agreement.parties[0]["jurisdiction"] == "341103"
    assert version.rules["ratio"] == {"kind": "fixed", "bp": [7000, 3000]}
    assert "假设" in version.note and "Assumption" in version.note_en
