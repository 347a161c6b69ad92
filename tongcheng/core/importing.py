"""Import of an edited export as updates. Every row is checked first; with any error nothing is written
(unless the user asked to apply the good rows), and each error names its row and column."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from .services.base import ServiceError

__all__ = ["ImportError_", "ImportResult", "ImportSpec", "read_table", "run_import"]


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
    find: Callable[[Any, str], Any]  # (user, key) -> object or None (scoped for change)
    update: Callable[[Any, Any, dict[str, Any], int | None], bool]  # (user, obj, changes, version) -> changed


def read_table(upload_name: str, data: bytes) -> list[dict[str, str]]:
    name = upload_name.lower()
    if name.endswith(".xlsx"):
        from openpyxl import load_workbook

        book = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
        rows = list(book.worksheets[0].iter_rows(values_only=True))
        if not rows:
            return []
        header = [str(h or "").strip() for h in rows[0]]
        return [
            {h: "" if v is None else str(v) for h, v in zip(header, row, strict=False)} for row in rows[1:]
        ]
    if name.endswith(".csv"):
        for encoding in ("utf-8-sig", "gbk"):
            try:
                text = data.decode(encoding)
                break
            except UnicodeDecodeError:
                continue
        else:
            raise ValueError(_("The file is neither UTF-8 nor GBK text."))
        return list(csv.DictReader(io.StringIO(text)))
    raise ValueError(_("Upload a .csv or .xlsx file."))


def _message(exc: Exception) -> str:
    if isinstance(exc, ValidationError):
        return "; ".join(str(m) for m in exc.messages)
    if isinstance(exc, ServiceError):
        return str(exc.message)
    return str(exc)


def run_import(
    user: Any, spec: ImportSpec, rows: list[dict[str, str]], apply_good_rows: bool = False
) -> ImportResult:
    result = ImportResult()
    planned: list[tuple[int, Any, dict[str, Any], int | None]] = []
    if rows and spec.key_column not in rows[0]:
        result.errors.append(ImportError_(1, spec.key_column, _("The column is missing.")))
        return result
    for index, row in enumerate(rows, start=2):
        key = (row.get(spec.key_column) or "").strip()
        obj = spec.find(user, key) if key else None
        if obj is None:
            result.errors.append(
                ImportError_(
                    index, spec.key_column, _("No record you may change has this key: %(key)s") % {"key": key}
                )
            )
            continue
        changes: dict[str, Any] = {}
        row_ok = True
        for column, parse in spec.columns.items():
            if column not in row:
                continue
            try:
                changes[column] = parse((row[column] or "").strip())
            except (ValueError, ValidationError) as exc:
                result.errors.append(ImportError_(index, column, _message(exc)))
                row_ok = False
        version_text = (row.get("version") or "").strip()
        version = int(version_text) if version_text.isdigit() else None
        if row_ok:
            planned.append((index, obj, changes, version))
    if result.errors and not apply_good_rows:
        return result
    with transaction.atomic():
        for index, obj, changes, version in planned:
            try:
                with transaction.atomic():
                    changed = spec.update(user, obj, changes, version)
            except ServiceError as exc:
                result.errors.append(ImportError_(index, exc.field or spec.key_column, _message(exc)))
                continue
            if changed:
                result.updated += 1
            else:
                result.unchanged += 1
        if result.errors and not apply_good_rows:
            transaction.set_rollback(True)
            result.updated = result.unchanged = 0
            return result
    result.applied = True
    return result
