"""Imports of receipts (税收入库明细), statistical indicators and apportionment factors from .xlsx and .csv
(UTF-8 or GBK), column by column, in bounded memory: 1,000,000 receipt rows in one request or command.

The file is read by the kit's table reader (``kit/tables.py``: the same rules as the settlement engine and
every other import) as batches of string columns, and each batch is checked a column at a time (numpy and
pyarrow over the whole column; a value that repeats — a credit code, a month, a treasury — is judged once per
file). Nothing is held but one batch, the 8-byte hashes of the keys met (to refuse a key given twice) and at
most ``TONGCHENG_IMPORT_MAX_ERRORS`` error lines (all are counted).

- **Headers** are Chinese in the templates (``template``); a column's English label, and the engine's own
  column names (``enterprise``, ``amount`` …, so a file ``tongcheng settle`` reads imports too), are read as
  well. An unknown or missing column is refused at row 1.
- **Keys.** A row with a key already stored in the zone updates that row (re-importing an edited export
  updates, never duplicates); an identical row is counted unchanged. A key given twice in one file is refused.
- **All or nothing by default.** The whole file is checked first; if any row is refused nothing is written
  and the report names every bad row and column. With ``apply_good_rows`` the good rows are written in the
  same single reading and the refused ones go to a rejects file (their cells as given, and the errors).
- **Writes** are one transaction of batched upserts (``INSERT … ON CONFLICT DO UPDATE``, SQLite and
  PostgreSQL alike) of the new and changed rows only, and one audit entry per import on the zone.
- **Factors** are the records' ``ApportionmentFactor``: each row is resolved to an establishment and written
  through the records' batch services (sharing/factor_import.py), not upserted.
"""

from __future__ import annotations

import csv
import io
import re
import tempfile
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import IO, Any

import numpy as np
from django.conf import settings
from django.db import connection, transaction
from django.http import HttpResponse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from tongcheng.cooperation.engine import divisions
from tongcheng.cooperation.engine.reading import FULL_WIDTH
from tongcheng.kit import tables
from tongcheng.kit.importing import (
    ImportColumn,
    ImportError_,
    ImportResult,
    ImportSpec,
    TableLimits,
    fold,
    import_template,
    in_every_language,
    translated,
)
from tongcheng.kit.services import ForbiddenError, NotFoundError, audit
from tongcheng.kit.textsafety import csv_row

from ..models import INDICATOR_CHOICES, ApportionmentFactor, IndicatorValue, Receipt, VersionStatus
from . import canonical
from .factor_import import FactorWriter
from .loader import refresh_receipt_sums
from .rules import ImportReach, import_reach

__all__ = ["DATASETS", "Dataset", "ImportOutcome", "import_table", "template"]

BATCH_ROWS = 20_000
_USCC = "0123456789ABCDEFGHJKLMNPQRTUWXY"
_WEIGHTS = np.asarray([pow(3, i, 31) for i in range(17)], dtype=np.int64)


# --- what each dataset holds ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Col:
    """One column of an import: its stable ``name`` (the engine's column name), its label (the template's
    header, Chinese in the Chinese UI), its kind of value and whether a row needs it."""

    name: str
    label: Any
    kind: str  # id uscc division month year tax yuan fen integer text choice flag unit
    required: bool = True
    help: Any = ""
    aliases: tuple[str, ...] = ()
    choices: tuple[tuple[str, Any], ...] = ()


@dataclass(frozen=True)
class Dataset:
    name: str
    title: Any
    model: Any
    key: tuple[str, ...]
    columns: tuple[Col, ...]
    audit_action: str
    #: of these columns exactly one must be present (an amount in 元 or in 分)
    one_of: tuple[str, ...] = ()

    def column(self, name: str) -> Col:
        return next(c for c in self.columns if c.name == name)

    def stored(self) -> list[str]:
        """The model fields each row writes, in order: the key's first."""
        names = [c.name for c in self.columns if c.name not in self.one_of]
        if self.one_of:
            names.append("amount_fen")
        fields = [_FIELD.get(n, n) for n in names]
        return [*self.key, *(f for f in fields if f not in self.key)]


_FIELD = {"amount": "amount_fen", "value": "value"}

MONTH_HELP = gettext_lazy("A month written YYYY-MM, e.g. 2026-01 (a date cell is read as its month).")
CODE_HELP = gettext_lazy("6-digit GB/T 2260 code of the treasury, e.g. 341103.")
USCC_HELP = gettext_lazy("18 characters; the check character is verified.")
FEN_HELP = gettext_lazy("A whole number of 分 (fen); refunds negative.")


def _tax_choices() -> tuple[tuple[str, Any], ...]:
    return tuple((code, f"{code} {zh}") for code, zh, _en in canonical.tax_type_names())


RECEIPTS = Dataset(
    name="receipts",
    title=gettext_lazy("Tax receipts"),
    model=Receipt,
    key=("receipt_id",),
    audit_action="receipts.import",
    one_of=("amount_yuan", "amount"),
    columns=(
        Col(
            "receipt_id",
            gettext_lazy("Receipt number"),
            "id",
            help=gettext_lazy(
                "The tax system's number of the receipt line (电子税票号 and line); it identifies the row when the file is imported again."
            ),
        ),
        Col("enterprise", gettext_lazy("Unified social credit code"), "uscc", help=USCC_HELP),
        Col("jurisdiction", gettext_lazy("Collecting jurisdiction code"), "division", help=CODE_HELP),
        Col("period", gettext_lazy("Month collected"), "month", help=MONTH_HELP),
        Col(
            "tax_type",
            gettext_lazy("Tax type"),
            "tax",
            help=gettext_lazy("The code (VAT, CIT …) or the name of the tax."),
        ),
        Col(
            "amount_yuan",
            gettext_lazy("Amount (yuan)"),
            "yuan",
            required=False,
            help=gettext_lazy(
                "元 with at most two decimals; refunds negative. Or give the column Amount (fen) instead."
            ),
        ),
        Col("amount", gettext_lazy("Amount (fen)"), "fen", required=False, help=FEN_HELP),
        Col(
            "project",
            gettext_lazy("Project"),
            "text",
            required=False,
            help=gettext_lazy("The project's name, for agreements that cover projects."),
        ),
    ),
)

INDICATORS = Dataset(
    name="indicators",
    title=gettext_lazy("Statistical indicators"),
    model=IndicatorValue,
    key=("enterprise", "period", "indicator"),
    audit_action="indicators.import",
    columns=(
        Col("enterprise", gettext_lazy("Unified social credit code"), "uscc", help=USCC_HELP),
        Col("period", gettext_lazy("Month"), "month", help=MONTH_HELP),
        Col(
            "indicator",
            gettext_lazy("Indicator"),
            "choice",
            choices=tuple((k, v) for k, v in INDICATOR_CHOICES),
        ),
        Col(
            "value",
            gettext_lazy("Value"),
            "integer",
            help=gettext_lazy("A whole number in the indicator's unit (e.g. 元)."),
        ),
    ),
)

FACTORS = Dataset(
    name="factors",
    title=gettext_lazy("Apportionment factors"),
    model=ApportionmentFactor,
    key=("enterprise", "unit", "year"),
    audit_action="factors.import",
    columns=(
        Col("enterprise", gettext_lazy("Head office's credit code"), "uscc", help=USCC_HELP),
        Col(
            "unit",
            gettext_lazy("Unit"),
            "unit",
            help=gettext_lazy(
                "HQ for the head office; a branch is the one recorded in the jurisdiction (by its name when there are several)."
            ),
        ),
        Col("jurisdiction", gettext_lazy("Unit's jurisdiction code"), "division", help=CODE_HELP),
        Col(
            "year",
            gettext_lazy("Year applied"),
            "year",
            help=gettext_lazy("The year the factors are applied in (they are the previous year's figures)."),
        ),
        Col("revenue_fen", gettext_lazy("Revenue (fen)"), "fen", required=False, help=FEN_HELP),
        Col("payroll_fen", gettext_lazy("Payroll (fen)"), "fen", required=False, help=FEN_HELP),
        Col("assets_fen", gettext_lazy("Assets (fen)"), "fen", required=False, help=FEN_HELP),
        Col("opened", gettext_lazy("Opened"), "month", required=False, help=MONTH_HELP),
        Col("closed", gettext_lazy("Deregistered"), "month", required=False, help=MONTH_HELP),
        Col("support_no_vat", gettext_lazy("Support unit paying no VAT"), "flag", required=False),
        Col("small_low_profit", gettext_lazy("Small low-profit enterprise"), "flag", required=False),
    ),
)

DATASETS = {d.name: d for d in (RECEIPTS, INDICATORS, FACTORS)}


def import_spec(dataset: Dataset) -> ImportSpec:
    """The dataset as a kit ImportSpec, for the kit's template (headers, notes, the sheet of columns)."""
    return ImportSpec(
        key=dataset.key[0],
        columns=[
            ImportColumn(
                c.name,
                c.label,
                required=c.required or (c.name in dataset.one_of and c.kind == "yuan"),
                help=c.help,
                choices=list(c.choices)
                if c.kind in ("choice", "tax") and c.choices
                else (_tax_choices() if c.kind == "tax" else None),
            )
            for c in dataset.columns
            if not (c.name in dataset.one_of and c.kind == "fen")  # the template offers 元
        ],
        find=lambda user, keys: {},
        update=lambda *args, **kwargs: None,
    )


def template(dataset_name: str, fmt: str) -> HttpResponse:
    dataset = DATASETS[dataset_name]
    return import_template(import_spec(dataset), fmt, f"{dataset.name}-template")


# --- the outcome ------------------------------------------------------------------------------------------


@dataclass
class ImportOutcome(ImportResult):
    """The kit's ImportResult (counts, errors, applied) and the rejected rows as a CSV file (apply_good_rows)."""

    refused: int = 0
    rejects: bytes = b""
    dataset: str = ""
    file: str = ""


class _Errors:
    def __init__(self, outcome: ImportOutcome, headings: dict[str, str]) -> None:
        self.outcome = outcome
        self.headings = headings
        self.limit = int(getattr(settings, "TONGCHENG_IMPORT_MAX_ERRORS", 1000))

    def add(self, row: int, column: str, message: str) -> None:
        self.outcome.error_count += 1
        if len(self.outcome.errors) < self.limit:
            self.outcome.errors.append(ImportError_(row, column, message, self.headings.get(column, column)))


# --- checking one batch, a column at a time ------------------------------------------------------------


def _texts(column: Any) -> Any:
    """Cells trimmed, full-width ASCII forms mapped (as the engine reads them), as a pyarrow string array."""
    import pyarrow as pa
    import pyarrow.compute as pc

    col = pc.utf8_trim_whitespace(column)
    if not pc.all(pc.string_is_ascii(col)).as_py():
        col = pa.array([v.translate(FULL_WIDTH).strip() for v in col.to_pylist()], type=pa.string())
    return col


class _Judged:
    """One column of a batch judged through its distinct values: ``value[i]`` per row, or a message."""

    def __init__(self, column: Any, judge: Callable[[str], Any], cache: dict[str, Any]) -> None:
        import pyarrow.compute as pc

        encoded = pc.dictionary_encode(column)
        distinct = encoded.dictionary.to_pylist()
        verdicts = []
        for text in distinct:
            if text not in cache:
                cache[text] = judge(text)
            verdicts.append(cache[text])
        self.index = np.asarray(encoded.indices, dtype=np.int64)
        self.verdicts = verdicts
        bad = np.fromiter((isinstance(v, _Bad) for v in verdicts), dtype=bool, count=len(verdicts))
        self.bad = bad[self.index] if len(verdicts) else np.zeros(len(column), dtype=bool)

    def values(self) -> list[Any]:
        return [self.verdicts[i] for i in self.index.tolist()]

    def message(self, at: int) -> str:
        return self.verdicts[int(self.index[at])].message


@dataclass(frozen=True)
class _Bad:
    message: str


def _amount_problem(text: str, unit: str) -> str:
    if not text:
        return _("This field is required.")
    if re.fullmatch(r"-?[0-9]+[.。][0-9]*", text):
        if unit == "yuan":
            decimals = len(re.split(r"[.。]", text, maxsplit=1)[1])
            return _(
                "%(value)s has %(count)d decimals: an amount in 元 is exact to the fen (at most two decimals)."
            ) % {"value": text, "count": decimals}
        return _(
            "%(value)s has a decimal point: amounts in this column are whole 分 (fen); 10000.00 is never read as 10000."
        ) % {"value": text}
    if re.search(r"[0-9][,，'][0-9]", text):
        return _("%(value)s has a thousands separator: write the digits only.") % {"value": text}
    if re.fullmatch(r"-?[0-9.]+[eE][-+]?[0-9]+", text):
        return _("%(value)s is in scientific notation: write the whole amount.") % {"value": text}
    if re.fullmatch(r"-?[0-9.]{17,}", text):
        return _("%(value)s is too large an amount.") % {"value": text}
    return _("%(value)s is not an amount.") % {"value": text}


def _amounts(column: Any, unit: str) -> tuple[np.ndarray, np.ndarray, list[str]]:
    """(fen per row, bad mask, texts) of an amount column in 元 (≤ 2 decimals) or 分 (whole numbers)."""
    import pyarrow as pa
    import pyarrow.compute as pc

    texts = _texts(column)
    pattern = r"^-?[0-9]{1,16}(\.[0-9]{1,2})?$" if unit == "yuan" else r"^-?[0-9]{1,18}$"
    ok = np.asarray(pc.match_substring_regex(texts, pattern).fill_null(False), dtype=bool)
    values = np.zeros(len(texts), dtype=np.int64)
    if ok.any():
        good = texts.filter(pa.array(ok))
        if unit == "yuan":
            good = pc.replace_substring_regex(good, pattern=r"^(-?[0-9]+)$", replacement=r"\1.00")
            good = pc.replace_substring_regex(good, pattern=r"^(-?[0-9]+)\.([0-9])$", replacement=r"\1.\20")
            good = pc.replace_substring(good, ".", "")
        values[ok] = np.asarray(pc.cast(good, pa.int64()), dtype=np.int64)
    limit = 10**18 - 1
    too_big = ok & (np.abs(values) > limit)
    ok &= ~too_big
    return values, ~ok, texts.to_pylist() if not ok.all() else []


_FLAGS = {
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


class _Checker:
    """The checks of one file, kept across its batches (distinct values are judged once)."""

    def __init__(self, dataset: Dataset, present: set[str], zone: Any, reach: ImportReach) -> None:
        self.dataset = dataset
        self.present = present
        self.zone = zone
        self.reach = reach
        self.caches: dict[str, dict[str, Any]] = {c.name: {} for c in dataset.columns}
        self.months = _agreement_months(zone) if dataset.name == "receipts" else None
        self.tax = {}
        for code, zh, en in canonical.tax_type_names():
            for alias in (code, zh, en):
                self.tax[fold(alias)] = code
        self.choice_maps = {}
        for col in dataset.columns:
            if col.kind == "choice":
                mapping: dict[str, str] = {}
                for value, label in col.choices:
                    for alias in (value, *in_every_language(label)):
                        mapping[fold(alias)] = value
                self.choice_maps[col.name] = mapping
        self.division_years: dict[tuple[str, int], bool] = {}

    # judges of distinct values --------------------------------------------------------------------------

    def _uscc(self, text: str) -> Any:
        text = text.translate(FULL_WIDTH).strip()
        if not text:
            return _Bad(_("This field is required."))
        if len(text) != 18 or any(ch not in _USCC for ch in text):
            return _Bad(_("%(value)s is not a unified social credit code (18 characters).") % {"value": text})
        total = sum(_USCC.index(ch) * int(w) for ch, w in zip(text[:17], _WEIGHTS, strict=True))
        if _USCC[(31 - total % 31) % 31] != text[17]:
            return _Bad(
                _("%(value)s is not a valid unified social credit code (check character).") % {"value": text}
            )
        return text

    def _division(self, text: str) -> Any:
        if not text:
            return _Bad(_("This field is required."))
        if not re.fullmatch(r"[0-9]{6}", text):
            return _Bad(_("%(value)s is not a 6-digit GB/T 2260 code.") % {"value": text})
        if not divisions.known(text):
            return _Bad(_("%(value)s is not a known GB/T 2260 code.") % {"value": text})
        if not self.reach.allows(text):
            return _Bad(_("%(value)s is not a treasury whose receipts you may import.") % {"value": text})
        return text

    def _month(self, text: str) -> Any:
        m = re.fullmatch(r"([0-9]{4}-[0-9]{2})-[0-9]{2}( 00:00:00(\.0+)?)?", text)
        if m:  # Excel turns a typed 2026-01 into a date
            text = m.group(1)
        if not text:
            return _Bad(_("This field is required."))
        if not re.fullmatch(r"[0-9]{4}-(0[1-9]|1[0-2])", text):
            return _Bad(_("%(value)s is not a month written YYYY-MM.") % {"value": text})
        number = int(text[:4]) * 100 + int(text[5:])
        if self.months is not None:
            engine_month = int(text[:4]) * 12 + int(text[5:]) - 1
            if not any(a <= engine_month and (b is None or engine_month <= b) for a, b in self.months):
                return _Bad(
                    _(
                        "No agreement of the zone %(zone)s is in force in %(month)s; receipts are imported for the months its agreements cover."
                    )
                    % {"zone": self.zone.code, "month": text}
                )
        return number

    def _year(self, text: str) -> Any:
        if not re.fullmatch(r"(19|20)[0-9]{2}", text):
            return _Bad(_("%(value)s is not a year.") % {"value": text or "—"})
        return int(text)

    def _tax(self, text: str) -> Any:
        if not text:
            return _Bad(_("This field is required."))
        code = self.tax.get(fold(text))
        if code is None:
            return _Bad(
                _("Unknown tax type %(value)s (a code such as VAT or CIT, or its name).") % {"value": text}
            )
        return code

    def _flag(self, text: str) -> Any:
        value = _FLAGS.get(text.lower())
        if value is None:
            return _Bad(_("%(value)s is not yes or no (1/0, 是/否).") % {"value": text})
        return value

    def _unit(self, text: str) -> Any:
        if not text or len(text) > 40:
            return _Bad(_("A unit is named by 1 to 40 characters."))
        return text

    def _judge(self, col: Col) -> Callable[[str], Any]:
        if col.kind == "uscc":
            return self._uscc
        if col.kind == "division":
            return self._division
        if col.kind == "month":
            if col.required:
                return self._month
            return lambda t: None if not t else self._month(t)
        if col.kind == "year":
            return self._year
        if col.kind == "tax":
            return self._tax
        if col.kind == "flag":
            return self._flag
        if col.kind == "unit":
            return self._unit
        if col.kind == "choice":
            mapping = self.choice_maps[col.name]
            allowed = ", ".join(str(label) for _v, label in col.choices)
            return lambda t: (
                mapping.get(fold(t))
                or _Bad(_("%(value)s is not one of: %(choices)s.") % {"value": t or "—", "choices": allowed})
            )
        raise AssertionError(col.kind)

    # a batch --------------------------------------------------------------------------------------------

    def batch(
        self, batch: tables.Batch, names: dict[str, str]
    ) -> tuple[dict[str, Any], list[dict[str, str]]]:
        """(values per stored field, problems per row: {column: message}) of one batch."""
        import pyarrow.compute as pc

        n = len(batch)
        problems: list[dict[str, str]] = [{} for _ in range(n)]
        values: dict[str, Any] = {}
        for col in self.dataset.columns:
            header = names.get(col.name)
            if header is None:
                continue
            raw = batch.columns[header]
            if col.kind in ("yuan", "fen", "integer"):
                fen, bad, texts = _amounts(raw, "yuan" if col.kind == "yuan" else "fen")
                if not col.required and col.name not in self.dataset.one_of:
                    empty = np.asarray(pc.equal(pc.utf8_trim_whitespace(raw), ""), dtype=bool)
                    bad &= ~empty
                for at in np.flatnonzero(bad).tolist():
                    problems[at][col.name] = _amount_problem(
                        texts[at], "yuan" if col.kind == "yuan" else "fen"
                    )
                target = "amount_fen" if col.name in self.dataset.one_of else _FIELD.get(col.name, col.name)
                values[target] = fen.tolist()  # Python ints: a database driver may store numpy's as bytes
            elif col.kind == "id":
                texts = _texts(raw)
                lengths = np.asarray(pc.utf8_length(texts), dtype=np.int64)
                control = np.asarray(pc.match_substring_regex(texts, r"[\x00-\x1f\x7f]"), dtype=bool)
                for at in np.flatnonzero((lengths == 0) | (lengths > 64) | control).tolist():
                    problems[at][col.name] = (
                        _("This field is required.")
                        if lengths[at] == 0
                        else _("A receipt number has at most 64 characters and no control characters.")
                    )
                values[col.name] = texts.to_pylist()
            elif col.kind == "text":
                texts = pc.utf8_trim_whitespace(raw)
                lengths = np.asarray(pc.utf8_length(texts), dtype=np.int64)
                for at in np.flatnonzero(lengths > 100).tolist():
                    problems[at][col.name] = _("At most 100 characters.")
                values[col.name] = texts.to_pylist()
            else:
                judged = _Judged(_texts(raw), self._judge(col), self.caches[col.name])
                for at in np.flatnonzero(judged.bad).tolist():
                    problems[at][col.name] = judged.message(at)
                values[col.name] = judged.values()
        for col in self.dataset.columns:
            if col.name not in names and not col.required and col.name not in self.dataset.one_of:
                default: Any = (
                    None
                    if col.kind == "month"
                    else (False if col.kind == "flag" else ("" if col.kind == "text" else 0))
                )
                values[_FIELD.get(col.name, col.name)] = [default] * n
        # a treasury must be in use in the month (or year) of the row
        if "jurisdiction" in names and ("period" in values or "year" in values):
            years = (
                [p // 100 if isinstance(p, int) else None for p in values["period"]]
                if "period" in values
                else [y if isinstance(y, int) else None for y in values["year"]]
            )
            for at, (code, year) in enumerate(zip(values["jurisdiction"], years, strict=True)):
                if isinstance(code, str) and year is not None:
                    ok = self.division_years.get((code, year))
                    if ok is None:
                        ok = self.division_years[(code, year)] = divisions.in_use(code, year)
                    if not ok:
                        problems[at]["jurisdiction"] = _("%(code)s is not in use in %(year)d.") % {
                            "code": code,
                            "year": year,
                        }
        return values, problems


def _agreement_months(zone: Any) -> list[tuple[int, int | None]]:
    """The months (engine numbers) covered by the zone's approved agreement versions."""
    from ..models import AgreementVersion

    spans = []
    for start, end in AgreementVersion.objects.filter(
        agreement__zone=zone, status=VersionStatus.APPROVED
    ).values_list("effective_from", "effective_to"):
        spans.append((canonical.month(start), canonical.month(end) if end else None))
    return spans


# --- the header ------------------------------------------------------------------------------------------


def _match_header(dataset: Dataset, header: Sequence[str], errors: _Errors) -> dict[str, str] | None:
    """{column name: header as written}, or None after reporting what is wrong with the header."""
    aliases: dict[str, str] = {}
    for col in dataset.columns:
        for alias in (col.name, *col.aliases, *in_every_language(col.label)):
            aliases.setdefault(fold(alias), col.name)
    names: dict[str, str] = {}
    ok = True
    labels = ", ".join(str(c.label) for c in dataset.columns)
    for text in header:
        if not text:
            errors.add(
                1,
                "",
                _(
                    "A column has no name; the header is the first row (merged header cells are read as one column)."
                ),
            )
            ok = False
            continue
        name = aliases.get(fold(text))
        if name is None:
            errors.add(
                1,
                text,
                _("Unknown column %(column)s; the columns are: %(columns)s.")
                % {"column": text, "columns": labels},
            )
            ok = False
        elif name in names:
            errors.add(
                1,
                text,
                _("The columns %(first)s and %(second)s are the same column.")
                % {"first": names[name], "second": text},
            )
            ok = False
        else:
            names[name] = text
    for col in dataset.columns:
        if col.required and col.name not in names:
            errors.headings[col.name] = str(col.label)
            errors.add(1, col.name, _("The column %(column)s is missing.") % {"column": col.label})
            ok = False
    if dataset.one_of:
        given = [c for c in dataset.one_of if c in names]
        if len(given) != 1:
            labels_one = _(" or ").join(str(dataset.column(c).label) for c in dataset.one_of)
            errors.headings[dataset.one_of[0]] = str(dataset.column(dataset.one_of[0]).label)
            errors.add(
                1,
                dataset.one_of[0],
                (
                    _("Give the amount in one column only: %(columns)s.")
                    if given
                    else _("The column %(column)s is missing.")
                )
                % {"columns": labels_one, "column": labels_one},
            )
            ok = False
    errors.headings.update({name: text for name, text in names.items()})
    return names if ok else None


# --- keys seen --------------------------------------------------------------------------------------------


class _Keys:
    """The keys met in the file, as 64-bit hashes with the row of their first occurrence, kept in sorted runs
    merged two by two when they grow alike (as a binary counter): 12 bytes per row, so a million rows hold
    12 MB and a merge never copies more than the runs it merges. Two different keys share a hash with odds
    of about n²/2⁶⁵ (10⁻⁷ for a million rows)."""

    def __init__(self) -> None:
        self.runs: list[tuple[np.ndarray, np.ndarray]] = []  # (sorted hashes int64, rows int32)

    def _earlier(self, hashed: np.ndarray) -> np.ndarray:
        earlier = np.zeros(hashed.shape[0], dtype=np.int64)
        for hashes, rows in self.runs:
            at = np.minimum(np.searchsorted(hashes, hashed), hashes.size - 1)
            hit = (hashes[at] == hashed) & (earlier == 0)
            earlier[hit] = rows[at[hit]]
        return earlier

    def _add(self, hashes: np.ndarray, rows: np.ndarray) -> None:
        order = np.argsort(hashes, kind="stable")
        self.runs.append((hashes[order], rows[order].astype(np.int32)))
        while len(self.runs) > 1 and self.runs[-2][0].size <= 2 * self.runs[-1][0].size:
            (h1, r1), (h2, r2) = self.runs.pop(), self.runs.pop()
            hashes = np.concatenate([h2, h1])
            order = np.argsort(hashes, kind="stable")
            self.runs.append((hashes[order], np.concatenate([r2, r1])[order]))

    def check(self, keys: list[Any], rows: np.ndarray, usable: np.ndarray) -> np.ndarray:
        """The row of an earlier occurrence of each key (0: none); the first occurrences of usable rows are
        remembered."""
        hashed = np.fromiter((hash(k) for k in keys), dtype=np.int64, count=len(keys))
        earlier = self._earlier(hashed)
        # repeats within the batch name the batch's first occurrence
        order = np.argsort(hashed, kind="stable")
        same = np.zeros(len(keys), dtype=bool)
        same[1:] = hashed[order][1:] == hashed[order][:-1]
        first_of = np.maximum.accumulate(np.where(~same, np.arange(len(keys)), 0))
        dup = order[same]
        earlier[dup] = np.where(earlier[dup] == 0, rows[order[first_of[same]]], earlier[dup])
        keep = usable & (earlier == 0)
        if keep.any():
            self._add(hashed[keep], rows[keep])
        return earlier


# --- writing ---------------------------------------------------------------------------------------------


def _existing(
    dataset: Dataset, zone: Any, keys: list[tuple[Any, ...]]
) -> dict[tuple[Any, ...], tuple[Any, ...]]:
    """Stored rows of the zone with these keys: key -> (id, stored values …, synthetic)."""
    model = dataset.model
    fields = dataset.stored()
    out: dict[tuple[Any, ...], tuple[Any, ...]] = {}
    first = dataset.key[0]
    # SQLite takes 999 parameters a statement; a server takes many more (fewer round trips).
    size = 500 if connection.vendor == "sqlite" else 5000
    for start in range(0, len(keys), size):
        chunk = keys[start : start + size]
        qs = model.objects.filter(zone=zone, **{f"{first}__in": sorted({k[0] for k in chunk})})
        for row in qs.values_list("id", *fields, "synthetic"):
            key = tuple(row[1 : 1 + len(dataset.key)])
            out[key] = row
    return out


def _upsert(dataset: Dataset, zone: Any, rows: list[tuple[Any, ...]]) -> None:
    if not rows:
        return
    model = dataset.model
    table = connection.ops.quote_name(model._meta.db_table)
    fields = dataset.stored()
    columns = ["zone_id", *fields, "synthetic", "created_at", "updated_at"]
    quoted = ", ".join(connection.ops.quote_name(c) for c in columns)
    conflict = ", ".join(connection.ops.quote_name(c) for c in ("zone_id", *dataset.key))
    updates = ", ".join(
        f"{connection.ops.quote_name(c)} = excluded.{connection.ops.quote_name(c)}"
        for c in [f for f in fields if f not in dataset.key] + ["synthetic", "updated_at"]
    )
    now = timezone.now()
    params = [(zone.pk, *row, False, now, now) for row in rows]
    one = f"({', '.join(['%s'] * len(columns))})"
    with connection.cursor() as cursor:
        if connection.vendor != "postgresql":
            # In-process (SQLite): one prepared statement run per row is the fastest way in.
            sql = f"INSERT INTO {table} ({quoted}) VALUES {one} ON CONFLICT ({conflict}) DO UPDATE SET {updates}"
            for start in range(0, len(params), 5000):
                cursor.executemany(sql, params[start : start + 5000])
            return
        # PostgreSQL: the rows are copied into a staging table (COPY, no SQL text per row) and merged from
        # there in one statement.
        stage = connection.ops.quote_name(f"stage_{model._meta.db_table}")
        cursor.execute(
            f"CREATE TEMPORARY TABLE IF NOT EXISTS {stage} AS SELECT {quoted} FROM {table} WITH NO DATA"
        )
        cursor.execute(f"TRUNCATE {stage}")
        with cursor.cursor.copy(f"COPY {stage} ({quoted}) FROM STDIN") as copy:
            for row in params:
                copy.write_row(row)
        cursor.execute(
            f"INSERT INTO {table} ({quoted}) SELECT {quoted} FROM {stage} "
            f"ON CONFLICT ({conflict}) DO UPDATE SET {updates}"
        )


# --- the import -----------------------------------------------------------------------------------------


class _Rejects:
    """The refused rows of an import that applies the good ones: their cells as given and the errors, as CSV
    (UTF-8 with BOM, formula-safe), spooled to disk past 4 MB."""

    def __init__(self, header: Sequence[str]) -> None:
        self.file = tempfile.SpooledTemporaryFile(max_size=4 << 20, mode="w+", encoding="utf-8", newline="")  # noqa: SIM115 - closed by read()
        self.writer = csv.writer(self.file)
        self.file.write("\ufeff")
        self.writer.writerow(csv_row([_("Row"), *header, _("Errors")]))
        self.count = 0

    def add(self, row: int, cells: list[str], messages: list[str]) -> None:
        self.count += 1
        self.writer.writerow(csv_row([row, *cells, "; ".join(messages)]))

    def read(self) -> bytes:
        self.file.seek(0)
        data = self.file.read().encode("utf-8")
        self.file.close()
        return data


def _open(name: str, file: IO[bytes], limits: TableLimits | None) -> tables.Table:
    try:
        return tables.open_table(file, name, limits or TableLimits.from_settings(), kinds=("csv", "xlsx"))
    except tables.TableError as exc:
        if exc.code == "unsupported_type":
            raise tables.TableError(exc.code, message=_("Upload a .csv or .xlsx file.")) from None
        raise translated(exc) from None


def _batches(table: tables.Table, batch_rows: int) -> Iterator[tables.Batch]:
    try:
        yield from table.batches(batch_rows)
    except tables.TableError as exc:
        raise translated(exc) from None


class _Pass:
    def __init__(
        self,
        dataset: Dataset,
        zone: Any,
        reach: ImportReach,
        outcome: ImportOutcome,
        *,
        write: bool,
        apply_good_rows: bool,
        user: Any = None,
    ) -> None:
        self.dataset, self.zone, self.reach, self.outcome = dataset, zone, reach, outcome
        self.user = user
        self.factors: FactorWriter | None = None
        self.write, self.apply_good_rows = write, apply_good_rows
        self.errors = _Errors(outcome, {})
        self.keys = _Keys()
        self.rejects: _Rejects | None = None
        self.months: set[int] = set()  # receipts: the months written (sums to refresh)

    def run(
        self,
        name: str,
        file: IO[bytes],
        limits: TableLimits | None,
        batch_rows: int,
        progress: Callable[[int, bool], None] | None,
    ) -> bool:
        """False when the file or its header is refused (nothing else is then checked)."""
        file.seek(0)
        try:
            table = _open(name, file, limits)
        except tables.TableError as exc:
            self.errors.add(exc.row or 1, exc.column or "", exc.message)
            return False
        with table:
            if not any(table.header):
                self.errors.add(1, "", _("The file is empty: it has no header row."))
                return False
            names = _match_header(self.dataset, table.header, self.errors)
            if names is None:
                return False
            if self.apply_good_rows and self.write:
                self.rejects = _Rejects([h for h in table.header if h])
            checker = _Checker(self.dataset, set(names), self.zone, self.reach)
            if self.dataset is FACTORS:
                self.factors = FactorWriter(
                    self.user, set(names), write=self.write, apply_valid=self.apply_good_rows
                )
            self.outcome.rows = 0
            try:
                for batch in _batches(table, batch_rows):
                    self.outcome.rows += len(batch)
                    self.batch(checker, batch, names, [h for h in table.header if h])
                    if progress is not None:
                        progress(self.outcome.rows, self.write)
            except tables.TableError as exc:
                self.errors.add(exc.row or 1, exc.column or "", exc.message)
                return False
        if self.outcome.rows == 0:
            self.errors.add(2, "", _("The file holds no rows to import."))
            return False
        return True

    def batch(self, checker: _Checker, batch: tables.Batch, names: dict[str, str], header: list[str]) -> None:
        values, problems = checker.batch(batch, names)
        rows = batch.rows
        n = len(batch)
        key_values = list(zip(*(values[k] for k in self.dataset.key), strict=True))
        usable = np.fromiter((not p for p in problems), dtype=bool, count=n)
        earlier = self.keys.check(key_values, rows, usable)
        key_heading = self.dataset.key[0]
        for at in np.flatnonzero(earlier).tolist():
            if not problems[at]:
                problems[at][key_heading] = _(
                    "This key is already in row %(row)d; each row may appear once."
                ) % {"row": int(earlier[at])}
        fields = self.dataset.stored()
        stored = [values[f] for f in fields]
        good = [i for i in range(n) if not problems[i]]
        places = {}
        if self.factors is not None:
            places = self.factors.resolve(values, good, problems)
            good = [i for i in good if i in places]
        for i in range(n):
            for column, message in problems[i].items():
                self.errors.add(int(rows[i]), column, message)
        if self.rejects is not None:
            bad = [i for i in range(n) if problems[i]]
            if bad:
                cells = {h: batch.columns[h].take(bad).to_pylist() for h in header}
                for j, i in enumerate(bad):
                    self.rejects.add(int(rows[i]), [cells[h][j] for h in header], list(problems[i].values()))
        if self.factors is not None:
            # through the records' services, also in the check pass (``write`` false): a row the importer
            # may not change is refused before anything is written
            if self.outcome.error_count and not self.apply_good_rows:
                return
            self.factors.store(values, places, {i: int(rows[i]) for i in good}, self.outcome, self.errors.add)
            return
        if not self.write or (self.outcome.error_count and not self.apply_good_rows):
            return
        self.store([tuple(col[i] for col in stored) for i in good], [int(rows[i]) for i in good])

    def store(self, rows: list[tuple[Any, ...]], numbers: list[int]) -> None:
        if not rows:
            return
        width = len(self.dataset.key)
        period_at = self.dataset.stored().index("period") if self.dataset is RECEIPTS else None
        existing = _existing(self.dataset, self.zone, [r[:width] for r in rows])
        changed: list[tuple[Any, ...]] = []
        for row, number in zip(rows, numbers, strict=True):
            old = existing.get(row[:width])
            if old is None:
                changed.append(row)
                self.outcome.created += 1
                if period_at is not None:
                    self.months.add(row[period_at])
            elif tuple(old[1:-1]) == row and not old[-1]:
                self.outcome.unchanged += 1
            else:
                if "jurisdiction" in self.dataset.stored() and self.reach.codes is not None:
                    at = self.dataset.stored().index("jurisdiction")
                    if not self.reach.allows(old[1 + at]):
                        self.errors.add(
                            number,
                            self.dataset.key[0],
                            _("This key belongs to a row of a treasury whose data you may not change."),
                        )
                        continue
                changed.append(row)
                self.outcome.updated += 1
                if period_at is not None:
                    self.months.update((row[period_at], old[1 + period_at]))
        _upsert(self.dataset, self.zone, changed)


def import_table(
    user: Any,
    zone: Any,
    dataset_name: str,
    name: str,
    file: IO[bytes],
    *,
    apply_good_rows: bool = False,
    progress: Callable[[int, bool], None] | None = None,
    limits: TableLimits | None = None,
    batch_rows: int = BATCH_ROWS,
) -> ImportOutcome:
    """Import a file of ``dataset_name`` into ``zone`` as ``user`` (see the module). The user must be allowed
    to import there (404 if the zone is out of sight, 403 otherwise). Nothing is written if any row is
    refused, unless ``apply_good_rows``; the outcome names every refused row and column."""
    from tongcheng.core.models import AdjacentZone

    dataset = DATASETS[dataset_name]
    if not AdjacentZone.objects.visible_to(user).filter(pk=zone.pk).exists():
        raise NotFoundError()
    reach = import_reach(user, zone, dataset_name)
    if reach is None:
        raise ForbiddenError(_("You may not import into this zone."), code="no_import_scope")
    outcome = ImportOutcome(dataset=dataset_name, file=name)
    if not apply_good_rows:
        checking = _Pass(dataset, zone, reach, outcome, write=False, apply_good_rows=False, user=user)
        complete = checking.run(name, file, limits, batch_rows, progress)
        if not complete or outcome.error_count:
            return outcome
    outcome.created = outcome.updated = outcome.unchanged = 0
    outcome.errors, outcome.error_count = [], 0
    with transaction.atomic():
        writing = _Pass(dataset, zone, reach, outcome, write=True, apply_good_rows=apply_good_rows, user=user)
        complete = writing.run(name, file, limits, batch_rows, progress)
        if writing.rejects is not None:
            outcome.refused = writing.rejects.count
            outcome.rejects = writing.rejects.read() if writing.rejects.count else b""
        if not complete or (outcome.error_count and not apply_good_rows):
            transaction.set_rollback(True)
            outcome.created = outcome.updated = outcome.unchanged = 0
            return outcome
        if writing.months:
            refresh_receipt_sums(zone, writing.months)
        if outcome.created or outcome.updated:
            audit(
                user,
                dataset.audit_action,
                zone,
                {
                    "dataset": dataset_name,
                    "file": name[:200],
                    "rows": outcome.rows,
                    "created": outcome.created,
                    "updated": outcome.updated,
                    "unchanged": outcome.unchanged,
                    "refused": outcome.refused,
                },
            )
    outcome.applied = True
    return outcome


def error_report(outcome: ImportOutcome) -> bytes:
    """The errors as CSV (row, column, error), UTF-8 with BOM, formula-safe."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(csv_row([_("Row"), _("Column"), _("Error")]))
    for error in outcome.errors:
        writer.writerow(csv_row([error.row, error.heading, error.message]))
    if outcome.errors_left_out:
        writer.writerow(
            csv_row(
                ["", "", _("%(count)d further errors are left out.") % {"count": outcome.errors_left_out}]
            )
        )
    return ("\ufeff" + out.getvalue()).encode("utf-8")


__all__ += ["FACTORS", "INDICATORS", "RECEIPTS", "error_report"]
