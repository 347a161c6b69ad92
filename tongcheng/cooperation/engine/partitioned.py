"""Settle one big settlement as many independent partitions, on one machine or on a Dask cluster.

A partition is a set of agreements and a range of months. Partitions are independent because:

* every receipt row belongs to at most one agreement (scopes never overlap; a project scope wins over
  its enterprise's scope, as in the engine), so an agreement's groups only ever see its own rows;
* nothing carries from one month to the next except the cap of a ``capped`` agreement (92号), so a
  capped agreement keeps its whole period range in one partition, and every other agreement is split by
  month;
* the 57号 head-office apportionment splits the consolidated CIT of one (enterprise, month) across
  treasuries, and the rows of one enterprise may reach different agreements (by project), so it runs
  once, before partitioning, exactly as ``settle`` runs it; the partitions receive the apportioned rows.

What is not additive is recomputed from the combined numbers: positions are summed per (month,
treasury), transfers are netted again from the combined positions (greedy netting is not additive), and
the summary is rebuilt. The result is the same ``Settlement``, to the fen and in the same row order, as
one ``settle`` call; tests/cooperation/test_distributed.py checks it on a two-worker cluster.

Dask is an optional extra (``pip install 'tongcheng[distributed]'``) imported only by
``settle_distributed``; everything else here is plain NumPy.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

import numpy as np

from . import local_shares as ls
from .headquarters import apportion_receipts
from .settle import prepare, settle, summary_figures, transfers_from_net
from .statistics import attribute
from .types import (
    AgreementSet,
    BranchFactors,
    CappedRatio,
    Contribution,
    IndicatorRows,
    IntArray,
    LocalShareRow,
    Receipts,
    Settlement,
    parse_period,
)

if TYPE_CHECKING:  # pragma: no cover
    from distributed import Client


@dataclass(frozen=True)
class Partition:
    """What one worker needs: its agreements (global indexes kept), its rows and its months."""

    agreement_index: tuple[int, ...]
    agreements: AgreementSet
    receipts: Receipts
    first: int
    last: int
    local_shares: tuple[LocalShareRow, ...]
    contributions: tuple[Contribution, ...]


@dataclass(frozen=True)
class Plan:
    """The partitions and what only the whole settlement knows (receipt totals, 57号 report, statistics)."""

    partitions: tuple[Partition, ...]
    agreements: AgreementSet
    jurisdictions: tuple[str, ...]
    tax_types: tuple[str, ...]
    first: int
    last: int
    receipts_per_period: IntArray
    outside_fen: int
    headquarters: list[dict[str, object]]
    statistics: list[Any]


def row_agreements(receipts: Receipts, agreements: AgreementSet, first: int, last: int) -> IntArray:
    """The agreement index of every row (-1 = none), with the engine's precedence (project over enterprise)."""
    compiled = prepare(receipts, agreements, first, last).compiled
    n_t = len(receipts.tax_types)
    key = receipts.enterprise * n_t + receipts.tax_type
    owner: IntArray = compiled.scope[key] // n_t - 1
    if receipts.project is not None and compiled.project_scope is not None:
        has = receipts.project >= 0
        pcell = np.where(
            has, compiled.project_scope[np.where(has, receipts.project, 0) * n_t + receipts.tax_type], -1
        )
        owner = np.where(pcell >= 0, pcell // n_t - 1, owner)
    return owner


def partitions(
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
    months_per_partition: int = 1,
    agreements_per_partition: int = 1,
) -> Plan:
    """Split a settlement into independent partitions (agreement bundle x month range)."""
    if months_per_partition < 1 or agreements_per_partition < 1:
        raise ValueError("partition sizes must be at least 1")
    receipts.validate()
    shares = tuple(ls.load_shipped() if local_shares is None else local_shares)
    # the whole settlement's vocabulary, so every partition codes treasuries the same way
    whole = prepare(receipts, agreements, first, last, factors=factors, contributions=contributions)
    receipts = replace(receipts, jurisdictions=whole.jurisdictions)
    hq_report: list[dict[str, object]] = []
    if factors:
        jur_index = {j: i for i, j in enumerate(whole.jurisdictions)}
        correction, hq_report = apportion_receipts(receipts, factors, jur_index, cit, first, last)
        receipts = _concat(receipts, correction)
    owner = row_agreements(receipts, agreements, first, last)
    n_per = last - first + 1
    inside = (receipts.period >= first) & (receipts.period <= last)
    rec_p = np.zeros(n_per, dtype=np.int64)
    np.add.at(rec_p, receipts.period[inside] - first, receipts.amount[inside])
    outside = int(receipts.amount[~inside].sum())

    ags = agreements.agreements
    capped = [a for a, ag in enumerate(ags) if isinstance(ag.ratio, CappedRatio)]
    free = [a for a, ag in enumerate(ags) if not isinstance(ag.ratio, CappedRatio)]
    k = agreements_per_partition
    months = [
        (m, min(m + months_per_partition - 1, last)) for m in range(first, last + 1, months_per_partition)
    ]
    # a cap carries from month to month: capped agreements keep the whole range together
    jobs = [(tuple(free[i : i + k]), m) for i in range(0, len(free), k) for m in months]
    jobs += [(tuple(capped[i : i + k]), (first, last)) for i in range(0, len(capped), k)]
    # rows sorted by (agreement, period) once, so each partition's rows are one contiguous slice
    order = np.lexsort((receipts.period, owner))
    s_owner, s_period = owner[order], receipts.period[order]
    parts: list[Partition] = []
    for index, (lo, hi) in jobs:
        pieces = []
        for a in index:
            left = np.searchsorted(s_owner, a, "left")
            right = np.searchsorted(s_owner, a, "right")
            span = s_period[left:right]
            pieces.append(
                order[left + np.searchsorted(span, lo, "left") : left + np.searchsorted(span, hi, "right")]
            )
        rows = np.sort(np.concatenate(pieces)) if pieces else np.zeros(0, dtype=np.int64)
        if rows.size == 0:
            continue  # compiling the whole set above already raised any error an empty partition could
        ids = {ags[a].id for a in index}
        parts.append(
            Partition(
                index,
                AgreementSet(tuple(ags[a] for a in index)),
                _take(receipts, rows),
                lo,
                hi,
                shares,
                tuple(c for c in contributions if c.agreement in ids),
            )
        )
    stats = attribute(agreements, indicators) if indicators is not None else []
    return Plan(
        tuple(parts),
        agreements,
        whole.jurisdictions,
        receipts.tax_types,
        first,
        last,
        rec_p,
        outside,
        hq_report,
        stats,
    )


def settle_partition(part: Partition) -> Settlement:
    """The engine, unchanged, on one partition (this is what runs on a worker)."""
    return settle(
        part.receipts,
        part.agreements,
        part.first,
        part.last,
        local_shares=part.local_shares,
        contributions=part.contributions,
        check=True,
    )


def combine(plan: Plan, results: Iterable[Settlement]) -> Settlement:
    """One ``Settlement`` from the partitions' results, equal to what a single ``settle`` returns."""
    results = list(results)
    first, n_per, n_jur = plan.first, plan.last - plan.first + 1, len(plan.jurisdictions)
    cols: dict[str, list[IntArray]] = {c: [] for c in _ALLOC}
    collected = np.zeros((n_per, n_jur), dtype=np.int64)
    entitled = np.zeros((n_per, n_jur), dtype=np.int64)
    scope_p, base_p, alloc_p = (np.zeros(n_per, dtype=np.int64) for _ in range(3))
    groups = 0
    for part, res in zip(plan.partitions, results, strict=True):
        if res.jurisdictions != plan.jurisdictions:
            raise AssertionError("a partition coded treasuries differently")
        for c in _ALLOC:
            cols[c].append(getattr(res, c))
        cols["alloc_agreement"][-1] = np.asarray(part.agreement_index, dtype=np.int64)[res.alloc_agreement]
        np.add.at(collected, (res.pos_period - first, res.pos_jurisdiction), res.pos_collected)
        np.add.at(entitled, (res.pos_period - first, res.pos_jurisdiction), res.pos_entitled)
        for period, row in res.per_period.items():
            k = parse_period(period) - first
            scope_p[k] += row["in_agreements_fen"]
            base_p[k] += row["base_fen"]
            alloc_p[k] += row["allocated_fen"]
        groups += res.totals["groups"]
    alloc = {c: np.concatenate(v) if v else np.zeros(0, dtype=np.int64) for c, v in cols.items()}
    # the engine emits allocations sorted by (agreement, tax type, period, party slot)
    order = np.lexsort(
        (alloc["alloc_party"], alloc["alloc_period"], alloc["alloc_tax"], alloc["alloc_agreement"])
    )
    alloc = {c: v[order] for c, v in alloc.items()}
    net = entitled - collected
    pp, pjur = np.nonzero((collected != 0) | (entitled != 0))
    transfers = transfers_from_net(net, first, plan.jurisdictions)
    rec_p = plan.receipts_per_period
    per_period, totals = summary_figures(
        first, rec_p, scope_p, base_p, alloc_p, transfers, plan.outside_fen, groups
    )
    ags = plan.agreements.agreements
    return Settlement(
        agreement_ids=tuple(a.id for a in ags),
        roles=tuple(tuple(p.role for p in a.parties) for a in ags),
        tax_types=plan.tax_types,
        jurisdictions=plan.jurisdictions,
        **alloc,
        pos_period=pp + first,
        pos_jurisdiction=pjur,
        pos_collected=collected[pp, pjur],
        pos_entitled=entitled[pp, pjur],
        pos_net=net[pp, pjur],
        transfers=transfers,
        totals=totals,
        per_period=per_period,
        statistics=plan.statistics,
        headquarters=plan.headquarters,
    )


def settle_partitioned(
    receipts: Receipts,
    agreements: AgreementSet,
    first: int,
    last: int,
    *,
    map_fn: Callable[[Callable[[Partition], Settlement], Sequence[Partition]], Iterable[Settlement]] = map,
    **options: Any,
) -> Settlement:
    """``settle`` by partitions through any ``map`` (the built-in one, a process pool, a cluster)."""
    plan = partitions(receipts, agreements, first, last, **options)
    return combine(plan, map_fn(settle_partition, plan.partitions))


def settle_distributed(
    client: Client, receipts: Receipts, agreements: AgreementSet, first: int, last: int, **options: Any
) -> Settlement:
    """``settle`` with the partitions run on a Dask cluster, e.g. ``Client("scheduler:8786")``."""

    def dask_map(fn: Callable[[Partition], Settlement], parts: Sequence[Partition]) -> list[Settlement]:
        # pure=False: two partitions with equal contents are still two jobs, each result kept in order
        futures = client.map(fn, parts, pure=False)
        return list(client.gather(futures))

    return settle_partitioned(receipts, agreements, first, last, map_fn=dask_map, **options)


_ALLOC = (
    "alloc_agreement",
    "alloc_tax",
    "alloc_period",
    "alloc_party",
    "alloc_jurisdiction",
    "alloc_base",
    "alloc_share",
    "alloc_ratio_bp",
)


def _take(r: Receipts, rows: IntArray) -> Receipts:
    return replace(
        r,
        enterprise=r.enterprise[rows],
        jurisdiction=r.jurisdiction[rows],
        period=r.period[rows],
        tax_type=r.tax_type[rows],
        amount=r.amount[rows],
        project=None if r.project is None else r.project[rows],
    )


def _concat(a: Receipts, b: Receipts) -> Receipts:
    if len(b) == 0:
        return a
    project = None
    if a.project is not None and b.project is not None:
        project = np.concatenate([a.project, b.project])
    return replace(
        a,
        enterprise=np.concatenate([a.enterprise, b.enterprise]),
        jurisdiction=np.concatenate([a.jurisdiction, b.jurisdiction]),
        period=np.concatenate([a.period, b.period]),
        tax_type=np.concatenate([a.tax_type, b.tax_type]),
        amount=np.concatenate([a.amount, b.amount]),
        project=project,
    )
