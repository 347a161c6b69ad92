"""A settlement's life: created and computed by the engine as a job, submitted, confirmed by every party's
finance bureau, final; immutable once final; out of sight of a non-party's finance bureau."""

from __future__ import annotations

import pytest
from django.db import IntegrityError, connection, transaction

from tongcheng.cooperation.models import (
    AgreementVersion,
    LineKind,
    Settlement,
    SettlementError,
    SettlementLine,
    SettlementStatus,
)
from tongcheng.cooperation.settlements import compute, services
from tongcheng.cooperation.settlements.rules import lines_for
from tongcheng.cooperation.settlements.testing import computed_settlement, final_settlement, user
from tongcheng.kit.append_only import AppendOnlyError
from tongcheng.kit.ledger.models import LedgerEntry
from tongcheng.kit.services import ConflictError, ForbiddenError, NotFoundError
from tongcheng.kit.testing import BuildRefused

pytestmark = pytest.mark.django_db


def test_a_draft_is_computed_from_the_stored_records_into_integer_lines():
    """Given the demo's 浦口—南谯 agreement and receipts, when the office settles 2024-11..12, then the draft is numbered
    gaplessly per zone and year, its lines are the engine's shares per agreement × party × tax type (fen),
    and the fingerprint is that of the engine input."""
    s = computed_settlement()
    assert s.number.endswith("-2024-000001") and s.status == SettlementStatus.DRAFT and s.run == 1
    shares = SettlementLine.objects.filter(settlement=s, kind=LineKind.SHARE)
    assert shares.exists() and all(type(x) is int for x in shares.values_list("amount_fen", flat=True))
    assert {p for p in shares.values_list("jurisdiction", flat=True)} <= {"320111", "341103"}
    again = compute.compute(s.zone, s.first, s.last)
    assert again.fingerprint == s.fingerprint and again.total_fen == s.total_fen
    assert sorted(s.parties.values_list("jurisdiction", flat=True)) == ["320111", "341103"]
    with pytest.raises(BuildRefused, match="settlement_overlap"):
        computed_settlement("2024-12", "2024-12")


def test_the_last_confirmation_makes_it_final_chained_and_immutable():
    """Given a computed draft, when it is submitted and both finance bureaus confirm, then it is final, its
    ledger entry heads the zone's chain, and neither the ORM nor raw SQL can change or delete it or its lines."""
    s = final_settlement()
    assert s.status == SettlementStatus.FINAL and s.ledger_sequence == 2  # the demo's 2025 is the first
    assert LedgerEntry.verify_chain(s.ledger_chain) is None
    assert LedgerEntry.objects.get(chain=s.ledger_chain, sequence=2).payload[
        "lines"
    ] == services.lines_digest(s)
    s.note = "changed"
    with pytest.raises(SettlementError):
        s.save()
    with pytest.raises(SettlementError):
        s.delete()
    with pytest.raises(AppendOnlyError):
        SettlementLine.objects.filter(settlement=s).update(amount_fen=1)
    table = Settlement._meta.db_table
    for sql in (f"UPDATE {table} SET total_fen = 0 WHERE id = %s", f"DELETE FROM {table} WHERE id = %s"):
        with pytest.raises(IntegrityError), transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(sql, [s.pk])
    lines = SettlementLine._meta.db_table
    with pytest.raises(IntegrityError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(f"UPDATE {lines} SET amount_fen = 0 WHERE settlement_id = %s", [s.pk])
    with pytest.raises(ConflictError):
        services.submit_settlement(actor=user("office_pn"), settlement=s, expected_version=s.version)


def test_a_draft_row_is_still_writable_below_the_orm():
    """Given a draft, raw SQL may still change it (only a final settlement is frozen)."""
    s = computed_settlement()
    with connection.cursor() as cursor:
        cursor.execute(f"UPDATE {Settlement._meta.db_table} SET note = 'x' WHERE id = %s", [s.pk])


def test_a_refusal_with_its_reason_takes_it_back_to_draft():
    """Given a submitted settlement, when 南谯's bureau refuses with a reason, then it is a draft again and
    can be computed and submitted again (a new round of confirmations)."""
    s = computed_settlement()
    s = services.submit_settlement(actor=user("office_pn"), settlement=s, expected_version=s.version)
    s = services.reject_settlement(actor=user("finance_nanqiao"), settlement=s, reason="分成比例与协议不符")
    assert s.status == SettlementStatus.DRAFT
    with pytest.raises(ConflictError):
        services.reject_settlement(actor=user("finance_pukou"), settlement=s, reason="x")
    s = services.recompute_settlement(actor=user("office_pn"), settlement=s, expected_version=s.version)
    s = services.compute_now(user("office_pn"), s)
    assert s.run == 2
    s = services.submit_settlement(actor=user("office_pn"), settlement=s, expected_version=s.version)
    for finance in ("finance_pukou", "finance_nanqiao"):
        s = services.confirm_settlement(actor=user(finance), settlement=s, expected_version=s.version)
    assert s.status == SettlementStatus.FINAL


def test_a_non_party_finance_bureau_can_neither_see_nor_confirm():
    """Given a submitted 浦口—南谯 settlement, then 江宁's finance bureau does not see it (404) and cannot
    confirm it; 浦口's bureau sees only the lines of its own treasury; the office cannot confirm for a party."""
    s = computed_settlement()
    s = services.submit_settlement(actor=user("office_pn"), settlement=s, expected_version=s.version)
    assert not Settlement.objects.visible_to(user("finance_jiangning")).filter(pk=s.pk).exists()
    with pytest.raises(NotFoundError):
        services.confirm_settlement(actor=user("finance_jiangning"), settlement=s, expected_version=s.version)
    with pytest.raises(ForbiddenError):
        services.confirm_settlement(actor=user("office_pn"), settlement=s, expected_version=s.version)
    mine = lines_for(user("finance_pukou"), s)
    assert mine.exists() and all("320111" in (r.jurisdiction, r.payee) for r in mine)
    assert lines_for(user("office_pn"), s).count() > mine.count()


def test_approving_a_new_version_does_not_touch_a_final_settlement():
    s = final_settlement()
    assert AgreementVersion.objects.exists() and Settlement.objects.get(pk=s.pk).status == "final"
