"""Import of an edited export as updates. Every row is checked first; with any error nothing is written
(unless the user asked to apply the good rows), and each error names its row and column.

Reading is bounded whatever the file holds: CSV is decoded and parsed as a stream, an .xlsx archive is
checked from its directory (entries, expanded size, compression ratio) before any of it is decompressed and
then read in streaming mode, and at most ``max_rows`` rows are read. Rows are numbered as a spreadsheet
shows them: the header is row 1."""

from __future__ import annotations

import codecs
import csv
import io
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import IO, Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext as _

from tongcheng.kit.textsafety import from_csv_cell

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

# Below this expanded size an archive entry is not checked for its compression ratio: small XML parts of an
# ordinary workbook can compress very well, and cannot hold a worker however well they compress.
RATIO_CHECK_FROM_BYTES = 1024 * 1024
_CSV_FIELD_LIMIT = csv.field_size_limit()


class TableError(ValueError):
    """The upload cannot be read as a table; ``row`` locates the problem when it lies in one row."""

    def __init__(self, message: str, row: int | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.row = row


@dataclass(frozen=True)
class TableLimits:
    max_rows: int  # data rows, the header not counted
    xlsx_max_expanded_bytes: int
    xlsx_max_ratio: int
    xlsx_max_entries: int

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


def read_table(upload_name: str, file: IO[bytes], limits: TableLimits | None = None) -> list[Row]:
    """The data rows of an uploaded .csv or .xlsx (read from the start of ``file``), or TableError."""
    limits = limits or TableLimits.from_settings()
    name = upload_name.lower()
    if name.endswith(".xlsx"):
        return _rows(_xlsx_values(file, limits), limits, quoted=False)
    if name.endswith(".csv"):
        return _rows(_csv_values(file), limits, quoted=True)
    raise TableError(_("Upload a .csv or .xlsx file."))


def _rows(values: Iterator[list[str]], limits: TableLimits, quoted: bool) -> list[Row]:
    """Rows of values (header first) as numbered dicts. CSV cells lose the quote our export put in front
    of formula-like text (``quoted``); xlsx cells are text as they are."""
    header: list[str] | None = None
    rows: list[Row] = []
    number = 0
    while True:
        try:
            cells = next(values)
        except StopIteration:
            break
        number += 1
        if number > limits.max_rows + 1:
            raise TableError(
                _("The file has more than %(count)s rows; import at most that many at a time.")
                % {"count": limits.max_rows}
            )
        if any("\x00" in cell for cell in cells):
            raise TableError(_("Row %(row)d contains a NUL character.") % {"row": number}, row=number)
        if quoted:
            cells = [from_csv_cell(cell) for cell in cells]
        if header is None:
            header = [cell.strip() for cell in cells]
            while header and not header[-1]:
                header.pop()
            named = [h for h in header if h]
            if len(named) != len(set(named)):
                twice = next(h for h in named if named.count(h) > 1)
                raise TableError(
                    _("The header names the column %(column)s twice.") % {"column": twice}, row=1
                )
            continue
        if any(cell.strip() for cell in cells[len(header) :]):
            raise TableError(
                _("Row %(row)d has more values than the header has columns.") % {"row": number}, row=number
            )
        if not any(cell.strip() for cell in cells):
            continue  # a blank row
        cells = cells[: len(header)] + [""] * (len(header) - len(cells))
        rows.append((number, {h: cell for h, cell in zip(header, cells, strict=True) if h}))
    return rows


def _csv_encoding(file: IO[bytes]) -> str:
    """UTF-8 (with or without BOM), else GB18030 (which reads every GBK file that Chinese Excel saves),
    decided by decoding the whole file in chunks without keeping it."""
    for encoding, name in (("utf-8", "utf-8-sig"), ("gb18030", "gb18030")):
        file.seek(0)
        decoder = codecs.getincrementaldecoder(encoding)()
        try:
            for chunk in iter(lambda: file.read(1 << 16), b""):
                decoder.decode(chunk)
            decoder.decode(b"", final=True)
        except UnicodeDecodeError:
            continue
        return name
    raise TableError(_("The file is neither UTF-8 nor GBK text."))


def _csv_values(file: IO[bytes]) -> Iterator[list[str]]:
    encoding = _csv_encoding(file)
    file.seek(0)
    text = io.TextIOWrapper(file, encoding=encoding, newline="")
    try:
        reader = csv.reader(text)
        number = 0
        while True:
            try:
                cells = next(reader)
            except StopIteration:
                return
            except csv.Error as exc:
                row = number + 1
                if "field larger than field limit" in str(exc):
                    raise TableError(
                        _("Row %(row)d has a value longer than %(limit)d characters.")
                        % {"row": row, "limit": _CSV_FIELD_LIMIT},
                        row=row,
                    ) from None
                raise TableError(_("Row %(row)d cannot be read as CSV.") % {"row": row}, row=row) from None
            number += 1
            yield cells
    finally:
        text.detach()  # the upload's own file stays open for Django to close


def _zip_entry_count(file: IO[bytes]) -> int | None:
    """The entry count of the zip's end-of-central-directory record, read before the directory itself (whose
    parsing costs memory and time for every entry it declares); None when there is no such record."""
    file.seek(0, io.SEEK_END)
    size = file.tell()
    tail_size = min(size, 22 + 0xFFFF)  # the record is 22 bytes plus a comment of at most 64 KiB
    file.seek(size - tail_size)
    tail = file.read(tail_size)
    at = tail.rfind(b"PK\x05\x06")
    if at < 0 or len(tail) - at < 22:
        return None
    return int.from_bytes(tail[at + 10 : at + 12], "little")


def _check_archive(file: IO[bytes], limits: TableLimits) -> None:
    """Refuse a zip bomb from the archive's directory, before anything is decompressed. The sizes checked
    are those the directory declares; zipfile never expands an entry past its declared size."""
    invalid = _("The file is not a valid .xlsx workbook.")
    count = _zip_entry_count(file)
    if count is None:
        raise TableError(invalid)
    if count > limits.xlsx_max_entries:
        raise TableError(
            _("The workbook has more than %(count)d parts; it is not a list export.")
            % {"count": limits.xlsx_max_entries}
        )
    file.seek(0)
    try:
        with zipfile.ZipFile(file) as archive:
            entries = archive.infolist()
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, EOFError, ValueError):
        raise TableError(invalid) from None
    if len(entries) > limits.xlsx_max_entries:
        raise TableError(
            _("The workbook has more than %(count)d parts; it is not a list export.")
            % {"count": limits.xlsx_max_entries}
        )
    if sum(e.file_size for e in entries) > limits.xlsx_max_expanded_bytes:
        raise TableError(
            _("The workbook expands to more than %(limit)s; it is not a list export.")
            % {"limit": filesizeformat(limits.xlsx_max_expanded_bytes)}
        )
    for entry in entries:
        if entry.file_size > RATIO_CHECK_FROM_BYTES and entry.file_size > limits.xlsx_max_ratio * max(
            entry.compress_size, 1
        ):
            raise TableError(
                _(
                    "The workbook is compressed more than %(ratio)d to 1 and is refused as a possible zip bomb."
                )
                % {"ratio": limits.xlsx_max_ratio}
            )
    file.seek(0)


def _xlsx_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))  # Excel keeps every number as a float: 3.0 is the version 3
    if isinstance(value, datetime):
        return value.date().isoformat() if value.time() == datetime.min.time() else value.isoformat(sep=" ")
    return str(value)


def _xlsx_values(file: IO[bytes], limits: TableLimits) -> Iterator[list[str]]:
    _check_archive(file, limits)
    from openpyxl import load_workbook

    invalid = _("The file is not a valid .xlsx workbook.")
    try:
        book = load_workbook(file, read_only=True, data_only=True)
    except Exception:  # noqa: BLE001 - any failure to open the archive as a workbook is this file's fault
        raise TableError(invalid) from None
    try:
        if not book.worksheets:
            raise TableError(invalid)
        sheet = book.worksheets[0]
        # Trust the cells, not the size the sheet declares: a claimed A1:XFD1048576 would make the reader
        # pad every row to 16,384 cells and add empty rows up to a million.
        sheet.reset_dimensions()
        rows = sheet.iter_rows(values_only=True)
        number = 0
        while True:
            try:
                values = next(rows)
            except StopIteration:
                return
            except Exception:  # noqa: BLE001 - broken XML or a bad cell inside the archive
                raise TableError(
                    _("Row %(row)d of the workbook cannot be read.") % {"row": number + 1}, row=number + 1
                ) from None
            number += 1
            yield [_xlsx_text(v) for v in values]
    finally:
        book.close()


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
