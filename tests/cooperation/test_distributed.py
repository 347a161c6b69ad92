"""A settlement run per partition (agreement bundle x months) equals one ``settle`` call, to the fen.

The cluster tests start one ``distributed.LocalCluster(n_workers=2, threads_per_worker=1,
processes=True)`` for the module: two worker processes, so every partition and result crosses a pickle
boundary as it would between machines. The generated cases run the same partition/combine code through
the built-in ``map`` (no cluster), so Hypothesis can try many of them cheaply.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tongcheng.cooperation.engine import Receipts, Settlement, parse_agreements, settle
from tongcheng.cooperation.engine import local_shares as ls
from tongcheng.cooperation.engine.io import read_agreements, read_contributions, read_factors, read_indicators
from tongcheng.cooperation.engine.partitioned import partitions, settle_distributed, settle_partitioned
from tongcheng.cooperation.engine.reading import read_receipts_summed
from tongcheng.cooperation.engine.types import Contribution, parse_period_range

from .engine.test_properties import FIRST, LAST, LOCAL, scenario

EXAMPLES = Path(__file__).resolve().parents[2] / "examples" / "settlement"
PERIODS = "2026-01..2026-03"


def _examples() -> dict[str, Any]:
    """The example inputs read exactly as ``tongcheng settle`` reads them."""
    errors: list[str] = []
    shares = ls.load_shipped()
    first, last = parse_period_range(PERIODS)
    known = {r.tax_type for r in shares}
    agreements = read_agreements(EXAMPLES / "agreements.json", errors, known, periods=(first, last))
    factors = read_factors(EXAMPLES / "factors.csv", errors)
    read = read_receipts_summed(
        EXAMPLES / "receipts.csv",
        known,
        errors,
        agreements,
        head_offices={f.enterprise for f in factors or ()},
    )
    ids = {a.id for a in agreements.agreements} if agreements else None
    contributions = read_contributions(EXAMPLES / "contributions.csv", errors, ids)
    indicators = read_indicators(EXAMPLES / "indicators.csv", errors)
    assert not errors, errors
    return {
        "receipts": read.receipts,
        "agreements": agreements,
        "first": first,
        "last": last,
        "local_shares": shares,
        "factors": factors,
        "contributions": contributions,
        "indicators": indicators,
    }


def _scaled(inputs: dict[str, Any], rows: int, seed: int) -> dict[str, Any]:
    """The example receipts resampled to ``rows`` rows with new treasuries, months and amounts (refunds too)."""
    r: Receipts = inputs["receipts"]
    rng = np.random.default_rng(seed)
    pick = rng.integers(0, len(r), rows)
    big = Receipts(
        r.enterprise[pick],
        rng.integers(0, len(r.jurisdictions), rows),
        rng.integers(inputs["first"] - 1, inputs["last"] + 2, rows),
        r.tax_type[pick],
        rng.integers(-(10**6), 10**9, rows),
        r.enterprises,
        r.jurisdictions,
        r.tax_types,
    )
    return {**inputs, "receipts": big}


def _same(a: Settlement, b: Settlement) -> None:
    assert a.agreement_ids == b.agreement_ids and a.jurisdictions == b.jurisdictions
    for col in (
        "alloc_agreement",
        "alloc_tax",
        "alloc_period",
        "alloc_party",
        "alloc_jurisdiction",
        "alloc_base",
        "alloc_share",
        "alloc_ratio_bp",
        "pos_period",
        "pos_jurisdiction",
        "pos_collected",
        "pos_entitled",
        "pos_net",
    ):
        assert np.array_equal(getattr(a, col), getattr(b, col)), col
    assert a.transfers == b.transfers
    assert a.totals == b.totals
    assert a.per_period == b.per_period
    assert a.headquarters == b.headquarters
    assert a.statistics == b.statistics


def _single(inputs: dict[str, Any]) -> Settlement:
    i = dict(inputs)
    return settle(i.pop("receipts"), i.pop("agreements"), i.pop("first"), i.pop("last"), **i)


def _run(inputs: dict[str, Any], runner: Any, **sizes: int) -> Settlement:
    i = dict(inputs)
    return runner(i.pop("receipts"), i.pop("agreements"), i.pop("first"), i.pop("last"), **i, **sizes)


@pytest.fixture(scope="module")
def client() -> Iterator[Any]:
    distributed = pytest.importorskip("distributed")
    with (
        distributed.LocalCluster(
            n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None
        ) as cluster,
        distributed.Client(cluster) as c,
    ):
        yield c


def test_given_the_examples_when_split_by_agreement_and_month_then_partitions_are_many_and_disjoint() -> None:
    inputs = _examples()
    i = dict(inputs)
    plan = partitions(i.pop("receipts"), i.pop("agreements"), i.pop("first"), i.pop("last"), **i)
    # six agreements over three months, the capped one kept whole: more partitions than agreements
    assert len(plan.partitions) > len(inputs["agreements"].agreements)
    seen: set[tuple[int, int]] = set()
    for p in plan.partitions:
        for a in p.agreement_index:
            for m in range(p.first, p.last + 1):
                assert (a, m) not in seen
                seen.add((a, m))
    assert plan.headquarters, "the example has a head office: its 57号 apportionment runs once, centrally"


@pytest.mark.slow
def test_given_the_examples_when_settled_on_two_workers_then_equal_to_single_process_to_the_fen(
    client: Any,
) -> None:
    inputs = _examples()
    expected = _single(inputs)
    assert expected.transfers and expected.headquarters  # the comparison covers netting and 57号
    _same(_run(inputs, lambda *a, **k: settle_distributed(client, *a, **k)), expected)


@pytest.mark.slow
def test_given_200k_generated_rows_when_settled_on_two_workers_then_equal_to_single_process(
    client: Any,
) -> None:
    inputs = _scaled(_examples(), 200_000, seed=9)
    expected = _single(inputs)
    got = _run(inputs, lambda *a, **k: settle_distributed(client, *a, **k), agreements_per_partition=2)
    _same(got, expected)
    assert expected.totals["outside_periods_fen"] != 0 and len(expected.transfers) > 3
    assert expected.headquarters  # the 57号 head office is among the resampled rows


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(scenario(), st.integers(1, 3), st.integers(1, 3))
def test_given_any_generated_settlement_when_partitioned_and_combined_then_equal_to_settle(
    sc: dict, months: int, bundle: int
) -> None:
    rows = sc["rows"]
    inputs = {
        "receipts": Receipts.from_columns(
            [x[0] for x in rows],
            [x[1] for x in rows],
            [f"{x[2] // 12:04d}-{x[2] % 12 + 1:02d}" for x in rows],
            [x[3] for x in rows],
            [x[4] for x in rows],
        ),
        "agreements": parse_agreements(sc["doc"]),
        "first": FIRST,
        "last": LAST,
        "local_shares": LOCAL,
        "contributions": [Contribution(*c) for c in sc["contributions"]],
    }
    expected = _single(inputs)
    _same(
        _run(inputs, settle_partitioned, months_per_partition=months, agreements_per_partition=bundle),
        expected,
    )


def test_given_project_rows_in_another_agreements_enterprise_when_partitioned_then_project_wins() -> None:
    doc = {
        "agreements": [
            {
                "id": agreement,
                "parties": [
                    {"jurisdiction": host, "role": "host"},
                    {"jurisdiction": partner, "role": "partner"},
                ],
                "tie_order": [host, partner],
                "scope": scope,
                "term": {"start": "2026-01", "end": "2026-12"},
                "base": {"kind": "total", "fraction_bp": 10_000},
                "ratio": {"kind": "fixed", "bp": [6000, 4000]},
            }
            for agreement, host, partner, scope in (
                ("ENT", "320111", "341103", {"enterprises": ["E1"]}),
                ("PRJ", "340506", "320115", {"projects": ["P1"]}),
            )
        ]
    }
    receipts = Receipts.from_columns(
        ["E1", "E1", "E1"],
        ["320111", "320111", "341103"],
        ["2026-01", "2026-02", "2026-02"],
        ["VAT", "VAT", "VAT"],
        [1_000_001, 333, 70_000],
        project=[None, "P1", "P1"],
    )
    ag = parse_agreements(doc)
    expected = settle(receipts, ag, FIRST, LAST, local_shares=LOCAL)
    got = settle_partitioned(receipts, ag, FIRST, LAST, local_shares=LOCAL)
    _same(got, expected)
    prj = expected.agreement_ids.index("PRJ")
    assert int(expected.alloc_share[expected.alloc_agreement == prj].sum()) == 70_333
