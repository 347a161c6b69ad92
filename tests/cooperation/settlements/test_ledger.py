"""verify_ledger: the chain recomputed and the engine re-run on the stored inputs of every final settlement;
a tampered row is reported and the command exits non-zero. Late receipts: the next settlement adjusts."""

from __future__ import annotations

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection, transaction

from tongcheng.cooperation.cli import main as cli_main
from tongcheng.cooperation.models import LineKind, Receipt, ReceiptSum, Settlement, SettlementLine
from tongcheng.cooperation.settlements import freeze, services
from tongcheng.cooperation.settlements.testing import final_settlement, user
from tongcheng.cooperation.settlements.verify import verify_ledger
from tongcheng.cooperation.sharing.loader import refresh_receipt_sums
from tongcheng.kit.append_only import drop_triggers_sql, triggers_sql
from tongcheng.kit.ledger.models import LedgerEntry

pytestmark = pytest.mark.django_db


def _raw(sql, params=None):
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(sql, params)


def _a_receipt(s):
    return Receipt.objects.filter(zone=s.zone, period__gte=s.first, period__lte=s.last).order_by("id").first()


def test_an_untouched_ledger_verifies(capsys):
    """Given a final settlement, then verify_ledger finds nothing wrong and says how many it checked."""
    final_settlement()
    call_command("verify_ledger")
    assert "ok: 2 final settlement" in capsys.readouterr().out


def test_a_receipt_altered_by_raw_sql_is_reported():
    """Given a final settlement, when a receipt that fed it is changed by raw SQL (receipts have no trigger),
    then verify_ledger reports the receipt sums that no longer match, and the command exits non-zero."""
    s = final_settlement()
    r = _a_receipt(s)
    _raw(f"UPDATE {Receipt._meta.db_table} SET amount_fen = amount_fen + 100 WHERE id = %s", [r.pk])
    report = verify_ledger()
    assert any("receipt sums" in p for p in report.problems), report.problems
    with pytest.raises(CommandError) as caught:
        call_command("verify_ledger")
    assert caught.value.returncode == 1
    assert cli_main(["verify-ledger"]) == 1


def test_receipt_sums_altered_behind_the_engine_are_reported_by_the_engine_rerun():
    """Given a final settlement, when the sums the engine reads are changed consistently with their receipts
    by raw SQL (no write leaves a newer timestamp), then the engine re-run differs from the final lines."""
    s = final_settlement()
    r = _a_receipt(s)
    _raw(
        f"UPDATE {Receipt._meta.db_table} SET amount_fen = amount_fen + 100000, updated_at = created_at WHERE id = %s",
        [r.pk],
    )
    with transaction.atomic():
        refresh_receipt_sums(s.zone, [r.period])
    report = verify_ledger()
    assert any("engine on the stored inputs differs" in p for p in report.problems), report.problems


def test_a_final_line_altered_with_the_trigger_dropped_is_reported():
    """Given a final settlement, when its append-only trigger is dropped and a line changed by raw SQL, then
    the line digest no longer matches the ledger entry and verify_ledger reports it."""
    s = final_settlement()
    table = SettlementLine._meta.db_table
    for stmt in drop_triggers_sql(connection, table):
        _raw(stmt)
    try:
        line = SettlementLine.objects.filter(settlement=s, kind=LineKind.SHARE).first()
        _raw(f"UPDATE {table} SET amount_fen = amount_fen + 1 WHERE id = %s", [line.pk])
    finally:
        for stmt in triggers_sql(connection, table):
            _raw(stmt)
    report = verify_ledger()
    assert any(p.startswith(f"{s.number}: lines") for p in report.problems), report.problems


def test_a_settlement_row_altered_with_its_trigger_dropped_breaks_the_ledger_match():
    s = final_settlement()
    for stmt in freeze.unfreeze_sql(connection):
        _raw(stmt)
    try:
        _raw("UPDATE cooperation_settlement SET total_fen = total_fen + 1 WHERE id = %s", [s.pk])
    finally:
        for stmt in freeze.freeze_sql(connection):
            _raw(stmt)
    assert any("total_fen" in p for p in verify_ledger().problems)


def test_a_ledger_payload_altered_breaks_the_chain():
    s = final_settlement()
    table = LedgerEntry._meta.db_table
    for stmt in drop_triggers_sql(connection, table):
        _raw(stmt)
    try:
        _raw(f"UPDATE {table} SET hash = %s WHERE chain = %s", ["0" * 64, s.ledger_chain])
    finally:
        for stmt in triggers_sql(connection, table):
            _raw(stmt)
    assert any("chain breaks" in p for p in verify_ledger().problems)


def test_late_receipts_are_adjusted_by_the_next_settlement_naming_the_period():
    """Given 2024-11..12 final, when a late receipt of 2024-12 arrives (written through the importer's path, so its
    time is after finalisation), then verify_ledger notes it as pending (no problem), and the 2026 settlement
    draft (the demo's) computed again has adjustment lines naming 2024's number and months whose sum is the
    difference of re-running 2024 now; once 2026 is final, verify_ledger finds nothing pending."""
    s = final_settlement()
    r = _a_receipt(s)
    Receipt.objects.create(
        zone=s.zone,
        receipt_id="LATE-1",
        enterprise=r.enterprise,
        jurisdiction=r.jurisdiction,
        period=202412,
        tax_type=r.tax_type,
        amount_fen=1_000_000,
    )
    with transaction.atomic():
        refresh_receipt_sums(s.zone, [202412])
    report = verify_ledger()
    assert report.ok and any("late receipts" in n for n in report.notes), report
    nxt = Settlement.objects.get(zone=s.zone, first=202601)
    nxt = services.recompute_settlement(actor=user("office_pn"), settlement=nxt, expected_version=nxt.version)
    nxt = services.compute_now(user("office_pn"), nxt)
    adj = list(SettlementLine.objects.filter(settlement=nxt, kind=LineKind.ADJUSTMENT))
    assert adj and all(a.corrects == s.number and a.corrects_period == "2024-11..2024-12" for a in adj)
    shares = sum(a.amount_fen for a in adj if a.corrects_kind == "share")
    assert shares != 0 and shares <= 1_000_000
    nxt = services.submit_settlement(actor=user("office_pn"), settlement=nxt, expected_version=nxt.version)
    for finance in ("finance_pukou", "finance_nanqiao"):
        nxt = services.confirm_settlement(actor=user(finance), settlement=nxt, expected_version=nxt.version)
    assert nxt.ledger_sequence == 3
    report = verify_ledger()
    assert report.ok and not any("late" in n for n in report.notes), report
    assert ReceiptSum.objects.filter(zone=s.zone, period=202412).exists()
