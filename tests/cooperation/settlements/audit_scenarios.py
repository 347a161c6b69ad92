"""The audited actions of settlements, each done once on 浦口—南谯, for tests/core/test_audit_anchors.py: the
entry must be read by the auditors and offices whose scope holds the zone, and by nobody of 江宁—博望."""

from __future__ import annotations

from tongcheng.cooperation.models import Settlement
from tongcheng.cooperation.settlements import services
from tongcheng.cooperation.settlements.testing import computed_settlement, final_settlement, user
from tongcheng.core.models import AdjacentZone

READERS = ["auditor_pn", "office_pn", "auditor_metro"]
OTHERS = ["auditor_jb", "office_jb"]


def _create():
    services.create_settlement(
        actor=user("office_pn"),
        zone=AdjacentZone.objects.get(code="pukou-nanqiao"),
        first="2024-11",
        last="2024-12",
    )


def _submitted():
    s = computed_settlement()
    return services.submit_settlement(actor=user("office_pn"), settlement=s, expected_version=s.version)


def _return():
    services.reject_settlement(actor=user("finance_nanqiao"), settlement=_submitted(), reason="审计")


def _recompute():
    s = Settlement.objects.get(number="SJ-PUKOUNANQIAO-2026-000001")
    services.recompute_settlement(actor=user("office_pn"), settlement=s, expected_version=s.version)


SCENARIOS = {
    "settlement.create": (_create, READERS, OTHERS),
    "settlement.compute": (_recompute, READERS, OTHERS),
    "settlement.submit": (_submitted, READERS, OTHERS),
    "settlement.return": (_return, READERS, OTHERS),
    "settlement.finalise": (final_settlement, READERS, OTHERS),
}
