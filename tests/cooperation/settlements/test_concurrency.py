"""Two finance bureaus confirming the same settlement at the same moment, each on its own connection."""

from __future__ import annotations

import time

import pytest

from tests.kit.conftest import threads  # noqa: F401 - the fixture
from tongcheng.cooperation.models import Settlement, SettlementStatus
from tongcheng.cooperation.settlements import services
from tongcheng.cooperation.settlements.testing import computed_settlement, user
from tongcheng.core.models import AuditEntry
from tongcheng.kit.ledger.models import LedgerEntry
from tongcheng.kit.workflow import confirmations


@pytest.mark.demo
def test_two_bureaus_confirming_at_once_both_succeed_and_it_is_final_once(threads, monkeypatch):  # noqa: F811
    """Given a submitted settlement, when finance_pukou and finance_nanqiao confirm at the same moment (with
    the window between reading and committing widened), then both succeed, and the settlement becomes final
    exactly once: one finalise audit entry, one ledger entry."""

    def make():
        s = computed_settlement()
        return services.submit_settlement(
            actor=user("office_pn"), settlement=s, expected_version=s.version
        ).pk

    pk = threads.one(make)
    finalised = threads.one(lambda: AuditEntry.objects.filter(action="settlement.finalise").count())
    decide = confirmations._decide

    def slow(*args, **kwargs):
        decide(*args, **kwargs)
        time.sleep(0.3)

    monkeypatch.setattr(confirmations, "_decide", slow)
    version = threads.one(lambda: Settlement.objects.get(pk=pk).version)

    def answer(name):
        return lambda: services.confirm_settlement(
            actor=user(name), settlement=Settlement.objects.get(pk=pk), expected_version=version
        )

    results = threads.at_once([answer("finance_pukou"), answer("finance_nanqiao")])
    assert all(isinstance(r, Settlement) for r in results), results
    assert sorted(r.status for r in results) == ["final", "submitted"]
    s = threads.one(lambda: Settlement.objects.get(pk=pk))
    assert s.status == SettlementStatus.FINAL
    assert (
        threads.one(lambda: AuditEntry.objects.filter(action="settlement.finalise").count()) == finalised + 1
    )
    assert (
        threads.one(
            lambda: LedgerEntry.objects.filter(chain=s.ledger_chain, payload__number=s.number).count()
        )
        == 1
    )
