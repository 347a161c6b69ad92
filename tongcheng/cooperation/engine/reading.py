"""Receipts from a file, read in batches through the shared table reader and summed while reading.

Memory grows with the number of settlement groups, not with the number of rows: each batch of string
columns is checked, encoded and summed per (scope class, project class, collecting treasury, month, tax
type) before the next batch is read. A *scope class* is a set of enterprises that every agreement treats
alike (the same agreements name them, for the same tax types); the engine settles a class through one
representative credit code, which gives the same result to the fen as settling each enterprise, because
an enterprise's receipts reach the engine only through its agreement, tax type, month and treasury. The
head offices of ``--factors`` keep their own identity: their CIT is apportioned per enterprise.

Checks (docs/settlement-formats.md, "Receipts"): every bad cell is reported as
``file:row N:column C: message (got 'value')``, at most 20 per column, with the reader's own errors
(encoding, duplicated columns, too many values, formula cells ...) located the same way.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from tongcheng.kit.tables import Batch, TableError, open_table

from .allocation import exact_bincount
from .types import AgreementSet, Receipts

MAX_ERRORS_PER_COLUMN = 20
RECEIPT_COLUMNS = ("enterprise", "jurisdiction", "period", "tax_type", "amount")
#: the largest total of absolute amounts accepted: every sum the engine forms stays below it, so no
#: int64 sum can overflow (2^62 fen is about 4.6 × 10^16 元)
MAX_TOTAL_ABS_FEN = 2**62

#: The full-width forms of ASCII (全角, U+FF01..U+FF5E) and the ideographic space, which Chinese input
#: methods type, mapped to ASCII. This is exactly what NFKC does to this block and nothing more: other
#: compatibility characters (①, ², ㈠) are not digits here and stay as they are, so they are refused.
FULL_WIDTH = {0xFF01 + i: 0x21 + i for i in range(94)} | {0x3000: 0x20}
_PERIOD = r"^[0-9]{4}-(0[1-9]|1[0-2])$"
_EXCEL_DATE = r"^([0-9]{4}-[0-9]{2})-[0-9]{2}( 00:00:00(\.0+)?)?$"
_INTEGER = r"^-?[0-9]{1,18}$"


def ascii_text(values: list[str]) -> list[str]:
    return [v.translate(FULL_WIDTH) for v in values]


def amount_problem(value: str, unit: str = "fen") -> str:
    """Why a cell is not an integer amount, in words that say how to fix it."""
    text = value.strip()
    if not text:
        return "empty value"
    if re.fullmatch(r"-?[0-9]+[.。][0-9]*", text):
        return (
            f"has a decimal point: amounts are integer {unit} (分), and 10000.00 is never read as 10000; "
            "convert 元 to 分 first"
        )
    if re.search(r"[0-9][,，'][0-9]", text):
        return "has a thousands separator: write the digits only, e.g. 1234567"
    if re.fullmatch(r"-?[0-9.]+[eE][-+]?[0-9]+", text):
        return "is in scientific notation: write the whole number of 分"
    if re.fullmatch(r"-?[0-9]{19,}", text):
        return "has more than 18 digits (beyond 10^18 分)"
    return f"not an integer number of {unit}"


@dataclass
class Problems:
    """Located errors of one file, at most MAX_ERRORS_PER_COLUMN per column and a count of the rest."""

    path: Path
    lines: list[str] = field(default_factory=list)
    per_column: dict[str, int] = field(default_factory=dict)

    def add(self, row: int, column: str, message: str, value: object) -> None:
        seen = self.per_column.get(column, 0)
        self.per_column[column] = seen + 1
        if seen < MAX_ERRORS_PER_COLUMN:
            self.lines.append(f"{self.path}:row {row}:column {column}: {message} (got {value!r})")

    def table(self, error: TableError) -> None:
        from .io import table_error_line

        self.lines.append(table_error_line(self.path, error))

    def finish(self) -> list[str]:
        out = list(self.lines)
        for column, count in self.per_column.items():
            if count > MAX_ERRORS_PER_COLUMN:
                out.append(
                    f"{self.path}:column {column}: {count - MAX_ERRORS_PER_COLUMN} more rows with errors"
                )
        return out


class _Vocabulary:
    """Strings to dense codes, growing while reading."""

    def __init__(self) -> None:
        self.index: dict[str, int] = {}
        self.names: list[str] = []

    def codes(self, names: Sequence[str]) -> np.ndarray:
        index = self.index
        out = np.empty(len(names), dtype=np.int64)
        for i, name in enumerate(names):
            code = index.get(name)
            if code is None:
                code = index[name] = len(self.names)
                self.names.append(name)
            out[i] = code
        return out


def _scope_classes(
    agreements: AgreementSet | None, keep: Iterable[str]
) -> tuple[dict[str, str], dict[str, str]]:
    """Representative of each enterprise and project that an agreement names (enterprises named alike
    share one), and the enterprises in ``keep`` as themselves."""
    by_enterprise: dict[str, list[tuple[int, tuple[str, ...]]]] = {}
    by_project: dict[str, list[tuple[int, tuple[str, ...]]]] = {}
    for a, ag in enumerate(agreements.agreements if agreements is not None else ()):
        for e in ag.enterprises:
            by_enterprise.setdefault(e, []).append((a, ag.tax_types))
        for p in ag.projects:
            by_project.setdefault(p, []).append((a, ag.tax_types))

    def representatives(named: dict[str, list[tuple[int, tuple[str, ...]]]]) -> dict[str, str]:
        first: dict[tuple[tuple[int, tuple[str, ...]], ...], str] = {}
        out = {}
        for name in sorted(named):
            key = tuple(sorted(named[name]))
            out[name] = first.setdefault(key, name)
        return out

    enterprises = representatives(by_enterprise)
    for name in keep:
        enterprises[name] = name
    return enterprises, representatives(by_project)


#: the representative of every enterprise no agreement names (not a credit code, so it names nothing)
OTHERS = "(other enterprises)"


def _strings(column: Any) -> Any:
    import pyarrow.compute as pc

    return pc.utf8_trim_whitespace(column)


def _to_ascii(column: Any) -> Any:
    import pyarrow as pa
    import pyarrow.compute as pc

    if pc.all(pc.string_is_ascii(column)).as_py() in (True, None):
        return column
    return pa.array(ascii_text(column.to_pylist()), type=pa.string())


def _bad(mask: Any) -> np.ndarray:
    """Positions where a pyarrow boolean mask is False (or null)."""
    arr = np.asarray(mask.fill_null(False), dtype=bool)
    return np.flatnonzero(~arr)


@dataclass
class ReadReceipts:
    receipts: Receipts | None
    rows: int


def read_receipts_summed(
    path: Path,
    known_taxes: set[str],
    errors: list[str],
    agreements: AgreementSet | None = None,
    head_offices: Iterable[str] = (),
    check_uscc: bool = True,
    batch_rows: int = 1 << 20,
) -> ReadReceipts:
    """Read, check and sum the receipts file; on any problem the errors are appended and receipts is None."""
    import pyarrow as pa
    import pyarrow.compute as pc

    from .io import uscc_valid_many

    problems = Problems(path)
    try:
        table = open_table(path)
    except TableError as e:
        problems.table(e)
        errors.extend(problems.finish())
        return ReadReceipts(None, 0)
    with table:
        lower = {h.lower(): h for h in table.header if h}
        missing = [c for c in RECEIPT_COLUMNS if c not in lower]
        for c in missing:
            errors.append(f"{path}:row 1:column {c}: missing column")
        if missing:
            return ReadReceipts(None, 0)
        has_project = "project" in lower
        enterprise_of, project_of = _scope_classes(agreements, head_offices)
        ent_vocab, proj_vocab, jur_vocab, tax_vocab = (
            _Vocabulary(),
            _Vocabulary(),
            _Vocabulary(),
            _Vocabulary(),
        )
        checked: set[str] = set()
        known = pa.array(sorted(known_taxes), type=pa.string())
        parts_key: list[np.ndarray] = []
        parts_sum: list[np.ndarray] = []
        total_abs = 0.0
        rows = 0
        try:
            for batch in table.batches(batch_rows):
                rows += len(batch)
                got = {c: _strings(batch.columns[lower[c]]) for c in RECEIPT_COLUMNS}
                for c in ("enterprise", "jurisdiction", "period", "tax_type", "amount"):
                    got[c] = _to_ascii(got[c])
                _check_batch(batch, got, problems, known, checked, check_uscc, uscc_valid_many)
                if problems.lines or problems.per_column:
                    continue  # keep checking, to report every bad row; nothing is summed any more
                amount = pc.cast(got["amount"], pa.int64()).to_numpy()
                total_abs += float(np.abs(amount.astype(np.float64)).sum())
                if total_abs >= MAX_TOTAL_ABS_FEN:
                    errors.append(
                        f"{path}:column amount: the absolute amounts add up to more than 2^62 分; "
                        "sums this large could overflow and are refused"
                    )
                    return ReadReceipts(None, rows)
                period = pc.cast(pc.utf8_slice_codeunits(got["period"], 0, 4), pa.int64()).to_numpy() * 12
                period += pc.cast(pc.utf8_slice_codeunits(got["period"], 5, 7), pa.int64()).to_numpy() - 1
                ent = _class_codes(got["enterprise"], enterprise_of, OTHERS, ent_vocab)
                if has_project:
                    proj = _class_codes(
                        _strings(batch.columns[lower["project"]]), project_of, None, proj_vocab
                    )
                else:
                    proj = np.full(len(batch), -1, dtype=np.int64)
                jur = _dict_codes(got["jurisdiction"], jur_vocab)
                tax = _dict_codes(got["tax_type"], tax_vocab)
                key = np.stack([ent, proj + 1, jur, period, tax], axis=1)
                uniq, inverse = np.unique(key, axis=0, return_inverse=True)
                nz, sums = exact_bincount(inverse.reshape(-1), amount, uniq.shape[0])
                parts_key.append(uniq[nz])
                parts_sum.append(sums)
                if len(parts_key) > 8:
                    parts_key, parts_sum = _reduce(parts_key, parts_sum)
        except TableError as e:
            problems.table(e)
        found = problems.finish()
        if found:
            errors.extend(found)
            return ReadReceipts(None, rows)
    if not parts_key:
        parts_key, parts_sum = [np.zeros((0, 5), np.int64)], [np.zeros(0, np.int64)]
    parts_key, parts_sum = _reduce(parts_key, parts_sum)
    return ReadReceipts(
        _receipts(parts_key[0], parts_sum[0], ent_vocab, proj_vocab, jur_vocab, tax_vocab), rows
    )


def _reduce(keys: list[np.ndarray], sums: list[np.ndarray]) -> tuple[list[np.ndarray], list[np.ndarray]]:
    key = np.concatenate(keys)
    amount = np.concatenate(sums)
    uniq, inverse = np.unique(key, axis=0, return_inverse=True)
    nz, total = exact_bincount(inverse.reshape(-1), amount, uniq.shape[0])
    return [uniq[nz]], [total]


def _dict_codes(column: Any, vocab: _Vocabulary) -> np.ndarray:
    import pyarrow.compute as pc

    encoded = pc.dictionary_encode(column)
    local = vocab.codes(encoded.dictionary.to_pylist())
    return local[np.asarray(encoded.indices)]


def _class_codes(column: Any, class_of: dict[str, str], other: str | None, vocab: _Vocabulary) -> np.ndarray:
    """Codes of the representatives (``other`` for names no agreement knows; None = no code, -1)."""
    import pyarrow.compute as pc

    encoded = pc.dictionary_encode(column)
    names = encoded.dictionary.to_pylist()
    reps = [class_of.get(n, other) for n in names]
    local = np.full(len(names), -1, dtype=np.int64)
    present = [i for i, r in enumerate(reps) if r is not None and names[i] != ""]
    if present:
        local[present] = vocab.codes([reps[i] for i in present])  # type: ignore[misc]
    return local[np.asarray(encoded.indices)]


def _receipts(
    key: np.ndarray,
    amount: np.ndarray,
    ents: _Vocabulary,
    projs: _Vocabulary,
    jurs: _Vocabulary,
    taxes: _Vocabulary,
) -> Receipts:
    """Receipts over sorted vocabularies (the engine's results then do not depend on the reading order)."""

    def sorted_codes(vocab: _Vocabulary, codes: np.ndarray) -> tuple[np.ndarray, tuple[str, ...]]:
        order = sorted(range(len(vocab.names)), key=vocab.names.__getitem__)
        remap = np.empty(len(order), dtype=np.int64)
        remap[order] = np.arange(len(order))
        return (remap[codes] if len(order) else codes), tuple(vocab.names[i] for i in order)

    ent, ent_names = sorted_codes(ents, key[:, 0])
    jur, jur_names = sorted_codes(jurs, key[:, 2])
    tax, tax_names = sorted_codes(taxes, key[:, 4])
    proj_raw = key[:, 1] - 1
    has = proj_raw >= 0
    proj_sorted, proj_names = sorted_codes(projs, np.where(has, proj_raw, 0))
    proj = np.where(has, proj_sorted, -1) if len(proj_names) else np.full(key.shape[0], -1, dtype=np.int64)
    return Receipts(
        ent.astype(np.int64),
        jur.astype(np.int64),
        key[:, 3].astype(np.int64),
        tax.astype(np.int64),
        amount.astype(np.int64),
        ent_names,
        jur_names,
        tax_names,
        proj.astype(np.int64) if proj_names else None,
        proj_names,
    )


def _check_batch(
    batch: Batch,
    got: dict[str, Any],
    problems: Problems,
    known: Any,
    checked: set[str],
    check_uscc: bool,
    uscc_valid_many: Any,
) -> None:
    import pyarrow.compute as pc

    rows = batch.rows

    def report(column: str, positions: np.ndarray, message: str | None = None) -> None:
        if not positions.size:
            return
        values = got[column].take(positions[: MAX_ERRORS_PER_COLUMN + 1]).to_pylist()
        for k, at in enumerate(positions.tolist()):
            value = values[k] if k < len(values) else ""
            problems.add(int(rows[at]), column, message or amount_problem(str(value)), value)

    for c in ("enterprise", "jurisdiction", "tax_type"):
        report(c, _bad(pc.not_equal(got[c], "")), "empty value")
    if check_uscc:
        encoded = pc.dictionary_encode(got["enterprise"])
        names = encoded.dictionary.to_pylist()
        fresh = [i for i, n in enumerate(names) if n and n not in checked]
        if fresh:
            ok = uscc_valid_many([names[i] for i in fresh])
            bad_local = [fresh[k] for k in np.flatnonzero(~ok).tolist()]
            checked.update(names[i] for k, i in enumerate(fresh) if ok[k])
            if bad_local:
                bad_mask = np.isin(np.asarray(encoded.indices), np.asarray(bad_local))
                report(
                    "enterprise",
                    np.flatnonzero(bad_mask),
                    "not a valid 统一社会信用代码 (GB 32100 check character)",
                )
    jur_ok = pc.match_substring_regex(got["jurisdiction"], r"^[0-9]{6}$")
    report(
        "jurisdiction",
        _bad(pc.or_(jur_ok, pc.equal(got["jurisdiction"], ""))),
        "not a 6-digit GB/T 2260 code",
    )
    period = pc.replace_substring_regex(got["period"], pattern=_EXCEL_DATE, replacement=r"\1")
    got["period"] = period
    report("period", _bad(pc.match_substring_regex(period, _PERIOD)), "not a month YYYY-MM")
    unknown = pc.or_(pc.is_in(got["tax_type"], value_set=known), pc.equal(got["tax_type"], ""))
    report("tax_type", _bad(unknown), "unknown tax type (see the local shares table)")
    report("amount", _bad(pc.match_substring_regex(got["amount"], _INTEGER)))
