"""Each sharing rule of fiscal.md §1.2 on small hand-checked figures (S-B2, S-B3, S-B4)."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tongcheng.cooperation.engine import (
    EngineInputError,
    IndicatorRows,
    Receipts,
    parse_agreements,
    parse_period,
    settle,
)
from tongcheng.cooperation.engine.local_shares import load_shipped
from tongcheng.cooperation.engine.statistics import attribute
from tongcheng.cooperation.engine.types import Contribution

P = parse_period
NQ, PK, JN, BW = "341103", "320111", "320115", "340506"


def agreement(ratio: dict, **kw: object) -> dict:
    doc = {
        "id": "A",
        "parties": [{"jurisdiction": NQ, "role": "host"}, {"jurisdiction": PK, "role": "partner"}],
        "scope": {"enterprises": ["E1"]},
        "term": {"start": "2026-01", "end": "2026-12"},
        "base": {"kind": "local_share"},
        "ratio": ratio,
    }
    doc.update(kw)
    return {"agreements": [doc]}


def run(
    doc: dict,
    rows: list[tuple[str, str, str, str, int]],
    first: str = "2026-01",
    last: str = "2026-12",
    **kw: object,
):  # noqa: ANN201
    r = Receipts.from_columns(
        *zip(*[(e, j, p, t) for e, j, p, t, _ in rows], strict=True), [x[4] for x in rows]
    )
    return settle(r, parse_agreements(doc), P(first), P(last), **kw)


def shares(res, period: str | None = None, tax: str | None = None) -> dict[str, int]:  # noqa: ANN001
    out: dict[str, int] = {}
    for t, p, j, s in zip(
        res.alloc_tax.tolist(),
        res.alloc_period.tolist(),
        res.alloc_jurisdiction.tolist(),
        res.alloc_share.tolist(),
        strict=True,
    ):
        if (period is None or p == P(period)) and (tax is None or res.tax_types[t] == tax):
            out[res.jurisdictions[j]] = out.get(res.jurisdictions[j], 0) + s
    return out


def test_fixed_7_3_on_district_level_fraction_of_local_share() -> None:
    # 浦口—南谯: district-level retained share taken as 40% of the local share (illustrative), split 7:3
    doc = agreement({"kind": "fixed", "bp": [7000, 3000]}, base={"kind": "local_share", "fraction_bp": 4000})
    res = run(doc, [("E1", NQ, "2026-01", "VAT", 1_000_000), ("E1", NQ, "2026-01", "CIT", 1_000_000)])
    # VAT: 1,000,000 x 50% x 40% = 200,000; CIT: x 40% x 40% = 160,000
    assert shares(res, tax="VAT") == {NQ: 140_000, PK: 60_000}
    assert shares(res, tax="CIT") == {NQ: 112_000, PK: 48_000}
    assert res.transfers == [(P("2026-01"), NQ, PK, 108_000)]


def test_local_share_per_tax_type_wholly_local_and_central() -> None:
    doc = agreement({"kind": "fixed", "bp": [5000, 5000]})
    rows = [("E1", NQ, "2026-01", t, 10_000) for t in ("ENV", "CONSUMPTION", "SEC_STAMP", "PIT")]
    res = run(doc, rows)
    assert shares(res, tax="ENV") == {NQ: 5000, PK: 5000}  # 100% local
    assert shares(res, tax="CONSUMPTION") == {NQ: 0, PK: 0}  # wholly central
    assert shares(res, tax="SEC_STAMP") == {NQ: 0, PK: 0}  # central since 2016
    assert shares(res, tax="PIT") == {NQ: 2000, PK: 2000}  # 40% local
    assert res.totals["retained_fen"] == 40_000 - 14_000


def test_base_as_fraction_of_total_and_per_tax_fraction() -> None:
    doc = agreement(
        {"kind": "fixed", "bp": [5000, 5000]}, base={"kind": "total", "fraction_bp": {"VAT": 1000, "*": 2000}}
    )
    res = run(doc, [("E1", NQ, "2026-01", "VAT", 100_000), ("E1", NQ, "2026-01", "CIT", 100_000)])
    assert shares(res, tax="VAT") == {NQ: 5000, PK: 5000}
    assert shares(res, tax="CIT") == {NQ: 10_000, PK: 10_000}


def test_half_even_rounding_once_per_treasury_and_tie_order() -> None:
    doc = agreement({"kind": "fixed", "bp": [5000, 5000]}, tie_order=[PK, NQ])
    # 5 fen VAT: local 2.5 -> 2 (half to even); 7 fen: 3.5 -> 4
    res = run(
        doc,
        [("E1", NQ, "2026-01", "VAT", 5), ("E1", NQ, "2026-02", "VAT", 7), ("E1", NQ, "2026-03", "VAT", 3)],
    )
    assert shares(res, "2026-01") == {NQ: 1, PK: 1}
    assert shares(res, "2026-02") == {NQ: 2, PK: 2}
    # 3 fen: local 1.5 -> 2 (half to even), split 1:1
    assert shares(res, "2026-03") == {NQ: 1, PK: 1}
    res = run(doc, [("E1", NQ, "2026-01", "VAT", 2)])  # base 1 fen, tie -> first in tie order (浦口)
    assert shares(res) == {NQ: 0, PK: 1}
    doc["agreements"][0]["tie_order"] = [NQ, PK]
    assert shares(run(doc, [("E1", NQ, "2026-01", "VAT", 2)])) == {NQ: 1, PK: 0}
    # a refund of the same size mirrors it
    assert shares(run(doc, [("E1", NQ, "2026-01", "VAT", -2)])) == {NQ: -1, PK: 0}


def test_stepped_ratio_changes_on_its_date() -> None:
    doc = agreement(
        {
            "kind": "stepped",
            "steps": [{"from": "2021-07", "bp": [8000, 2000]}, {"from": "2026-07", "bp": [6000, 4000]}],
        }
    )
    res = run(doc, [("E1", NQ, "2026-06", "VAT", 200_000), ("E1", NQ, "2026-07", "VAT", 200_000)])
    assert shares(res, "2026-06") == {NQ: 80_000, PK: 20_000}
    assert shares(res, "2026-07") == {NQ: 60_000, PK: 40_000}


def test_contribution_linked_ratio_uses_previous_periods_with_floor_and_cap() -> None:
    doc = agreement(
        {"kind": "contribution", "floor_bp": [3000, 1000], "cap_bp": [9000, 8000], "initial_bp": [5000, 5000]}
    )
    rows = [("E1", NQ, p, "VAT", 200_000) for p in ("2026-01", "2026-02", "2026-03")]
    contrib = [
        Contribution("A", NQ, P("2026-01"), 2_000_000),  # counts from February on
        Contribution("A", PK, P("2026-01"), 3_000_000),
        Contribution("A", PK, P("2026-02"), 95_000_000),
    ]
    res = run(doc, rows, contributions=contrib)
    assert shares(res, "2026-01") == {NQ: 50_000, PK: 50_000}  # nobody contributed yet: initial ratio
    assert shares(res, "2026-02") == {NQ: 40_000, PK: 60_000}  # 2:3, inside the bounds
    # 2:98 -> 南谯 raised to its 3000 bp floor; 浦口 gets the rest (7000 bp, under its 8000 cap)
    assert shares(res, "2026-03") == {NQ: 30_000, PK: 70_000}


def test_stock_stays_increment_is_shared_chuanyu() -> None:
    doc = agreement(
        {"kind": "increment", "bp": [5000, 5000], "stock_party": NQ, "baseline_fen": {"VAT": 60_000}}
    )
    res = run(
        doc,
        [
            ("E1", NQ, "2026-01", "VAT", 200_000),
            ("E1", NQ, "2026-02", "VAT", 100_000),
            ("E1", NQ, "2026-03", "VAT", -200_000),
        ],
    )
    assert shares(res, "2026-01") == {NQ: 60_000 + 20_000, PK: 20_000}
    assert shares(res, "2026-02") == {NQ: 50_000, PK: 0}  # below the baseline: all stock
    assert shares(res, "2026-03") == {NQ: -80_000, PK: -20_000}  # refunds mirror


def jjj(cap: int, consumed: int = 0, extension: str | None = "2026-12") -> dict:
    return agreement(
        {
            "kind": "capped",
            "bp": [5000, 5000],
            "capped_party": PK,
            "cap_fen": cap,
            "consumed_fen": consumed,
            "share_end": "2026-03",
            "extension_end": extension,
        },
        parties=[{"jurisdiction": BW, "role": "host"}, {"jurisdiction": PK, "role": "origin"}],
    )


def test_capped_origin_stops_at_cap_then_host_keeps_rest() -> None:
    rows = [("E1", BW, p, "VAT", 200_000) for p in ("2026-01", "2026-02", "2026-03", "2026-04")]
    res = run(jjj(cap=120_000), rows)  # origin takes 50,000 a month until the cap
    assert shares(res, "2026-01") == {BW: 50_000, PK: 50_000}
    assert shares(res, "2026-02") == {BW: 50_000, PK: 50_000}
    assert shares(res, "2026-03") == {BW: 80_000, PK: 20_000}
    assert shares(res, "2026-04") == {BW: 100_000, PK: 0}  # cap reached in term: no extension
    assert shares(res)[PK] == 120_000


def test_capped_extension_when_cap_not_reached_and_consumed_carried() -> None:
    rows = [("E1", BW, p, "VAT", 200_000) for p in ("2026-03", "2026-04", "2026-05")]
    res = run(jjj(cap=1_000_000, consumed=880_000), rows)
    assert shares(res, "2026-03")[PK] == 50_000
    assert shares(res, "2026-04")[PK] == 50_000  # extension: the cap was not reached by 2026-03
    assert shares(res, "2026-05")[PK] == 20_000  # reaches 1,000,000 exactly
    res = run(jjj(cap=1_000_000, extension=None), rows)
    assert shares(res, "2026-04") == {BW: 100_000, PK: 0}  # no extension agreed


def test_capped_refund_reopens_room() -> None:
    rows = [
        ("E1", BW, "2026-01", "VAT", 400_000),
        ("E1", BW, "2026-02", "VAT", -200_000),
        ("E1", BW, "2026-03", "VAT", 400_000),
    ]
    res = run(jjj(cap=100_000), rows)
    assert shares(res, "2026-01")[PK] == 100_000
    assert shares(res, "2026-02")[PK] == -50_000
    assert shares(res, "2026-03")[PK] == 50_000


def test_term_limits_and_extension() -> None:
    doc = agreement(
        {"kind": "fixed", "bp": [5000, 5000]},
        term={"start": "2026-02", "end": "2026-03", "extension_end": "2026-04", "extended": True},
    )
    rows = [("E1", NQ, p, "VAT", 20_000) for p in ("2026-01", "2026-02", "2026-04", "2026-05")]
    res = run(doc, rows)
    assert shares(res, "2026-01") == {NQ: 0, PK: 0}
    assert shares(res, "2026-04") == {NQ: 5_000, PK: 5_000}
    assert shares(res, "2026-05") == {NQ: 0, PK: 0}


def test_park_and_project_scopes_and_collected_in() -> None:
    doc = {
        "parks": {"PK1": ["E1", "E2"]},
        "agreements": [
            {
                "id": "PARK",
                "parties": [{"jurisdiction": NQ, "role": "host"}, {"jurisdiction": PK, "role": "partner"}],
                "scope": {"parks": ["PK1"], "collected_in": [NQ]},
                "term": {"start": "2026-01"},
                "ratio": {"kind": "fixed", "bp": [5000, 5000]},
            },
            {
                "id": "PROJ",
                "parties": [{"jurisdiction": JN, "role": "host"}, {"jurisdiction": BW, "role": "partner"}],
                "scope": {"projects": ["华诺半导体"]},
                "term": {"start": "2026-01"},
                "ratio": {"kind": "fixed", "bp": [5000, 5000]},
            },
        ],
    }
    rows = [
        ("E1", NQ, "2026-01", "VAT", 20_000),
        ("E2", NQ, "2026-01", "VAT", 20_000),
        ("E2", PK, "2026-01", "VAT", 20_000),
        ("E9", JN, "2026-01", "VAT", 40_000),
    ]
    r = Receipts.from_columns(
        *zip(*[x[:4] for x in rows], strict=True),
        [x[4] for x in rows],
        project=[None, None, None, "华诺半导体"],
    )
    res = settle(r, parse_agreements(doc), P("2026-01"), P("2026-01"))
    got = {
        (res.agreement_ids[a], res.jurisdictions[j]): s
        for a, j, s in zip(
            res.alloc_agreement.tolist(),
            res.alloc_jurisdiction.tolist(),
            res.alloc_share.tolist(),
            strict=True,
        )
    }
    # only what 南谯 collected from the park is shared (20,000 fen x2 x 50% local)
    assert got == {("PARK", NQ): 10_000, ("PARK", PK): 10_000, ("PROJ", JN): 10_000, ("PROJ", BW): 10_000}


def test_statistics_split_and_double_count_kept_apart() -> None:
    doc = agreement(
        {"kind": "fixed", "bp": [7000, 3000]}, statistics={"bp": {"gdp": [6000, 4000]}, "double_count": True}
    )
    ind = IndicatorRows(
        ("E1", "E1", "E1"), (P("2026-01"),) * 3, ("gdp", "industrial_output", "gdp"), (999, 1000, 2)
    )
    res = run(doc, [("E1", NQ, "2026-01", "VAT", 2)], indicators=ind)
    rows = {(r["indicator"], r["jurisdiction"]): r for r in res.statistics}
    assert rows[("gdp", NQ)]["attributed"] + rows[("gdp", PK)]["attributed"] == 1001
    assert (rows[("gdp", NQ)]["attributed"], rows[("gdp", PK)]["attributed"]) == (601, 400)
    # no statistical ratio for industrial output: counted where produced (在地统计), host gets all
    assert (rows[("industrial_output", NQ)]["attributed"], rows[("industrial_output", PK)]["attributed"]) == (
        1000,
        0,
    )
    # appraisal-only double counting: both sides may count the whole figure, flagged
    assert (
        rows[("industrial_output", PK)]["appraisal"] == 1000
        and rows[("industrial_output", PK)]["appraisal_only"]
    )
    # the fiscal split is untouched by the statistical ratios
    assert shares(res) == {NQ: 1, PK: 0}


@pytest.mark.parametrize(
    ("mutate", "path"),
    [
        (lambda d: d["agreements"][0]["ratio"].update(bp=[7000, 2000]), "agreements[0].ratio.bp"),
        (
            lambda d: d["agreements"][0]["parties"][0].update(jurisdiction="34110"),
            "agreements[0].parties[0].jurisdiction",
        ),
        (lambda d: d["agreements"][0]["term"].update(start="2026-13"), "agreements[0].term.start"),
        (lambda d: d["agreements"][0]["ratio"].update(kind="magic"), "agreements[0].ratio.kind"),
        (lambda d: d["agreements"][0].update(tie_order=[NQ]), "agreements[0].tie_order"),
        (lambda d: d["agreements"].append(dict(d["agreements"][0], id="B")), "agreements[1].scope"),
    ],
)
def test_agreement_errors_name_the_json_path(mutate, path: str) -> None:  # noqa: ANN001
    doc = agreement({"kind": "fixed", "bp": [7000, 3000]})
    mutate(doc)
    with pytest.raises(EngineInputError) as e:
        parse_agreements(doc, "agreements.json")
    assert f"agreements.json:{path}" in str(e.value)


def test_missing_local_share_is_an_error() -> None:
    doc = agreement({"kind": "fixed", "bp": [5000, 5000]})
    local = [r for r in load_shipped() if r.tax_type != "ENV"]
    with pytest.raises(EngineInputError, match="ENV"):
        run(doc, [("E1", NQ, "2026-01", "ENV", 100)], local_shares=local)


@settings(max_examples=50, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.sampled_from(["E1", "E2", "E3"]),
            st.integers(0, 2),
            st.sampled_from(["gdp", "industrial_output", "revenue"]),
            st.integers(-(10**12), 10**12),
        ),
        min_size=1,
        max_size=20,
    ),
    st.booleans(),
    st.lists(st.integers(0, 10_000), min_size=2, max_size=2),
)
def test_statistics_attributed_adds_up_and_double_count_only_in_appraisal(rows, double, cut) -> None:  # noqa: ANN001
    lo, hi = sorted(cut)
    bp = [lo, hi - lo, 10_000 - hi]
    doc = {
        "agreements": [
            {
                "id": "S",
                "parties": [
                    {"jurisdiction": j, "role": r} for j, r in ((NQ, "host"), (PK, "partner"), (JN, "origin"))
                ],
                "scope": {"enterprises": ["E1", "E2"]},
                "term": {"start": "2026-01"},
                "ratio": {"kind": "fixed", "bp": [10_000, 0, 0]},
                "statistics": {"bp": {"gdp": bp}, "double_count": double},
            }
        ]
    }
    ind = IndicatorRows(
        tuple(r[0] for r in rows),
        tuple(P("2026-01") + r[1] for r in rows),
        tuple(r[2] for r in rows),
        tuple(r[3] for r in rows),
    )
    out = attribute(parse_agreements(doc), ind)
    totals: dict[tuple[str, str], int] = {}
    for e, m, i, v in rows:
        if e != "E3":
            key = (f"2026-0{m + 1}", i)
            totals[key] = totals.get(key, 0) + v
    got: dict[tuple[str, str], int] = {}
    for r in out:
        key = (str(r["period"]), str(r["indicator"]))
        got[key] = got.get(key, 0) + int(r["attributed"])  # type: ignore[call-overload]
        assert r["appraisal"] == (r["total"] if double else r["attributed"])
        assert r["appraisal_only"] is double
    assert got == totals


def test_prepared_partition_gives_the_same_result_and_is_checked() -> None:
    from tongcheng.cooperation.engine import prepare

    doc = parse_agreements(agreement({"kind": "fixed", "bp": [7000, 3000]}))
    r = Receipts.from_columns(["E1", "E1"], [NQ, PK], ["2026-01", "2026-02"], ["VAT", "CIT"], [1001, -77])
    ready = prepare(r, doc, P("2026-01"), P("2026-03"))
    a = settle(r, doc, P("2026-01"), P("2026-03"))
    b = settle(r, doc, P("2026-01"), P("2026-03"), prepared=ready)
    assert a.alloc_share.tolist() == b.alloc_share.tolist() and a.transfers == b.transfers
    with pytest.raises(EngineInputError, match="prepared"):
        settle(r, doc, P("2026-01"), P("2026-04"), prepared=ready)


def test_receipts_with_codes_outside_their_vocabulary_are_rejected() -> None:
    from dataclasses import replace

    import numpy as np

    doc = parse_agreements(agreement({"kind": "fixed", "bp": [7000, 3000]}))
    r = Receipts.from_columns(["E1", "E2"], [NQ, PK], ["2026-01", "2026-02"], ["VAT", "CIT"], [1, 2])
    for bad in (
        replace(r, enterprise=np.array([0, 2])),
        replace(r, tax_type=np.array([-1, 0])),
        replace(r, jurisdiction=np.array([0, 5])),
        replace(r, project=np.array([-2, -1]), projects=()),
    ):
        with pytest.raises(EngineInputError, match="outside its vocabulary"):
            settle(bad, doc, P("2026-01"), P("2026-02"))
    settle(replace(r, project=np.array([-1, 0]), projects=("P",)), doc, P("2026-01"), P("2026-02"))
