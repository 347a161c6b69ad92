"""Head-office economy (S-B4, S-Z4): CIT apportionment under 国家税务总局公告2012年第57号, fiscal.md §2."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from tongcheng.cooperation.engine import BranchFactors, Receipts, parse_agreements, parse_period, settle
from tongcheng.cooperation.engine.headquarters import RATIO_SCALE, apportion, branch_ratios
from tongcheng.cooperation.engine.ratios import contribution_bp
from tongcheng.cooperation.engine.types import ContributionRatio

P = parse_period
HQ_ENT = "91320115MA2X00070E"
JIANGNING, LAIAN, BOWANG, WUHU, XUANCHENG = "320115", "341122", "340506", "340202", "341802"
M = 1_000_000 * 100  # one million yuan in fen


def worked_example_units(year: int = 2026) -> list[BranchFactors]:
    return [
        BranchFactors(HQ_ENT, "HQ", JIANGNING, year),
        BranchFactors(
            HQ_ENT,
            "A",
            LAIAN,
            year,
            revenue_fen=60 * M,
            payroll_fen=8 * M,
            assets_fen=50 * M,
            opened=P("2020-01"),
        ),
        BranchFactors(
            HQ_ENT,
            "B",
            BOWANG,
            year,
            revenue_fen=40 * M,
            payroll_fen=12 * M,
            assets_fen=30 * M,
            opened=P("2021-01"),
        ),
        BranchFactors(
            HQ_ENT,
            "C",
            WUHU,
            year,
            revenue_fen=10 * M,
            payroll_fen=1 * M,
            assets_fen=5 * M,
            opened=P(f"{year}-02"),
        ),  # new this year
        BranchFactors(
            HQ_ENT,
            "D",
            XUANCHENG,
            year,
            revenue_fen=0,
            payroll_fen=1 * M,
            assets_fen=9 * M,
            support_no_vat=True,
        ),  # a warehouse paying no local VAT
    ]


def test_worked_example_of_fiscal_md_section_2_exact() -> None:
    # T = 10,000,000 (here in fen, the figures are exact either way)
    rows = {
        u: (j, amt, r, why)
        for u, j, amt, r, why in apportion(HQ_ENT, P("2026-03"), 10_000_000, worked_example_units())
    }
    assert rows["A"] == (LAIAN, 2_687_500, 5_375_000_000, None)  # ratio 0.5375000000
    assert rows["B"] == (BOWANG, 2_312_500, 4_625_000_000, None)  # ratio 0.4625000000
    assert rows["HQ"][:2] == (JIANGNING, 2_500_000)
    assert rows["CENTRAL"][:2] == ("000000", 2_500_000)
    assert rows["C"][3] == "new_branch_first_year" and rows["C"][1] == 0
    assert rows["D"][3] == "support_unit_no_local_vat" and rows["D"][1] == 0


def test_worked_example_local_shares_through_the_engine() -> None:
    # the apportioned parts are what each treasury collects; 40% of each is local (central/local split of §2)
    r = Receipts.from_columns([HQ_ENT], [JIANGNING], ["2026-03"], ["CIT"], [10_000_000])
    doc = {
        "agreements": [
            {
                "id": "ALL",
                "parties": [
                    {"jurisdiction": LAIAN, "role": "host"},
                    {"jurisdiction": BOWANG, "role": "partner"},
                    {"jurisdiction": JIANGNING, "role": "origin"},
                ],
                "scope": {"enterprises": [HQ_ENT]},
                "term": {"start": "2026-01"},
                "ratio": {"kind": "fixed", "bp": [10_000, 0, 0]},
            }
        ]
    }
    res = settle(r, parse_agreements(doc), P("2026-03"), P("2026-03"), factors=worked_example_units())
    collected = {
        res.jurisdictions[j]: c
        for j, c in zip(res.pos_jurisdiction.tolist(), res.pos_collected.tolist(), strict=True)
    }
    # local shares: 来安 1,075,000; 博望 925,000; 江宁 (HQ locality) 1,000,000; central treasury part: none local
    assert collected == {LAIAN: 1_075_000, BOWANG: 925_000, JIANGNING: 1_000_000}
    assert sum(collected.values()) == 3_000_000  # 0.4 x 7,500,000 paid to local treasuries
    assert res.totals["receipts_fen"] == 10_000_000
    assert res.totals["allocated_fen"] + res.totals["retained_fen"] == 10_000_000
    hq = {x["unit"]: x for x in res.headquarters}
    assert hq["A"]["ratio"] == "0.5375000000" and hq["B"]["ratio"] == "0.4625000000"


def test_exclusions_small_low_profit_and_deregistered() -> None:
    units = worked_example_units()
    slp = [
        BranchFactors(
            u.enterprise,
            u.unit,
            u.jurisdiction,
            u.year,
            u.revenue_fen,
            u.payroll_fen,
            u.assets_fen,
            u.opened,
            u.closed,
            u.support_no_vat,
            small_low_profit=True,
        )
        for u in units
    ]
    rows = apportion(HQ_ENT, P("2026-05"), 1000, slp)
    paid = {u: amt for u, _, amt, _, why in rows if why is None}
    assert paid == {"HQ": 1000}  # no branch shares: the head office pays all
    assert {why for _, _, _, _, why in rows if why} == {"small_low_profit_prior_year"}
    closed = [
        u
        if u.unit != "B"
        else BranchFactors(
            u.enterprise,
            "B",
            u.jurisdiction,
            u.year,
            u.revenue_fen,
            u.payroll_fen,
            u.assets_fen,
            u.opened,
            closed=P("2026-04"),
        )
        for u in units
    ]
    before = {u: amt for u, _, amt, _, why in apportion(HQ_ENT, P("2026-03"), 1000, closed) if why is None}
    after = {u: (amt, why) for u, _, amt, _, why in apportion(HQ_ENT, P("2026-04"), 1000, closed)}
    assert before["B"] > 0
    assert after["B"] == (0, "deregistered") and after["A"][0] == 500  # A alone takes the branch half
    # a branch opened last year shares from January of this year (57号: set up Aug 2013 -> shares in 2014)
    newer = worked_example_units(2027)
    assert {u for u, _, _, _, why in apportion(HQ_ENT, P("2027-01"), 1000, newer) if why is None} >= {
        "A",
        "B",
    }


@settings(max_examples=60, deadline=None)
@given(
    st.lists(
        st.tuples(st.integers(0, 10**12), st.integers(0, 10**11), st.integers(0, 10**12)),
        min_size=1,
        max_size=8,
    ),
    st.integers(-(10**12), 10**12),
)
def test_ratios_sum_to_one_at_ten_decimals_and_parts_add_up(
    factors: list[tuple[int, int, int]], total: int
) -> None:
    units = [BranchFactors(HQ_ENT, "HQ", JIANGNING, 2026)] + [
        BranchFactors(HQ_ENT, f"B{i}", LAIAN, 2026, r, p, a) for i, (r, p, a) in enumerate(factors)
    ]
    ratios = branch_ratios(units[1:])
    assert sum(ratios) == RATIO_SCALE
    rows = apportion(HQ_ENT, P("2026-06"), total, units)
    assert sum(amt for _, _, amt, _, _ in rows) == total


def test_cost_linked_water_filling_with_binding_cap() -> None:
    rule = ContributionRatio(
        floor_bp=(1000, 1000, 1000), cap_bp=(9000, 9000, 5000), initial_bp=(4000, 3000, 3000)
    )
    assert contribution_bp((1, 1, 98), rule, (0, 1, 2)) == (2500, 2500, 5000)
    assert contribution_bp((0, 0, 0), rule, (0, 1, 2)) == (4000, 3000, 3000)
    # 1:1:1 -> 3333.33 each; the leftover basis point goes by the tie order
    assert contribution_bp((5, 5, 5), rule, (2, 0, 1)) == (3333, 3333, 3334)


@settings(max_examples=40, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.sampled_from([HQ_ENT, "E2"]),
            st.sampled_from([JIANGNING, LAIAN, BOWANG]),
            st.integers(1, 4),
            st.sampled_from(["CIT", "VAT"]),
            st.integers(-(10**9), 10**9),
        ),
        min_size=1,
        max_size=30,
    ),
    st.booleans(),
)
def test_apportionment_keeps_receipts_whole_through_the_engine(rows: list, slp: bool) -> None:  # noqa: ANN001
    units = [
        u
        if u.unit != "A"
        else BranchFactors(
            u.enterprise,
            "A",
            u.jurisdiction,
            u.year,
            u.revenue_fen,
            u.payroll_fen,
            u.assets_fen,
            small_low_profit=slp,
        )
        for u in worked_example_units()
    ]
    r = Receipts.from_columns(
        [x[0] for x in rows],
        [x[1] for x in rows],
        [f"2026-0{x[2]}" for x in rows],
        [x[3] for x in rows],
        [x[4] for x in rows],
    )
    doc = {
        "agreements": [
            {
                "id": "HQ",
                "parties": [
                    {"jurisdiction": LAIAN, "role": "host"},
                    {"jurisdiction": JIANGNING, "role": "origin"},
                ],
                "scope": {"enterprises": [HQ_ENT, "E2"]},
                "term": {"start": "2026-01"},
                "ratio": {"kind": "fixed", "bp": [5000, 5000]},
            }
        ]
    }
    res = settle(r, parse_agreements(doc), P("2026-01"), P("2026-04"), factors=units)
    total = sum(x[4] for x in rows)
    assert res.totals["receipts_fen"] == total
    assert res.totals["allocated_fen"] + res.totals["retained_fen"] == total
    for k in range(4):
        assert int(res.pos_net[res.pos_period == P("2026-01") + k].sum()) == 0
    # the central treasury's quarter is never a local base
    assert "000000" not in {res.jurisdictions[j] for j in res.pos_jurisdiction.tolist()}
    cit_by_month: dict[int, int] = {}
    for e, _, m, t, a in rows:
        if e == HQ_ENT and t == "CIT":
            cit_by_month[m] = cit_by_month.get(m, 0) + a
    assert len([x for x in res.headquarters if x["unit"] == "HQ"]) == len(cit_by_month)
