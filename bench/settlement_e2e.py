"""End-to-end benchmark of ``tongcheng settle`` (read, validate, settle, write) against an independent
DuckDB reference that reads the same CSV, computes the same split in SQL and writes the same tables.

    .venv/bin/python bench/settlement_e2e.py [--rows 10000000] [--runs 3] [--large-rows 0]
        [--out bench/results/settlement_e2e.json]

The receipts CSV (synthetic, deterministic) is generated into a temporary folder and deleted afterwards.
Each contender runs as its own child process, timed by wall clock, its peak RSS and CPU time taken by GNU
time (``/usr/bin/time``). The runs are interleaved (order alternating), and every run's
ratio DuckDB/CLI is recorded. After the runs, the CLI's allocations.csv and positions.csv are compared with
the reference's, to the fen. ``--large-rows N`` additionally settles one N-row file with the CLI alone
(peak RSS only; the issue's 100,000,000-row case).

Workload: like bench/settlement.py (2,000 agreements with 2-4 parties on fixed ratios of the local
retained share, 12 months, 8 tax types, 2% refunds, 85% collected by the host), with valid credit codes
and jurisdictions that are real GB/T 2260 codes of the Nanjing metropolitan area, so the CLI's checks all
run. The DuckDB reference checks nothing beyond its typed CSV read; it does not net transfers (a few
hundred rows) and does not check credit codes, so it does less work than the CLI.
"""

from __future__ import annotations

import argparse
import csv as csvmod
import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

TAXES = ("VAT", "CIT", "PIT", "STAMP", "ENV", "URBAN_MAINT", "PROPERTY", "LAND_USE")
PERIODS = "2026-01..2026-12"
ENT_PER_AGREEMENT = 50
UNSCOPED_ENTERPRISES = 20_000
N_JUR = 40


def jurisdictions() -> list[str]:
    """40 county-level codes of the metropolitan area in use in 2026 (tongcheng/core/data)."""
    with (ROOT / "tongcheng" / "core" / "data" / "jurisdictions.csv").open(encoding="utf-8") as f:
        codes = [r["code"] for r in csvmod.DictReader(f) if r["level"] == "county" and not r["valid_to"]]
    return sorted(codes)[:N_JUR]


def enterprise_codes(n: int) -> np.ndarray:
    from tongcheng.cooperation.engine.io import uscc_with_check

    return np.array([uscc_with_check(f"91320100MA{i:07d}") for i in range(n)])


def make_inputs(folder: Path, rows: int, n_agreements: int, seed: int = 20260101) -> dict[str, object]:
    """Write receipts.csv (in chunks, bounded memory) and agreements.json; return the party table."""
    import polars as pl

    rng = np.random.default_rng(seed)
    jurs = np.array(jurisdictions())
    parties = []
    for _ in range(n_agreements):
        k = int(rng.integers(2, 5))
        parties.append([int(x) for x in rng.choice(len(jurs), size=k, replace=False)])
    n_ent = n_agreements * ENT_PER_AGREEMENT + UNSCOPED_ENTERPRISES
    ents = enterprise_codes(n_ent)
    agreements = []
    for a, ps in enumerate(parties):
        cuts = np.sort(rng.choice(np.arange(1, 100), size=len(ps) - 1, replace=False)) * 100
        bp = [int(x) for x in np.diff(np.concatenate([[0], cuts, [10_000]]))]
        agreements.append(
            {
                "id": f"AG{a:05d}",
                "parties": [
                    {"jurisdiction": str(jurs[j]), "role": "host" if i == 0 else "partner"}
                    for i, j in enumerate(ps)
                ],
                "tie_order": [str(jurs[j]) for j in reversed(ps)],
                "scope": {"enterprises": ents[a * ENT_PER_AGREEMENT : (a + 1) * ENT_PER_AGREEMENT].tolist()},
                "term": {"start": "2020-01", "end": "2040-12"},
                "base": {"kind": "local_share"},
                "ratio": {"kind": "fixed", "bp": bp},
            }
        )
    (folder / "agreements.json").write_text(json.dumps({"agreements": agreements}), encoding="utf-8")
    host = np.array([p[0] for p in parties] + [0], dtype=np.int64)
    periods = np.array([f"2026-{m:02d}" for m in range(1, 13)])
    taxes = np.array(TAXES)
    chunk = 2_000_000
    with (folder / "receipts.csv").open("wb") as f:
        for start in range(0, rows, chunk):
            n = min(chunk, rows - start)
            ent = rng.integers(0, n_ent, size=n, dtype=np.int64)
            agr = np.minimum(ent // ENT_PER_AGREEMENT, n_agreements)
            jur = np.where(rng.random(n) < 0.85, host[agr], rng.integers(0, len(jurs), size=n))
            amount = np.rint(rng.lognormal(np.log(1_000_000), 1.0, size=n)).astype(np.int64)
            amount[rng.random(n) < 0.02] *= -1
            frame = pl.DataFrame(
                {
                    "receipt_id": np.arange(start, start + n).astype(str),
                    "enterprise": ents[ent],
                    "jurisdiction": jurs[jur],
                    "period": periods[rng.integers(0, 12, size=n)],
                    "tax_type": taxes[rng.integers(0, len(TAXES), size=n)],
                    "amount": amount,
                }
            )
            frame.write_csv(f, include_header=start == 0)
    return {"parties": parties, "jurisdictions": jurs.tolist()}


# --- the DuckDB reference (run as a child: python bench/settlement_e2e.py --duckdb FOLDER OUT) ---------

DUCK_SQL = """
CREATE TEMP TABLE receipts AS
  SELECT enterprise, jurisdiction, period, tax_type, amount
  FROM read_csv('{csv}', header = true, delim = ',', quote = '"',
                columns = {{'receipt_id': 'VARCHAR', 'enterprise': 'VARCHAR', 'jurisdiction': 'VARCHAR',
                           'period': 'VARCHAR', 'tax_type': 'VARCHAR', 'amount': 'BIGINT'}});
CREATE TEMP TABLE sub AS
  SELECT s.agr, r.tax_type AS tax, r.period AS per, r.jurisdiction AS jur, SUM(r.amount)::HUGEINT AS amt
  FROM receipts r JOIN scope s ON r.enterprise = s.enterprise
  WHERE r.period BETWEEN '2026-01' AND '2026-12'
  GROUP BY ALL;
CREATE TEMP TABLE grp AS
  WITH rounded AS (
    SELECT agr, tax, per, jur,
           sign(amt) * (abs(amt) * l.bp // 10000 + CASE WHEN 2 * (abs(amt) * l.bp % 10000) > 10000
                     OR (2 * (abs(amt) * l.bp % 10000) = 10000 AND (abs(amt) * l.bp // 10000) % 2 = 1)
                     THEN 1 ELSE 0 END) AS b
    FROM sub JOIN local l USING (tax)
  )
  SELECT agr, tax, per, jur, b FROM rounded;
CREATE TEMP TABLE alloc AS
  WITH g AS (SELECT agr, tax, per, SUM(b) AS base FROM grp GROUP BY ALL),
  parts AS (
    SELECT g.agr, g.tax, g.per, p.slot, p.tie, p.jur, p.role, p.bp, g.base,
           abs(g.base) * p.bp // 10000 AS q, abs(g.base) * p.bp % 10000 AS rem
    FROM g JOIN parties p USING (agr)
  ), ranked AS (
    SELECT *, row_number() OVER (PARTITION BY agr, tax, per ORDER BY rem DESC, tie) AS rk,
           abs(base) - SUM(q) OVER (PARTITION BY agr, tax, per) AS leftover
    FROM parts
  )
  SELECT agr, per, tax, jur, role, bp, base::BIGINT AS base,
         (sign(base) * (q + CASE WHEN rk <= leftover THEN 1 ELSE 0 END))::BIGINT AS share, slot
  FROM ranked;
COPY (SELECT a.id AS agreement, per AS period, tax AS tax_type, jur AS jurisdiction, role, bp AS ratio_bp,
             base AS base_fen, share AS share_fen
      FROM alloc JOIN ids a USING (agr) ORDER BY agr, per, tax, slot)
  TO '{out}/allocations.csv' (HEADER, DELIMITER ',');
COPY (
  WITH c AS (SELECT per, jur, SUM(b) AS collected FROM grp GROUP BY ALL),
       e AS (SELECT per, jur, SUM(share) AS entitled FROM alloc GROUP BY ALL)
  SELECT per AS period, jur AS jurisdiction, coalesce(collected, 0)::BIGINT AS collected_fen,
         coalesce(entitled, 0)::BIGINT AS entitled_fen,
         (coalesce(entitled, 0) - coalesce(collected, 0))::BIGINT AS net_fen
  FROM c FULL JOIN e USING (per, jur)
  WHERE coalesce(collected, 0) <> 0 OR coalesce(entitled, 0) <> 0
  ORDER BY per, jur
) TO '{out}/positions.csv' (HEADER, DELIMITER ',');
"""


def duckdb_child(folder: Path, out: Path) -> None:
    import duckdb

    from tongcheng.cooperation.engine.local_shares import load_shipped

    doc = json.loads((folder / "agreements.json").read_text(encoding="utf-8"))
    con = duckdb.connect()
    con.execute("SET threads TO 2")
    import pyarrow as pa

    def table(name: str, columns: dict[str, list[object]]) -> None:
        con.register(f"{name}_arrow", pa.table(columns))
        con.execute(f"CREATE TEMP TABLE {name} AS SELECT * FROM {name}_arrow")

    ags = doc["agreements"]
    table(
        "scope",
        {
            "enterprise": [e for ag in ags for e in ag["scope"]["enterprises"]],
            "agr": [a for a, ag in enumerate(ags) for _e in ag["scope"]["enterprises"]],
        },
    )
    party: dict[str, list[object]] = {k: [] for k in ("agr", "slot", "tie", "jur", "role", "bp")}
    for a, ag in enumerate(ags):
        codes = [p["jurisdiction"] for p in ag["parties"]]
        for s, (p, bp) in enumerate(zip(ag["parties"], ag["ratio"]["bp"], strict=True)):
            for key, value in zip(
                party, (a, s, ag["tie_order"].index(codes[s]), p["jurisdiction"], p["role"], bp), strict=True
            ):
                party[key].append(value)
    table("parties", party)
    table("ids", {"agr": list(range(len(ags))), "id": [ag["id"] for ag in ags]})
    shares = {s.tax_type: s.local_bp for s in load_shipped() if s.valid_to is None}
    table("local", {"tax": list(shares), "bp": list(shares.values())})
    out.mkdir(parents=True, exist_ok=True)
    for statement in DUCK_SQL.format(csv=folder / "receipts.csv", out=out).split(";"):
        if statement.strip():
            con.execute(statement)


# --- running and measuring ---------------------------------------------------------------------------


def measured(command: list[str]) -> dict[str, float]:
    """Wall time, CPU time and peak RSS of one child process. The peak RSS is taken by GNU time
    (``/usr/bin/time -f %M``), a small process that forks the command: the rusage of a child forked
    directly from this (large) process would count this process's pages before the exec."""
    with tempfile.NamedTemporaryFile("r", suffix=".rss") as rss:
        timed = ["/usr/bin/time", "-f", "%M %U %S", "-o", rss.name, *command]
        started = time.perf_counter()
        done = subprocess.run(timed, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        wall = time.perf_counter() - started
        if done.returncode != 0:
            raise RuntimeError(f"{command[:3]} failed: {done.stderr[-2000:]}")
        kib, user, system = rss.read().split()[-3:]
    return {
        "wall_s": round(wall, 3),
        "peak_rss_mib": round(int(kib) / 1024, 1),
        "cpu_s": round(float(user) + float(system), 3),
    }


def cli_command(folder: Path, out: Path) -> list[str]:
    return [
        sys.executable,
        "-m",
        "tongcheng.cooperation.cli",
        "settle",
        "--receipts",
        str(folder / "receipts.csv"),
        "--agreements",
        str(folder / "agreements.json"),
        "--periods",
        PERIODS,
        "--out",
        str(out),
    ]


def compare(cli_out: Path, duck_out: Path) -> dict[str, object]:
    import polars as pl

    result: dict[str, object] = {}
    for name, key in (
        ("allocations.csv", ["agreement", "period", "tax_type", "jurisdiction"]),
        ("positions.csv", ["period", "jurisdiction"]),
    ):
        mine = pl.read_csv(cli_out / name, infer_schema=False).sort(key)
        ref = pl.read_csv(duck_out / name, infer_schema=False).sort(key)
        result[name] = {"rows": mine.height, "equal_to_the_fen": mine.equals(ref)}
    return result


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--rows", type=int, default=10_000_000)
    ap.add_argument("--agreements", type=int, default=2000)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--large-rows", type=int, default=0)
    ap.add_argument("--out", type=Path, default=ROOT / "bench" / "results" / "settlement_e2e.json")
    ap.add_argument("--duckdb", nargs=2, type=Path, help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.duckdb:
        duckdb_child(*args.duckdb)
        return 0
    work = Path(tempfile.mkdtemp(prefix="settle-e2e-"))
    try:
        t0 = time.perf_counter()
        make_inputs(work, args.rows, args.agreements)
        generate_s = time.perf_counter() - t0
        size = (work / "receipts.csv").stat().st_size
        load_before = os.getloadavg()
        runs = []
        for i in range(args.runs):
            order = ("cli", "duckdb") if i % 2 == 0 else ("duckdb", "cli")
            run: dict[str, object] = {
                "order": list(order),
                "load_average_before": [round(x, 2) for x in os.getloadavg()],
            }
            for who in order:
                out = work / f"{who}-out"
                shutil.rmtree(out, ignore_errors=True)
                if who == "cli":
                    run["cli"] = measured(cli_command(work, out))
                else:
                    run["duckdb"] = measured([sys.executable, __file__, "--duckdb", str(work), str(out)])
            cli, duck = run["cli"], run["duckdb"]
            run["duckdb_over_cli"] = round(duck["wall_s"] / cli["wall_s"], 3)  # type: ignore[index]
            runs.append(run)
            print(json.dumps(run), flush=True)
        check = compare(work / "cli-out", work / "duckdb-out")
        summary = json.loads((work / "cli-out" / "summary.json").read_text(encoding="utf-8"))
        large = None
        if args.large_rows:
            shutil.rmtree(work / "cli-out", ignore_errors=True)
            shutil.rmtree(work / "duckdb-out", ignore_errors=True)
            (work / "receipts.csv").unlink()
            t0 = time.perf_counter()
            make_inputs(work, args.large_rows, args.agreements)
            large = {
                "rows": args.large_rows,
                "csv_bytes": (work / "receipts.csv").stat().st_size,
                "generate_s": round(time.perf_counter() - t0, 1),
                "load_average_before": [round(x, 2) for x in os.getloadavg()],
                "cli": measured(cli_command(work, work / "large-out")),
            }
            large["peak_rss_below_2GiB"] = large["cli"]["peak_rss_mib"] < 2048  # type: ignore[index]
            print(json.dumps(large), flush=True)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    ratios = [r["duckdb_over_cli"] for r in runs]
    best_cli = min(r["cli"]["wall_s"] for r in runs)  # type: ignore[index]
    result = {
        "synthetic": True,
        "what": "wall time and peak RSS of each contender as its own process, end to end from the CSV file "
        "to the written result files; CLI = `python -m tongcheng.cooperation.cli settle` (read through "
        "tongcheng.kit.tables, validate every cell incl. credit-code check characters, sum per settlement "
        "group while reading, settle, net, write into a fresh folder swapped in by one rename); DuckDB = "
        "typed read_csv + the same split in SQL (2 threads) + COPY of allocations.csv and positions.csv",
        "machine": {
            "python": platform.python_version(),
            "cpus": os.cpu_count(),
            "platform": platform.platform(),
            "load_average_before": [round(x, 2) for x in load_before],
            "load_average_after": [round(x, 2) for x in os.getloadavg()],
        },
        "rows": args.rows,
        "csv_bytes": size,
        "agreements": args.agreements,
        "generate_s": round(generate_s, 1),
        "groups": summary["totals"]["groups"],
        "runs": runs,
        "duckdb_over_cli_per_run": ratios,
        "cli_rows_per_s_best": round(args.rows / best_cli),
        "checks": check,
        "targets": {
            "cli_at_least_as_fast_as_duckdb_in_every_run": all(x >= 1 for x in ratios),
            "cli_1_5x_duckdb_in_every_run": all(x >= 1.5 for x in ratios),
            "cli_peak_rss_below_1GiB_in_every_run": all(r["cli"]["peak_rss_mib"] < 1024 for r in runs),  # type: ignore[index]
        },
        "large": large,
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    print(json.dumps(result, indent=2, ensure_ascii=False))
    ok = all(v["equal_to_the_fen"] for v in check.values())  # type: ignore[attr-defined]
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
