"""Write the corpus of bad settlement inputs (issue 9) and its expectations table.

    .venv/bin/python tests/cooperation/bad_files/make_corpus.py

Every case is one bad file that replaces one input of a good run (``good/``); ``expectations.json`` names
the option it replaces and the located message ``tongcheng settle`` must print (exit 2, nothing written).
The files are committed; this script documents how each was made and can write them again.
"""

from __future__ import annotations

import copy
import csv
import io
import json
import zipfile
from decimal import Decimal
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
GOOD = HERE / "good"
ENT1, ENT2, ENT3 = "91341103MA2X00010G", "91341103MA2X00020H", "91320111MA1X00030A"
HEADER = ["receipt_id", "enterprise", "jurisdiction", "period", "tax_type", "amount"]
ROWS = [
    ["R1", ENT1, "341103", "2026-01", "VAT", "1000001"],
    ["R2", ENT2, "341103", "2026-02", "CIT", "500000"],
    ["R3", ENT1, "341103", "2026-02", "VAT", "-1000"],
    ["R4", ENT3, "320111", "2026-03", "VAT", "250000"],
]
AGREEMENTS: dict[str, Any] = {
    "agreements": [
        {
            "id": "NQ-PK",
            "name": "浦口—南谯",
            "parties": [
                {"jurisdiction": "341103", "role": "host"},
                {"jurisdiction": "320111", "role": "partner"},
            ],
            "scope": {"enterprises": [ENT1, ENT2]},
            "tax_types": ["VAT", "CIT"],
            "term": {"start": "2026-01", "end": "2030-12"},
            "base": {"kind": "local_share", "fraction_bp": 5000},
            "ratio": {"kind": "fixed", "bp": [7000, 3000]},
        }
    ]
}
CAPPED = {
    "id": "JJJ-MOVE",
    "parties": [
        {"jurisdiction": "341103", "role": "host"},
        {"jurisdiction": "320111", "role": "origin"},
    ],
    "scope": {"enterprises": [ENT3]},
    "term": {"start": "2026-01", "end": "2028-12"},
    "ratio": {
        "kind": "capped",
        "bp": [5000, 5000],
        "capped_party": "320111",
        "cap_fen": 100000,
        "share_end": "2027-12",
        "extension_end": "2028-12",
    },
}

cases: list[dict[str, str]] = []


def csv_bytes(rows: list[list[str]], header: list[str] = HEADER, encoding: str = "utf-8") -> bytes:
    out = io.StringIO()
    csv.writer(out, lineterminator="\n").writerows([header, *rows])
    return out.getvalue().encode(encoding)


def case(name: str, option: str, data: bytes, expect: str, suffix: str = ".csv", why: str = "") -> None:
    path = HERE / f"{name}{suffix}"
    path.write_bytes(data)
    cases.append({"case": name, "option": option, "file": path.name, "expect": expect, "why": why})


def receipts_with(row: int, column: str, value: str) -> bytes:
    rows = copy.deepcopy(ROWS)
    rows[row - 2][HEADER.index(column)] = value
    return csv_bytes(rows)


def agreements_with(change: Any) -> bytes:
    doc = copy.deepcopy(AGREEMENTS)
    change(doc)
    return json.dumps(doc, ensure_ascii=False, indent=1).encode()


def xlsx(write: Any) -> bytes:
    import xlsxwriter

    buffer = io.BytesIO()
    book = xlsxwriter.Workbook(buffer, {"in_memory": True})
    sheet = book.add_worksheet()
    sheet.write_row(0, 0, HEADER)
    for r, row in enumerate(ROWS, start=1):
        sheet.write_row(r, 0, row)
    write(sheet)
    book.close()
    return buffer.getvalue()


def parquet(amount: Any) -> bytes:
    import pyarrow as pa
    import pyarrow.parquet as pq

    columns = {h: [r[i] for r in ROWS] for i, h in enumerate(HEADER)}
    table = pa.table({**{h: v for h, v in columns.items() if h != "amount"}, "amount": amount})
    buffer = io.BytesIO()
    pq.write_table(table, buffer)
    return buffer.getvalue()


def main() -> None:
    GOOD.mkdir(exist_ok=True)
    (GOOD / "receipts.csv").write_bytes(csv_bytes(ROWS))
    (GOOD / "agreements.json").write_text(json.dumps(AGREEMENTS, ensure_ascii=False, indent=1), "utf-8")
    for old in HERE.glob("*"):
        if old.is_file() and old.name not in ("make_corpus.py", "__init__.py"):
            old.unlink()
    R, A = "--receipts", "--agreements"

    # amounts: the documented unit (integer 分) is enforced, never read 100x too small
    case(
        "amount_decimal_fen",
        R,
        receipts_with(3, "amount", "10000.00"),
        "row 3:column amount: has a decimal point",
    )
    case(
        "amount_decimal_one_place",
        R,
        receipts_with(2, "amount", "5.5"),
        "row 2:column amount: has a decimal point",
    )
    case(
        "amount_thousands",
        R,
        receipts_with(4, "amount", "1,234,567"),
        "row 4:column amount: has a thousands separator",
    )
    case(
        "amount_thousands_fullwidth_comma",
        R,
        receipts_with(4, "amount", "1，234"),
        "row 4:column amount: has a thousands separator",
    )
    case(
        "amount_scientific",
        R,
        receipts_with(2, "amount", "1.5E6"),
        "row 2:column amount: is in scientific notation",
    )
    case(
        "amount_19_digits",
        R,
        receipts_with(2, "amount", "12345678901234567890"),
        "row 2:column amount: has more than 18 digits",
    )
    case("amount_empty", R, receipts_with(5, "amount", ""), "row 5:column amount: empty value")
    case(
        "amount_circled_digits",
        R,
        receipts_with(2, "amount", "①②③"),
        "row 2:column amount: not an integer number of fen",
    )
    case(
        "amount_superscript",
        R,
        receipts_with(2, "amount", "10²"),
        "row 2:column amount: not an integer number of fen",
    )
    case(
        "amount_currency_sign",
        R,
        receipts_with(2, "amount", "¥100"),
        "row 2:column amount: not an integer number of fen",
    )
    big = [[f"R{i}", ENT1, "341103", "2026-01", "VAT", "999999999999999999"] for i in range(6)]
    case(
        "amount_total_overflow",
        R,
        csv_bytes(big),
        "column amount: the absolute amounts add up to more than 2^62",
    )
    # periods, codes, tax types (full-width digits are read as digits; what is still wrong is refused)
    case(
        "period_fullwidth_month_13",
        R,
        receipts_with(2, "period", "２０２６-１３"),
        "row 2:column period: not a month YYYY-MM",
    )
    case("period_slash", R, receipts_with(3, "period", "2026/03"), "row 3:column period: not a month YYYY-MM")
    case(
        "period_year_only", R, receipts_with(3, "period", "2026"), "row 3:column period: not a month YYYY-MM"
    )
    case(
        "jurisdiction_five_digits",
        R,
        receipts_with(2, "jurisdiction", "34110"),
        "row 2:column jurisdiction: not a 6-digit GB/T 2260 code",
    )
    case(
        "jurisdiction_decimal",
        R,
        receipts_with(2, "jurisdiction", "341103.5"),
        "row 2:column jurisdiction: not a 6-digit GB/T 2260 code",
    )
    case(
        "enterprise_check_character",
        R,
        receipts_with(2, "enterprise", ENT1[:-1] + "H"),
        "row 2:column enterprise: not a valid 统一社会信用代码",
    )
    case("enterprise_empty", R, receipts_with(4, "enterprise", ""), "row 4:column enterprise: empty value")
    case(
        "tax_type_unknown", R, receipts_with(2, "tax_type", "VATT"), "row 2:column tax_type: unknown tax type"
    )
    # the table itself
    case(
        "header_amount_and_Amount",
        R,
        csv_bytes([r + ["1"] for r in ROWS], HEADER + ["Amount"]),
        "row 1:column Amount: The header names the column Amount twice.",
    )
    case(
        "header_amount_twice",
        R,
        csv_bytes([r + ["1"] for r in ROWS], HEADER + ["amount"]),
        "The header names the column amount twice.",
    )
    case(
        "missing_amount_column",
        R,
        csv_bytes([r[:-1] for r in ROWS], HEADER[:-1]),
        "row 1:column amount: missing column",
    )
    rows = [list(r) for r in ROWS]
    rows[1] = rows[1] + ["extra"]
    case(
        "row_with_too_many_fields",
        R,
        csv_bytes(rows),
        "row 3: Row 3 has more values than the header has columns.",
    )
    with_project = HEADER + ["project"]
    case(
        "mixed_utf8_then_gbk",
        R,
        csv_bytes([ROWS[0] + ["浦口园区"], ROWS[1] + [""]], with_project)
        + ",".join(ROWS[2] + ["南谯园区"]).encode("gbk")
        + b"\n",
        "Line 4 is not UTF-8",
        why="a UTF-8 file with a GBK line would lose receipts as mojibake",
    )
    case(
        "mixed_gbk_then_utf8",
        R,
        csv_bytes([ROWS[0] + ["浦口园区"]], with_project, "gbk")
        + ",".join(ROWS[1] + ["南谯园区"]).encode()
        + b"\n",
        "Line 3 is not GBK",
    )
    case("nul_byte", R, csv_bytes(ROWS).replace(b"R3", b"R\x003"), "row 4: Row 4 contains a NUL character.")
    case(
        "binary_garbage", R, b"enterprise,amount\n\xff\xfe\xfa,1\n", "The file is neither UTF-8 nor GBK text."
    )
    case(
        "unsupported_type", R, csv_bytes(ROWS), "The file must end in .csv, .xlsx or .parquet.", suffix=".ods"
    )
    # XLSX and Parquet
    case(
        "xlsx_formula_cell",
        R,
        xlsx(lambda s: s.write_formula(2, 5, "=F2*2", None, 0)),
        "Cell F3 holds a formula",
        suffix=".xlsx",
        why="its cached value is 0",
    )
    case(
        "xlsx_number_beyond_2_53",
        R,
        xlsx(lambda s: s.write_number(3, 5, 2.0**60)),
        "Cell F4 holds a number beyond 2^53",
        suffix=".xlsx",
    )
    case(
        "xlsx_decimal_amount",
        R,
        xlsx(lambda s: s.write_number(1, 5, 10000.5)),
        "row 2:column amount: has a decimal point",
        suffix=".xlsx",
    )
    bomb = io.BytesIO()
    with zipfile.ZipFile(bomb, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as z:
        z.writestr("[Content_Types].xml", "<Types/>")
        z.writestr("xl/worksheets/sheet1.xml", b"0" * (4 << 20))
    case("xlsx_zip_bomb", R, bomb.getvalue(), "compressed more than 1000 to 1", suffix=".xlsx")
    case("xlsx_that_is_csv", R, csv_bytes(ROWS), "The file is not a valid .xlsx workbook.", suffix=".xlsx")
    import pyarrow as pa

    case(
        "parquet_decimal_yuan",
        R,
        parquet(pa.array([Decimal("10000.00")] * 4, type=pa.decimal128(12, 2))),
        "row 1:column amount: has a decimal point",
        suffix=".parquet",
    )
    case(
        "parquet_float_beyond_2_53",
        R,
        parquet(pa.array([1.0, 2.0, 2.0**60, 4.0])),
        "holds a number beyond 2^53",
        suffix=".parquet",
    )
    case(
        "parquet_truncated",
        R,
        parquet(pa.array([1, 2, 3, 4]))[:60],
        "The file is not a valid Parquet file.",
        suffix=".parquet",
    )
    # agreements
    ag = "agreements[0]"

    def set_(path: list[Any], value: Any) -> Any:
        def change(doc: dict[str, Any]) -> None:
            target = doc
            for key in path[:-1]:
                target = target[key]
            target[path[-1]] = value

        return change

    case(
        "agreement_unknown_tax_type",
        A,
        agreements_with(set_(["agreements", 0, "tax_types"], ["VAT", "CTI"])),
        f"{ag}.tax_types[1]: unknown tax type 'CTI'",
        suffix=".json",
    )
    case(
        "agreement_unknown_tax_in_ratio",
        A,
        agreements_with(set_(["agreements", 0, "ratio", "bp"], {"*": [7000, 3000], "VATX": [5000, 5000]})),
        f"{ag}.ratio.bp.VATX: unknown tax type",
        suffix=".json",
    )
    case(
        "agreement_misspelt_field",
        A,
        agreements_with(set_(["agreements", 0, "base", "fraction_pb"], 3000)),
        f"{ag}.base.fraction_pb: unknown field",
        suffix=".json",
        why="would silently mean the default 10000",
    )
    case(
        "agreement_unknown_top_field",
        A,
        agreements_with(set_(["agreement"], [])),
        "$.agreement: unknown field",
        suffix=".json",
    )
    case(
        "agreement_duplicate_id",
        A,
        agreements_with(
            lambda d: d["agreements"].append(
                {**copy.deepcopy(d["agreements"][0]), "scope": {"enterprises": [ENT3]}}
            )
        ),
        "agreements[1].id: duplicate agreement id 'NQ-PK'",
        suffix=".json",
    )
    case(
        "agreement_overlap",
        A,
        agreements_with(
            lambda d: d["agreements"].append({**copy.deepcopy(d["agreements"][0]), "id": "NQ-PK-2"})
        ),
        "agreements[1].scope: enterprise 91341103MA2X00010G is already in the scope of agreement NQ-PK",
        suffix=".json",
    )
    case(
        "agreement_capped_extension_past_term",
        A,
        agreements_with(
            lambda d: d["agreements"].append(
                {**copy.deepcopy(CAPPED), "ratio": {**CAPPED["ratio"], "extension_end": "2029-12"}}
            )
        ),
        "agreements[1].ratio.extension_end: runs past the agreement's term",
        suffix=".json",
    )
    case(
        "agreement_party_not_a_code",
        A,
        agreements_with(set_(["agreements", 0, "parties", 1, "jurisdiction"], "320199")),
        f"{ag}.parties[1].jurisdiction: 320199 is not a GB/T 2260 code in 2026",
        suffix=".json",
    )
    case(
        "agreement_party_abolished",
        A,
        agreements_with(set_(["agreements", 0, "parties", 1, "jurisdiction"], "320103")),
        f"{ag}.parties[1].jurisdiction: 320103 is not in use in 2026",
        suffix=".json",
        why="白下区 was merged into 秦淮区 in 2013",
    )
    case(
        "agreement_cap_10_30",
        A,
        agreements_with(
            lambda d: d["agreements"].append(
                {**copy.deepcopy(CAPPED), "ratio": {**CAPPED["ratio"], "cap_fen": 10**30}}
            )
        ),
        "agreements[1].ratio.cap_fen: 1000000000…(31 digits) is beyond 2^62",
        suffix=".json",
    )
    case(
        "agreement_nested_100000",
        A,
        b'{"agreements": ' + b"[" * 100_000 + b"]" * 100_000 + b"}",
        "line 1:column 79: JSON nested more than 64 levels deep",
        suffix=".json",
    )
    case(
        "agreement_duplicate_key",
        A,
        b'{"agreements": [], "agreements": []}',
        "the key 'agreements' appears twice in one object",
        suffix=".json",
    )
    case(
        "agreement_nan",
        A,
        agreements_with(set_(["agreements", 0, "base", "fraction_bp"], float("nan"))),
        "NaN is not a number JSON allows",
        suffix=".json",
    )
    case("agreement_invalid_json", A, b'{"agreements": [}', "line 1:column 17: invalid JSON", suffix=".json")
    case(
        "agreement_gbk",
        A,
        json.dumps(AGREEMENTS, ensure_ascii=False).encode("gbk"),
        "not UTF-8 text",
        suffix=".json",
    )
    case(
        "agreement_ratio_sum",
        A,
        agreements_with(set_(["agreements", 0, "ratio", "bp"], [7000, 2000])),
        f"{ag}.ratio.bp: ratios sum to 9000 bp, not 10000",
        suffix=".json",
    )
    # other inputs
    factors = csv_bytes(
        [[ENT2, "HQ", "341103", "2026", "0", "0", "0"], [ENT2, "B1", "320111", "2026", "100.50", "1", "1"]],
        ["enterprise", "unit", "jurisdiction", "year", "revenue_fen", "payroll_fen", "assets_fen"],
    )
    case("factors_decimal_revenue", "--factors", factors, "row 3:column revenue_fen: has a decimal point")
    shares = csv_bytes([["VAT", "2016-05", "", "5_000"]], ["tax_type", "valid_from", "valid_to", "local_bp"])
    case(
        "local_shares_underscore",
        "--local-shares",
        shares,
        "row 2:column local_bp: local_bp '5_000' is not an integer",
    )
    (HERE / "expectations.json").write_text(json.dumps(cases, ensure_ascii=False, indent=1) + "\n", "utf-8")
    print(f"{len(cases)} cases")


if __name__ == "__main__":
    main()
