"""The demo's settlements of 浦口—南谯: 2025 final, confirmed by both finance bureaus; 2026 a draft; a reload
changes nothing."""

from __future__ import annotations

import pytest

from tongcheng.cooperation.models import Settlement, SettlementLine
from tongcheng.cooperation.settlements.demo import load_settlement_demo
from tongcheng.cooperation.settlements.verify import verify_ledger
from tongcheng.core.demo import LoadReport
from tongcheng.kit.workflow.confirmations import confirmation_state
from tongcheng.kit.workflow.models import Confirmation

pytestmark = pytest.mark.django_db


@pytest.mark.small_demo
def test_the_demo_has_a_final_2025_and_a_draft_2026_and_reloads_idempotently():
    final = Settlement.objects.get(zone__code="pukou-nanqiao", first=202501, last=202512)
    assert final.status == "final" and final.ledger_sequence == 1 and final.total_fen > 0
    assert confirmation_state(final) == "complete"
    assert sorted(
        Confirmation.objects.filter(object_id=final.pk, status="confirmed").values_list(
            "decided_by_name", flat=True
        )
    ) == ["finance_nanqiao", "finance_pukou"]
    draft = Settlement.objects.get(zone__code="pukou-nanqiao", first=202601, last=202610)
    assert draft.status == "draft" and draft.run == 1
    before = (Settlement.objects.count(), SettlementLine.objects.count())
    load_settlement_demo(LoadReport(touched=set()))
    assert (Settlement.objects.count(), SettlementLine.objects.count()) == before
    assert verify_ledger().ok
