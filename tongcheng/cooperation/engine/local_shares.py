"""The dated table of local retained shares (地方留成比例) per tax type, in basis points.

The shipped table is ``data/local_shares.csv`` (sources in its last column, fiscal.md §3). A user file
overrides it per tax type: every tax type present in the override replaces all shipped rows of that tax
type, so a changed rate is stated once with its own dates and source.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable, Sequence
from pathlib import Path

import numpy as np

from .types import BP, EngineInputError, IntArray, LocalShareRow, format_period, parse_period

SHIPPED = Path(__file__).with_name("data") / "local_shares.csv"
COLUMNS = ("tax_type", "valid_from", "valid_to", "local_bp")


def parse_rows(records: Iterable[dict[str, str]], where: str, first_row: int = 2) -> list[LocalShareRow]:
    """Rows from dict records, each error naming ``where``, the row (CSV: header = row 1) and column."""
    rows: list[LocalShareRow] = []
    for counted, rec in enumerate(records, start=first_row):
        n = int(rec.get("__row") or counted)  # the reader's row number, blank rows counted
        for col in COLUMNS:
            if col not in rec:
                raise EngineInputError(f"missing column {col!r}", f"{where}:row {n}:column {col}")

        def period(col: str, value: str, n: int = n) -> int:
            try:
                return parse_period(value)
            except EngineInputError as e:
                raise EngineInputError(e.detail, f"{where}:row {n}:column {col}") from None

        tax = (rec["tax_type"] or "").strip()
        if not tax:
            raise EngineInputError("empty tax type", f"{where}:row {n}:column tax_type")
        start = period("valid_from", rec["valid_from"])
        end_text = (rec["valid_to"] or "").strip()
        end = period("valid_to", end_text) if end_text else None
        try:
            text = str(rec["local_bp"]).strip()
            if not text.isascii() or not text.isdigit():
                raise ValueError(text)  # int() would also take "5_000" or other scripts' digits
            bp = int(text)
        except ValueError:
            raise EngineInputError(
                f"local_bp {rec['local_bp']!r} is not an integer", f"{where}:row {n}:column local_bp"
            ) from None
        if not 0 <= bp <= BP:
            raise EngineInputError(f"local_bp {bp} outside 0..10000", f"{where}:row {n}:column local_bp")
        if end is not None and end < start:
            raise EngineInputError("valid_to before valid_from", f"{where}:row {n}:column valid_to")
        rows.append(
            LocalShareRow(tax, start, end, bp, rec.get("name_zh", "") or "", rec.get("source", "") or "")
        )
    _check_overlaps(rows, where)
    return rows


def _check_overlaps(rows: Sequence[LocalShareRow], where: str) -> None:
    by_tax: dict[str, list[LocalShareRow]] = {}
    for r in rows:
        by_tax.setdefault(r.tax_type, []).append(r)
    for tax, rs in by_tax.items():
        rs = sorted(rs, key=lambda r: r.valid_from)
        for a, b in zip(rs, rs[1:], strict=False):
            if a.valid_to is None or a.valid_to >= b.valid_from:
                raise EngineInputError(
                    f"tax type {tax}: rows from {format_period(a.valid_from)} and "
                    f"{format_period(b.valid_from)} overlap",
                    where,
                )


def load_shipped() -> list[LocalShareRow]:
    with SHIPPED.open(encoding="utf-8", newline="") as f:
        return parse_rows(csv.DictReader(f), str(SHIPPED.name))


def merge(shipped: Sequence[LocalShareRow], override: Sequence[LocalShareRow]) -> list[LocalShareRow]:
    replaced = {r.tax_type for r in override}
    return [r for r in shipped if r.tax_type not in replaced] + list(override)


def lookup_table(
    rows: Sequence[LocalShareRow], tax_types: Sequence[str], first: int, last: int, required: IntArray
) -> IntArray:
    """bp of shape (len(tax_types), last - first + 1); ``required[t, p]`` marks cells that must exist.

    A receipt whose tax type or month the table does not cover is an error, not a silent zero.
    """
    n_per = last - first + 1
    table = np.full((len(tax_types), n_per), -1, dtype=np.int64)
    index = {t: i for i, t in enumerate(tax_types)}
    for r in rows:
        t = index.get(r.tax_type)
        if t is None:
            continue
        lo = max(r.valid_from, first) - first
        hi = (last if r.valid_to is None else min(r.valid_to, last)) - first
        if hi >= lo:
            table[t, lo : hi + 1] = r.local_bp
    missing = np.argwhere((table < 0) & required)
    if missing.size:
        t, p = missing[0]
        raise EngineInputError(
            f"no local retained share for tax type {tax_types[t]!r} in {format_period(first + int(p))} "
            "(add a row to the local shares table)"
        )
    return np.maximum(table, 0)
