"""Ratio schedules: the basis points each party gets, per (agreement, tax type, period).

Fixed and stepped ratios are read off the agreement. Cost-linked ratios follow each party's cumulative
contributions up to the previous period, clamped to the agreed floors and caps: the exact shares are the
water-filling solution s_i = clamp(λ·c_i, floor_i, cap_i) with Σ s_i = 1, then rounded to whole basis
points by the largest-remainder method (tie order of the agreement). A rounded share never leaves its
[floor, cap] because floors and caps are whole basis points.
"""

from __future__ import annotations

import math
from bisect import bisect_right
from collections.abc import Sequence
from fractions import Fraction
from functools import lru_cache

from .rounding import split_exact
from .types import BP, Agreement, ContributionRatio, EngineInputError, RatioSpec, format_period


def spec_for(spec: RatioSpec, tax: str, agreement: str) -> tuple[int, ...]:
    got = spec.get(tax, spec.get("*"))
    if got is None:
        raise EngineInputError(f"agreement {agreement}: no ratio for tax type {tax!r}")
    return got


def _clamp_exact(c: tuple[int, ...], floor: tuple[int, ...], cap: tuple[int, ...]) -> list[Fraction]:
    def g(lam: Fraction) -> Fraction:
        return sum(
            (min(max(lam * ci, Fraction(f)), Fraction(k)) for ci, f, k in zip(c, floor, cap, strict=True)),
            Fraction(0),
        )

    points = sorted(
        {Fraction(0)}
        | {Fraction(x, ci) for ci, f, k in zip(c, floor, cap, strict=True) if ci > 0 for x in (f, k)}
    )
    values = [g(p) for p in points]
    for lo, hi, glo, ghi in zip(points, points[1:], values, values[1:], strict=False):
        if glo <= BP <= ghi and ghi > glo:
            lam = lo + (hi - lo) * (BP - glo) / (ghi - glo)
            return [
                min(max(lam * ci, Fraction(f)), Fraction(k)) for ci, f, k in zip(c, floor, cap, strict=True)
            ]
    # every contributor is at its cap: parties that gave nothing rise from their floor by headroom
    shares = [Fraction(k) if ci > 0 else Fraction(f) for ci, f, k in zip(c, floor, cap, strict=True)]
    short = BP - sum(shares)
    room = [(k - f) if ci == 0 else 0 for ci, f, k in zip(c, floor, cap, strict=True)]
    return [s + short * Fraction(r, sum(room)) if r else s for s, r in zip(shares, room, strict=True)]


@lru_cache(maxsize=65536)
def contribution_bp(
    cumulative: tuple[int, ...], rule: ContributionRatio, tie: tuple[int, ...]
) -> tuple[int, ...]:
    """Whole-bp ratio from cumulative contributions (fen) under the rule's floors and caps."""
    if sum(cumulative) <= 0:
        return rule.initial_bp
    exact = _clamp_exact(cumulative, rule.floor_bp, rule.cap_bp)
    den = 1
    for x in exact:
        den = den * x.denominator // math.gcd(den, x.denominator)
    ranks = [tie.index(i) for i in range(len(exact))]
    return tuple(split_exact(BP, [int(x * den) for x in exact], ranks))


def contribution_schedule(
    agreement: Agreement,
    rule: ContributionRatio,
    first: int,
    n_per: int,
    rows: Sequence[tuple[str, int, int]],
) -> list[tuple[int, ...]]:
    """Ratio per settled period from contribution rows (jurisdiction, period, fen) of this agreement."""
    index = {p.jurisdiction: i for i, p in enumerate(agreement.parties)}
    events = sorted((per, index[j], amt) for j, per, amt in rows)
    cum = [0] * len(agreement.parties)
    out: list[tuple[int, ...]] = []
    k = 0
    for p in range(first, first + n_per):
        # "up to the previous period": contributions of period p itself count from p + 1
        while k < len(events) and events[k][0] < p:
            cum[events[k][1]] += events[k][2]
            k += 1
        out.append(contribution_bp(tuple(cum), rule, agreement.tie_order))
    return out


def step_at(starts: Sequence[int], period: int, agreement: str) -> int:
    i = bisect_right(starts, period) - 1
    if i < 0:
        raise EngineInputError(f"agreement {agreement}: no ratio step in force in {format_period(period)}")
    return i
