"""The hot path: receipts -> sub-group sums -> rounded bases -> exact party shares.

Sub-group = (agreement, tax type, period, collecting treasury). Each sub-group's sum is scaled to its
shareable base and rounded half-even once; the group's base (agreement, tax type, period) is the sum of its
sub-groups' bases, and that is what the ratio splits. So what a treasury collected of the shareable base
and what the parties are entitled to come from the same rounded numbers, and positions net to zero.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from . import local_shares as ls
from .compiled import Compiled
from .rounding import scale_half_even, split_largest_remainder
from .types import BP, IntArray, LocalShareRow, Receipts

#: largest dense key space summed with one bincount; beyond it keys are compacted by sorting first
MAX_DENSE_BINS = 1 << 24
_F64_EXACT = 1 << 53


@dataclass(frozen=True)
class SubGroups:
    """Non-zero sums, sorted by (agreement, tax type, period, treasury)."""

    cell: IntArray  # agreement * n_tax + tax; negative = receipts in no agreement
    period: IntArray  # index into the settled periods
    jurisdiction: IntArray
    amount: IntArray
    outside_fen: int  # receipts outside the settled periods


def _row_keys(r: Receipts, c: Compiled, n_jur: int, n_per2: int) -> IntArray:
    """Dense sub-group key per row: ((cell * n_per2) + period slot) * n_jur + treasury."""
    n_t = len(c.tax_types)
    stride = n_per2 * n_jur
    key = r.enterprise * n_t
    key += r.tax_type
    # the lookup returns the agreement-tax cell already multiplied by its stride (one pass fewer)
    np.take(c.scope_strided(stride), key, out=key, mode="clip")
    if r.project is not None and c.project_scope is not None:
        has = r.project >= 0
        pcell = np.where(has, c.project_scope[np.where(has, r.project, 0) * n_t + r.tax_type], -1)
        np.copyto(key, pcell * stride, where=pcell >= 0)
    per = r.period - (c.first - 1)
    np.clip(per, 0, n_per2 - 1, out=per)  # 0 and n_per2 - 1 collect the rows outside the settled periods
    per *= n_jur
    key += per
    key += r.jurisdiction
    return key


def _bincount_f64_safe(amount: IntArray) -> bool:
    n = amount.shape[0]
    if n == 0:
        return True
    return n * max(int(amount.max()), -int(amount.min())) < _F64_EXACT


def exact_bincount(key: IntArray, amount: IntArray, n_bins: int) -> tuple[IntArray, IntArray]:
    """(bins with a non-zero sum, their integer sums).

    float64 bincount is exact while every partial sum stays below 2**53 in magnitude; larger inputs are
    split into 26-bit halves (each exact in float64), and beyond that summed with integer ufunc.at.
    """
    n = amount.shape[0]
    if _bincount_f64_safe(amount):
        sums = np.bincount(key, weights=amount, minlength=n_bins)
        nz = np.flatnonzero(sums != 0)  # several times faster than flatnonzero on the floats
        return nz, sums[nz].astype(np.int64)
    biggest = max(int(amount.max()), -int(amount.min()))
    if n < (1 << 26) and n * biggest < (1 << 79):
        hi = np.bincount(key, weights=amount >> 26, minlength=n_bins).astype(np.int64)
        lo = np.bincount(key, weights=amount & ((1 << 26) - 1), minlength=n_bins).astype(np.int64)
        total = (hi << 26) + lo
    else:
        total = np.zeros(n_bins, dtype=np.int64)
        np.add.at(total, key, amount)
    nz = np.flatnonzero(total != 0)
    return nz, total[nz]


def small_sums(index: IntArray, values: IntArray, n_bins: int) -> IntArray:
    """Exact integer sums of ``values`` per ``index`` over a small dense range."""
    nz, sums = exact_bincount(index, values, n_bins)
    out = np.zeros(n_bins, dtype=np.int64)
    out[nz] = sums
    return out


def _merge(nz1: IntArray, v1: IntArray, nz2: IntArray, v2: IntArray) -> tuple[IntArray, IntArray]:
    """Add sparse sums (nz2, v2) into sorted sparse sums (nz1, v1) without re-sorting the large side."""
    idx = np.searchsorted(nz1, nz2)
    hit = idx < nz1.shape[0]
    hit[hit] = nz1[idx[hit]] == nz2[hit]
    v1 = v1.copy()
    v1[idx[hit]] += v2[hit]
    nz = np.insert(nz1, idx[~hit], nz2[~hit])
    vals = np.insert(v1, idx[~hit], v2[~hit])
    keep = vals != 0
    return nz[keep], vals[keep]


def _sparse_sums(key: IntArray, amount: IntArray) -> tuple[IntArray, IntArray]:
    """Sums per key by sorting: for small batches, where a dense bincount would cost more than the rows."""
    uniq, inv = np.unique(key, return_inverse=True)
    pos, vals = exact_bincount(inv.reshape(-1), amount, uniq.shape[0])
    return uniq[pos], vals


def sub_group_sums(batches: Sequence[Receipts], c: Compiled, n_jur: int) -> SubGroups:
    """Sum receipts per sub-group: a handful of integer passes and one bincount per batch."""
    n_t = len(c.tax_types)
    n_per2 = c.n_per + 2
    n_cells = (len(c.agreements.agreements) + 1) * n_t
    n_bins = n_cells * n_per2 * n_jur
    batches = [b for b in batches if len(b)] or list(batches[:1])
    keys = [_row_keys(b, c, n_jur, n_per2) for b in batches]
    if n_bins <= MAX_DENSE_BINS:
        nz, vals = exact_bincount(keys[0], batches[0].amount, n_bins)
        for k, b in zip(keys[1:], batches[1:], strict=True):
            nz, vals = _merge(nz, vals, *_sparse_sums(k, b.amount))
    else:
        allk = np.concatenate(keys)
        uniq, inv = np.unique(allk, return_inverse=True)
        pos, vals = exact_bincount(
            inv.reshape(-1), np.concatenate([b.amount for b in batches]), uniq.shape[0]
        )
        nz = uniq[pos]
    rest, jur = np.divmod(nz, n_jur)
    cell, per = np.divmod(rest, n_per2)
    inside = (per > 0) & (per <= c.n_per)
    outside = int(vals[~inside].sum())
    return SubGroups(cell[inside] - n_t, per[inside] - 1, jur[inside], vals[inside], outside)


@dataclass(frozen=True)
class Allocation:
    # sub-groups in an agreement (collecting treasury level)
    sub_group: IntArray  # group index of each in-agreement sub-group
    sub_jurisdiction: IntArray
    sub_period: IntArray
    sub_amount: IntArray
    sub_base: IntArray
    # groups
    agreement: IntArray
    tax: IntArray
    period: IntArray
    base: IntArray
    parts: IntArray  # (G, P)
    ratio_bp: IntArray  # (G, P) the stated ratio


def allocate(
    sg: SubGroups, c: Compiled, local_shares: Sequence[LocalShareRow], central: int
) -> tuple[Allocation, IntArray]:
    """Bases and shares of every group, and the local-share table (T, N) used.

    Everything that depends only on (agreement, tax type, period) is looked up once per group and
    broadcast to the group's sub-groups; only the rounding itself runs per sub-group.
    """
    n_t, n_per = len(c.tax_types), c.n_per
    inn = sg.cell >= 0
    cell, p, j, s = sg.cell[inn], sg.period[inn], sg.jurisdiction[inn], sg.amount[inn]
    # sub-groups arrive sorted by (agreement, tax, period, treasury): groups are contiguous runs
    gkey = cell * n_per + p
    if gkey.size and np.any(gkey[1:] < gkey[:-1]):
        raise AssertionError("sub-groups are not sorted")
    new = np.empty(gkey.shape[0], dtype=bool)
    new[:1] = True
    np.not_equal(gkey[1:], gkey[:-1], out=new[1:])
    starts = np.flatnonzero(new)
    ginv = np.cumsum(new) - 1
    gk = gkey[starts]
    gcell, gp = np.divmod(gk, n_per)
    ga, gt = np.divmod(gcell, n_t)
    active = c.active[ga, gt, gp]
    total = c.base_is_total[ga]
    need = np.zeros((n_t, n_per), dtype=bool)
    need[gt[active & ~total], gp[active & ~total]] = True
    local_bp = ls.lookup_table(local_shares, c.tax_types, c.first, c.first + n_per - 1, need)
    gmult = np.where(active, np.where(total, BP, local_bp[gt, gp]) * c.fraction[ga, gt], 0)
    mult = gmult[ginv]
    # the central treasury's part of an apportioned tax is central revenue, never a local base
    shared = j != central
    if c.collected_in is not None:
        shared &= c.collected_in[ga[ginv], j]
    mult[~shared] = 0
    sub_base = scale_half_even(s, mult, BP * BP)
    base = np.add.reduceat(sub_base, starts) if starts.size else np.zeros(0, dtype=np.int64)
    ratio = c.ratio[ga, gt, gp]
    tie = c.tie_rank[ga]
    # stock/increment: the baseline (symmetric for refunds) stays with the stock party
    stock = np.sign(base) * np.minimum(np.abs(base), c.baseline[ga, gt])
    parts = split_largest_remainder(base - stock, ratio, tie)
    parts[np.arange(parts.shape[0]), c.stock_slot[ga]] += stock
    if c.capped:
        _apply_caps(c, ga, gt, gp, ratio, tie, parts)
    return Allocation(ginv, j, p, s, sub_base, ga, gt, gp, base, parts, ratio), local_bp


def _apply_caps(
    c: Compiled, ga: IntArray, gt: IntArray, gp: IntArray, ratio: IntArray, tie: IntArray, parts: IntArray
) -> None:
    """Capped rule, in period then tax-type order, vectorised across the capped agreements.

    The capped party keeps min(share, cap - cumulative); a refund always reduces its cumulative. It shares
    until ``share_end`` and, if the cap is not reached by then, until ``extension_end``. What it cannot take
    is split among the other parties by their ratios (largest remainder, tie order).
    """
    specs = c.capped
    which = np.full(len(c.agreements.agreements), -1, dtype=np.int64)
    which[[s.agreement for s in specs]] = np.arange(len(specs))
    gidx = np.flatnonzero(which[ga] >= 0)
    if gidx.size == 0:
        return
    k = which[ga[gidx]]
    # tax types in name order, so that the result cannot depend on how a reader ordered the vocabulary
    tax_rank = np.argsort(np.argsort(np.asarray(c.tax_types, dtype=object)))
    order = np.lexsort((tax_rank[gt[gidx]], gp[gidx], k))
    gidx, k = gidx[order], k[order]
    starts = np.searchsorted(k, np.arange(len(specs)))
    pos = np.arange(gidx.size) - starts[k]
    width = int(pos.max()) + 1
    grid = np.full((len(specs), width), -1, dtype=np.int64)
    grid[k, pos] = gidx
    slot = np.array([s.slot for s in specs], dtype=np.int64)
    cap = np.array([s.cap for s in specs], dtype=np.int64)
    share_end = np.array([s.share_end for s in specs], dtype=np.int64) - c.first
    ext_end = (
        np.array([s.extension_end if s.extension_end >= 0 else -(1 << 40) for s in specs], dtype=np.int64)
        - c.first
    )
    cum = np.array([s.consumed for s in specs], dtype=np.int64)
    cum_at_end = cum.copy()
    rows = np.arange(len(specs))
    for col in range(width):
        g = grid[:, col]
        valid = g >= 0
        gg = np.where(valid, g, 0)
        per = gp[gg]
        u = parts[gg, slot]
        allowed = (per <= share_end) | ((per <= ext_end) & (cum_at_end < cap))
        x = np.where(u > 0, np.minimum(u, np.maximum(cap - cum, 0)), u)
        x = np.where(allowed & valid, x, np.where(valid, 0, u))
        excess = np.where(valid, u - x, 0)
        cum += np.where(valid, x, 0)
        cum_at_end = np.where(valid & (per <= share_end), cum, cum_at_end)
        if not excess.any():
            continue
        others = ratio[gg].copy()
        others[rows, slot] = 0
        extra = _split_weighted(excess, others, tie[gg])
        parts[gg[valid]] += extra[valid]
        parts[gg[valid], slot[valid]] -= excess[valid]


def _split_weighted(amount: IntArray, weights: IntArray, tie: IntArray) -> IntArray:
    """Largest-remainder split by weights that sum to W <= 10000 per row (not necessarily 10000)."""
    total = weights.sum(axis=1)
    a = np.abs(amount)[:, None]
    den = np.maximum(total, 1)[:, None]
    a1, a0 = np.divmod(a, den)
    q0, rem = np.divmod(a0 * weights, den)
    parts = a1 * weights + q0
    left = np.abs(amount) - parts.sum(axis=1)
    n_p = weights.shape[1]
    order = np.argsort(-rem * n_p + tie, axis=1, kind="stable")
    place = np.empty_like(order)
    np.put_along_axis(place, order, np.broadcast_to(np.arange(n_p), weights.shape), axis=1)
    parts += place < left[:, None]
    return np.where(amount[:, None] < 0, -parts, parts)
