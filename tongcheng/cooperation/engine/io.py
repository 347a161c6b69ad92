"""Reading settlement inputs (CSV in UTF-8 or GBK, XLSX, Parquet, JSON) and writing the results.

Every reader validates whole columns at once and reports each bad cell as ``file:row N:column C: message``.
Row numbers are those a user sees: in CSV and XLSX the header is row 1, so the first record is row 2; in
Parquet the first record is row 1. Nothing is written unless every input is valid (see ``write_outputs``).
"""

from __future__ import annotations

import csv
import io
import json
import os
import re
import shutil
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import polars as pl

from tongcheng.kit.textsafety import csv_cell

from .local_shares import parse_rows
from .types import (
    AgreementSet,
    BranchFactors,
    Contribution,
    EngineInputError,
    IndicatorRows,
    LocalShareRow,
    Receipts,
    Settlement,
    format_period,
)

USCC_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
_USCC_WEIGHTS = [pow(3, i, 31) for i in range(17)]
_PERIOD_RE = r"^\d{4}-(0[1-9]|1[0-2])$"
_INTEGRAL_FLOAT = re.compile(r"^(-?\d+)\.0*$")
MAX_ERRORS_PER_COLUMN = 20


class InputErrors(Exception):
    """All problems found in the inputs; ``errors`` are ready-to-print lines naming file, row and column."""

    def __init__(self, errors: list[str]) -> None:
        super().__init__("\n".join(errors))
        self.errors = errors


def uscc_valid(code: str) -> bool:
    """GB 32100-2015 check character (fiscal.md §4.1)."""
    if len(code) != 18 or any(ch not in USCC_ALPHABET for ch in code):
        return False
    s = sum(USCC_ALPHABET.index(ch) * w for ch, w in zip(code[:17], _USCC_WEIGHTS, strict=True))
    return USCC_ALPHABET[(31 - s % 31) % 31] == code[17]


def uscc_with_check(first17: str) -> str:
    s = sum(USCC_ALPHABET.index(ch) * w for ch, w in zip(first17, _USCC_WEIGHTS, strict=True))
    return first17 + USCC_ALPHABET[(31 - s % 31) % 31]


# ---------------------------------------------------------------------------------------------------
# tabular reading
# ---------------------------------------------------------------------------------------------------


def _decode(raw: bytes) -> str:
    # Chinese Excel saves "CSV" as GBK (code page 936); GB18030 is its superset and decodes every GBK file
    if raw.startswith(b"\xef\xbb\xbf"):
        return raw[3:].decode("utf-8")
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        return raw.decode("gb18030")


def read_table(path: Path) -> tuple[pl.DataFrame, int]:
    """All columns as trimmed strings, and the row number of the first record (2 with a header row)."""
    suffix = path.suffix.lower()
    try:
        if suffix in (".csv", ".txt"):
            text = _decode(path.read_bytes())
            df = pl.read_csv(io.StringIO(text), infer_schema=False, truncate_ragged_lines=False)
            first = 2
        elif suffix in (".xlsx", ".xlsm", ".xls"):
            df = pl.read_excel(path, engine="calamine", infer_schema_length=0)
            first = 2
        elif suffix == ".parquet":
            df = pl.read_parquet(path)
            first = 1
        else:
            raise InputErrors([f"{path}: unsupported file type {suffix!r} (use .csv, .xlsx or .parquet)"])
    except InputErrors:
        raise
    except FileNotFoundError:
        raise InputErrors([f"{path}: file not found"]) from None
    except Exception as e:  # noqa: BLE001 - any parser failure is an input error of this file
        raise InputErrors([f"{path}: cannot read: {e}"]) from None
    df = df.rename({c: str(c).strip().lower() for c in df.columns})
    df = df.with_columns(
        pl.col(c).cast(pl.String).str.strip_chars().str.replace(r"^(-?\d+)\.0+$", "${1}") for c in df.columns
    )
    # Excel turns a typed "2026-01" into a date cell; read such a date as its month
    months = [c for c in df.columns if c in _MONTH_COLUMNS]
    if months:
        df = df.with_columns(
            pl.col(c).str.replace(r"^(\d{4}-\d{2})-\d{2}( 00:00:00(\.0+)?)?$", "${1}") for c in months
        )
    return df, first


_MONTH_COLUMNS = ("period", "opened", "closed", "valid_from", "valid_to")


class _Checker:
    def __init__(self, path: Path, df: pl.DataFrame, first_row: int, errors: list[str]) -> None:
        self.path, self.df, self.first, self.errors = path, df, first_row, errors

    def require(self, columns: Sequence[str]) -> bool:
        missing = [c for c in columns if c not in self.df.columns]
        for c in missing:
            self.errors.append(f"{self.path}:row {max(self.first - 1, 1)}:column {c}: missing column")
        return not missing

    def bad(self, column: str, mask: pl.Series | np.ndarray, message: str) -> None:
        rows = np.flatnonzero(np.asarray(mask, dtype=bool))
        values = self.df[column].to_list() if rows.size else []
        for r in rows[:MAX_ERRORS_PER_COLUMN]:
            self.errors.append(
                f"{self.path}:row {int(r) + self.first}:column {column}: {message} (got {values[r]!r})"
            )
        if rows.size > MAX_ERRORS_PER_COLUMN:
            self.errors.append(
                f"{self.path}:column {column}: {rows.size - MAX_ERRORS_PER_COLUMN} more rows: {message}"
            )

    def nonempty(self, column: str) -> None:
        s = self.df[column]
        self.bad(column, (s.is_null() | (s == "")).to_numpy(), "empty value")

    def matches(self, column: str, pattern: str, message: str, optional: bool = False) -> None:
        s = self.df[column]
        ok = s.str.contains(pattern).fill_null(optional)
        if optional:
            ok = ok | s.is_null() | (s == "")
        self.bad(column, (~ok).to_numpy(), message)

    def integer(self, column: str, optional: bool = False) -> pl.Series:
        s = self.df[column]
        ok = s.str.contains(r"^-?\d{1,18}$").fill_null(optional)
        if optional:
            ok = ok | s.is_null() | (s == "")
        self.bad(
            column,
            (~ok).to_numpy(),
            "not an integer number of fen"
            if column.endswith("fen") or column == "amount"
            else "not an integer",
        )
        return s.cast(pl.Int64, strict=False).fill_null(0)

    def uscc(self, column: str) -> None:
        s = self.df[column]
        vocab = s.drop_nulls().unique().to_list()
        invalid = {v for v in vocab if not uscc_valid(v)}
        if invalid:
            self.bad(
                column,
                s.is_in(list(invalid)).fill_null(False).to_numpy(),
                "not a valid 统一社会信用代码 (GB 32100 check character)",
            )


def _period_codes(s: pl.Series) -> np.ndarray:
    parts = s.fill_null("0000-01").str.split_exact("-", 1).struct.unnest()
    y = parts["field_0"].cast(pl.Int64, strict=False).fill_null(0).to_numpy()
    m = parts["field_1"].cast(pl.Int64, strict=False).fill_null(1).to_numpy()
    return (y * 12 + m - 1).astype(np.int64)


def _encode(s: pl.Series) -> tuple[np.ndarray, tuple[str, ...]]:
    vocab = s.unique().sort()
    codes = (s.rank("dense") - 1).cast(pl.Int64).to_numpy()
    return codes, tuple(vocab.to_list())


def _open_checked(path: Path, errors: list[str], columns: Sequence[str]) -> _Checker | None:
    """Read a table and check its required columns; on failure the errors are recorded and None returned."""
    try:
        df, first = read_table(path)
    except InputErrors as e:
        errors.extend(e.errors)
        return None
    ck = _Checker(path, df, first, errors)
    return ck if ck.require(columns) else None


RECEIPT_COLUMNS = ("enterprise", "jurisdiction", "period", "tax_type", "amount")


def read_receipts(
    path: Path, known_taxes: set[str], errors: list[str], check_uscc: bool = True
) -> Receipts | None:
    ck = _open_checked(path, errors, RECEIPT_COLUMNS)
    if ck is None:
        return None
    df = ck.df
    n0 = len(errors)
    for c in ("enterprise", "jurisdiction", "tax_type"):
        ck.nonempty(c)
    if check_uscc:
        ck.uscc("enterprise")
    ck.matches("jurisdiction", r"^\d{6}$", "not a 6-digit GB/T 2260 code")
    ck.matches("period", _PERIOD_RE, "not a month YYYY-MM")
    unknown = ~df["tax_type"].is_in(sorted(known_taxes)).fill_null(False)
    ck.bad(
        "tax_type",
        unknown.to_numpy() & df["tax_type"].is_not_null().to_numpy(),
        "unknown tax type (see the local shares table)",
    )
    amount = ck.integer("amount")
    if len(errors) > n0:
        return None
    ent, ents = _encode(df["enterprise"])
    jur, jurs = _encode(df["jurisdiction"])
    tax, taxes = _encode(df["tax_type"])
    project = None
    projects: tuple[str, ...] = ()
    if "project" in df.columns:
        ps = df["project"].fill_null("")
        codes, vocab = _encode(ps)
        if vocab and vocab[0] == "":
            codes, vocab = codes - 1, vocab[1:]
        project, projects = codes, vocab
    return Receipts(
        ent,
        jur,
        _period_codes(df["period"]),
        tax,
        amount.to_numpy().astype(np.int64),
        ents,
        jurs,
        taxes,
        project,
        projects,
    )


def read_local_shares(path: Path, errors: list[str]) -> list[LocalShareRow] | None:
    try:
        df, first = read_table(path)
    except InputErrors as e:
        errors.extend(e.errors)
        return None
    try:
        rows = parse_rows(
            ({k: (v or "") for k, v in r.items()} for r in df.iter_rows(named=True)), str(path), first
        )
    except EngineInputError as e:
        errors.append(str(e))
        return None
    return rows


FACTOR_COLUMNS = ("enterprise", "unit", "jurisdiction", "year", "revenue_fen", "payroll_fen", "assets_fen")
_BOOL = {
    "": False,
    "0": False,
    "false": False,
    "no": False,
    "n": False,
    "否": False,
    "1": True,
    "true": True,
    "yes": True,
    "y": True,
    "是": True,
}


def read_factors(path: Path, errors: list[str]) -> list[BranchFactors] | None:
    ck = _open_checked(path, errors, FACTOR_COLUMNS)
    if ck is None:
        return None
    df = ck.df
    n0 = len(errors)
    ck.nonempty("enterprise")
    ck.nonempty("unit")
    ck.matches("jurisdiction", r"^\d{6}$", "not a 6-digit GB/T 2260 code")
    ck.matches("year", r"^\d{4}$", "not a year")
    money = {c: ck.integer(c) for c in ("revenue_fen", "payroll_fen", "assets_fen")}
    for c in money:
        ck.bad(c, (money[c] < 0).to_numpy(), "must not be negative")
    for c in ("opened", "closed"):
        if c in df.columns:
            ck.matches(c, _PERIOD_RE, "not a month YYYY-MM", optional=True)
    for c in ("support_no_vat", "small_low_profit"):
        if c in df.columns:
            ck.bad(
                c,
                (~df[c].fill_null("").str.to_lowercase().is_in(list(_BOOL))).to_numpy(),
                "not a yes/no value (1/0, true/false, 是/否)",
            )
    if len(errors) > n0:
        return None
    out = []
    for i, r in enumerate(df.iter_rows(named=True)):

        def per(c: str, r: dict[str, Any] = r) -> int | None:
            v = r.get(c) or ""
            return int(v[:4]) * 12 + int(v[5:7]) - 1 if v else None

        def flag(c: str, r: dict[str, Any] = r) -> bool:
            return _BOOL[(r.get(c) or "").lower()]

        out.append(
            BranchFactors(
                r["enterprise"],
                r["unit"],
                r["jurisdiction"],
                int(r["year"]),
                int(money["revenue_fen"][i]),
                int(money["payroll_fen"][i]),
                int(money["assets_fen"][i]),
                per("opened"),
                per("closed"),
                flag("support_no_vat"),
                flag("small_low_profit"),
            )
        )
    hq = {(f.enterprise, f.year) for f in out if f.is_head_office}
    for i, f in enumerate(out):
        if (f.enterprise, f.year) not in hq:
            errors.append(
                f"{path}:row {i + ck.first}:column unit: enterprise {f.enterprise} year {f.year} has no unit 'HQ'"
            )
            return None
    return out


def read_contributions(
    path: Path, errors: list[str], agreements: set[str] | None = None
) -> list[Contribution] | None:
    ck = _open_checked(path, errors, ("agreement", "jurisdiction", "period", "amount_fen"))
    if ck is None:
        return None
    df = ck.df
    n0 = len(errors)
    ck.nonempty("agreement")
    ck.matches("jurisdiction", r"^\d{6}$", "not a 6-digit GB/T 2260 code")
    ck.matches("period", _PERIOD_RE, "not a month YYYY-MM")
    if agreements is not None:
        ck.bad(
            "agreement",
            (~df["agreement"].is_in(sorted(agreements)).fill_null(False)).to_numpy(),
            "unknown agreement (not in the agreements file)",
        )
    amt = ck.integer("amount_fen")
    if len(errors) > n0:
        return None
    per = _period_codes(df["period"])
    return [
        Contribution(a, j, int(p), int(x))
        for a, j, p, x in zip(
            df["agreement"].to_list(), df["jurisdiction"].to_list(), per.tolist(), amt.to_list(), strict=True
        )
    ]


def read_indicators(path: Path, errors: list[str]) -> IndicatorRows | None:
    ck = _open_checked(path, errors, ("enterprise", "period", "indicator", "value"))
    if ck is None:
        return None
    df = ck.df
    n0 = len(errors)
    ck.nonempty("enterprise")
    ck.matches("period", _PERIOD_RE, "not a month YYYY-MM")
    from .types import INDICATORS

    ck.bad(
        "indicator",
        (~df["indicator"].is_in(list(INDICATORS)).fill_null(False)).to_numpy(),
        f"unknown indicator (one of {', '.join(INDICATORS)})",
    )
    val = ck.integer("value")
    if len(errors) > n0:
        return None
    return IndicatorRows(
        tuple(df["enterprise"].to_list()),
        tuple(_period_codes(df["period"]).tolist()),
        tuple(df["indicator"].to_list()),
        tuple(val.to_list()),
    )


def read_agreements(path: Path, errors: list[str]) -> AgreementSet | None:
    from .agreements import parse_agreements

    try:
        doc = json.loads(_decode(path.read_bytes()))
    except FileNotFoundError:
        errors.append(f"{path}: file not found")
        return None
    except json.JSONDecodeError as e:
        errors.append(f"{path}:line {e.lineno}:column {e.colno}: invalid JSON: {e.msg}")
        return None
    try:
        return parse_agreements(doc, str(path))
    except EngineInputError as e:
        errors.append(str(e))
        return None


# ---------------------------------------------------------------------------------------------------
# writing
# ---------------------------------------------------------------------------------------------------


def _csv(path: Path, header: Sequence[str], columns: Sequence[Any]) -> None:
    """Text columns must already be safe for spreadsheets (``csv_cell``); numbers are written as they are."""
    pl.DataFrame(
        {h: list(c) if not isinstance(c, np.ndarray) else c for h, c in zip(header, columns, strict=True)}
    ).write_csv(path)


def _safe_texts(values: Sequence[str]) -> np.ndarray:
    # Applied to the (small) vocabularies, then indexed: text from the inputs (agreement ids, roles, tax
    # types, codes) that Excel or WPS would run as a formula gets its leading quote at no cost per row.
    return np.asarray([csv_cell(v) for v in values] or [""], dtype=object)


def _write_dicts(path: Path, rows: list[dict[str, Any]]) -> None:
    with path.open("w", encoding="utf-8", newline="") as f:
        w = csv.DictWriter(f, list(rows[0]))
        w.writeheader()
        w.writerows({k: csv_cell(v) for k, v in r.items()} for r in rows)


def write_outputs(result: Settlement, out_dir: Path, summary: dict[str, Any]) -> list[Path]:
    """Write into a fresh temporary directory beside ``out_dir``, then move the files in.

    A crash half-way therefore leaves no partial set of result files in ``out_dir``.
    """
    out_dir.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=".settle-", dir=out_dir.parent))
    try:
        jur = _safe_texts(result.jurisdictions)
        agr = _safe_texts(result.agreement_ids)
        tax = _safe_texts(result.tax_types)
        roles = [[csv_cell(r) for r in parties] for parties in result.roles]
        role_of = [
            roles[a][s]
            for a, s in zip(result.alloc_agreement.tolist(), result.alloc_party.tolist(), strict=True)
        ]
        periods = {
            p: format_period(p) for p in set(result.alloc_period.tolist()) | set(result.pos_period.tolist())
        }
        _csv(
            tmp / "allocations.csv",
            ("agreement", "period", "tax_type", "jurisdiction", "role", "ratio_bp", "base_fen", "share_fen"),
            (
                agr[result.alloc_agreement].astype(str),
                [periods[p] for p in result.alloc_period.tolist()],
                tax[result.alloc_tax].astype(str),
                jur[result.alloc_jurisdiction].astype(str),
                role_of,
                result.alloc_ratio_bp,
                result.alloc_base,
                result.alloc_share,
            ),
        )
        _csv(
            tmp / "positions.csv",
            ("period", "jurisdiction", "collected_fen", "entitled_fen", "net_fen"),
            (
                [periods[p] for p in result.pos_period.tolist()],
                jur[result.pos_jurisdiction].astype(str),
                result.pos_collected,
                result.pos_entitled,
                result.pos_net,
            ),
        )
        _csv(
            tmp / "transfers.csv",
            ("period", "payer", "payee", "amount_fen"),
            (
                [format_period(t[0]) for t in result.transfers],
                [csv_cell(t[1]) for t in result.transfers],
                [csv_cell(t[2]) for t in result.transfers],
                [t[3] for t in result.transfers],
            ),
        )
        if result.statistics:
            _write_dicts(tmp / "statistics.csv", result.statistics)
        if result.headquarters:
            _write_dicts(tmp / "headquarters.csv", result.headquarters)
        (tmp / "summary.json").write_text(
            json.dumps(summary, ensure_ascii=False, indent=2) + "\n", encoding="utf-8"
        )
        out_dir.mkdir(parents=True, exist_ok=True)
        written = []
        for item in sorted(tmp.iterdir()):
            os.replace(item, out_dir / item.name)
            written.append(out_dir / item.name)
        return written
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
