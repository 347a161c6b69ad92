"""Exact integer rounding: half-even scaling and the largest-remainder split.

Rules (documented in docs/settlement-formats.md):
- a scaled amount ``x * m / d`` is rounded half to even (银行家舍入) once; the rule is symmetric, so a
  refund rounds to exactly the negative of the equal receipt;
- a split of an amount by weights gives each part ``floor(|x| * w / W)`` and hands the leftover fen, one
  each, to the largest remainders; equal remainders go by the stated tie order; a negative amount is split
  as its absolute value and negated, so refunds mirror receipts.

Products are formed from a quotient and a remainder so that no intermediate exceeds int64.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from .types import BP, IntArray


def round_half_even_div(num: int, den: int) -> int:
    """Exact ``round_half_even(num / den)`` for Python ints, den > 0."""
    sign = -1 if num < 0 else 1
    q, r = divmod(abs(num), den)
    if 2 * r > den or (2 * r == den and q % 2 == 1):
        q += 1
    return sign * q


def scale_half_even(amount: IntArray, mult: IntArray, den: int) -> IntArray:
    """Vectorised exact ``round_half_even(amount * mult / den)`` with 0 <= mult <= den <= 10**9."""
    a = np.abs(amount)
    if a.size == 0:
        return a
    if int(a.max()) * max(int(mult.max()), 1) < (1 << 62):
        # the usual case: the plain product fits, one division suffices
        q, r = np.divmod(a * mult, den)
        res = q
    else:
        hi, lo = np.divmod(a, den)
        q, r = np.divmod(lo * mult, den)  # lo * mult < den * mult <= 1e18
        res = hi * mult + q
    r *= 2
    up = (r > den) | ((r == den) & (q % 2 == 1))
    res += up
    return np.where(amount < 0, -res, res)


def split_largest_remainder(base: IntArray, ratio_bp: IntArray, tie_rank: IntArray) -> IntArray:
    """Split each ``base[g]`` by ``ratio_bp[g, :]`` (a row sums to 10000) with the largest-remainder method.

    ``tie_rank[g, p]`` is the party's place in the tie order (0 wins). Returns parts of shape (G, P) whose
    rows add up exactly to ``base``.
    """
    g, p = ratio_bp.shape
    if g == 0:
        return np.zeros((0, p), dtype=np.int64)
    a = np.abs(base)[:, None]
    a1, a0 = np.divmod(a, BP)
    q0, rem = np.divmod(a0 * ratio_bp, BP)
    parts = a1 * ratio_bp + q0
    leftover = np.abs(base) - parts.sum(axis=1)
    if p > 1 and leftover.any():
        # larger remainder first, then the tie order: one sort key per cell
        key = -rem * p + tie_rank
        order = np.argsort(key, axis=1, kind="stable")
        place = np.empty_like(order)
        np.put_along_axis(place, order, np.broadcast_to(np.arange(p), (g, p)), axis=1)
        parts += place < leftover[:, None]
    elif p == 1:
        parts += leftover[:, None]
    return np.where(base[:, None] < 0, -parts, parts)


def split_exact(amount: int, weights: Sequence[int], tie_rank: Sequence[int] | None = None) -> list[int]:
    """Largest-remainder split with unbounded integers (weights need not sum to a power of ten).

    Used where the weights are large (10-decimal apportionment ratios) and rows are few, and as the
    reference implementation in tests.
    """
    total = sum(weights)
    if total <= 0:
        raise ValueError("weights must sum to a positive number")
    ranks = list(range(len(weights))) if tie_rank is None else list(tie_rank)
    a = abs(amount)
    parts = [a * w // total for w in weights]
    rems = [a * w % total for w in weights]
    left = a - sum(parts)
    for i in sorted(range(len(weights)), key=lambda i: (-rems[i], ranks[i]))[:left]:
        parts[i] += 1
    return [-x for x in parts] if amount < 0 else parts
