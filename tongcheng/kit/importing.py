"""Import of an edited export as updates. Every row is checked first; with any error nothing is written
(unless the user asked to apply the good rows), and each error names its row and column.

Reading is bounded whatever the file holds: CSV is decoded and parsed as a stream, an .xlsx archive is
checked from its directory (entries, expanded size, compression ratio) before any of it is decompressed and
then read in streaming mode, and at most ``max_rows`` rows are read. Rows are numbered as a spreadsheet
shows them: the header is row 1."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date
from itertools import islice
from typing import IO, Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models, transaction
from django.http import HttpResponse
from django.template.defaultfilters import filesizeformat
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from tongcheng.kit import tables
from tongcheng.kit.tables import TableError
from tongcheng.kit.textsafety import csv_row, write_xlsx_row

from .services import ServiceError

__all__ = [
    "YES_NO",
    "ImportColumn",
    "ImportError_",
    "ImportResult",
    "ImportSpec",
    "TableError",
    "TableLimits",
    "TableRows",
    "fold",
    "import_summary",
    "import_template",
    "in_every_language",
    "parse_date",
    "read_table",
    "run_import",
    "template_rows",
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


Row = tuple[int, dict[str, str]]  # (row number as a spreadsheet shows it, values by column header)


@dataclass
class ImportError_:
    row: int  # 1-based, counting the header as row 1, as a spreadsheet shows it
    column: str  # the column's name (stable: programs read it)
    message: str
    heading: str = ""  # the column as the file's header names it (what the user sees)

    def __post_init__(self) -> None:
        self.heading = self.heading or self.column


@dataclass
class ImportResult:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    rows: int = 0  # data rows read
    errors: list[ImportError_] = field(default_factory=list)  # the first TONGCHENG_IMPORT_MAX_ERRORS
    error_count: int = 0  # all of them
    applied: bool = False

    @property
    def errors_left_out(self) -> int:
        return self.error_count - len(self.errors)


def _text(value: str) -> str:
    return value


@dataclass(frozen=True)
class ImportColumn:
    """One column an import reads. Its header may be the ``label`` in any language of the site, or the
    ``name`` (what exports used to write). ``parse`` gets the cell's text, stripped ("" when empty), and
    raises ValueError/ValidationError for a bad value. With ``choices`` ((value, label) pairs, or a
    callable returning them) a cell may hold a label in any language or the value itself."""

    name: str
    label: Any
    parse: Callable[[str], Any] = _text
    required: bool = False  # a new record needs it; an existing one cannot be emptied
    help: Any = ""  # the format, for the template
    choices: Any = None
    # Read only for a new record (e.g. where it lies); on an existing record a different value is refused
    # (an import does not move a record), an empty cell is left alone.
    create_only: bool = False
    # Whether an existing record already has the parsed value (for ``create_only``); by default its
    # attribute ``name`` (for a relation, the related row's key) is compared with the value.
    same: Callable[[Any, Any], bool] | None = None

    def choice_list(self) -> list[tuple[Any, Any]]:
        return list(self.choices() if callable(self.choices) else self.choices or [])


@dataclass
class ImportSpec:
    """What an importable list declares. A row whose ``key`` is among the records ``find`` returns (those
    the user may change) updates that record and must carry the ``version`` it was based on; a row with
    another key and an empty version creates a record through ``create`` (without ``create``, or with a
    version, it is refused as "no record you may change has this key", which says nothing of whether the
    key exists elsewhere).

    ``update(user, [(object, changes, version)], apply_valid=…, write=…)`` and
    ``create(user, [values], apply_valid=…, write=…)`` are the batched services; each returns an outcome
    with ``changed`` (rows written or, when not ``write``, that would be), ``unchanged``, ``written`` and
    ``errors`` ({index in the list: ServiceError}). Unless ``apply_valid``, one refusal means nothing is
    written; with ``write`` false they only check. ``create``'s outcome may carry ``objects`` (the records
    made), so that a later row of the same key is named a repeat."""

    key: str
    columns: Sequence[ImportColumn]  # the key and version columns included
    # (user, keys) -> {key: object} of those the user may change; called once per batch, not once per row
    find: Callable[[Any, list[str]], dict[str, Any]]
    update: Callable[..., Any]
    create: Callable[..., Any] | None = None
    version: str = "version"
    # Further columns of the list's export (anything with ``name`` and ``label``): accepted in the header and
    # ignored, so that an unedited export imports.
    export_columns: Sequence[Any] = ()

    def column(self, name: str) -> ImportColumn | None:
        return next((c for c in self.columns if c.name == name), None)


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


class TableRows:
    """The rows of an uploaded table, read again from the start at each iteration: the importer checks the
    whole file, then reads it again to write, without holding it in memory."""

    def __init__(self, upload_name: str, file: IO[bytes], limits: TableLimits | None = None) -> None:
        self.upload_name, self.file, self.limits = upload_name, file, limits

    def __iter__(self) -> Iterator[Row]:
        return iter(read_table(self.upload_name, self.file, self.limits))


def _message(exc: Exception) -> str:
    if isinstance(exc, ValidationError):
        return "; ".join(str(m) for m in exc.messages)
    if isinstance(exc, ServiceError):
        return str(exc.message)
    return str(exc)


def fold(text: Any) -> str:
    """How headers and choice labels are compared: spaces collapsed, case ignored."""
    return " ".join(str(text).split()).casefold()


def in_every_language(label: Any) -> list[str]:
    """The label in each language of the site (a lazy label translates when made a string)."""
    texts: list[str] = []
    for code, _name in settings.LANGUAGES:
        with translation.override(code):
            text = str(label)
        if text not in texts:
            texts.append(text)
    return texts


def parse_date(text: str) -> date | None:
    """A day written YYYY-MM-DD (as exports write it); empty is no day."""
    if not text:
        return None
    if len(text) != 10 or not text.isascii():
        raise ValueError(_("Enter a date as YYYY-MM-DD."))
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise ValueError(_("Enter a date as YYYY-MM-DD.")) from None


YES_NO = ((True, gettext_lazy("Yes")), (False, gettext_lazy("No")))  # as exports write a yes/no value


class _Header:
    """The file's header matched to the spec's columns, and the choice labels of the spec read back."""

    def __init__(self, spec: ImportSpec, headers: Iterable[str], errors: list[ImportError_]) -> None:
        aliases: dict[str, str | None] = {}
        for column in spec.columns:
            for alias in (column.name, *in_every_language(column.label)):
                aliases.setdefault(fold(alias), column.name)
        for other in spec.export_columns:
            for alias in (other.name, *in_every_language(other.label)):
                aliases.setdefault(fold(alias), None)
        self.names: dict[str, str] = {}  # header as written -> column name
        self.headings: dict[str, str] = {}  # column name -> header as written
        for header in headers:
            folded = fold(header)
            if folded not in aliases:
                errors.append(
                    ImportError_(
                        1,
                        header,
                        _("Unknown column %(column)s; the columns are: %(columns)s.")
                        % {"column": header, "columns": ", ".join(str(c.label) for c in spec.columns)},
                    )
                )
                continue
            name = aliases[folded]
            if name is None:
                continue
            if name in self.headings:
                errors.append(
                    ImportError_(
                        1,
                        name,
                        _("The columns %(first)s and %(second)s are the same column.")
                        % {"first": self.headings[name], "second": header},
                        heading=header,
                    )
                )
                continue
            self.names[header] = name
            self.headings[name] = header
        if spec.key not in self.headings:
            key_column = spec.column(spec.key)
            heading = str(key_column.label) if key_column else spec.key
            errors.append(ImportError_(1, spec.key, _("The column is missing."), heading=heading))
        self.choices: dict[str, dict[str, Any]] = {}
        for column in spec.columns:
            if column.choices is None:
                continue
            found: dict[str, Any] = {}
            ambiguous: set[str] = set()
            for value, label in column.choice_list():
                for alias in (str(value), *in_every_language(label)):
                    key = fold(alias)
                    if key in found and found[key] != value:
                        ambiguous.add(key)
                    found.setdefault(key, value)
            self.choices[column.name] = {k: v for k, v in found.items() if k not in ambiguous}

    def heading(self, name: str) -> str:
        return self.headings.get(name, name)


class _Seen:
    """The records already met in this pass, so that a record named twice is refused: a bit per integer
    primary key (a few hundred kilobytes for millions of rows), a set for other keys."""

    def __init__(self) -> None:
        self.bits = bytearray()
        self.others: set[Any] = set()

    def add(self, pk: Any) -> None:
        if isinstance(pk, int) and pk >= 0:
            index = pk >> 3
            if index >= len(self.bits):
                self.bits.extend(bytes(index + 1 - len(self.bits) + (1 << 16)))
            self.bits[index] |= 1 << (pk & 7)
        else:
            self.others.add(pk)

    def __contains__(self, pk: Any) -> bool:
        if isinstance(pk, int) and pk >= 0:
            index = pk >> 3
            return index < len(self.bits) and bool(self.bits[index] & (1 << (pk & 7)))
        return pk in self.others


def _same(obj: Any, name: str, value: Any) -> bool:
    if isinstance(value, models.Model):
        return getattr(obj, f"{name}_id", None) == value.pk
    return getattr(obj, name, None) == value


class _Pass:
    """One reading of the file: batches checked (and, when ``write``, written) in turn."""

    def __init__(
        self, user: Any, spec: ImportSpec, result: ImportResult, apply_good_rows: bool, write: bool
    ) -> None:
        self.user, self.spec, self.result = user, spec, result
        self.apply_good_rows, self.write = apply_good_rows, write
        self.header: _Header | None = None
        self.seen = _Seen()
        self.max_errors = int(getattr(settings, "TONGCHENG_IMPORT_MAX_ERRORS", 1000))

    def error(self, row: int, column: str, message: Any) -> None:
        self.result.error_count += 1
        if len(self.result.errors) < self.max_errors:
            heading = self.header.heading(column) if self.header else column
            self.result.errors.append(ImportError_(row, column, str(message), heading=heading))

    def run(self, rows: Iterable[Row], batch_rows: int, progress: Callable[[int, bool], None] | None) -> bool:
        """False when the header is refused (nothing else is then checked)."""
        self.result.rows = 0
        for batch in _batches(rows, batch_rows):
            if self.header is None:
                errors: list[ImportError_] = []
                self.header = _Header(self.spec, batch[0][1].keys(), errors)
                if errors:
                    self.result.errors, self.result.error_count = errors, len(errors)
                    return False
            self.result.rows += len(batch)
            self.batch(batch)
            if progress is not None:
                progress(self.result.rows, self.write)
        return True

    def batch(self, batch: list[Row]) -> None:
        spec, header = self.spec, self.header
        assert header is not None
        start = len(self.result.errors)
        rows = [
            (number, {header.names[h]: (v or "").strip() for h, v in raw.items() if h in header.names})
            for number, raw in batch
        ]
        found = self.spec.find(self.user, sorted({row.get(spec.key, "") for _n, row in rows} - {""}))
        first_row: dict[str, int] = {}
        updates: list[tuple[int, Any, dict[str, Any], Any]] = []
        creates: list[tuple[int, dict[str, Any]]] = []
        for number, row in rows:
            key = row.get(spec.key, "")
            if not key:
                self.error(number, spec.key, _("This field is required."))
                continue
            if key in first_row:
                self.error(
                    number,
                    spec.key,
                    _("This key is already in row %(row)d; each record may appear once.")
                    % {"row": first_row[key]},
                )
                continue
            first_row[key] = number
            obj = found.get(key)
            version_text = row.get(spec.version, "")
            if obj is not None and obj.pk in self.seen:
                self.error(
                    number, spec.key, _("This key is already in an earlier row; each record may appear once.")
                )
                continue
            if obj is None and (version_text or spec.create is None):
                self.error(
                    number, spec.key, _("No record you may change has this key: %(key)s") % {"key": key}
                )
                continue
            values = self.parse(number, row, new=obj is None)
            if obj is None:
                if values is not None:
                    creates.append((number, values))
                continue
            self.seen.add(obj.pk)
            version: int | None = None
            if version_text:
                if not (version_text.isascii() and version_text.isdigit()):
                    self.error(number, spec.version, _("Enter a whole number."))
                    continue
                version = int(version_text)
            if values is None:
                continue
            changes: dict[str, Any] = {}
            moved = False
            for name, value in values.items():
                column = spec.column(name)
                if name in (spec.key, spec.version) or column is None:
                    continue
                if column.create_only:
                    same = column.same(obj, value) if column.same else _same(obj, name, value)
                    if row.get(name) and not same:
                        self.error(
                            number,
                            name,
                            _(
                                "An import does not change this column of an existing record; leave it as exported."
                            ),
                        )
                        moved = True
                    continue
                changes[name] = value
            if not moved:
                updates.append((number, obj, changes, version))
        self.apply(updates, creates)
        self.result.errors[start:] = sorted(self.result.errors[start:], key=lambda e: e.row)

    def parse(self, number: int, row: dict[str, str], new: bool) -> dict[str, Any] | None:
        assert self.header is not None
        values: dict[str, Any] = {}
        ok = True
        for column in self.spec.columns:
            if column.name == self.spec.version:
                continue
            if column.name not in row:
                if new and column.required:
                    self.error(number, column.name, _("This column is needed for a new record."))
                    ok = False
                continue
            text = row[column.name]
            if not text and not new and column.create_only:
                continue  # left alone on an existing record
            if not text and column.required:
                self.error(number, column.name, _("This field is required."))
                ok = False
                continue
            try:
                if column.choices is not None:
                    if not text:
                        values[column.name] = column.parse("")
                        continue
                    choices = self.header.choices[column.name]
                    if fold(text) not in choices:
                        raise ValueError(
                            _("“%(value)s” is not one of: %(choices)s.")
                            % {
                                "value": text,
                                "choices": ", ".join(str(lb) for _v, lb in column.choice_list()),
                            }
                        )
                    values[column.name] = choices[fold(text)]
                else:
                    values[column.name] = column.parse(text)
            except (ValueError, ValidationError) as exc:
                self.error(number, column.name, _message(exc))
                ok = False
        return values if ok else None

    def apply(
        self, updates: list[tuple[int, Any, dict[str, Any], Any]], creates: list[tuple[int, dict[str, Any]]]
    ) -> None:
        # Once a row is refused and the good rows are not to be applied, later batches are only checked.
        write = self.write and (self.apply_good_rows or not self.result.error_count)
        if updates:
            outcome = self.spec.update(
                self.user,
                [(obj, changes, version) for _n, obj, changes, version in updates],
                apply_valid=self.apply_good_rows,
                write=write,
            )
            self.refusals(outcome, [number for number, *_rest in updates])
            if outcome.written or not write:
                self.result.updated += outcome.changed
                self.result.unchanged += outcome.unchanged
        if creates and self.spec.create is not None:
            outcome = self.spec.create(
                self.user, [values for _n, values in creates], apply_valid=self.apply_good_rows, write=write
            )
            self.refusals(outcome, [number for number, _v in creates])
            if outcome.written or not write:
                self.result.created += outcome.changed
            for obj in getattr(outcome, "objects", None) or []:
                self.seen.add(obj.pk)

    def refusals(self, outcome: Any, numbers: list[int]) -> None:
        for index, refusal in sorted(outcome.errors.items()):
            self.error(numbers[index], refusal.field or self.spec.key, _message(refusal))


def _batches(rows: Iterable[Row], size: int) -> Iterator[list[Row]]:
    iterator = iter(rows)
    while batch := list(islice(iterator, size)):
        yield batch


def run_import(
    user: Any,
    spec: ImportSpec,
    rows: Iterable[Row],
    apply_good_rows: bool = False,
    progress: Callable[[int, bool], None] | None = None,
    batch_rows: int | None = None,
) -> ImportResult:
    """Check every row, in batches of ``batch_rows`` (a few queries per batch, none per row), and write
    through the spec's services. Rows are never all held: a batch at a time, with at most
    TONGCHENG_IMPORT_MAX_ERRORS errors kept (``error_count`` counts them all).

    Unless ``apply_good_rows``, nothing is written when any row is refused: when ``rows`` can be read again
    (a list, ``TableRows``) the whole file is checked first and read again to write; a one-time iterator is
    checked and written in one pass. Either way the writes are one transaction, rolled back if a row is
    refused. ``progress(rows_done, writing)`` is told after each batch (a job moves its progress bar)."""
    size = batch_rows or int(getattr(settings, "TONGCHENG_IMPORT_BATCH_ROWS", 2000))
    result = ImportResult()
    if not apply_good_rows and not isinstance(rows, Iterator):
        checking = _Pass(user, spec, result, apply_good_rows, write=False)
        if not checking.run(rows, size, progress) or result.error_count:
            result.created = result.updated = result.unchanged = 0
            return result
        result.created = result.updated = result.unchanged = 0
    with transaction.atomic():
        writing = _Pass(user, spec, result, apply_good_rows, write=True)
        complete = writing.run(rows, size, progress)
        if not complete or (result.error_count and not apply_good_rows):
            transaction.set_rollback(True)
            result.created = result.updated = result.unchanged = 0
            return result
    result.applied = True
    return result


def import_summary(result: ImportResult) -> str:
    return _("%(created)d created, %(updated)d updated, %(unchanged)d unchanged.") % {
        "created": result.created,
        "updated": result.updated,
        "unchanged": result.unchanged,
    }


# --- the template of an import ------------------------------------------------------------------------------


def template_rows(spec: ImportSpec) -> list[list[str]]:
    """What the template says of each column, in the active language: its header, whether it is required,
    its format and the values it allows."""
    described = []
    for column in spec.columns:
        allowed = ", ".join(str(label) for _value, label in column.choice_list())
        described.append(
            [str(column.label), str(_("Yes") if column.required else _("No")), str(column.help), allowed]
        )
    return described


def import_template(spec: ImportSpec, fmt: str, filename: str) -> HttpResponse:
    """An empty file to fill in: the header row in the user's language. The .xlsx adds a note on each header
    and a second sheet that describes every column (required, format, allowed values); the .csv is the
    header alone, so that neither imports anything unless rows are added."""
    header = [str(column.label) for column in spec.columns]
    if fmt == "csv":
        out = io.StringIO()
        csv.writer(out).writerow(csv_row(header))
        response = HttpResponse(
            ("\ufeff" + out.getvalue()).encode("utf-8"), content_type="text/csv; charset=utf-8"
        )
        response["Content-Disposition"] = f'attachment; filename="{filename}.csv"'
        return response
    import xlsxwriter

    buffer = io.BytesIO()
    book = xlsxwriter.Workbook(buffer, {"in_memory": True, "strings_to_formulas": False})
    bold = book.add_format({"bold": True})
    sheet = book.add_worksheet(str(_("Import"))[:31])
    write_xlsx_row(sheet, 0, header, bold)
    described = template_rows(spec)
    for index, (_label, required, help_text, allowed) in enumerate(described):
        note = "\n".join(
            part
            for part in (
                f"{_('Required')}: {required}",
                help_text,
                f"{_('Allowed values')}: {allowed}" if allowed else "",
            )
            if part
        )
        sheet.write_comment(0, index, note, {"x_scale": 2, "y_scale": 2})
        sheet.set_column(index, index, max(12, len(header[index]) * 2))
    about = book.add_worksheet(str(_("Columns"))[:31])
    write_xlsx_row(about, 0, [_("Column"), _("Required"), _("Format"), _("Allowed values")], bold)
    for index, row in enumerate(described, start=1):
        write_xlsx_row(about, index, row)
    about.set_column(0, 1, 16)
    about.set_column(2, 3, 60)
    book.close()
    response = HttpResponse(
        buffer.getvalue(), content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )
    response["Content-Disposition"] = f'attachment; filename="{filename}.xlsx"'
    return response
