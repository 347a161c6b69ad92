"""An agreement set compiled into dense arrays over the receipts' vocabularies and the settled periods.

Compiling turns every per-agreement rule into table lookups, so that the per-row work is a few integer
gathers and one bincount, and the per-group work is whole-array arithmetic.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from .ratios import contribution_schedule, spec_for, step_at
from .types import (
    BP,
    Agreement,
    AgreementSet,
    CappedRatio,
    Contribution,
    ContributionRatio,
    EngineInputError,
    FixedRatio,
    IncrementRatio,
    IntArray,
    SteppedRatio,
    Term,
)

BoolArray = npt.NDArray[np.bool_]


@dataclass(frozen=True)
class CappedSpec:
    agreement: int
    slot: int
    cap: int
    consumed: int
    share_end: int
    extension_end: int  # -1 = no extension


@dataclass(frozen=True)
class Compiled:
    agreements: AgreementSet
    tax_types: tuple[str, ...]
    first: int
    n_per: int
    n_party: int
    scope: IntArray  # (n_enterprise * n_tax,) -> agreement-tax cell (agreement + 1) * n_tax + tax; 0 = none
    project_scope: IntArray | None  # (n_project * n_tax,) -> cell, -1 = none
    party_jur: IntArray  # (A, P) jurisdiction code in the settlement vocabulary, -1 = no party
    tie_rank: IntArray  # (A, P) place in the tie order; padding gets P
    active: BoolArray  # (A, T, N) the agreement shares this tax type in this period
    fraction: IntArray  # (A, T) base fraction, bp
    base_is_total: BoolArray  # (A,)
    ratio: IntArray  # (A, T, N, P) bp
    baseline: IntArray  # (A, T) stock baseline per month, fen (0 = no stock rule)
    stock_slot: IntArray  # (A,)
    capped: tuple[CappedSpec, ...]
    collected_in: BoolArray | None  # (A, J) treasuries whose collections the agreement shares; None = all

    def scope_strided(self, stride: int) -> IntArray:
        """``scope * stride``, cached: the hot path looks cells up already scaled to their key range."""
        cache = self.__dict__.setdefault("_strided", {})
        if stride not in cache:
            cache[stride] = self.scope * stride
        return cache[stride]


def compile_agreements(
    agreements: AgreementSet,
    enterprises: Sequence[str],
    projects: Sequence[str],
    tax_types: Sequence[str],
    jur_index: dict[str, int],
    first: int,
    last: int,
    contributions: Sequence[Contribution] = (),
) -> Compiled:
    ags = agreements.agreements
    n_a, n_t, n_per = len(ags), len(tax_types), last - first + 1
    n_p = max((len(a.parties) for a in ags), default=1)
    periods = np.arange(first, last + 1)
    all_taxes = np.arange(n_t, dtype=np.int64)

    # per-agreement scalars gathered in one Python pass, then assembled as whole arrays
    party_jur = np.full((n_a, n_p), -1, dtype=np.int64)
    tie_rank = np.full((n_a, n_p), n_p, dtype=np.int64)
    pj_rows = [[jur_index[p.jurisdiction] for p in ag.parties] + [-1] * (n_p - len(ag.parties)) for ag in ags]
    tie_rows = [[ag.tie_order.index(i) if i < len(ag.parties) else n_p for i in range(n_p)] for ag in ags]
    if n_a:
        party_jur[:] = pj_rows
        tie_rank[:] = tie_rows
    cover = np.ones((n_a, n_t), dtype=bool)
    tax_pos = {t: i for i, t in enumerate(tax_types)}
    for a, ag in enumerate(ags):
        if ag.tax_types:
            cover[a] = False
            cover[a, [tax_pos[t] for t in ag.tax_types if t in tax_pos]] = True
    start = np.array([ag.term.start for ag in ags], dtype=np.int64)
    end = np.array([_term_end(ag.term, last) for ag in ags], dtype=np.int64)
    in_term = (periods[None, :] >= start[:, None]) & (periods[None, :] <= end[:, None])
    active = cover[:, :, None] & in_term[:, None, :]
    base_is_total = np.array([ag.base.kind == "total" for ag in ags], dtype=bool)
    fraction = np.full((n_a, n_t), BP, dtype=np.int64)
    for a, ag in enumerate(ags):
        fb = ag.base.fraction_bp
        if len(fb) == 1 and "*" in fb:
            fraction[a] = fb["*"]
        else:
            fraction[a] = [ag.base.fraction_for(t) for t in tax_types]

    scope, project_scope = _scopes(ags, enterprises, projects, n_t, cover)

    ratio = np.zeros((n_a, n_t, n_per, n_p), dtype=np.int64)
    baseline = np.zeros((n_a, n_t), dtype=np.int64)
    stock_slot = np.zeros(n_a, dtype=np.int64)
    capped: list[CappedSpec] = []
    contrib_rows: dict[str, list[tuple[str, int, int]]] = defaultdict(list)
    for c in contributions:
        contrib_rows[c.agreement].append((c.jurisdiction, c.period, c.amount_fen))
    uniform_a: list[int] = []
    full_cover = [bool(x) for x in np.asarray(cover.all(axis=1))]
    all_list = all_taxes.tolist()
    uniform_bp: list[list[int]] = []
    for a, ag in enumerate(ags):
        np_a = len(ag.parties)
        covered = all_list if full_cover[a] else np.flatnonzero(cover[a]).tolist()
        rule = ag.ratio
        if isinstance(rule, FixedRatio | IncrementRatio | CappedRatio):
            if len(rule.bp) == 1 and "*" in rule.bp:
                uniform_a.append(a)
                uniform_bp.append(list(rule.bp["*"]) + [0] * (n_p - np_a))
            else:
                for t in covered:
                    ratio[a, t, :, :np_a] = spec_for(rule.bp, tax_types[t], ag.id)
            if isinstance(rule, IncrementRatio):
                baseline[a, :] = [rule.baseline_for(t) for t in tax_types]
                stock_slot[a] = rule.stock_party
            if isinstance(rule, CappedRatio):
                for t in covered:
                    if spec_for(rule.bp, tax_types[t], ag.id)[rule.capped_party] >= BP:
                        raise EngineInputError(
                            f"agreement {ag.id}: the capped party cannot hold the whole ratio"
                        )
                capped.append(
                    CappedSpec(
                        a,
                        rule.capped_party,
                        rule.cap_fen,
                        rule.consumed_fen,
                        rule.share_end,
                        -1 if rule.extension_end is None else rule.extension_end,
                    )
                )
        elif isinstance(rule, SteppedRatio):
            starts = [s.start for s in rule.steps]
            for k, p in enumerate(range(first, last + 1)):
                if not in_term[a, k]:
                    continue
                step = rule.steps[step_at(starts, p, ag.id)]
                for t in covered:
                    ratio[a, t, k, :np_a] = spec_for(step.bp, tax_types[t], ag.id)
        elif isinstance(rule, ContributionRatio):
            members = {p.jurisdiction for p in ag.parties}
            unknown = [j for j, _, _ in contrib_rows[ag.id] if j not in members]
            if unknown:
                raise EngineInputError(f"agreement {ag.id}: contribution by non-party {unknown[0]}")
            sched = contribution_schedule(ag, rule, first, n_per, contrib_rows[ag.id])
            ratio[a, :, :, :np_a] = np.asarray(sched, dtype=np.int64)[None, :, :]
    if uniform_a:
        ratio[uniform_a] = np.asarray(uniform_bp, dtype=np.int64)[:, None, None, :]
    collected_in = None
    if any(ag.collected_in for ag in ags):
        collected_in = np.ones((n_a, len(jur_index)), dtype=bool)
        for a, ag in enumerate(ags):
            if ag.collected_in:
                collected_in[a] = False
                collected_in[a, [jur_index[j] for j in ag.collected_in if j in jur_index]] = True
    return Compiled(
        agreements,
        tuple(tax_types),
        first,
        n_per,
        n_p,
        scope,
        project_scope,
        party_jur,
        tie_rank,
        active,
        fraction,
        base_is_total,
        ratio,
        baseline,
        stock_slot,
        tuple(capped),
        collected_in,
    )


def _term_end(term: Term, last: int) -> int:
    end = term.end if term.end is not None else last
    if term.extended and term.extension_end is not None:
        end = term.extension_end
    return end


def _codes(vocabulary: Sequence[str], names: list[str]) -> IntArray:
    """Codes of ``names`` in ``vocabulary`` (-1 = absent)."""
    index = {e: i for i, e in enumerate(vocabulary)}
    return np.fromiter((index.get(e, -1) for e in names), dtype=np.int64, count=len(names))


def _scopes(
    ags: Sequence[Agreement], enterprises: Sequence[str], projects: Sequence[str], n_t: int, cover: BoolArray
) -> tuple[IntArray, IntArray | None]:
    """Dense lookups (enterprise, tax) -> agreement-tax cell, and the same for projects."""
    names = [e for ag in ags for e in ag.enterprises]
    owner = np.repeat(np.arange(len(ags), dtype=np.int64), [len(ag.enterprises) for ag in ags])
    codes = _codes(enterprises, names)
    scope = np.tile(np.arange(n_t, dtype=np.int64), len(enterprises))
    _fill(scope, codes, owner, n_t, cover)
    project_scope = None
    if projects:
        pnames = [p for ag in ags for p in ag.projects]
        powner = np.repeat(np.arange(len(ags), dtype=np.int64), [len(ag.projects) for ag in ags])
        project_scope = np.full(len(projects) * n_t, -1, dtype=np.int64)
        _fill(project_scope, _codes(projects, pnames), powner, n_t, cover)
    return scope, project_scope


def _fill(table: IntArray, codes: IntArray, owner: IntArray, n_t: int, cover: BoolArray) -> None:
    known = codes >= 0
    codes, owner = codes[known], owner[known]
    cells = codes[:, None] * n_t + np.arange(n_t)[None, :]
    value = (owner[:, None] + 1) * n_t + np.arange(n_t)[None, :]
    use = cover[owner]
    table[cells[use]] = value[use]
