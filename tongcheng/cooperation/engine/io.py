"""Reading settlement inputs (CSV in UTF-8 or GBK, XLSX, Parquet, JSON) and writing the results.

Every reader validates whole columns at once and reports each bad cell as ``file:row N:column C: message``.
Row numbers are those a user sees: in CSV and XLSX the header is row 1, so the first record is row 2; in
Parquet the first record is row 1. Nothing is written unless every input is valid (see ``write_outputs``).
"""

from __future__ import annotations

import csv
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

from tongcheng.kit.tables import TableError, open_table
from tongcheng.kit.textsafety import csv_cell

from .local_shares import parse_rows
from .reading import MAX_ERRORS_PER_COLUMN, amount_problem, ascii_text
from .types import (
    AgreementSet,
    BranchFactors,
    Contribution,
    EngineInputError,
    IndicatorRows,
    LocalShareRow,
    Settlement,
    format_period,
)

USCC_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
_USCC_WEIGHTS = [pow(3, i, 31) for i in range(17)]
# [0-9], never \d: polars' \d also matches full-width and other Unicode digits, which int casts refuse
_PERIOD_RE = r"^[0-9]{4}-(0[1-9]|1[0-2])$"


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


def uscc_valid_many(codes: Sequence[str]) -> np.ndarray:
    """``uscc_valid`` over many codes at once (numpy over the character codes)."""
    if not codes:
        return np.zeros(0, dtype=bool)
    lookup = np.full(128, -1, dtype=np.int64)
    for i, ch in enumerate(USCC_ALPHABET):
        lookup[ord(ch)] = i
    ok = np.fromiter((len(c) == 18 and c.isascii() for c in codes), dtype=bool, count=len(codes))
    if not ok.any():
        return ok
    good = [c for c, k in zip(codes, ok.tolist(), strict=True) if k]
    chars = np.frombuffer("".join(good).encode("ascii"), dtype=np.uint8).reshape(-1, 18)
    values = lookup[np.minimum(chars, 127)]
    valid_chars = (values >= 0).all(axis=1)
    weights = np.asarray(_USCC_WEIGHTS, dtype=np.int64)
    check = (31 - (values[:, :17] * weights).sum(axis=1) % 31) % 31
    ok[np.flatnonzero(ok)] = valid_chars & (check == values[:, 17])
    return ok


# ---------------------------------------------------------------------------------------------------
# tabular reading (small tables; receipts are read in batches by ``reading``)
# ---------------------------------------------------------------------------------------------------


def table_error_line(path: Path, error: TableError) -> str:
    if error.code == "not_found":
        return f"{path}: file not found"
    where = f"{path}"
    if error.row is not None:
        where += f":row {error.row}"
    if error.column is not None:
        where += f":column {error.column}"
    return f"{where}: {error.message}"


def read_table(path: Path) -> tuple[pl.DataFrame, int]:
    """All columns as trimmed strings (through the shared reader, ``tongcheng.kit.tables``), names in lower
    case, full-width ASCII forms mapped to ASCII (``reading.FULL_WIDTH``), and the row number of the first
    record; ``__row`` holds each record's row number."""
    try:
        with open_table(path) as table:
            names = [h for h in table.header if h]
            columns: dict[str, list[str]] = {n.lower(): [] for n in names}
            numbers: list[int] = []
            for batch in table.batches():
                numbers.extend(batch.rows.tolist())
                for n in names:
                    columns[n.lower()].extend(batch.columns[n].to_pylist())
            first = table.first_row
    except TableError as e:
        raise InputErrors([table_error_line(path, e)]) from None
    df = pl.DataFrame({c: pl.Series(c, v, dtype=pl.String) for c, v in columns.items()})
    df = df.with_columns(pl.col(c).str.strip_chars() for c in df.columns)
    df = df.with_columns(
        pl.col(c).map_batches(lambda s: pl.Series(s.name, ascii_text(s.to_list()), dtype=pl.String))
        for c in df.columns
        if c not in _FREE_TEXT and not df[c].str.contains(r"^[\x00-\x7f]*$").all()
    )
    # Excel turns a typed "2026-01" into a date cell; read such a date as its month
    months = [c for c in df.columns if c in _MONTH_COLUMNS]
    if months:
        df = df.with_columns(
            pl.col(c).str.replace(r"^([0-9]{4}-[0-9]{2})-[0-9]{2}( 00:00:00(\.0+)?)?$", "${1}")
            for c in months
        )
    df = df.with_columns(pl.Series("__row", numbers, dtype=pl.Int64))
    return df, first


_MONTH_COLUMNS = ("period", "opened", "closed", "valid_from", "valid_to")
_FREE_TEXT = ("name_zh", "name_en", "source", "project", "unit")


class _Checker:
    def __init__(self, path: Path, df: pl.DataFrame, first_row: int, errors: list[str]) -> None:
        self.path, self.df, self.first, self.errors = path, df, first_row, errors

    def require(self, columns: Sequence[str]) -> bool:
        missing = [c for c in columns if c not in self.df.columns]
        for c in missing:
            self.errors.append(f"{self.path}:row 1:column {c}: missing column")
        return not missing

    def bad(self, column: str, mask: pl.Series | np.ndarray, message: str) -> None:
        rows = np.flatnonzero(np.asarray(mask, dtype=bool))
        values = self.df[column].to_list() if rows.size else []
        numbers = self.df["__row"].to_list() if rows.size else []
        for r in rows[:MAX_ERRORS_PER_COLUMN]:
            self.errors.append(f"{self.path}:row {numbers[r]}:column {column}: {message} (got {values[r]!r})")
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
        ok = s.str.contains(r"^-?[0-9]{1,18}$").fill_null(optional)
        if optional:
            ok = ok | s.is_null() | (s == "")
        bad = np.flatnonzero(~ok.to_numpy())
        money = column.endswith("fen") or column == "amount"
        values = s.to_list()
        numbers = self.df["__row"].to_list()
        for r in bad[:MAX_ERRORS_PER_COLUMN].tolist():
            message = amount_problem(values[r] or "") if money else "not an integer"
            self.errors.append(f"{self.path}:row {numbers[r]}:column {column}: {message} (got {values[r]!r})")
        if bad.size > MAX_ERRORS_PER_COLUMN:
            self.errors.append(
                f"{self.path}:column {column}: {bad.size - MAX_ERRORS_PER_COLUMN} more rows with errors"
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


def _open_checked(path: Path, errors: list[str], columns: Sequence[str]) -> _Checker | None:
    """Read a table and check its required columns; on failure the errors are recorded and None returned."""
    try:
        df, first = read_table(path)
    except InputErrors as e:
        errors.extend(e.errors)
        return None
    ck = _Checker(path, df, first, errors)
    return ck if ck.require(columns) else None


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
    ck.matches("jurisdiction", r"^[0-9]{6}$", "not a 6-digit GB/T 2260 code")
    ck.matches("year", r"^[0-9]{4}$", "not a year")
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
    rows = df["__row"].to_list()
    hq = {(f.enterprise, f.year) for f in out if f.is_head_office}
    for i, f in enumerate(out):
        if (f.enterprise, f.year) not in hq:
            errors.append(
                f"{path}:row {rows[i]}:column unit: enterprise {f.enterprise} year {f.year} has no unit 'HQ'"
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
    ck.matches("jurisdiction", r"^[0-9]{6}$", "not a 6-digit GB/T 2260 code")
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


#: where JSON too deep for Python's recursive parser is reported: the first bracket nested deeper than this
MAX_JSON_DEPTH = 64
_JSON_TOKEN = re.compile(r'"(?:[^"\\]|\\.)*"|[\[\]{}]')


def _json_too_deep(text: str) -> tuple[int, int] | None:
    """(line, column) of the first bracket nested deeper than MAX_JSON_DEPTH, or None."""
    depth = 0
    for m in _JSON_TOKEN.finditer(text):
        token = m.group()
        if token in "[{":
            depth += 1
            if depth > MAX_JSON_DEPTH:
                at = m.start()
                line = text.count("\n", 0, at) + 1
                return line, at - (text.rfind("\n", 0, at) + 1) + 1
        elif token in "]}":
            depth -= 1
    return None


def _no_duplicate_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in pairs:
        if key in out:
            raise ValueError(f"the key {key!r} appears twice in one object; the second would silently win")
        out[key] = value
    return out


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a number JSON allows")


def read_agreements(
    path: Path,
    errors: list[str],
    known_taxes: set[str] | None = None,
    periods: tuple[int, int] | None = None,
) -> AgreementSet | None:
    """Read and check the agreements file: UTF-8 JSON (a BOM is allowed), no duplicated keys, no
    NaN/Infinity, at most MAX_JSON_DEPTH levels; with ``known_taxes`` every tax type named must be
    known; with ``periods`` (first, last) every party and ``collected_in`` code must be a GB/T 2260 code
    in use in each settled year of the agreement's term."""
    from .agreements import parse_agreements

    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        errors.append(f"{path}: file not found")
        return None
    except IsADirectoryError:
        errors.append(f"{path}: is a directory, not a file")
        return None
    if raw.startswith(b"\xef\xbb\xbf"):
        raw = raw[3:]
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as e:
        line = raw.count(b"\n", 0, e.start) + 1
        errors.append(f"{path}:line {line}: not UTF-8 text (JSON files must be UTF-8)")
        return None
    try:
        doc = json.loads(text, object_pairs_hook=_no_duplicate_keys, parse_constant=_no_constant)
    except json.JSONDecodeError as e:
        errors.append(f"{path}:line {e.lineno}:column {e.colno}: invalid JSON: {e.msg}")
        return None
    except RecursionError:
        deep = _json_too_deep(text) or (1, 1)
        errors.append(
            f"{path}:line {deep[0]}:column {deep[1]}: JSON nested more than {MAX_JSON_DEPTH} levels deep"
        )
        return None
    except ValueError as e:
        errors.append(f"{path}: invalid JSON: {e}")
        return None
    try:
        agreements = parse_agreements(doc, str(path), known_taxes)
    except EngineInputError as e:
        errors.append(str(e))
        return None
    if periods is not None:
        bad = _division_problems(path, agreements, *periods)
        if bad:
            errors.extend(bad)
            return None
    return agreements


def _division_problems(path: Path, agreements: AgreementSet, first: int, last: int) -> list[str]:
    from . import divisions
    from .types import CENTRAL_TREASURY

    out = []
    for i, ag in enumerate(agreements.agreements):
        end = ag.term.end if ag.term.end is not None else last
        if ag.term.extended and ag.term.extension_end is not None:
            end = ag.term.extension_end
        lo, hi = max(first, ag.term.start), min(last, end)
        if lo > hi:
            continue  # not settled in this run
        named = [(f"parties[{k}].jurisdiction", p.jurisdiction) for k, p in enumerate(ag.parties)]
        named += [(f"scope.collected_in[{k}]", j) for k, j in enumerate(ag.collected_in)]
        for where, code in named:
            if code == CENTRAL_TREASURY:
                continue
            for year in range(lo // 12, hi // 12 + 1):
                if not divisions.in_use(code, year):
                    what = "not in use" if divisions.known(code) else "not a GB/T 2260 code"
                    out.append(
                        f"{path}:agreements[{i}].{where}: {code} is {what} in {year}, "
                        "a settled year of the agreement's term"
                    )
                    break
    return out


# ---------------------------------------------------------------------------------------------------
# writing
# ---------------------------------------------------------------------------------------------------


def _csv(path: Path, header: Sequence[str], columns: Sequence[Any]) -> None:
    """Text columns must already be safe for spreadsheets (``csv_cell``); numbers are written as they are."""
    pl.DataFrame(
        {
            h: c if isinstance(c, np.ndarray | pl.Series) else list(c)
            for h, c in zip(header, columns, strict=True)
        }
    ).write_csv(path)


def _coded(codes: np.ndarray, vocabulary: Sequence[str]) -> Any:
    """A text column from codes into a vocabulary, as an Arrow string column. The (small) vocabulary is
    made safe for spreadsheets once: text from the inputs (agreement ids, roles, tax types, codes) that
    Excel or WPS would run as a formula gets its leading quote at no cost per row."""
    import pyarrow as pa

    safe = pa.array([csv_cell(v) for v in vocabulary] or [""], type=pa.string())
    return pl.from_arrow(safe.take(pa.array(np.asarray(codes, dtype=np.int64))))


def _write_dicts(path: Path, rows: list[dict[str, Any]]) -> None:
    with path.open("w", encoding="utf-8", newline="") as f:
        w = csv.DictWriter(f, list(rows[0]))
        w.writeheader()
        w.writerows({k: csv_cell(v) for k, v in r.items()} for r in rows)


#: the files a run may write; a result folder holds nothing else (see ``check_out_dir``)
RESULT_FILES = frozenset(
    {
        "allocations.csv",
        "positions.csv",
        "transfers.csv",
        "summary.json",
        "statistics.csv",
        "headquarters.csv",
    }
)


def check_out_dir(out_dir: Path) -> str | None:
    """Why ``out_dir`` cannot take the results, or None. A run replaces the folder as a whole, so it must
    be new, empty, or a previous result folder: never a file, never a folder of other files."""
    if out_dir.exists() and not out_dir.is_dir():
        return f"--out: {out_dir} is a file; give a folder (a run replaces it as a whole)"
    if out_dir.is_dir():
        others = sorted(p.name for p in out_dir.iterdir() if p.name not in RESULT_FILES)
        if others:
            shown = ", ".join(others[:3]) + (" …" if len(others) > 3 else "")
            return (
                f"--out: {out_dir} holds files that are not settlement results ({shown}); a run replaces "
                "the folder as a whole, so give a new folder or a previous result folder"
            )
    parent = out_dir.parent
    while not parent.exists() and parent != parent.parent:
        parent = parent.parent
    if not parent.is_dir():
        return f"--out: {parent} is a file, so {out_dir} cannot be created"
    return None


def _exchange(a: Path, b: Path) -> bool:
    """Swap two directories in one atomic step (Linux renameat2 RENAME_EXCHANGE); False if unsupported."""
    import ctypes

    try:
        libc = ctypes.CDLL(None, use_errno=True)
        renameat2 = libc.renameat2
    except (OSError, AttributeError):
        return False
    at_fdcwd, rename_exchange = -100, 2
    done = renameat2(at_fdcwd, os.fsencode(a), at_fdcwd, os.fsencode(b), rename_exchange)
    return bool(done == 0)


def replace_dir(new: Path, out_dir: Path) -> None:
    """Make ``new`` the folder ``out_dir`` in one rename: a new folder is renamed into place; an existing
    one is exchanged with it atomically (the old results end up in ``new``, which the caller removes).
    Where the system cannot exchange, the old folder is renamed aside first and restored on failure."""
    if not out_dir.exists():
        os.rename(new, out_dir)
        return
    if _exchange(new, out_dir):
        return
    aside = Path(tempfile.mkdtemp(prefix=f".{out_dir.name}.old-", dir=out_dir.parent))
    aside.rmdir()
    os.rename(out_dir, aside)
    try:
        os.rename(new, out_dir)
    except OSError:
        os.rename(aside, out_dir)
        raise
    os.rename(aside, new)  # the caller removes ``new`` with the old results in it


def write_outputs(result: Settlement, out_dir: Path, summary: dict[str, Any]) -> list[Path]:
    """Write every result file into a fresh temporary folder beside ``out_dir``, then replace ``out_dir``
    by it in one rename (``replace_dir``).

    A failure half-way leaves the previous results whole, and a re-run never mixes files of two runs (a
    run without ``--factors`` leaves no headquarters.csv of an earlier run behind).
    """
    problem = check_out_dir(out_dir)
    if problem is not None:
        raise InputErrors([problem])
    out_dir.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{out_dir.name}.new-", dir=out_dir.parent))
    try:
        # text columns as codes into small vocabularies made formula-safe once (``_coded``)
        roles = [r for parties in result.roles for r in parties]
        first_role = np.cumsum([0] + [len(parties) for parties in result.roles])
        period_codes = np.concatenate([result.alloc_period, result.pos_period])
        p0 = int(period_codes.min()) if period_codes.size else 0
        n_periods = int(period_codes.max()) - p0 + 1 if period_codes.size else 1
        periods = [format_period(p0 + k) for k in range(n_periods)]
        _csv(
            tmp / "allocations.csv",
            ("agreement", "period", "tax_type", "jurisdiction", "role", "ratio_bp", "base_fen", "share_fen"),
            (
                _coded(result.alloc_agreement, result.agreement_ids),
                _coded(result.alloc_period - p0, periods),
                _coded(result.alloc_tax, result.tax_types),
                _coded(result.alloc_jurisdiction, result.jurisdictions),
                _coded(first_role[result.alloc_agreement] + result.alloc_party, roles),
                result.alloc_ratio_bp,
                result.alloc_base,
                result.alloc_share,
            ),
        )
        _csv(
            tmp / "positions.csv",
            ("period", "jurisdiction", "collected_fen", "entitled_fen", "net_fen"),
            (
                _coded(result.pos_period - p0, periods),
                _coded(result.pos_jurisdiction, result.jurisdictions),
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
        names = sorted(p.name for p in tmp.iterdir())
        for name in names:  # on disk before the folder becomes the results
            with (tmp / name).open("rb") as f:
                os.fsync(f.fileno())
        os.chmod(tmp, 0o777 & ~_umask())  # mkdtemp's 0700 would hide the results from the user's group
        replace_dir(tmp, out_dir)
        return [out_dir / name for name in names]
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask
