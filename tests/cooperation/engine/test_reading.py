"""Receipts summed per settlement group while they are read (engine/reading.py) settle to the fen as the
receipts row by row: enterprises that agreements treat alike share a representative, projects likewise."""

from __future__ import annotations

import copy
import csv
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tongcheng.cooperation.engine import Receipts, parse_agreements, settle
from tongcheng.cooperation.engine.io import uscc_with_check
from tongcheng.cooperation.engine.reading import _HashTable, read_receipts_summed
from tongcheng.cooperation.engine.types import Contribution, format_period

from .test_properties import FIRST, LAST, LOCAL, scenario


def _by_name(res) -> tuple[dict, dict, dict]:  # noqa: ANN001
    shares = {
        (res.agreement_ids[a], res.tax_types[t], p, res.jurisdictions[j]): (b, s)
        for a, t, p, j, b, s in zip(
            res.alloc_agreement.tolist(),
            res.alloc_tax.tolist(),
            res.alloc_period.tolist(),
            res.alloc_jurisdiction.tolist(),
            res.alloc_base.tolist(),
            res.alloc_share.tolist(),
            strict=True,
        )
    }
    positions = {
        (p, res.jurisdictions[j]): (c, e, n)
        for p, j, c, e, n in zip(
            res.pos_period.tolist(),
            res.pos_jurisdiction.tolist(),
            res.pos_collected.tolist(),
            res.pos_entitled.tolist(),
            res.pos_net.tolist(),
            strict=True,
        )
    }
    return shares, positions, {"totals": res.totals, "per_period": res.per_period, "transfers": res.transfers}


@settings(
    max_examples=80,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(scenario(), st.data())
def test_property_summed_while_reading_settles_like_row_by_row(tmp_path: Path, sc: dict, data) -> None:  # noqa: ANN001
    """Given any scenario, its enterprises as valid credit codes (so the fast path over the bytes of the
    codes runs: check characters, hash-table lookup of the named codes), when the file is read and
    summed in small batches, then the settlement equals the one of the rows as they are."""
    doc = copy.deepcopy(sc["doc"])
    doc["agreements"][0]["scope"]["projects"] = ["P1"]  # a project scope (only one agreement names it)
    projects = [data.draw(st.sampled_from(["", "P1", "P2"])) for _ in sc["rows"]]
    names = sorted(
        {r[0] for r in sc["rows"]} | {e for a in doc["agreements"] for e in a["scope"]["enterprises"]}
    )
    code = {n: uscc_with_check(f"9132010{i:010d}") for i, n in enumerate(names)}
    for a in doc["agreements"]:
        a["scope"]["enterprises"] = [code[e] for e in a["scope"]["enterprises"]]
    rows = [(code[e], *rest) for e, *rest in sc["rows"]]
    agreements = parse_agreements(doc)
    contributions = [Contribution(*c) for c in sc["contributions"]]
    direct = settle(
        Receipts.from_columns(
            [x[0] for x in rows],
            [x[1] for x in rows],
            [format_period(x[2]) for x in rows],
            [x[3] for x in rows],
            [x[4] for x in rows],
            project=[p or None for p in projects],
        ),
        agreements,
        FIRST,
        LAST,
        local_shares=LOCAL,
        contributions=contributions,
    )
    path = tmp_path / "receipts.csv"
    with path.open("w", encoding="utf-8", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(["enterprise", "jurisdiction", "period", "tax_type", "amount", "project"])
        for (e, j, p, t, a), proj in zip(rows, projects, strict=True):
            writer.writerow([e, j, format_period(p), t, a, proj])
    errors: list[str] = []
    read = read_receipts_summed(path, {r.tax_type for r in LOCAL}, errors, agreements, batch_rows=3)
    assert errors == []
    assert read.rows == len(rows)
    assert read.receipts is not None
    assert len(read.receipts) <= len(rows)
    summed = settle(read.receipts, agreements, FIRST, LAST, local_shares=LOCAL, contributions=contributions)
    assert _by_name(summed) == _by_name(direct)


@settings(max_examples=60, deadline=None)
@given(
    st.lists(st.integers(1, 2**64 - 1), unique=True, max_size=300),
    st.lists(st.integers(1, 2**64 - 1), max_size=300),
    st.integers(0, 2),
)
def test_property_hash_table_finds_exactly_its_keys(keys: list[int], probes: list[int], crowd: int) -> None:
    """Keys crowded into few slots (low bits alike) still each find their own value; others find none."""
    import numpy as np

    keys = [(k << (8 * crowd)) & (2**64 - 1) or 1 for k in keys]
    keys = list(dict.fromkeys(keys))
    table = _HashTable(np.asarray(keys, dtype=np.uint64), np.arange(len(keys), dtype=np.int64))
    asked = keys + probes
    got = table.get(np.asarray(asked, dtype=np.uint64)).tolist()
    where = {k: i for i, k in enumerate(keys)}
    assert got == [where.get(k, -1) for k in asked]
