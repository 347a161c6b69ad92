"""Entry point: settle one partition (an agreement set) over columnar receipts.

``settle`` is a pure function of its arguments: no I/O, no globals, no Django. A distributed runner can
call it once per partition (agreement sets with disjoint scopes) and concatenate the results.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace

import numpy as np

from . import local_shares as ls
from .allocation import allocate, small_sums, sub_group_sums
from .compiled import Compiled, compile_agreements
from .headquarters import apportion_receipts
from .netting import net_transfers
from .statistics import attribute
from .types import (
    CENTRAL_TREASURY,
    AgreementSet,
    BranchFactors,
    Contribution,
    EngineInputError,
    IndicatorRows,
    IntArray,
    LocalShareRow,
    Receipts,
    Settlement,
    format_period,
)


@dataclass(frozen=True)
class Prepared:
    """An agreement set compiled against one receipts vocabulary and period range, reusable across runs."""

    jurisdictions: tuple[str, ...]
    compiled: Compiled
    enterprises: tuple[str, ...]
    factor_jurisdictions: frozenset[str]


def prepare(
    receipts: Receipts,
    agreements: AgreementSet,
    first: int,
    last: int,
    *,
    factors: Sequence[BranchFactors] = (),
    contributions: Sequence[Contribution] = (),
) -> Prepared:
    """Compile a partition once; ``settle(..., prepared=...)`` then skips this step."""
    extra = [p.jurisdiction for a in agreements.agreements for p in a.parties]
    extra += [j for a in agreements.agreements for j in a.collected_in]
    extra += [f.jurisdiction for f in factors] + [CENTRAL_TREASURY]
    known = set(receipts.jurisdictions)
    jurisdictions = receipts.jurisdictions + tuple(dict.fromkeys(j for j in extra if j not in known))
    jur_index = {j: i for i, j in enumerate(jurisdictions)}
    compiled = compile_agreements(
        agreements,
        receipts.enterprises,
        receipts.projects,
        receipts.tax_types,
        jur_index,
        first,
        last,
        contributions,
    )
    return Prepared(jurisdictions, compiled, receipts.enterprises, frozenset(f.jurisdiction for f in factors))


def transfers_from_net(
    net: IntArray, first: int, jurisdictions: Sequence[str]
) -> list[tuple[int, str, str, int]]:
    """Payments (period, payer, payee, fen) netting each month's positions (``net`` is months x treasuries).

    Shared with the partitioned runner, which nets the combined positions again: netting is not additive.
    """
    transfers: list[tuple[int, str, str, int]] = []
    for k in range(net.shape[0]):
        row = {jurisdictions[j]: int(net[k, j]) for j in np.flatnonzero(net[k]).tolist()}
        transfers.extend((first + k, payer, payee, amt) for payer, payee, amt in net_transfers(row))
    return transfers


def settle(
    receipts: Receipts,
    agreements: AgreementSet,
    first: int,
    last: int,
    *,
    local_shares: Sequence[LocalShareRow] | None = None,
    factors: Sequence[BranchFactors] = (),
    contributions: Sequence[Contribution] = (),
    indicators: IndicatorRows | None = None,
    cit: str = "CIT",
    check: bool = True,
    prepared: Prepared | None = None,
) -> Settlement:
    """Allocate, position and net the receipts of periods ``first..last`` (months since year 0)."""
    if check:
        receipts.validate()
    shares = ls.load_shipped() if local_shares is None else list(local_shares)
    if prepared is None:
        prepared = prepare(receipts, agreements, first, last, factors=factors, contributions=contributions)
    elif (
        prepared.compiled.agreements is not agreements
        or (prepared.compiled.first, prepared.compiled.n_per) != (first, last - first + 1)
        or prepared.compiled.tax_types != receipts.tax_types
        or prepared.jurisdictions[: len(receipts.jurisdictions)] != receipts.jurisdictions
        or prepared.enterprises != receipts.enterprises
        or not {f.jurisdiction for f in factors} <= set(prepared.jurisdictions)
    ):
        raise EngineInputError(
            "the prepared partition was compiled for other receipts, agreements or periods"
        )
    compiled, jurisdictions = prepared.compiled, prepared.jurisdictions
    jur_index = {j: i for i, j in enumerate(jurisdictions)}
    receipts = replace(receipts, jurisdictions=jurisdictions)
    batches = [receipts]
    hq_report: list[dict[str, object]] = []
    if factors:
        correction, hq_report = apportion_receipts(receipts, factors, jur_index, cit, first, last)
        batches = [receipts, correction]
    sg = sub_group_sums(batches, compiled, len(jurisdictions))
    al, _ = allocate(sg, compiled, shares, jur_index[CENTRAL_TREASURY])

    n_per, n_jur = compiled.n_per, len(jurisdictions)
    collected = small_sums(al.sub_period * n_jur + al.sub_jurisdiction, al.sub_base, n_per * n_jur)
    collected = collected.reshape(n_per, n_jur)
    exists = compiled.party_jur[al.agreement] >= 0
    g_idx, slot = np.nonzero(exists)
    pj = compiled.party_jur[al.agreement[g_idx], slot]
    shares_flat = al.parts[g_idx, slot]
    entitled = small_sums(al.period[g_idx] * n_jur + pj, shares_flat, n_per * n_jur).reshape(n_per, n_jur)
    net = entitled - collected
    pp, pjur = np.nonzero((collected != 0) | (entitled != 0))

    if check:
        if not np.array_equal(al.parts.sum(axis=1), al.base):
            raise AssertionError("a group's parts do not add up to its base")
        if np.any(net.sum(axis=1) != 0):
            raise AssertionError("positions do not net to zero")
        if (al.parts[~exists] != 0).any():
            raise AssertionError("a share went to a padding slot")

    transfers = transfers_from_net(net, first, jurisdictions)

    # totals: receipts = allocated (= shareable bases) + retained, per period and overall
    rec_p = small_sums(sg.period, sg.amount, n_per)
    scope_p = small_sums(al.sub_period, al.sub_amount, n_per)
    base_p = small_sums(al.period, al.base, n_per)
    alloc_p = small_sums(al.period[g_idx], shares_flat, n_per)
    per_period, totals = summary_figures(
        first, rec_p, scope_p, base_p, alloc_p, transfers, sg.outside_fen, int(al.base.shape[0])
    )
    stats = attribute(agreements, indicators) if indicators is not None else []
    ratio_flat = al.ratio_bp[g_idx, slot]
    return Settlement(
        agreement_ids=tuple(a.id for a in agreements.agreements),
        roles=tuple(tuple(p.role for p in a.parties) for a in agreements.agreements),
        tax_types=receipts.tax_types,
        jurisdictions=jurisdictions,
        alloc_agreement=al.agreement[g_idx],
        alloc_tax=al.tax[g_idx],
        alloc_period=al.period[g_idx] + first,
        alloc_party=slot,
        alloc_jurisdiction=pj,
        alloc_base=al.base[g_idx],
        alloc_share=shares_flat,
        alloc_ratio_bp=ratio_flat,
        pos_period=pp + first,
        pos_jurisdiction=pjur,
        pos_collected=collected[pp, pjur],
        pos_entitled=entitled[pp, pjur],
        pos_net=net[pp, pjur],
        transfers=transfers,
        totals=totals,
        per_period=per_period,
        statistics=stats,
        headquarters=hq_report,
    )


def summary_figures(
    first: int,
    receipts: np.ndarray,
    in_agreements: np.ndarray,
    bases: np.ndarray,
    allocated: np.ndarray,
    transfers: list,
    outside_fen: int,
    groups: int,
) -> tuple[dict[str, dict[str, int]], dict[str, int]]:
    """The summary's figures per period and overall, from per-period sums (index 0 is period ``first``):
    receipts = allocated + retained, in every period and overall. One function for ``settle`` and for the
    combined result of a partitioned run, so that both summaries say the same thing."""
    per_period = {
        format_period(first + k): {
            "receipts_fen": int(receipts[k]),
            "in_agreements_fen": int(in_agreements[k]),
            "base_fen": int(bases[k]),
            "allocated_fen": int(allocated[k]),
            "retained_fen": int(receipts[k] - allocated[k]),
            "transfers": sum(1 for t in transfers if t[0] == first + k),
        }
        for k in range(receipts.shape[0])
    }
    totals = {
        "receipts_fen": int(receipts.sum()),
        "in_agreements_fen": int(in_agreements.sum()),
        "base_fen": int(bases.sum()),
        "allocated_fen": int(allocated.sum()),
        "retained_fen": int(receipts.sum() - allocated.sum()),
        "outside_periods_fen": outside_fen,
        "groups": groups,
        "transfers_fen": sum(t[3] for t in transfers),
    }
    return per_period, totals
