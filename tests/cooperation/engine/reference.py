"""A deliberately naive, row-by-row reference of the settlement rules, used to check the vectorised engine.

It shares only ``split_exact`` / ``round_half_even_div`` (themselves checked against Fractions) and the
cost-linked ratio function with the engine; everything else is written again from the documented rules.
"""

from __future__ import annotations

from collections import defaultdict

from tongcheng.cooperation.engine.ratios import contribution_bp
from tongcheng.cooperation.engine.rounding import round_half_even_div, split_exact
from tongcheng.cooperation.engine.types import (
    BP,
    CENTRAL_TREASURY,
    AgreementSet,
    CappedRatio,
    ContributionRatio,
    IncrementRatio,
    LocalShareRow,
    SteppedRatio,
)

Row = tuple[str, str, int, str, int]  # enterprise, jurisdiction, period, tax type, amount


def _local(rows: list[LocalShareRow], tax: str, period: int) -> int:
    for r in rows:
        if r.tax_type == tax and r.valid_from <= period and (r.valid_to is None or period <= r.valid_to):
            return r.local_bp
    raise KeyError((tax, period))


def reference_shares(
    receipts: list[Row],
    agreements: AgreementSet,
    first: int,
    last: int,
    local: list[LocalShareRow],
    contributions: list[tuple[str, str, int, int]] = (),  # type: ignore[assignment]
) -> tuple[dict[tuple[str, str, int, str], int], dict[tuple[int, str], int]]:
    """(shares by (agreement, tax, period, party), collected shareable base by (period, treasury))."""
    sub: dict[tuple[int, str, int, str], int] = defaultdict(int)
    for ent, jur, per, tax, amt in receipts:
        if not first <= per <= last:
            continue
        for a, ag in enumerate(agreements.agreements):
            if ent in ag.enterprises and ag.covers_tax(tax):
                sub[(a, tax, per, jur)] += amt
                break
    base: dict[tuple[int, str, int], int] = defaultdict(int)
    collected: dict[tuple[int, str], int] = defaultdict(int)
    for (a, tax, per, jur), s in sorted(sub.items()):
        ag = agreements.agreements[a]
        t = ag.term
        end = t.extension_end if (t.extended and t.extension_end) else t.end
        active = t.start <= per and (end is None or per <= end) and jur != CENTRAL_TREASURY
        if ag.collected_in and jur not in ag.collected_in:
            active = False
        mult = (BP if ag.base.kind == "total" else _local(local, tax, per)) * ag.base.fraction_for(tax)
        b = round_half_even_div(s * mult, BP * BP) if active else 0
        if s:
            base[(a, tax, per)] += b
            collected[(per, jur)] += b
    shares: dict[tuple[str, str, int, str], int] = {}
    cum: dict[int, int] = {}
    cum_end: dict[int, int] = {}
    for a, tax, per in sorted(base, key=lambda k: (k[0], k[2], k[1])):
        ag = agreements.agreements[a]
        b = base[(a, tax, per)]
        rule = ag.ratio
        ranks = [ag.tie_order.index(i) for i in range(len(ag.parties))]
        if isinstance(rule, SteppedRatio):
            step = [s for s in rule.steps if s.start <= per][-1]
            bp = step.bp.get(tax, step.bp.get("*"))
        elif isinstance(rule, ContributionRatio):
            c = [0] * len(ag.parties)
            codes = [p.jurisdiction for p in ag.parties]
            for aid, j, p, x in contributions:
                if aid == ag.id and p < per:
                    c[codes.index(j)] += x
            bp = contribution_bp(tuple(c), rule, ag.tie_order)
        else:
            bp = rule.bp.get(tax, rule.bp.get("*"))
        assert bp is not None
        if isinstance(rule, IncrementRatio):
            stock = min(abs(b), rule.baseline_for(tax)) * (1 if b >= 0 else -1)
            parts = split_exact(b - stock, list(bp), ranks)
            parts[rule.stock_party] += stock
        else:
            parts = split_exact(b, list(bp), ranks)
        if isinstance(rule, CappedRatio):
            k = rule.capped_party
            c0 = cum.setdefault(a, rule.consumed_fen)
            ce = cum_end.setdefault(a, rule.consumed_fen)
            ok = per <= rule.share_end or (
                rule.extension_end is not None and per <= rule.extension_end and ce < rule.cap_fen
            )
            u = parts[k]
            x = (min(u, max(rule.cap_fen - c0, 0)) if u > 0 else u) if ok else 0
            excess = u - x
            cum[a] = c0 + x
            if per <= rule.share_end:
                cum_end[a] = cum[a]
            others = [w if i != k else 0 for i, w in enumerate(bp)]
            extra = split_exact(excess, others, ranks) if excess else [0] * len(bp)
            parts = [p + e for p, e in zip(parts, extra, strict=True)]
            parts[k] = x
        for i, p in enumerate(ag.parties):
            shares[(ag.id, tax, per, p.jurisdiction)] = parts[i]
    return shares, dict(collected)
