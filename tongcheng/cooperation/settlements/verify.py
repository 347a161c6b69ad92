"""``verify_ledger``: what a final settlement claims, checked against what the database holds now.

For every zone with final settlements:
1. the zone's hash chain (kit ledger) recomputes from its first record (``verify_chain``);
2. each final settlement's ledger entry is the one the settlement names, and its payload equals the
   settlement as stored now (number, months, run, input fingerprint, the digest of its lines, total, who
   confirmed): a line or the settlement row altered behind the triggers' back shows here;
3. the receipt sums the engine reads (``ReceiptSum``) still equal the sums of the single receipts of the
   settlement's months: a receipt altered by raw SQL (which bypasses the writers that keep the sums) shows;
4. the engine is run again on the stored inputs of the settlement's months and its lines compared with the
   final ones plus the adjustments later final settlements made. A difference is *pending* (not a problem)
   when receipts of those months were written after the settlement was finalised — a late receipt or refund
   that the zone's next settlement adjusts — and a problem otherwise (inputs changed without a trace).

Returns the report lines and whether anything is wrong."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.db import connection

from tongcheng.cooperation.engine.types import EngineInputError
from tongcheng.core.models import AdjacentZone
from tongcheng.kit.ledger.models import LedgerEntry

from ..models import LineKind, Receipt, ReceiptSum, Settlement, SettlementLine, SettlementStatus
from . import compute as engine_run
from .services import _final_lines, chain_name, ledger_payload

__all__ = ["Report", "verify_ledger"]


@dataclass
class Report:
    problems: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    checked: int = 0

    @property
    def ok(self) -> bool:
        return not self.problems


def _sum_differences(settlement: Settlement) -> int:
    """Groups of the settlement's months whose stored sum differs from the sum of the single receipts."""
    sums = connection.ops.quote_name(ReceiptSum._meta.db_table)
    rows = connection.ops.quote_name(Receipt._meta.db_table)
    keys = "enterprise, jurisdiction, period, tax_type, project"
    sql = (
        f"SELECT COUNT(*) FROM ("
        f"SELECT {keys}, amount_fen AS a FROM {sums} WHERE zone_id = %s AND period BETWEEN %s AND %s "
        f"UNION ALL SELECT {keys}, -SUM(amount_fen) FROM {rows} WHERE zone_id = %s AND period BETWEEN %s AND %s "
        f"GROUP BY {keys}) AS both_sides GROUP BY {keys} HAVING SUM(a) <> 0"
    )
    args = [settlement.zone_id, settlement.first, settlement.last] * 2
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT COUNT(*) FROM ({sql}) AS differing", args)
        return int(cursor.fetchone()[0])


def _adjusted(settlement: Settlement) -> dict[str, int]:
    made: dict[str, int] = {}
    for row in SettlementLine.objects.filter(
        kind=LineKind.ADJUSTMENT,
        corrects=settlement.number,
        settlement__status=SettlementStatus.FINAL,
        settlement__zone=settlement.zone_id,
    ).select_related("settlement"):
        if row.run == row.settlement.run:
            key = engine_run.line_key(
                row.corrects_kind, row.agreement, row.jurisdiction, row.payee, row.tax_type
            )
            made[key] = made.get(key, 0) + row.amount_fen
    return made


def _check(settlement: Settlement, report: Report) -> None:
    name = settlement.number
    entry = LedgerEntry.objects.filter(
        chain=settlement.ledger_chain, sequence=settlement.ledger_sequence
    ).first()
    if entry is None or entry.hash != settlement.ledger_hash:
        report.problems.append(f"{name}: its ledger entry is missing or not the one it names")
    else:
        now = ledger_payload(settlement)
        for key in sorted(set(now) | set(entry.payload)):
            if now.get(key) != entry.payload.get(key):
                report.problems.append(
                    f"{name}: {key} stored now differs from the ledger ({now.get(key)!r} != {entry.payload.get(key)!r})"
                )
    differing = _sum_differences(settlement)
    if differing:
        report.problems.append(
            f"{name}: {differing} receipt sums of {settlement.period_label} differ from the single receipts"
        )
    try:
        computed = engine_run.compute(settlement.zone, settlement.first, settlement.last)
    except EngineInputError as exc:
        report.problems.append(f"{name}: the engine refuses the stored inputs now: {exc}")
        return
    now_lines = engine_run.as_lines(computed)
    then = _final_lines(settlement)
    made = _adjusted(settlement)
    diffs = []
    for key in sorted(set(now_lines) | set(then) | set(made)):
        d = now_lines.get(key, (0, 0))[1] - then.get(key, (0, 0))[1] - made.get(key, 0)
        if d:
            diffs.append(f"{key.replace('|', ' ').strip()}: {d:+d} fen")
    if not diffs:
        if computed.fingerprint != settlement.fingerprint and not made:
            report.notes.append(f"{name}: inputs changed since finalisation without changing any line")
        return
    late = Receipt.objects.filter(
        zone=settlement.zone_id,
        period__gte=settlement.first,
        period__lte=settlement.last,
        updated_at__gt=settlement.finalised_at,
    ).exists()
    where = "; ".join(diffs[:10]) + (f"; … {len(diffs) - 10} more" if len(diffs) > 10 else "")
    if late:
        report.notes.append(f"{name}: late receipts, to be adjusted by the next settlement: {where}")
    else:
        report.problems.append(
            f"{name}: the engine on the stored inputs differs from the final lines: {where}"
        )


def verify_ledger(zone: AdjacentZone | None = None) -> Report:
    report = Report()
    finals = Settlement.objects.filter(status=SettlementStatus.FINAL).select_related("zone")
    if zone is not None:
        finals = finals.filter(zone=zone)
    zones: dict[int, Any] = {}
    for s in finals.order_by("zone_id", "ledger_sequence"):
        zones.setdefault(s.zone_id, s.zone)
    for z in zones.values():
        broken = LedgerEntry.verify_chain(chain_name(z))
        if broken is not None:
            report.problems.append(f"{chain_name(z)}: the chain breaks at record {broken.sequence}")
    for s in finals.order_by("zone_id", "ledger_sequence"):
        report.checked += 1
        _check(s, report)
    return report
