"""Text that spreadsheets must not run as a formula (CSV/formula injection, OWASP).

Excel and WPS treat a cell that begins with = + - @ (or a tab or carriage return before one) as a formula,
which can run commands or send data away. Every file Tongcheng writes for spreadsheets goes through this
module: the web exports and the settlement engine alike, so it imports nothing from Django.

* CSV: such a text cell gets one leading quote, which the spreadsheet shows as text. Text that already
  starts with quotes followed by such a character gets one more, so that ``from_csv_cell`` can remove
  exactly the one that was added and an exported file imports again unchanged.
* XLSX: text is written as a string cell (``write_xlsx_row``), which is never evaluated; nothing is added.
Numbers are never changed: a negative amount stays a number.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Sequence
from datetime import date, datetime
from decimal import Decimal
from typing import Any

__all__ = [
    "FORMULA_START",
    "FORMULA_START_PATTERN",
    "csv_cell",
    "csv_row",
    "from_csv_cell",
    "starts_like_formula",
    "write_xlsx_row",
]

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
# The same rule for vectorised writers (e.g. polars): text whose first character after any quotes is one
# of FORMULA_START.
FORMULA_START_PATTERN = r"^'*[=+\-@\t\r]"
_FORMULA_START_RE = re.compile(FORMULA_START_PATTERN)
# Spreadsheets hold numbers as binary floats: larger integers would lose digits, so they are written as text.
_EXACT_FLOAT_LIMIT = 2**53


def starts_like_formula(text: str) -> bool:
    """Whether a spreadsheet could read this text (with the quotes it may already start with) as a formula."""
    return _FORMULA_START_RE.match(text) is not None


def csv_cell(value: Any) -> Any:
    """A value ready for a CSV cell: formula-like text gets one leading quote; anything else is unchanged."""
    if isinstance(value, str) and starts_like_formula(value):
        return "'" + value
    return value


def csv_row(values: Iterable[Any]) -> list[Any]:
    return [csv_cell(v) for v in values]


def from_csv_cell(text: str) -> str:
    """The text a CSV cell written by ``csv_cell`` stood for: the one quote it added is removed."""
    if text.startswith("'") and starts_like_formula(text[1:]):
        return text[1:]
    return text


def write_xlsx_row(sheet: Any, row: int, values: Sequence[Any], cell_format: Any = None) -> None:
    """Write one row into an xlsxwriter worksheet: text as string cells (never ``write``, which turns text
    starting with '=' into a formula), numbers as numbers, nothing for None."""
    for column, value in enumerate(values):
        if value is None or value == "":
            if cell_format is not None:
                sheet.write_blank(row, column, None, cell_format)
            continue
        if isinstance(value, bool):
            sheet.write_boolean(row, column, value, cell_format)
        elif isinstance(value, (int, float)) and math.isfinite(value) and abs(value) <= _EXACT_FLOAT_LIMIT:
            sheet.write_number(row, column, value, cell_format)
        elif isinstance(value, Decimal) and value.is_finite():
            # as text, so that no digit is lost to a binary float; it is never a formula
            sheet.write_string(row, column, str(value), cell_format)
        elif isinstance(value, (date, datetime)):
            sheet.write_string(row, column, value.isoformat(), cell_format)
        else:
            sheet.write_string(row, column, str(value), cell_format)
