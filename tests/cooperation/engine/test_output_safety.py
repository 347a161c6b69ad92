"""Formula injection in the settlement engine's result files (issue 6, point 6): text that Excel or WPS would
run as a formula (an agreement id, a role, an enterprise, a unit) is written with one leading quote, while
amounts, negative ones included, stay plain numbers."""

from __future__ import annotations

import csv
import re
import shutil
from pathlib import Path

from tongcheng.cooperation.cli import main

ROOT = Path(__file__).resolve().parents[3]
EXAMPLES = ROOT / "examples" / "settlement"
NUMBER = re.compile(r"^-?\d+(\.\d+)?$")

SUBSTITUTIONS = {
    "NQ-PK-2021": "=NQ-PK-2021",  # agreements.json: an agreement id
    '"role": "partner"': '"role": "+partner"',  # agreements.json: a party's role
    "91320115MA2X00070E": "@91320115MA2X00070E",  # receipts, factors, agreements: a head-office enterprise
    ",SALES,": ",-SALES,",  # factors.csv: a unit
}


def _inputs(tmp: Path) -> Path:
    folder = tmp / "in"
    shutil.copytree(EXAMPLES, folder)
    for path in folder.iterdir():
        text = path.read_text(encoding="utf-8")
        for old, new in SUBSTITUTIONS.items():
            text = text.replace(old, new)
        path.write_text(text, encoding="utf-8")
    return folder


def _read(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f))


def test_settlement_files_quote_formula_text(tmp_path):
    """Given the example set with an agreement id starting with '=', a role with '+', a head-office credit
    code with '@' and a unit with '-', when it is settled, then each result file writes those texts with one
    leading quote, no other cell starts with a formula character unless it is a number, and negative
    amounts are plain numbers."""
    folder = _inputs(tmp_path)
    out = tmp_path / "out"
    code = main(
        [
            "settle",
            *("--receipts", str(folder / "receipts.csv")),
            *("--agreements", str(folder / "agreements.json")),
            *("--factors", str(folder / "factors.csv")),
            *("--contributions", str(folder / "contributions.csv")),
            *("--indicators", str(folder / "indicators.csv")),
            *("--periods", "2026-01..2026-03"),
            *("--out", str(out)),
            "--no-uscc-check",
        ]
    )
    assert code == 0
    files = {name: _read(out / name) for name in ("allocations.csv", "positions.csv", "transfers.csv")}
    files["statistics.csv"] = _read(out / "statistics.csv")
    files["headquarters.csv"] = _read(out / "headquarters.csv")

    assert "'=NQ-PK-2021" in {r["agreement"] for r in files["allocations.csv"]}
    assert "'+partner" in {r["role"] for r in files["allocations.csv"]}
    assert "'=NQ-PK-2021" in {r["agreement"] for r in files["statistics.csv"]}
    assert "'+partner" in {r["role"] for r in files["statistics.csv"]}
    assert "'@91320115MA2X00070E" in {r["enterprise"] for r in files["headquarters.csv"]}
    assert "'-SALES" in {r["unit"] for r in files["headquarters.csv"]}
    for name, rows in files.items():
        for row in rows:
            for column, value in row.items():
                if value[:1] in ("=", "+", "-", "@", "\t", "\r"):
                    assert NUMBER.match(value), (name, column, value)
    nets = [int(r["net_fen"]) for r in files["positions.csv"]]
    assert min(nets) < 0
