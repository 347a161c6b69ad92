"""Import of an edited export as updates. Every row is checked first; with any error nothing is written
(unless the user asked to apply the good rows), and each error names its row and column.

Reading is bounded whatever the file holds: CSV is decoded and parsed as a stream, an .xlsx archive is
checked from its directory (entries, expanded size, compression ratio) before any of it is decompressed and
then read in streaming mode, and at most ``max_rows`` rows are read. Rows are numbered as a spreadsheet
shows them: the header is row 1."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import IO, Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from tongcheng.kit import tables
from tongcheng.kit.tables import TableError

from .services import ServiceError

__all__ = [
    "ImportError_",
    "ImportResult",
    "ImportSpec",
    "TableError",
    "TableLimits",
    "read_table",
    "run_import",
]


class TableLimits(tables.TableLimits):
    """The reader's bounds (``tongcheng.kit.tables``), taken from the settings for uploads."""

    @classmethod
    def from_settings(cls) -> TableLimits:
        return cls(
            max_rows=settings.TONGCHENG_IMPORT_MAX_ROWS,
            xlsx_max_expanded_bytes=settings.TONGCHENG_XLSX_MAX_EXPANDED_BYTES,
            xlsx_max_ratio=settings.TONGCHENG_XLSX_MAX_RATIO,
            xlsx_max_entries=settings.TONGCHENG_XLSX_MAX_ENTRIES,
        )


Row = tuple[int, dict[str, str]]  # (row number as a spreadsheet shows it, values by column name)


@dataclass
class ImportError_:
    row: int  # 1-based, counting the header as row 1, as a spreadsheet shows it
    column: str
    message: str


@dataclass
class ImportResult:
    updated: int = 0
    unchanged: int = 0
    errors: list[ImportError_] = field(default_factory=list)
    applied: bool = False


@dataclass
class ImportSpec:
    key_column: str
    columns: dict[str, Callable[[str], Any]]  # updatable column -> parser raising ValueError/ValidationError
    # (user, keys) -> {key: object} of those the user may change; called once per import, not once per row
    find: Callable[[Any, list[str]], dict[str, Any]]
    # (user, [(object, changes, version)], apply_valid) -> an outcome with ``changed``, ``unchanged``,
    # ``written`` and ``errors`` ({index in the list: ServiceError}); writes nothing when any row is refused
    # unless apply_valid
    update: Callable[[Any, list[tuple[Any, dict[str, Any], int | None]], bool], Any]


# --- reading ----------------------------------------------------------------------------------------------

# The reader's errors in the user's language, by code. Each msgid is the reader's own English text
# (tables.MESSAGES; tests/kit/test_tables.py keeps the two equal), so the command line and the web say the
# same thing about the same problem.
_MESSAGES: dict[str, Any] = {
    "unsupported_type": gettext_lazy("The file must end in %(accepted)s."),
    "not_found": gettext_lazy("The file does not exist."),
    "not_text": gettext_lazy("The file is neither UTF-8 nor GBK text."),
    "mixed_encoding": gettext_lazy(
        "Line %(line)d is not %(encoding)s like the rest of the file; save the whole file in one encoding."
    ),
    "nul": gettext_lazy("Row %(row)d contains a NUL character."),
    "field_too_long": gettext_lazy("Row %(row)d has a value longer than %(limit)d characters."),
    "bad_csv": gettext_lazy("Row %(row)d cannot be read as CSV."),
    "line_break_in_value": gettext_lazy(
        "Row %(row)d has a line break inside a value; keep each record on one line."
    ),
    "too_many_rows": gettext_lazy(
        "The file has more than %(count)s rows; import at most that many at a time."
    ),
    "duplicate_column": gettext_lazy("The header names the column %(column)s twice."),
    "too_many_values": gettext_lazy("Row %(row)d has more values than the header has columns."),
    "invalid_xlsx": gettext_lazy("The file is not a valid .xlsx workbook."),
    "xlsx_too_many_parts": gettext_lazy(
        "The workbook has more than %(count)d parts; it is not a list export."
    ),
    "xlsx_too_large": gettext_lazy("The workbook expands to more than %(limit)s; it is not a list export."),
    "xlsx_ratio": gettext_lazy(
        "The workbook is compressed more than %(ratio)d to 1 and is refused as a possible zip bomb."
    ),
    "xlsx_row_unreadable": gettext_lazy("Row %(row)d of the workbook cannot be read."),
    "formula_cell": gettext_lazy(
        "Cell %(cell)s holds a formula; replace it by its value (Paste Special, Values) and save again."
    ),
    "number_too_large": gettext_lazy(
        "Cell %(cell)s holds a number beyond 2^53, which a spreadsheet cannot store exactly; enter it as text."
    ),
    "invalid_parquet": gettext_lazy("The file is not a valid Parquet file."),
    "unsupported_column_type": gettext_lazy(
        "The column %(column)s has the type %(type)s, which cannot be read as text."
    ),
}


def translated(error: tables.TableError) -> TableError:
    """The same error with its message in the active language."""
    params = dict(error.params)
    if error.code == "xlsx_too_large":
        params["limit"] = filesizeformat(params["limit"])
    template = _MESSAGES.get(error.code)
    message = str(template) % params if template is not None else error.message
    return TableError(error.code, error.params, row=error.row, column=error.column, message=message)


def read_table(upload_name: str, file: IO[bytes], limits: TableLimits | None = None) -> Iterator[Row]:
    """The data rows of an uploaded .csv or .xlsx (read from the start of ``file``) as an iterator of
    ``(row number, {column: text})``, by the rules of ``tongcheng.kit.tables``. A file that cannot be
    opened, or whose header is wrong, raises TableError here; a bad row raises it when it is reached."""
    try:
        rows = tables.read_rows(
            upload_name, file, limits or TableLimits.from_settings(), kinds=("csv", "xlsx")
        )
    except tables.TableError as exc:
        if exc.code == "unsupported_type":
            raise TableError(exc.code, message=_("Upload a .csv or .xlsx file.")) from None
        raise translated(exc) from None
    return _translating(rows)


def _translating(rows: Iterator[Row]) -> Iterator[Row]:
    try:
        yield from rows
    except tables.TableError as exc:
        raise translated(exc) from None


# --- checking and writing ---------------------------------------------------------------------------------


def _message(exc: Exception) -> str:
    if isinstance(exc, ValidationError):
        return "; ".join(str(m) for m in exc.messages)
    if isinstance(exc, ServiceError):
        return str(exc.message)
    return str(exc)


def run_import(
    user: Any,
    spec: ImportSpec,
    rows: list[Row],
    apply_good_rows: bool = False,
    progress: Callable[[int, int], None] | None = None,
) -> ImportResult:
    """Check every row, then write through ``spec.update``. ``progress(done, total)`` is told how many rows
    have been checked, every twentieth of the file (a background job moves its progress bar with it)."""
    result = ImportResult()
    if rows and spec.key_column not in rows[0][1]:
        result.errors.append(ImportError_(1, spec.key_column, _("The column is missing.")))
        return result
    keys = sorted({(values.get(spec.key_column) or "").strip() for _number, values in rows} - {""})
    found = spec.find(user, keys)
    first_row: dict[str, int] = {}
    planned: list[tuple[int, Any, dict[str, Any], int | None]] = []
    step = max(len(rows) // 20, 1)
    for done, (number, row) in enumerate(rows, start=1):
        if progress is not None and done % step == 0:
            progress(done, len(rows))
        key = (row.get(spec.key_column) or "").strip()
        obj = found.get(key) if key else None
        if obj is None:
            result.errors.append(
                ImportError_(
                    number,
                    spec.key_column,
                    _("No record you may change has this key: %(key)s") % {"key": key},
                )
            )
            continue
        if key in first_row:
            result.errors.append(
                ImportError_(
                    number,
                    spec.key_column,
                    _("This key is already in row %(row)d; each record may appear once.")
                    % {"row": first_row[key]},
                )
            )
            continue
        first_row[key] = number
        changes: dict[str, Any] = {}
        row_ok = True
        for column, parse in spec.columns.items():
            if column not in row:
                continue
            try:
                changes[column] = parse((row[column] or "").strip())
            except (ValueError, ValidationError) as exc:
                result.errors.append(ImportError_(number, column, _message(exc)))
                row_ok = False
        version_text = (row.get("version") or "").strip()
        if version_text and not version_text.isdigit():
            result.errors.append(ImportError_(number, "version", _("Enter a whole number.")))
            row_ok = False
        version = int(version_text) if version_text.isdigit() else None
        if row_ok:
            planned.append((number, obj, changes, version))
    if result.errors and not apply_good_rows:
        return result
    outcome = spec.update(
        user, [(obj, changes, version) for _n, obj, changes, version in planned], apply_good_rows
    )
    for index, refusal in sorted(outcome.errors.items()):
        result.errors.append(
            ImportError_(planned[index][0], refusal.field or spec.key_column, _message(refusal))
        )
    result.errors.sort(key=lambda e: e.row)
    if not outcome.written:
        return result
    result.updated, result.unchanged = outcome.changed, outcome.unchanged
    result.applied = True
    return result
