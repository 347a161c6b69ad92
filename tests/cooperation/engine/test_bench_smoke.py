"""The settlement benchmark still runs and agrees with its DuckDB reference (tiny size; not a timing test)."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

import pytest

BENCH = Path(__file__).resolve().parents[3] / "bench" / "settlement.py"


def test_benchmark_smoke(tmp_path: Path) -> None:
    pytest.importorskip("duckdb")
    spec = importlib.util.spec_from_file_location("bench_settlement", BENCH)
    assert spec and spec.loader
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    out = tmp_path / "settlement.json"
    assert mod.main(["--rows", "20000", "--agreements", "50", "--repeat", "1", "--out", str(out)]) == 0
    result = json.loads(out.read_text(encoding="utf-8"))
    assert result["simple"]["agree_to_the_fen"] is True
    assert result["rows"] == 20000 and result["mixed"]["groups"] > 0


def test_end_to_end_benchmark_smoke(tmp_path: Path) -> None:
    """bench/settlement_e2e.py runs the CLI and the DuckDB reference on a generated CSV, and both write
    the same allocations and positions to the fen (tiny size; not a timing test)."""
    pytest.importorskip("duckdb")
    path = BENCH.parent / "settlement_e2e.py"
    spec = importlib.util.spec_from_file_location("bench_settlement_e2e", path)
    assert spec and spec.loader
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    out = tmp_path / "e2e.json"
    assert mod.main(["--rows", "5000", "--agreements", "20", "--runs", "1", "--out", str(out)]) == 0
    result = json.loads(out.read_text(encoding="utf-8"))
    assert all(check["equal_to_the_fen"] for check in result["checks"].values())
    assert result["checks"]["allocations.csv"]["rows"] > 0
