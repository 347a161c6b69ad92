"""One table reader for every upload and input file: CSV, XLSX and Parquet, without Django.

The settlement engine (``tongcheng settle``) and the web importer (``tongcheng.kit.importing``) read files
through this module, so the same file is read by the same rules and the same problem is the same error.
It imports nothing from Django or from an app (import-linter contract "Tables import no Django").

Two shapes over the same parsing rules:

* ``read_rows`` gives numbered row dicts, for the web importer: ``(row, {column: text})``, rows numbered as a
  spreadsheet shows them (the header is row 1);
* ``open_table(...).batches()`` gives batches of string columns (pyarrow arrays), for the engine: columnar,
  with memory bounded by the batch size, each batch carrying the row numbers of its rows.

Rules (docs/settlement-formats.md, "Tabular files"):

* **Encoding of CSV.** A file that starts with a UTF-8 byte-order mark is UTF-8. Otherwise its first line
  holding any non-ASCII byte decides: UTF-8 if that line is valid UTF-8, else GB18030 (the superset of the
  GBK that Chinese Excel saves). Every other line must then be in the same encoding; the first that is not
  is refused by its line number (``mixed_encoding``), so a file pasted together from a UTF-8 and a GBK file
  never turns into silent mojibake. In a GB18030 file, a non-ASCII line that is valid UTF-8 counts as
  UTF-8.
* **Header.** Row 1 names the columns; names are trimmed. Two columns whose names differ only by case are
  the same column twice and refused (``duplicate_column``). Empty names at the end of the header are
  ignored.
* **Rows.** A blank row (no value in any cell, e.g. a trailing blank line) is skipped but still counted, so
  the row numbers stay those the spreadsheet shows. A CSV row with more values than the header is refused
  with its row number (``too_many_values``), unless the extra cells are empty. A NUL character is refused.
* **CSV cells** lose the one leading quote that Tongcheng's exports put in front of formula-like text
  (``from_csv_cell``), so an export imports again unchanged.
* **XLSX** is checked from the archive's directory before anything is decompressed (entry count read from
  the end-of-central-directory record, expanded size, compression ratio), then read in streaming mode from
  its first sheet. A formula cell is refused (``formula_cell``): its cached value may be a stale 0. A number
  whose magnitude exceeds 2^53 is refused (``number_too_large``): a spreadsheet cannot hold it exactly.
  A whole number is read without ``.0``; a date as ``YYYY-MM-DD``.
* **Parquet** is read in batches; each column is turned into text exactly (a decimal keeps its scale, so
  ``10000.00`` stays ``10000.00``), and a float beyond 2^53 is refused.

Errors are ``TableError`` with a stable ``code``, its ``params``, the ``row`` and ``column`` when known, and
an English ``message``; callers that speak another language translate by ``code`` (see
``tongcheng.kit.importing``).
"""

from __future__ import annotations

import contextlib
import csv
import io
import math
import zipfile
from collections.abc import Generator, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time
from decimal import Decimal
from pathlib import Path
from typing import IO, Any

import numpy as np

from tongcheng.kit.textsafety import from_csv_cell

__all__ = [
    "MESSAGES",
    "Batch",
    "Table",
    "TableError",
    "TableLimits",
    "open_table",
    "read_rows",
]

# Below this expanded size an archive entry is not checked for its compression ratio: small XML parts of an
# ordinary workbook can compress very well, and cannot hold a worker however well they compress.
RATIO_CHECK_FROM_BYTES = 1024 * 1024
CSV_FIELD_LIMIT = csv.field_size_limit()
EXACT_FLOAT_LIMIT = 2**53
_BOM = b"\xef\xbb\xbf"
_SCAN_CHUNK = 1 << 22

# The default English text of every error, by code. The same codes are translated by the web importer.
MESSAGES: dict[str, str] = {
    "unsupported_type": "The file must end in %(accepted)s.",
    "not_found": "The file does not exist.",
    "not_text": "The file is neither UTF-8 nor GBK text.",
    "mixed_encoding": (
        "Line %(line)d is not %(encoding)s like the rest of the file; save the whole file in one encoding."
    ),
    "nul": "Row %(row)d contains a NUL character.",
    "field_too_long": "Row %(row)d has a value longer than %(limit)d characters.",
    "bad_csv": "Row %(row)d cannot be read as CSV.",
    "line_break_in_value": "Row %(row)d has a line break inside a value; keep each record on one line.",
    "too_many_rows": "The file has more than %(count)s rows; import at most that many at a time.",
    "duplicate_column": "The header names the column %(column)s twice.",
    "too_many_values": "Row %(row)d has more values than the header has columns.",
    "invalid_xlsx": "The file is not a valid .xlsx workbook.",
    "xlsx_too_many_parts": "The workbook has more than %(count)d parts; it is not a list export.",
    "xlsx_too_large": "The workbook expands to more than %(limit)s; it is not a list export.",
    "xlsx_ratio": (
        "The workbook is compressed more than %(ratio)d to 1 and is refused as a possible zip bomb."
    ),
    "xlsx_row_unreadable": "Row %(row)d of the workbook cannot be read.",
    "formula_cell": (
        "Cell %(cell)s holds a formula; replace it by its value (Paste Special, Values) and save again."
    ),
    "number_too_large": (
        "Cell %(cell)s holds a number beyond 2^53, which a spreadsheet cannot store exactly; enter it as text."
    ),
    "invalid_parquet": "The file is not a valid Parquet file.",
    "unsupported_column_type": "The column %(column)s has the type %(type)s, which cannot be read as text.",
}


class TableError(ValueError):
    """The file cannot be read as a table. ``code`` is stable; ``row``/``column`` locate the problem when it
    lies in one row or column; ``message`` is English (callers translate by code)."""

    def __init__(
        self,
        code: str,
        params: dict[str, Any] | None = None,
        *,
        row: int | None = None,
        column: str | None = None,
        message: str | None = None,
    ) -> None:
        self.code = code
        self.params = dict(params or {})
        self.row = row
        self.column = column
        if message is None:
            message = english_message(code, self.params)
        super().__init__(message)
        self.message = message


def english_message(code: str, params: dict[str, Any]) -> str:
    shown = dict(params)
    if "limit" in shown and code == "xlsx_too_large":
        shown["limit"] = _size_text(int(shown["limit"]))
    return MESSAGES[code] % shown


def _size_text(size: int) -> str:
    value = float(size)
    for unit in ("bytes", "KB", "MB", "GB"):
        if value < 1024 or unit == "GB":
            return f"{value:.0f} {unit}" if unit == "bytes" else f"{value:.1f} {unit}"
        value /= 1024
    return f"{size} bytes"  # pragma: no cover


@dataclass(frozen=True)
class TableLimits:
    """Bounds on what a file may hold. ``max_rows`` counts data rows, the header not counted; None means no
    limit (the engine settles files of any length, in batches)."""

    max_rows: int | None = None
    xlsx_max_expanded_bytes: int = 256 * 1024 * 1024
    xlsx_max_ratio: int = 1000
    xlsx_max_entries: int = 1000


def cell_name(row: int, column_index: int) -> str:
    """A1-style name of a cell (row 1-based, column 0-based)."""
    letters = ""
    n = column_index + 1
    while n:
        n, rest = divmod(n - 1, 26)
        letters = chr(65 + rest) + letters
    return f"{letters}{row}"


# --- the header -------------------------------------------------------------------------------------------


def _header(cells: Sequence[str]) -> list[str]:
    header = [cell.strip() for cell in cells]
    while header and not header[-1]:
        header.pop()
    seen: dict[str, str] = {}
    for name in header:
        if not name:
            continue
        key = name.casefold()
        if key in seen:
            raise TableError("duplicate_column", {"column": name}, row=1, column=name)
        seen[key] = name
    return header


# --- CSV: encoding ----------------------------------------------------------------------------------------


@dataclass
class _CsvScan:
    encoding: str  # a Python codec name: "utf-8", "utf-8-sig" or "gb18030"
    nul_line: int | None = None
    lines: int = 0  # newlines in the file


def _line_of(piece: bytes, offset: int, first_line: int) -> int:
    return first_line + piece.count(b"\n", 0, offset)


def _scan_csv(file: IO[bytes]) -> _CsvScan:
    """Decide the encoding by the documented rule and check every line against it, reading the file once
    in chunks without keeping it. Also notes the first line with a NUL (the columnar reader refuses it)."""
    file.seek(0)
    bom = file.read(3) == _BOM
    if not bom:
        file.seek(0)
    encoding: str | None = "utf-8" if bom else None
    nul_line: int | None = None
    line = 1
    rest = b""
    while True:
        chunk = file.read(_SCAN_CHUNK)
        data = rest + chunk if rest else chunk
        if chunk:
            cut = data.rfind(b"\n") + 1
            if cut == 0:
                rest = data
                continue
            piece, rest = data[:cut], data[cut:]
        else:
            piece, rest = data, b""
        if piece:
            if nul_line is None and b"\x00" in piece:
                nul_line = _line_of(piece, piece.index(b"\x00"), line)
            if not piece.isascii():
                encoding = _check_piece(piece, line, encoding)
            line += piece.count(b"\n")
        if not chunk:
            break
    if bom:
        return _CsvScan("utf-8-sig", nul_line, line - 1)
    return _CsvScan(encoding or "utf-8", nul_line, line - 1)


def _check_piece(piece: bytes, first_line: int, encoding: str | None) -> str:
    """Check whole lines ``piece`` (starting at ``first_line``) against the file's encoding, deciding it
    first if no earlier line did."""
    if encoding is None:
        at = _first_high(piece)
        start = piece.rfind(b"\n", 0, at) + 1
        end = piece.find(b"\n", at)
        first = piece[start : end if end >= 0 else len(piece)]
        try:
            first.decode("utf-8")
            encoding = "utf-8"
        except UnicodeDecodeError:
            try:
                first.decode("gb18030")
            except UnicodeDecodeError:
                raise TableError("not_text", row=_line_of(piece, at, first_line)) from None
            encoding = "gb18030"
    if encoding == "utf-8":
        try:
            piece.decode("utf-8")
        except UnicodeDecodeError as exc:
            line = _line_of(piece, exc.start, first_line)
            raise TableError("mixed_encoding", {"line": line, "encoding": "UTF-8"}, row=line) from None
        return encoding
    try:
        piece.decode("gb18030")
    except UnicodeDecodeError as exc:
        line = _line_of(piece, exc.start, first_line)
        raise TableError("mixed_encoding", {"line": line, "encoding": "GBK"}, row=line) from None
    for index, text in enumerate(piece.split(b"\n")):
        if text.isascii():
            continue
        try:
            text.decode("utf-8")
        except UnicodeDecodeError:
            continue
        line = first_line + index
        raise TableError("mixed_encoding", {"line": line, "encoding": "GBK"}, row=line)
    return encoding


def _first_high(piece: bytes) -> int:
    # bytes.translate deletes ASCII in C; the first remaining byte is then found by a single C search
    high = piece.translate(None, bytes(range(0x80)))
    return piece.index(high[:1])


# --- CSV: rows --------------------------------------------------------------------------------------------


def _csv_cells(file: IO[bytes], encoding: str) -> Generator[list[str], None, None]:
    """The records of a CSV file as lists of text, each cell with its export quote removed."""
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
                        "field_too_long", {"row": row, "limit": CSV_FIELD_LIMIT}, row=row
                    ) from None
                raise TableError("bad_csv", {"row": row}, row=row) from None
            number += 1
            yield [from_csv_cell(cell) for cell in cells]
    finally:
        with contextlib.suppress(ValueError):  # a ValueError: the caller closed the file already
            text.detach()  # the caller's file stays open for the caller to close


# --- XLSX -------------------------------------------------------------------------------------------------


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
    count = _zip_entry_count(file)
    if count is None:
        raise TableError("invalid_xlsx")
    if count > limits.xlsx_max_entries:
        raise TableError("xlsx_too_many_parts", {"count": limits.xlsx_max_entries})
    file.seek(0)
    try:
        with zipfile.ZipFile(file) as archive:
            entries = archive.infolist()
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, EOFError, ValueError):
        raise TableError("invalid_xlsx") from None
    if len(entries) > limits.xlsx_max_entries:
        raise TableError("xlsx_too_many_parts", {"count": limits.xlsx_max_entries})
    if sum(e.file_size for e in entries) > limits.xlsx_max_expanded_bytes:
        raise TableError("xlsx_too_large", {"limit": limits.xlsx_max_expanded_bytes})
    for entry in entries:
        if entry.file_size > RATIO_CHECK_FROM_BYTES and entry.file_size > limits.xlsx_max_ratio * max(
            entry.compress_size, 1
        ):
            raise TableError("xlsx_ratio", {"ratio": limits.xlsx_max_ratio})
    file.seek(0)


def _number_text(value: float | int, row: int, column: int) -> str:
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, float) and not math.isfinite(value):
        raise TableError("number_too_large", {"cell": cell_name(row, column)}, row=row)
    if abs(value) > EXACT_FLOAT_LIMIT:
        raise TableError("number_too_large", {"cell": cell_name(row, column)}, row=row)
    if isinstance(value, float) and value.is_integer():
        return str(int(value))  # Excel keeps every number as a float: 3.0 is the version 3
    return str(value)


def _xlsx_text(value: Any, row: int, column: int) -> str:
    if value is None:
        return ""
    if isinstance(value, (int, float)):
        return _number_text(value, row, column)
    if isinstance(value, datetime):
        return value.date().isoformat() if value.time() == time.min else value.isoformat(sep=" ")
    if isinstance(value, (date, time)):
        return value.isoformat()
    return str(value)


def _xlsx_cells(file: IO[bytes], limits: TableLimits) -> Iterator[list[str]]:
    _check_archive(file, limits)
    from openpyxl import load_workbook

    try:
        # data_only=False: a formula cell shows as a formula (and is refused) instead of its cached value,
        # which a file written by a program other than Excel may hold as a stale 0
        book = load_workbook(file, read_only=True, data_only=False)
    except Exception:  # noqa: BLE001 - any failure to open the archive as a workbook is this file's fault
        raise TableError("invalid_xlsx") from None
    try:
        if not book.worksheets:
            raise TableError("invalid_xlsx")
        sheet = book.worksheets[0]
        # Trust the cells, not the size the sheet declares: a claimed A1:XFD1048576 would make the reader
        # pad every row to 16,384 cells and add empty rows up to a million.
        sheet.reset_dimensions()
        rows = sheet.iter_rows()
        number = 0
        while True:
            try:
                cells = next(rows)
            except StopIteration:
                return
            except Exception:  # noqa: BLE001 - broken XML or a bad cell inside the archive
                raise TableError("xlsx_row_unreadable", {"row": number + 1}, row=number + 1) from None
            number += 1
            values = []
            for column, cell in enumerate(cells):
                value = getattr(cell, "value", None)
                if getattr(cell, "data_type", None) == "f":
                    raise TableError("formula_cell", {"cell": cell_name(number, column)}, row=number)
                values.append(_xlsx_text(value, number, column))
            yield values
    finally:
        book.close()


# --- Parquet ----------------------------------------------------------------------------------------------


def _arrow_text(array: Any, name: str, first_row: int) -> Any:
    """A pyarrow array as exact text (a string array): integers and decimals as written, dates as ISO."""
    import pyarrow as pa
    import pyarrow.compute as pc

    kind = array.type
    if pa.types.is_dictionary(kind):
        array = array.dictionary_decode()
        kind = array.type
    if pa.types.is_string(kind) or pa.types.is_large_string(kind):
        return array.cast(pa.string()).fill_null("")
    if pa.types.is_integer(kind) or pa.types.is_decimal(kind) or pa.types.is_boolean(kind):
        return pc.cast(array, pa.string()).fill_null("")
    if pa.types.is_floating(kind):
        values = array.to_numpy(zero_copy_only=False)
        bad = ~np.isnan(values) & ~(np.abs(values) <= EXACT_FLOAT_LIMIT)
        if bad.any():
            row = first_row + int(np.flatnonzero(bad)[0])
            raise TableError("number_too_large", {"cell": f"{name}, row {row}"}, row=row, column=name)
        return pa.array(
            [
                "" if v != v else (str(int(v)) if float(v).is_integer() else repr(float(v)))
                for v in values.tolist()
            ],
            type=pa.string(),
        )
    if pa.types.is_date(kind):
        return pc.strftime(array, format="%Y-%m-%d").fill_null("")
    if pa.types.is_timestamp(kind):
        return pa.array(
            ["" if v is None else _xlsx_text(v, 0, 0) for v in array.to_pylist()], type=pa.string()
        )
    raise TableError("unsupported_column_type", {"column": name, "type": str(kind)}, column=name)


# --- the two shapes ---------------------------------------------------------------------------------------


@dataclass
class Batch:
    """Rows of a table as string columns (pyarrow StringArray by header name) and their row numbers."""

    columns: dict[str, Any]
    rows: np.ndarray  # int64: the row number of each row, as a spreadsheet shows it (CSV/XLSX header = 1)

    def __len__(self) -> int:
        return int(self.rows.shape[0])


@dataclass
class Table:
    """An opened table: its ``header`` and ``first_row`` (2 when a header row precedes the data, 1 for
    Parquet), read as ``rows()`` or ``batches()``. Close it (or use it as a context manager)."""

    kind: str  # "csv", "xlsx" or "parquet"
    file: IO[bytes]
    limits: TableLimits
    header: list[str] = field(default_factory=list)
    first_row: int = 2
    _encoding: str = "utf-8"
    _nul_line: int | None = None
    _owns_file: bool = False
    _raw_width: int = 0  # cells in the CSV header line, empty trailing names included
    _lines: int = 0  # newlines in the CSV file

    def __enter__(self) -> Table:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        if self._owns_file:
            self.file.close()

    # numbered row dicts -----------------------------------------------------------------------------------

    def rows(self) -> Iterator[tuple[int, dict[str, str]]]:
        """The data rows as ``(row number, {column: text})``; blank rows are skipped but counted."""
        if self.kind == "parquet":
            for batch in self.batches():
                names = list(batch.columns)
                columns = [batch.columns[n].to_pylist() for n in names]
                for i, number in enumerate(batch.rows.tolist()):
                    yield number, {n: c[i] for n, c in zip(names, columns, strict=True)}
            return
        cells_of = (
            _xlsx_cells(self.file, self.limits)
            if self.kind == "xlsx"
            else _csv_cells(self.file, self._encoding)
        )
        header: list[str] | None = None
        number = 0
        for cells in cells_of:
            number += 1
            if any("\x00" in cell for cell in cells):
                raise TableError("nul", {"row": number}, row=number)
            if header is None:
                header = _header(cells)
                continue
            if any(cell.strip() for cell in cells[len(header) :]):
                raise TableError("too_many_values", {"row": number}, row=number)
            self._check_count(number)
            if not any(cell.strip() for cell in cells):
                continue  # a blank row
            cells = cells[: len(header)] + [""] * (len(header) - len(cells))
            yield number, {h: cell for h, cell in zip(header, cells, strict=True) if h}

    # batches of string columns ----------------------------------------------------------------------------

    def batches(self, batch_rows: int = 1 << 20) -> Iterator[Batch]:
        """The data rows as batches of string columns (pyarrow), blank rows left out; row numbers kept."""
        if self.kind == "csv":
            yield from self._csv_batches(batch_rows)
        elif self.kind == "parquet":
            yield from self._parquet_batches(batch_rows)
        else:
            yield from self._rows_as_batches(batch_rows)

    def _check_count(self, row: int) -> None:
        """Rows are counted as numbered, blank rows included, so a sheet of a million empty rows is
        refused as soon as it passes the limit."""
        last = self.limits.max_rows
        if last is not None and row - self.first_row + 1 > last:
            raise TableError("too_many_rows", {"count": last}, row=row)

    def _rows_as_batches(self, batch_rows: int) -> Iterator[Batch]:
        import pyarrow as pa

        names = [h for h in self.header if h]
        numbers: list[int] = []
        values: list[list[str]] = [[] for _ in names]

        def flush() -> Batch:
            batch = Batch(
                {n: pa.array(v, type=pa.string()) for n, v in zip(names, values, strict=True)},
                np.asarray(numbers, dtype=np.int64),
            )
            numbers.clear()
            for v in values:
                v.clear()
            return batch

        for number, row in self.rows():
            numbers.append(number)
            for n, v in zip(names, values, strict=True):
                v.append(row[n])
            if len(numbers) >= batch_rows:
                yield flush()
        if numbers:
            yield flush()

    def _parquet_batches(self, batch_rows: int) -> Iterator[Batch]:
        import pyarrow.parquet as pq

        try:
            source = pq.ParquetFile(self.file)
            batches = source.iter_batches(batch_size=batch_rows)
            names = list(source.schema_arrow.names)
        except Exception:  # noqa: BLE001 - any failure to open the file as Parquet is this file's fault
            raise TableError("invalid_parquet") from None
        start = 1
        while True:
            try:
                batch = next(batches)
            except StopIteration:
                return
            except Exception:  # noqa: BLE001 - a corrupt page
                raise TableError("invalid_parquet", row=start) from None
            n = batch.num_rows
            self._check_count(start + n - 1)
            columns = {
                header: _arrow_text(batch.column(i), header, start)
                for i, (header, raw) in enumerate(zip(self.header, names, strict=True))
                if header and raw is not None
            }
            yield Batch(columns, np.arange(start, start + n, dtype=np.int64))
            start += n

    def _csv_batches(self, batch_rows: int) -> Iterator[Batch]:
        import pyarrow as pa
        import pyarrow.csv as pacsv

        if self._nul_line is not None:
            raise TableError("nul", {"row": self._nul_line}, row=self._nul_line)
        width = self._raw_width
        if not any(self.header):
            return  # an empty file, or no header: no column to read
        names = [f"c{i}" for i in range(width)]
        # Rows whose field count differs from the header's are set aside by pyarrow and read here one by
        # one: refused (more values, a line break inside a value) or padded (fewer values, as in XLSX).
        aside: list[tuple[int, str]] = []

        def handler(row: Any) -> str:
            aside.append((int(row.number), row.text or ""))
            return "skip"

        self.file.seek(0)
        try:
            reader = pacsv.open_csv(
                self.file,
                read_options=pacsv.ReadOptions(
                    column_names=names,
                    skip_rows=1,
                    use_threads=False,  # the handler learns a row's line number only when parsing in order
                    block_size=max(1 << 10, min(batch_rows * 64, 1 << 22)),
                    encoding="utf8" if self._encoding.startswith("utf-8") else self._encoding,
                ),
                parse_options=pacsv.ParseOptions(ignore_empty_lines=False, invalid_row_handler=handler),
                convert_options=pacsv.ConvertOptions(
                    column_types={n: pa.string() for n in names}, strings_can_be_null=False
                ),
            )
        except pa.ArrowInvalid as exc:
            if self._lines <= 1 and ("Empty CSV file" in str(exc) or "Could not skip initial" in str(exc)):
                return  # the header alone
            raise TableError("bad_csv", {"row": 2}, row=2) from None
        keep = [(i, h) for i, h in enumerate(self.header) if h]
        line = 2  # the physical line of the next row the reader gives
        while True:
            try:
                batch = reader.read_next_batch()
            except StopIteration:
                if not aside:
                    break
                # the last rows were all set aside: they come back on their own
                batch = pa.RecordBatch.from_pydict({n: pa.array([], type=pa.string()) for n in names})
            except pa.ArrowInvalid:
                raise TableError("bad_csv", {"row": line}, row=line) from None
            n = batch.num_rows
            taken = np.asarray([number for number, _t in aside], dtype=np.int64)
            numbers = np.arange(line, line + n + taken.size, dtype=np.int64)
            if taken.size:
                numbers = numbers[~np.isin(numbers, taken)]
            line += n + taken.size
            columns = {h: batch.column(i) for i, h in keep}
            extras = [batch.column(i) for i in range(len(self.header), width)]
            columns, numbers = _finish_batch(columns, numbers, extras, aside, keep, len(self.header))
            aside.clear()
            self._check_count(line - 1)
            if numbers.size:
                yield Batch(columns, numbers)


def _has_blank_cell(column: Any) -> bool:
    """Whether a column has an empty or whitespace-only cell: two kernels that allocate no strings, so the
    full blank-row test runs only on batches that may hold one."""
    import pyarrow.compute as pc

    if len(column) == 0:
        return False
    return bool(pc.min(pc.binary_length(column)).as_py() == 0 or pc.any(pc.utf8_is_space(column)).as_py())


def _unquote(column: Any) -> Any:
    """``from_csv_cell`` over a whole column: the one quote an export put before formula-like text goes."""
    import pyarrow.compute as pc

    if not pc.any(pc.starts_with(column, "'")).as_py():
        return column
    return pc.replace_substring_regex(column, pattern=r"^'('*[=+\-@\t\r])", replacement=r"\1")


def _finish_batch(
    columns: dict[str, Any],
    numbers: np.ndarray,
    extras: list[Any],
    aside: list[tuple[int, str]],
    keep: list[tuple[int, str]],
    width: int,
) -> tuple[dict[str, Any], np.ndarray]:
    """Apply the row rules to one CSV batch: extra cells must be empty, blank rows go, the export quote
    goes, and rows set aside by the parser come back in their place (padded) or are refused."""
    import pyarrow as pa
    import pyarrow.compute as pc

    for extra in extras:
        filled = np.asarray(pc.not_equal(pc.utf8_trim_whitespace(extra), ""), dtype=bool)
        if filled.any():
            row = int(numbers[int(np.flatnonzero(filled)[0])])
            raise TableError("too_many_values", {"row": row}, row=row)
    blank = None
    if columns and _has_blank_cell(next(iter(columns.values()))):
        for column in columns.values():
            empty = pc.equal(pc.utf8_trim_whitespace(column), "")
            blank = empty if blank is None else pc.and_(blank, empty)
    if blank is not None and pc.any(blank).as_py():
        mask = pc.invert(blank)
        columns = {h: c.filter(mask) for h, c in columns.items()}
        numbers = numbers[np.asarray(mask, dtype=bool)]
    columns = {h: _unquote(c) for h, c in columns.items()}
    rows_kept = []
    for number, text in aside:
        if text.count('"') % 2:
            raise TableError("line_break_in_value", {"row": number}, row=number)
        cells = next(csv.reader([text]), [])
        if any(cell.strip() for cell in cells[width:]):
            raise TableError("too_many_values", {"row": number}, row=number)
        if not any(cell.strip() for cell in cells):
            continue
        cells = [from_csv_cell(c) for c in cells[:width]] + [""] * (width - len(cells))
        rows_kept.append((number, cells))
    if not rows_kept:
        return columns, numbers
    all_numbers = np.concatenate([numbers, np.asarray([n for n, _c in rows_kept], dtype=np.int64)])
    order = pa.array(np.argsort(all_numbers, kind="stable"))
    merged = {}
    for i, h in keep:
        values = pa.concat_arrays([columns[h], pa.array([c[i] for _n, c in rows_kept], type=pa.string())])
        merged[h] = values.take(order)
    return merged, all_numbers[np.asarray(order)]


def _kind(name: str) -> str | None:
    lowered = name.lower()
    for suffix, kind in ((".csv", "csv"), (".txt", "csv"), (".xlsx", "xlsx"), (".parquet", "parquet")):
        if lowered.endswith(suffix):
            return kind
    return None


def open_table(
    source: str | Path | IO[bytes],
    name: str | None = None,
    limits: TableLimits | None = None,
    kinds: Sequence[str] = ("csv", "xlsx", "parquet"),
) -> Table:
    """Open a table from a path or a binary file (``name`` gives the file type then), check its encoding
    or archive, and read its header. Raises TableError."""
    limits = limits or TableLimits()
    owns = False
    if isinstance(source, (str, Path)):
        name = name or str(source)
        kind = _kind(name)
        if kind is None or kind not in kinds:
            raise TableError("unsupported_type", {"accepted": _accepted(kinds)})
        try:
            file: IO[bytes] = open(source, "rb")  # noqa: SIM115 - closed by Table.close
        except (FileNotFoundError, IsADirectoryError):
            raise TableError("not_found") from None
        owns = True
    else:
        file = source
        kind = _kind(name or "")
        if kind is None or kind not in kinds:
            raise TableError("unsupported_type", {"accepted": _accepted(kinds)})
    table = Table(kind, file, limits, _owns_file=owns)
    try:
        _read_header(table)
    except BaseException:
        table.close()
        raise
    return table


def _accepted(kinds: Sequence[str]) -> str:
    names = ["." + k for k in kinds]
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " or " + names[-1]


def _read_header(table: Table) -> None:
    if table.kind == "csv":
        scan = _scan_csv(table.file)
        table._encoding, table._nul_line, table._lines = scan.encoding, scan.nul_line, scan.lines
        cells = _csv_cells(table.file, scan.encoding)
        first = next(cells, None)
        cells.close()  # detaches the text wrapper now, while the file is open
        if first is not None and any("\x00" in cell for cell in first):
            raise TableError("nul", {"row": 1}, row=1)
        table.header = _header(first or [])
        table._raw_width = len(first or [])
        table.first_row = 2
    elif table.kind == "xlsx":
        first = next(_xlsx_cells(table.file, table.limits), None)
        table.header = _header(first or [])
        table.first_row = 2
    else:
        import pyarrow.parquet as pq

        try:
            schema = pq.ParquetFile(table.file).schema_arrow
        except Exception:  # noqa: BLE001 - not a Parquet file
            raise TableError("invalid_parquet") from None
        table.header = _header([str(n) for n in schema.names])
        table.first_row = 1
    table.file.seek(0)


def read_rows(
    name: str, file: IO[bytes], limits: TableLimits | None = None, kinds: Sequence[str] = ("csv", "xlsx")
) -> Iterator[tuple[int, dict[str, str]]]:
    """The data rows of an uploaded file as ``(row number, {column: text})``; the header is checked (and a
    file that cannot be opened refused) before this returns, later rows as they are read."""
    table = open_table(file, name, limits, kinds)
    return table.rows()


def decimal_text(value: Decimal) -> str:
    """A decimal as written, keeping its scale (10000.00 stays 10000.00)."""
    return format(value, "f")
