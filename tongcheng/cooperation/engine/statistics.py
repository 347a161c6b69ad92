"""Statistical attribution of indicators (S-B3: 统计分算), kept apart from the fiscal split.

An agreement may state ratios per indicator (GDP/value added, industrial output, fixed-asset investment,
revenue) that differ from its tax ratios. Without a ratio the indicator is counted where the activity is
(在地统计): the host gets all of it. ``attributed`` always adds up to the enterprises' total. With
``double_count`` (Guangxi pattern) every party may also count the whole figure for performance appraisal
only: that figure is reported in ``appraisal`` with ``appraisal_only`` set, and must not be published or
summed across parties.
"""

from __future__ import annotations

from collections import defaultdict

from .rounding import split_exact
from .types import INDICATORS, AgreementSet, EngineInputError, IndicatorRows, format_period


def attribute(agreements: AgreementSet, rows: IndicatorRows) -> list[dict[str, object]]:
    owner: dict[str, int] = {}
    for a, ag in enumerate(agreements.agreements):
        for e in ag.enterprises:
            owner.setdefault(e, a)
    sums: dict[tuple[int, int, str], int] = defaultdict(int)
    for n, (e, p, ind, v) in enumerate(
        zip(rows.enterprise, rows.period, rows.indicator, rows.value, strict=True)
    ):
        if ind not in INDICATORS:
            raise EngineInputError(
                f"unknown indicator {ind!r} (one of {', '.join(INDICATORS)})", f"row {n + 2}"
            )
        which = owner.get(e)
        if which is not None:
            sums[(which, p, ind)] += v
    out: list[dict[str, object]] = []
    for (a, p, ind), total in sorted(sums.items()):
        ag = agreements.agreements[a]
        rule = ag.statistics
        n_p = len(ag.parties)
        if rule is not None and ind in rule.bp:
            parts = split_exact(total, list(rule.bp[ind]), [ag.tie_order.index(i) for i in range(n_p)])
            method = "ratio"
        else:
            host = next((i for i, p in enumerate(ag.parties) if p.role == "host"), 0)
            parts = [total if i == host else 0 for i in range(n_p)]
            method = "in_place"
        double = rule is not None and rule.double_count
        for i, party in enumerate(ag.parties):
            out.append(
                {
                    "agreement": ag.id,
                    "period": format_period(p),
                    "indicator": ind,
                    "jurisdiction": party.jurisdiction,
                    "role": party.role,
                    "total": total,
                    "attributed": parts[i],
                    "appraisal": total if double else parts[i],
                    "appraisal_only": double,
                    "method": method,
                }
            )
    return out
