"""Hypothesis properties of the engine: exactness invariants, every ratio rule against a naive reference,
independence from row order, symmetric refunds, and netting."""

from __future__ import annotations

from collections import defaultdict
from fractions import Fraction

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tongcheng.cooperation.engine import Receipts, parse_agreements, settle
from tongcheng.cooperation.engine.local_shares import load_shipped
from tongcheng.cooperation.engine.netting import net_transfers
from tongcheng.cooperation.engine.rounding import (
    round_half_even_div,
    scale_half_even,
    split_exact,
    split_largest_remainder,
)
from tongcheng.cooperation.engine.types import format_period, parse_period

from .reference import reference_shares

LOCAL = load_shipped()
JURS = ["320111", "341103", "320115", "340506", "341122"]
TAXES = ["VAT", "CIT", "ENV", "CONSUMPTION", "STAMP"]
FIRST, LAST = parse_period("2026-01"), parse_period("2026-06")
FAST = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])


# --------------------------------------------------------------------------- rounding primitives


def _half_even(x: Fraction) -> int:
    fl = x.numerator // x.denominator
    diff = x - fl
    if diff > Fraction(1, 2) or (diff == Fraction(1, 2) and fl % 2 == 1):
        return fl + 1
    return fl


@FAST
@given(
    st.lists(st.integers(-(10**15), 10**15) | st.integers(-(10**9), 10**9), min_size=1, max_size=30),
    st.integers(0, 10**8),
)
def test_scale_half_even_matches_fractions(amounts: list[int], mult: int) -> None:
    got = scale_half_even(
        np.array(amounts, dtype=np.int64), np.full(len(amounts), mult, dtype=np.int64), 10**8
    )
    assert got.tolist() == [_half_even(Fraction(a * mult, 10**8)) for a in amounts]
    assert [round_half_even_div(a * mult, 10**8) for a in amounts] == got.tolist()
    # both the one-division path (small products) and the split path (large ones) must agree
    small = [a % 10**9 - 5 * 10**8 for a in amounts]
    got_small = scale_half_even(
        np.array(small, dtype=np.int64), np.full(len(small), mult, dtype=np.int64), 10**8
    )
    assert got_small.tolist() == [_half_even(Fraction(a * mult, 10**8)) for a in small]


@FAST
@given(st.integers(-(10**9), 10**9))
def test_half_even_is_symmetric(x: int) -> None:
    assert round_half_even_div(-x, 7) == -round_half_even_div(x, 7)
    assert round_half_even_div(x * 5, 10) == _half_even(Fraction(x, 2))


bp_vectors = st.integers(1, 5).flatmap(
    lambda n: st.lists(st.integers(0, 10_000), min_size=n - 1, max_size=n - 1).map(
        lambda cuts: np.diff(np.array([0, *sorted(cuts), 10_000])).tolist()
    )
)


@FAST
@given(st.lists(st.tuples(st.integers(-(10**14), 10**14), bp_vectors), min_size=1, max_size=20), st.randoms())
def test_vector_split_matches_exact_split_and_adds_up(rows: list[tuple[int, list[int]]], rnd) -> None:  # noqa: ANN001
    width = max(len(r[1]) for r in rows)
    base = np.array([r[0] for r in rows], dtype=np.int64)
    ratio = np.array([r[1] + [0] * (width - len(r[1])) for r in rows], dtype=np.int64)
    tie = np.array([rnd.sample(range(width), width) for _ in rows], dtype=np.int64)
    parts = split_largest_remainder(base, ratio, tie)
    assert parts.sum(axis=1).tolist() == base.tolist()
    for i, (b, _bp) in enumerate(rows):
        assert parts[i].tolist() == split_exact(b, ratio[i].tolist(), tie[i].tolist())
        # symmetric refunds, and each part within one fen of its exact share
        assert (
            split_largest_remainder(-base[i : i + 1], ratio[i : i + 1], tie[i : i + 1])[0].tolist()
            == (-parts[i]).tolist()
        )
        for p, w in zip(parts[i].tolist(), ratio[i].tolist(), strict=True):
            assert abs(Fraction(p) - Fraction(b * w, 10_000)) < 1


# --------------------------------------------------------------------------- generated settlements


@st.composite
def scenario(
    draw: st.DrawFn,
    kinds: tuple[str, ...] = ("fixed", "stepped", "increment", "capped", "contribution", "total"),
) -> dict:
    n_ag = draw(st.integers(1, 3))
    ents = [f"E{i}" for i in range(draw(st.integers(n_ag, 6)))]
    owners = {e: (i % n_ag) for i, e in enumerate(ents)}
    ags = []
    contributions = []
    for a in range(n_ag):
        k = draw(st.integers(1, 4))
        parties = draw(st.permutations(JURS))[:k]
        bp = draw(bp_vectors.filter(lambda v, k=k: len(v) == k)) if k > 1 else [10_000]
        kind = draw(st.sampled_from(kinds))
        taxes = draw(st.sets(st.sampled_from(TAXES), max_size=3))
        doc = {
            "id": f"A{a}",
            "parties": [
                {"jurisdiction": j, "role": "host" if i == 0 else "partner"} for i, j in enumerate(parties)
            ],
            "tie_order": draw(st.permutations(parties)),
            "scope": {"enterprises": [e for e in ents if owners[e] == a]},
            "tax_types": sorted(taxes),
            "term": {
                "start": format_period(FIRST + draw(st.integers(-2, 2))),
                "end": format_period(LAST - draw(st.integers(-2, 2))),
            },
            "base": {"kind": "local_share", "fraction_bp": draw(st.integers(0, 10_000))},
            "ratio": {"kind": "fixed", "bp": bp},
        }
        if draw(st.booleans()):
            doc["scope"]["collected_in"] = draw(st.lists(st.sampled_from(JURS), unique=True, max_size=3))
        if kind == "stepped":
            doc["ratio"] = {
                "kind": "stepped",
                "steps": [
                    {"from": "2025-01", "bp": bp},
                    {
                        "from": format_period(FIRST + draw(st.integers(0, 5))),
                        "bp": {"VAT": bp[::-1], "*": bp},
                    },
                ],
            }
        elif kind == "increment":
            doc["ratio"] = {
                "kind": "increment",
                "bp": bp,
                "stock_party": draw(st.sampled_from(parties)),
                "baseline_fen": {"*": draw(st.integers(0, 10**6))},
            }
        elif kind == "capped" and k > 1:
            cp = draw(st.integers(0, k - 1))
            cbp = [0] * k
            cbp[cp] = 5000
            cbp[(cp + 1) % k] = 5000
            doc["ratio"] = {
                "kind": "capped",
                "bp": cbp,
                "capped_party": parties[cp],
                "cap_fen": draw(st.integers(0, 3 * 10**6)),
                "consumed_fen": draw(st.integers(0, 10**6)),
                "share_end": min(format_period(FIRST + draw(st.integers(0, 5))), doc["term"]["end"]),
                # within the term: an extension past the agreement's term is refused (issue 9)
                "extension_end": draw(st.sampled_from([None, doc["term"]["end"]])),
            }
        elif kind == "contribution":
            floor = [draw(st.integers(0, 10_000 // k)) for _ in range(k)]
            cap = [max(f, draw(st.integers(10_000 // k, 10_000))) for f in floor]
            initial = [10_000 // k] * k
            initial[0] += 10_000 - sum(initial)
            if all(f <= v <= c for f, v, c in zip(floor, initial, cap, strict=True)):
                doc["ratio"] = {
                    "kind": "contribution",
                    "floor_bp": floor,
                    "cap_bp": cap,
                    "initial_bp": initial,
                }
                for _ in range(draw(st.integers(0, 4))):
                    contributions.append(
                        (
                            f"A{a}",
                            draw(st.sampled_from(parties)),
                            FIRST + draw(st.integers(-1, 5)),
                            draw(st.integers(0, 10**7)),
                        )
                    )
        elif kind == "total":
            doc["base"] = {"kind": "total", "fraction_bp": {"VAT": draw(st.integers(0, 10_000)), "*": 2500}}
        ags.append(doc)
    rows = draw(
        st.lists(
            st.tuples(
                st.sampled_from(ents + ["OUT"]),
                st.sampled_from(JURS),
                st.integers(FIRST - 1, LAST + 1),
                st.sampled_from(TAXES),
                st.integers(-(10**9), 10**9) | st.integers(-5000, 5000),
            ),
            min_size=1,
            max_size=60,
        )
    )
    return {"doc": {"agreements": ags}, "rows": rows, "contributions": contributions}


def _run(sc: dict, rows: list | None = None):  # noqa: ANN202
    rows = sc["rows"] if rows is None else rows
    from tongcheng.cooperation.engine.types import Contribution

    r = Receipts.from_columns(
        [x[0] for x in rows],
        [x[1] for x in rows],
        [format_period(x[2]) for x in rows],
        [x[3] for x in rows],
        [x[4] for x in rows],
    )
    ag = parse_agreements(sc["doc"])
    contrib = [Contribution(*c) for c in sc["contributions"]]
    return settle(r, ag, FIRST, LAST, local_shares=LOCAL, contributions=contrib), ag


def _shares(res) -> dict[tuple[str, str, int, str], int]:  # noqa: ANN001
    out = {}
    for a, t, p, j, s in zip(
        res.alloc_agreement.tolist(),
        res.alloc_tax.tolist(),
        res.alloc_period.tolist(),
        res.alloc_jurisdiction.tolist(),
        res.alloc_share.tolist(),
        strict=True,
    ):
        out[(res.agreement_ids[a], res.tax_types[t], p, res.jurisdictions[j])] = s
    return out


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(scenario())
def test_engine_matches_naive_reference_for_every_rule(sc: dict) -> None:
    res, ag = _run(sc)
    ref, collected = reference_shares(sc["rows"], ag, FIRST, LAST, LOCAL, sc["contributions"])
    got = _shares(res)
    assert {k: v for k, v in got.items() if v} == {k: v for k, v in ref.items() if v}
    pos = {
        (p, res.jurisdictions[j]): c
        for p, j, c in zip(
            res.pos_period.tolist(), res.pos_jurisdiction.tolist(), res.pos_collected.tolist(), strict=True
        )
    }
    assert {k: v for k, v in pos.items() if v} == {k: v for k, v in collected.items() if v}


@FAST
@given(scenario())
def test_invariants_parts_base_receipts_positions(sc: dict) -> None:
    res, _ = _run(sc)
    # every group's parts add up to its base
    groups: dict[tuple[int, int, int], list[int]] = defaultdict(list)
    bases = {}
    for a, t, p, b, s in zip(
        res.alloc_agreement.tolist(),
        res.alloc_tax.tolist(),
        res.alloc_period.tolist(),
        res.alloc_base.tolist(),
        res.alloc_share.tolist(),
        strict=True,
    ):
        groups[(a, t, p)].append(s)
        bases[(a, t, p)] = b
    assert all(sum(v) == bases[k] for k, v in groups.items())
    # allocated + retained = receipts of the settled periods, per period and in total
    in_range = sum(x[4] for x in sc["rows"] if FIRST <= x[2] <= LAST)
    assert res.totals["receipts_fen"] == in_range
    assert res.totals["allocated_fen"] + res.totals["retained_fen"] == in_range
    assert res.totals["allocated_fen"] == res.totals["base_fen"] == sum(bases.values())
    for k in range(LAST - FIRST + 1):
        pp = res.per_period[format_period(FIRST + k)]
        assert pp["allocated_fen"] + pp["retained_fen"] == sum(x[4] for x in sc["rows"] if x[2] == FIRST + k)
    # positions net to zero each period, and the transfers settle them with at most n - 1 payments
    for k in range(LAST - FIRST + 1):
        sel = res.pos_period == FIRST + k
        assert int(res.pos_net[sel].sum()) == 0
        assert np.array_equal(res.pos_entitled[sel] - res.pos_collected[sel], res.pos_net[sel])
        net = {
            res.jurisdictions[j]: int(v)
            for j, v in zip(res.pos_jurisdiction[sel], res.pos_net[sel], strict=True)
        }
        tr = [t for t in res.transfers if t[0] == FIRST + k]
        nonzero = sum(1 for v in net.values() if v)
        assert len(tr) <= max(nonzero - 1, 0)
        for _, payer, payee, amt in tr:
            assert amt > 0
            net[payer] += amt
            net[payee] -= amt
        assert all(v == 0 for v in net.values())


@FAST
@given(scenario(), st.randoms())
def test_result_does_not_depend_on_row_order(sc: dict, rnd) -> None:  # noqa: ANN001
    a, _ = _run(sc)
    rows = list(sc["rows"])
    rnd.shuffle(rows)
    b, _ = _run(sc, rows)
    assert _shares(a) == _shares(b)
    assert a.transfers == b.transfers
    assert a.totals == b.totals


@FAST
@given(scenario(kinds=("fixed", "stepped", "increment", "total")))
def test_refunds_mirror_receipts(sc: dict) -> None:
    a, _ = _run(sc)
    b, _ = _run(sc, [(e, j, p, t, -x) for e, j, p, t, x in sc["rows"]])
    assert {k: -v for k, v in _shares(a).items() if v} == {k: v for k, v in _shares(b).items() if v}


@FAST
@given(
    st.dictionaries(st.sampled_from(JURS + ["320100", "340100"]), st.integers(-(10**9), 10**9), min_size=1)
)
def test_netting_at_most_n_minus_1_deterministic(pos: dict[str, int]) -> None:
    first = next(iter(pos))
    pos[first] -= sum(pos.values())
    tr = net_transfers(pos)
    n = sum(1 for v in pos.values() if v)
    assert len(tr) <= max(n - 1, 0)
    left = dict(pos)
    for payer, payee, amt in tr:
        assert amt > 0 and pos[payer] < 0 < pos[payee]
        left[payer] += amt
        left[payee] -= amt
    assert all(v == 0 for v in left.values())
    assert net_transfers(dict(reversed(list(pos.items())))) == tr
