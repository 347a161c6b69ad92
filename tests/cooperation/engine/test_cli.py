"""``tongcheng settle`` on files: formats (CSV UTF-8/GBK, XLSX, Parquet), the example set, bad input."""

from __future__ import annotations

import csv
import json
import shutil
from datetime import datetime
from pathlib import Path

import polars as pl
import pytest

from tongcheng.cooperation.cli import main
from tongcheng.cooperation.engine.io import uscc_valid, uscc_with_check
from tongcheng.cooperation.engine.local_shares import load_shipped

ROOT = Path(__file__).resolve().parents[3]
EXAMPLES = ROOT / "examples" / "settlement"
ENT = uscc_with_check("91341103MA2X0001" + "0")
ENT2 = uscc_with_check("91341103MA2X0002" + "0")

AGREEMENTS = {
    "agreements": [
        {
            "id": "NQ-PK",
            "name": "浦口—南谯",
            "parties": [
                {"jurisdiction": "341103", "role": "host"},
                {"jurisdiction": "320111", "role": "partner"},
            ],
            "scope": {"enterprises": [ENT, ENT2]},
            "term": {"start": "2026-01", "end": "2030-12"},
            "base": {"kind": "local_share"},
            "ratio": {"kind": "fixed", "bp": [7000, 3000]},
        }
    ]
}
HEADER = ["receipt_id", "enterprise", "jurisdiction", "period", "tax_type", "amount"]
ROWS = [
    ["R1", ENT, "341103", "2026-01", "VAT", "1000001"],
    ["R2", ENT2, "341103", "2026-02", "CIT", "500000"],
    ["R3", ENT, "341103", "2026-02", "VAT", "-1000"],
]


def write_inputs(
    tmp: Path, rows: list[list[str]] = ROWS, encoding: str = "utf-8", fmt: str = "csv"
) -> list[str]:
    (tmp / "agreements.json").write_text(json.dumps(AGREEMENTS, ensure_ascii=False), encoding="utf-8")
    if fmt == "csv":
        with (tmp / "receipts.csv").open("w", encoding=encoding, newline="") as f:
            w = csv.writer(f)
            w.writerow(HEADER)
            w.writerows(rows)
    elif fmt == "xlsx":
        import xlsxwriter

        wb = xlsxwriter.Workbook(str(tmp / "receipts.xlsx"))
        ws = wb.add_worksheet("收入")
        month = wb.add_format({"num_format": "yyyy-mm"})
        ws.write_row(0, 0, HEADER)
        for i, r in enumerate(rows, start=1):
            # amounts and codes as numbers, the way Excel users type them
            ws.write_row(i, 0, [r[0], r[1], int(r[2]), r[3], r[4], int(r[5])])
        # Excel turns a typed "2026-01" into a date cell
        ws.write_datetime(1, 3, datetime(int(rows[0][3][:4]), int(rows[0][3][5:]), 1), month)
        wb.close()
    else:
        pl.DataFrame({h: [r[i] for r in rows] for i, h in enumerate(HEADER)}).with_columns(
            pl.col("amount").cast(pl.Int64)
        ).write_parquet(tmp / "receipts.parquet")
    return [
        "settle",
        "--receipts",
        str(tmp / f"receipts.{fmt}"),
        "--agreements",
        str(tmp / "agreements.json"),
        "--periods",
        "2026-01..2026-03",
        "--out",
        str(tmp / "out"),
    ]


def read_csv(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f))


@pytest.mark.parametrize(
    ("fmt", "encoding"), [("csv", "utf-8"), ("csv", "gbk"), ("xlsx", None), ("parquet", None)]
)
def test_formats_give_the_same_result(tmp_path: Path, fmt: str, encoding: str | None) -> None:
    rows = [r[:] for r in ROWS]
    rows[0][0] = "收据一"  # Chinese text that GBK must carry
    args = write_inputs(tmp_path, rows, encoding or "utf-8", fmt)
    assert main(args) == 0
    alloc = read_csv(tmp_path / "out" / "allocations.csv")
    got = {(r["period"], r["tax_type"], r["jurisdiction"]): int(r["share_fen"]) for r in alloc}
    # VAT Jan: 1,000,001 x 50% = 500,000.5 -> 500,000 (half even); 7:3
    assert got[("2026-01", "VAT", "341103")] == 350_000 and got[("2026-01", "VAT", "320111")] == 150_000
    # CIT Feb: 500,000 x 40% = 200,000; VAT refund -1,000 x 50% = -500
    assert got[("2026-02", "CIT", "320111")] == 60_000 and got[("2026-02", "VAT", "320111")] == -150
    transfers = read_csv(tmp_path / "out" / "transfers.csv")
    assert transfers[0] == {"period": "2026-01", "payer": "341103", "payee": "320111", "amount_fen": "150000"}
    summary = json.loads((tmp_path / "out" / "summary.json").read_text(encoding="utf-8"))
    assert summary["totals"]["receipts_fen"] == 1_499_001
    assert all(summary["checks"].values()) and len(summary["checks"]) == 4
    positions = read_csv(tmp_path / "out" / "positions.csv")
    for period in ("2026-01", "2026-02"):
        assert sum(int(p["net_fen"]) for p in positions if p["period"] == period) == 0


def test_bad_rows_name_file_row_column_and_nothing_is_written(
    tmp_path: Path, capsys: pytest.CaptureFixture
) -> None:
    rows = [r[:] for r in ROWS]
    rows[1][5] = "12.34"  # not integer fen
    rows[2][3] = "2026-13"
    rows[0][2] = "3411"
    rows[2][4] = "NOPE"
    bad_ent = rows[1][1][:-1] + ("0" if rows[1][1][-1] != "0" else "1")
    rows[1][1] = bad_ent
    args = write_inputs(tmp_path, rows)
    (tmp_path / "out").mkdir()
    assert main(args) == 2
    err = capsys.readouterr().err
    f = tmp_path / "receipts.csv"
    assert f"{f}:row 3:column amount:" in err
    assert f"{f}:row 4:column period:" in err
    assert f"{f}:row 2:column jurisdiction:" in err
    assert f"{f}:row 4:column tax_type:" in err
    assert f"{f}:row 3:column enterprise:" in err
    assert "nothing written" in err
    assert list((tmp_path / "out").iterdir()) == []
    assert not uscc_valid(bad_ent)


def test_bad_agreement_names_json_path_and_missing_column(
    tmp_path: Path, capsys: pytest.CaptureFixture
) -> None:
    args = write_inputs(tmp_path)
    doc = json.loads((tmp_path / "agreements.json").read_text(encoding="utf-8"))
    doc["agreements"][0]["ratio"]["bp"] = [7000, 2999]
    (tmp_path / "agreements.json").write_text(json.dumps(doc), encoding="utf-8")
    pl.read_csv(tmp_path / "receipts.csv").drop("amount").write_csv(tmp_path / "receipts.csv")
    assert main(args) == 2
    err = capsys.readouterr().err
    assert f"{tmp_path / 'agreements.json'}:agreements[0].ratio.bp: ratios sum to 9999 bp" in err
    assert f"{tmp_path / 'receipts.csv'}:row 1:column amount: missing column" in err
    assert not (tmp_path / "out").exists()


def test_local_share_override_and_bad_override(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    args = write_inputs(tmp_path)
    (tmp_path / "ls.csv").write_text(
        "tax_type,valid_from,valid_to,local_bp,source\nVAT,2016-05,,10000,test\n", encoding="utf-8"
    )
    assert main([*args, "--local-shares", str(tmp_path / "ls.csv")]) == 0
    alloc = read_csv(tmp_path / "out" / "allocations.csv")
    assert {int(r["base_fen"]) for r in alloc if r["period"] == "2026-01"} == {1_000_001}
    shutil.rmtree(tmp_path / "out")
    (tmp_path / "ls.csv").write_text(
        "tax_type,valid_from,valid_to,local_bp\nVAT,2016-05,,12000\n", encoding="utf-8"
    )
    assert main([*args, "--local-shares", str(tmp_path / "ls.csv")]) == 2
    assert f"{tmp_path / 'ls.csv'}:row 2:column local_bp" in capsys.readouterr().err
    assert not (tmp_path / "out").exists()


def test_example_set_runs(tmp_path: Path) -> None:
    out = tmp_path / "out"
    args = [
        "settle",
        "--receipts",
        str(EXAMPLES / "receipts.csv"),
        "--agreements",
        str(EXAMPLES / "agreements.json"),
        "--factors",
        str(EXAMPLES / "factors.csv"),
        "--contributions",
        str(EXAMPLES / "contributions.csv"),
        "--indicators",
        str(EXAMPLES / "indicators.csv"),
        "--periods",
        "2026-01..2026-03",
        "--out",
        str(out),
    ]
    assert main(args) == 0
    names = {p.name for p in out.iterdir()}
    assert names == {
        "allocations.csv",
        "positions.csv",
        "transfers.csv",
        "summary.json",
        "statistics.csv",
        "headquarters.csv",
    }
    summary = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    t = summary["totals"]
    assert t["allocated_fen"] + t["retained_fen"] == t["receipts_fen"]
    hq = read_csv(out / "headquarters.csv")
    assert {r["unit"]: r["ratio"] for r in hq if r["period"] == "2026-01" and r["ratio"]} == {
        "BASE": "0.5375000000",
        "SALES": "0.4625000000",
    }
    # S-Z4: the production base's local CIT (2,687,500 x 40%) is shared 6:4 with the head office's district
    alloc = read_csv(out / "allocations.csv")
    sz4 = {
        r["jurisdiction"]: int(r["share_fen"])
        for r in alloc
        if r["agreement"] == "SZ4-HQ-BASE" and r["period"] == "2026-01"
    }
    assert sz4 == {"341103": 645_000, "320111": 430_000}


def test_shipped_local_shares_match_fiscal_md() -> None:
    def bp(tax: str, period: int) -> int:
        return next(
            r.local_bp
            for r in load_shipped()
            if r.tax_type == tax and r.valid_from <= period and (r.valid_to is None or period <= r.valid_to)
        )

    p = 2026 * 12
    assert (bp("VAT", p), bp("CIT", p), bp("PIT", p), bp("SEC_STAMP", p), bp("ENV", p)) == (
        5000,
        4000,
        4000,
        0,
        10000,
    )
    assert bp("VAT", 2016 * 12 + 3) == 2500 and bp("SEC_STAMP", 2015 * 12) == 300
    for tax in ("PROPERTY", "LAND_USE", "LAND_VAT", "DEED", "FARMLAND", "VEHICLE_VESSEL", "TOBACCO"):
        assert bp(tax, p) == 10000
    assert all(r.source for r in load_shipped())


def test_manage_py_settle_is_the_same_command(tmp_path: Path) -> None:
    django = pytest.importorskip("django")
    from django.conf import settings

    if not settings.configured:
        pytest.skip("Django settings are not configured")
    django.setup()
    from django.core.management import call_command
    from django.core.management.base import CommandError

    args = write_inputs(tmp_path)
    call_command("settle", *args[1:])
    assert (tmp_path / "out" / "summary.json").exists()
    shutil.rmtree(tmp_path / "out")
    (tmp_path / "agreements.json").write_text("{", encoding="utf-8")
    with pytest.raises(CommandError) as e:
        call_command("settle", *args[1:])
    assert e.value.returncode == 2
    assert not (tmp_path / "out").exists()


def test_contributions_and_factors_errors(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    args = write_inputs(tmp_path)
    (tmp_path / "c.csv").write_text(
        "agreement,jurisdiction,period,amount_fen\nNQ-PK,341103,2026-01,100\nNOPE,341103,2026-1,1.5\n",
        encoding="utf-8",
    )
    (tmp_path / "f.csv").write_text(
        "enterprise,unit,jurisdiction,year,revenue_fen,payroll_fen,assets_fen\n"
        f"{ENT},B1,341122,2026,-5,0,0\n",
        encoding="utf-8",
    )
    assert (
        main([*args, "--contributions", str(tmp_path / "c.csv"), "--factors", str(tmp_path / "f.csv")]) == 2
    )
    err = capsys.readouterr().err
    c, f = tmp_path / "c.csv", tmp_path / "f.csv"
    assert f"{c}:row 3:column agreement: unknown agreement" in err
    assert f"{c}:row 3:column period:" in err
    assert f"{c}:row 3:column amount_fen:" in err
    assert f"{f}:row 2:column revenue_fen: must not be negative" in err
    assert not (tmp_path / "out").exists()


def test_factors_without_a_head_office_row_name_the_row(
    tmp_path: Path, capsys: pytest.CaptureFixture
) -> None:
    """Given branch factors but no 'HQ' unit for the enterprise and year, the error names the file and row
    of the first such unit, and nothing is written."""
    args = write_inputs(tmp_path)
    (tmp_path / "f.csv").write_text(
        f"enterprise,unit,jurisdiction,year,revenue_fen,payroll_fen,assets_fen\n{ENT},B1,341122,2026,5,1,1\n",
        encoding="utf-8",
    )
    assert main([*args, "--factors", str(tmp_path / "f.csv")]) == 2
    assert f"{tmp_path / 'f.csv'}:row 2:column unit: enterprise {ENT} year 2026 has no unit 'HQ'" in (
        capsys.readouterr().err
    )
    assert not (tmp_path / "out").exists()


def test_bad_periods_and_missing_file(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    args = write_inputs(tmp_path)
    bad = [*args]
    bad[bad.index("--periods") + 1] = "2026-12..2026-01"
    assert main(bad) == 2
    assert "--periods: period range '2026-12..2026-01' ends before it starts" in capsys.readouterr().err
    missing = [*args]
    missing[missing.index("--receipts") + 1] = str(tmp_path / "nope.csv")
    assert main(missing) == 2
    assert f"{tmp_path / 'nope.csv'}: file not found" in capsys.readouterr().err
    assert not (tmp_path / "out").exists()
