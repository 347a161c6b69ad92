"""Head-office economy: CIT apportionment of cross-province head-office enterprises (总分机构汇总纳税).

国家税务总局公告2012年第57号 and 财预〔2012〕40号 (fiscal.md §2): of the consolidated CIT of a period, 50%
goes to the participating second-level branches by the previous year's revenue (0.35), payroll (0.35) and
assets (0.30), each branch paying at its own treasury; 25% is paid locally at the head office; 25% goes to
the central treasury. Branch ratios are kept to 10 decimals (form A109010) as integers scaled by 10^10.

This runs before any agreement: the consolidated CIT receipts of a head office are replaced by the parts
each treasury receives, and those parts are what agreements then share (their local retained share, like
any other receipt). The central-treasury part is booked to the pseudo-jurisdiction ``000000`` and is never
shareable.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Sequence
from fractions import Fraction

import numpy as np

from .rounding import split_exact
from .types import CENTRAL_TREASURY, BranchFactors, EngineInputError, Receipts, format_period

RATIO_SCALE = 10**10
WEIGHTS = (Fraction(35, 100), Fraction(35, 100), Fraction(30, 100))


def excluded_reason(unit: BranchFactors, period: int, small_low_profit: bool) -> str | None:
    """Why a branch does not share in ``period`` (57号 art. 5), or None if it does."""
    year = period // 12
    if small_low_profit:
        return "small_low_profit_prior_year"
    if unit.support_no_vat:
        return "support_unit_no_local_vat"
    if unit.opened is not None and (unit.opened > period or unit.opened // 12 == year):
        return "new_branch_first_year"
    if unit.closed is not None and unit.closed <= period:
        return "deregistered"
    return None


def branch_ratios(branches: Sequence[BranchFactors]) -> list[int]:
    """Apportionment ratios of participating branches, scaled by 10^10, summing exactly to 10^10.

    The exact value 0.35*r/Σr + 0.35*p/Σp + 0.30*a/Σa is rounded to 10 decimals by the largest-remainder
    method (ties by unit order), so that the ratios of one period always add up to one.
    """
    cols = [
        [b.revenue_fen for b in branches],
        [b.payroll_fen for b in branches],
        [b.assets_fen for b in branches],
    ]
    exact = [Fraction(0)] * len(branches)
    for weight, col in zip(WEIGHTS, cols, strict=True):
        total = sum(col)
        for i, v in enumerate(col):
            # a factor that is zero for every branch cannot discriminate; its weight is shared equally
            exact[i] += weight * (Fraction(v, total) if total else Fraction(1, len(branches)))
    den = 1
    for x in exact:
        den = den * x.denominator // math.gcd(den, x.denominator)
    return split_exact(RATIO_SCALE, [int(x * den) for x in exact])


def apportion(
    enterprise: str, period: int, amount: int, units: Sequence[BranchFactors]
) -> list[tuple[str, str, int, int | None, str | None]]:
    """Split one consolidated CIT amount: rows (unit, jurisdiction, amount, ratio_1e10, excluded_reason)."""
    hq = [u for u in units if u.is_head_office]
    if len(hq) != 1:
        raise EngineInputError(f"enterprise {enterprise} year {period // 12}: needs exactly one unit 'HQ'")
    slp = any(u.small_low_profit for u in units)
    branches = sorted((u for u in units if not u.is_head_office), key=lambda u: u.unit)
    reasons = {b.unit: excluded_reason(b, period, slp) for b in branches}
    sharing = [b for b in branches if reasons[b.unit] is None]
    rows: list[tuple[str, str, int, int | None, str | None]] = []
    if not sharing:
        # without a participating branch the head office pays the whole tax where it is (no 汇总分摊)
        rows.append(("HQ", hq[0].jurisdiction, amount, None, None))
    else:
        pool, hq_local, central = split_exact(amount, [2, 1, 1])
        ratios = branch_ratios(sharing)
        for b, r, part in zip(sharing, ratios, split_exact(pool, ratios), strict=True):
            rows.append((b.unit, b.jurisdiction, part, r, None))
        rows.append(("HQ", hq[0].jurisdiction, hq_local, None, None))
        rows.append(("CENTRAL", CENTRAL_TREASURY, central, None, None))
    rows.extend((b.unit, b.jurisdiction, 0, None, reasons[b.unit]) for b in branches if reasons[b.unit])
    return rows


def apportion_receipts(
    receipts: Receipts,
    factors: Sequence[BranchFactors],
    jur_index: dict[str, int],
    cit: str = "CIT",
    first: int = 0,
    last: int = 1 << 30,
) -> tuple[Receipts, list[dict[str, object]]]:
    """Replace head offices' consolidated CIT receipts by their apportioned parts.

    Returns (a correction batch: the consolidated rows negated plus the apportioned parts, sharing the
    receipts' vocabularies; a report). Summed with the receipts it gives the apportioned receipts. ``jur_index`` maps every jurisdiction code to its code in the batch
    vocabulary and must already hold the branch, head-office and central-treasury codes. Only receipts of
    the months ``first..last`` are apportioned.
    """
    by_key: dict[tuple[str, int], list[BranchFactors]] = defaultdict(list)
    for f in factors:
        by_key[(f.enterprise, f.year)].append(f)
    hq_names = {f.enterprise for f in factors}
    empty = Receipts(
        *(np.zeros(0, np.int64),) * 5, receipts.enterprises, receipts.jurisdictions, receipts.tax_types
    )
    if cit not in receipts.tax_types:
        return empty, []
    is_hq = np.fromiter(
        (e in hq_names for e in receipts.enterprises), dtype=bool, count=len(receipts.enterprises)
    )
    if not is_hq.any():
        return empty, []
    # only the settled months: factors of other years need not be supplied
    mask = is_hq[receipts.enterprise] & (receipts.tax_type == receipts.tax_types.index(cit))
    mask &= (receipts.period >= first) & (receipts.period <= last)
    idx = np.flatnonzero(mask)
    if idx.size == 0:
        return empty, []
    key = receipts.enterprise[idx] * (1 << 24) + receipts.period[idx]
    uniq, inv = np.unique(key, return_inverse=True)
    sums = np.zeros(uniq.shape[0], dtype=np.int64)
    np.add.at(sums, inv, receipts.amount[idx])
    out_ent, out_jur, out_per, out_amt = [], [], [], []
    report: list[dict[str, object]] = []
    for k, total in zip(uniq.tolist(), sums.tolist(), strict=True):
        ent_code, period = divmod(k, 1 << 24)
        name = receipts.enterprises[ent_code]
        units = by_key.get((name, period // 12))
        if not units:
            raise EngineInputError(
                f"head-office enterprise {name}: no apportionment factors for year {period // 12}"
            )
        for unit, jur, part, ratio, reason in apportion(name, period, total, units):
            report.append(
                {
                    "enterprise": name,
                    "period": format_period(period),
                    "unit": unit,
                    "jurisdiction": jur,
                    "ratio": None if ratio is None else f"{ratio // RATIO_SCALE}.{ratio % RATIO_SCALE:010d}",
                    "ratio_1e10": ratio,
                    "amount_fen": part,
                    "excluded": reason,
                }
            )
            if reason is None:
                out_ent.append(ent_code)
                out_jur.append(jur_index[jur])
                out_per.append(period)
                out_amt.append(part)
    # the correction batch cancels the consolidated rows exactly and adds the parts, so the (large) main
    # batch is used as it is, without copying its amount column
    n = len(out_amt)
    proj = None
    if receipts.project is not None:
        proj = np.concatenate([receipts.project[idx], np.full(n, -1, dtype=np.int64)])
    batch = Receipts(
        np.concatenate([receipts.enterprise[idx], np.array(out_ent, dtype=np.int64)]),
        np.concatenate([receipts.jurisdiction[idx], np.array(out_jur, dtype=np.int64)]),
        np.concatenate([receipts.period[idx], np.array(out_per, dtype=np.int64)]),
        np.concatenate([receipts.tax_type[idx], np.full(n, receipts.tax_types.index(cit), dtype=np.int64)]),
        np.concatenate([-receipts.amount[idx], np.array(out_amt, dtype=np.int64)]),
        receipts.enterprises,
        receipts.jurisdictions,
        receipts.tax_types,
        proj,
        receipts.projects,
    )
    return batch, report
