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

import queue
import re
import threading
from collections.abc import Iterable, Iterator, Sequence
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


@dataclass
class ReadReceipts:
    receipts: Receipts | None
    rows: int


#: code of a distinct cell value found bad (its rows are reported)
_BAD = -2
_PERIOD_RE = re.compile(_PERIOD)
_EXCEL_DATE_RE = re.compile(_EXCEL_DATE)
_SIX_DIGITS = re.compile(r"[0-9]{6}")
#: largest dense key space summed in place (int64 bins: 128 MiB)
DENSE_BINS = 1 << 24


class _Coder:
    """Codes for the distinct values of one column, kept across batches: each distinct text is normalised
    (trimmed, full-width forms mapped) and checked once per file, in Python; rows only see integer codes.
    ``judge(text) -> code or (_BAD, message)`` decides a new text."""

    def __init__(self, judge: Any) -> None:
        self.judge = judge
        self.code_of: dict[str, int] = {}
        self.message_of: dict[str, str] = {}

    def codes(self, column: Any, fresh_hook: Any = None) -> tuple[np.ndarray, list[str], np.ndarray]:
        """(code per row, the batch's distinct raw texts, the dictionary index per row)."""
        import pyarrow.compute as pc

        encoded = pc.dictionary_encode(column)
        names = encoded.dictionary.to_pylist()
        get = self.code_of.get
        local = [get(n) for n in names]
        fresh = [i for i, c in enumerate(local) if c is None]
        if fresh:
            texts = [names[i] for i in fresh]
            decided = fresh_hook(texts) if fresh_hook is not None else [self.judge(t) for t in texts]
            for i, text, verdict in zip(fresh, texts, decided, strict=True):
                if isinstance(verdict, tuple):
                    self.code_of[text] = _BAD
                    self.message_of[text] = verdict[1]
                    local[i] = _BAD
                else:
                    self.code_of[text] = verdict
                    local[i] = verdict
        table = np.asarray(local, dtype=np.int64)
        index = np.asarray(encoded.indices, dtype=np.int64)
        return table[index] if table.size else np.zeros(0, np.int64), names, index

    def report(
        self,
        problems: Problems,
        column: str,
        rows: np.ndarray,
        codes: np.ndarray,
        names: list[str],
        index: np.ndarray,
    ) -> bool:
        bad = np.flatnonzero(codes == _BAD)
        for at in bad[: MAX_ERRORS_PER_COLUMN + 1].tolist():
            text = names[int(index[at])]
            problems.add(int(rows[at]), column, self.message_of[text], text)
        if bad.size > MAX_ERRORS_PER_COLUMN + 1:
            problems.per_column[column] += int(bad.size) - MAX_ERRORS_PER_COLUMN - 1
        return bool(bad.size)


class _HashTable:
    """Open-addressing table from 64-bit keys (never 0: 0 marks an empty slot) to values, probed for whole
    arrays at once (numpy): one gather per key in the common case, instead of a binary search."""

    def __init__(self, keys: np.ndarray, values: np.ndarray) -> None:
        size = 1 << max(4, int(len(keys) * 2.5).bit_length())
        self.mask = size - 1
        self.keys = np.zeros(size, dtype=np.uint64)
        self.values = np.full(size, -1, dtype=np.int64)
        slot = (keys & np.uint64(self.mask)).astype(np.int64)
        pending = np.arange(len(keys))
        self.probes = 0
        while pending.size:
            at = slot[pending]
            free = self.keys[at] == 0
            # of several keys wanting one free slot, the first takes it; the rest probe on
            first = np.zeros(pending.size, dtype=bool)
            first[np.unique(at, return_index=True)[1]] = True
            take = free & first
            self.keys[at[take]] = keys[pending[take]]
            self.values[at[take]] = values[pending[take]]
            pending = pending[~take]
            slot[pending] = (slot[pending] + 1) & self.mask
            self.probes += 1

    def get(self, keys: np.ndarray) -> np.ndarray:
        """The value of each key, -1 where absent."""
        slot = (keys & np.uint64(self.mask)).astype(np.int64)
        found = self.keys[slot]
        out = np.where(found == keys, self.values[slot], -1)
        pending = np.flatnonzero((found != keys) & (found != 0))
        for _step in range(self.probes):
            if not pending.size:
                break
            slot[pending] = (slot[pending] + 1) & self.mask
            at = slot[pending]
            found = self.keys[at]
            hit = found == keys[pending]
            out[pending[hit]] = self.values[at[hit]]
            pending = pending[~hit & (found != 0)]
        return out


def _fixed_width(column: Any, width: int) -> np.ndarray | None:
    """The cells of a string column as an (n, width) byte matrix, if every cell has exactly ``width``
    bytes and none is null; else None."""
    if column.null_count or len(column) == 0:
        return None
    offsets = np.frombuffer(column.buffers()[1], dtype=np.int32)[
        column.offset : column.offset + len(column) + 1
    ]
    if offsets[-1] - offsets[0] != width * len(column) or not bool(np.all(np.diff(offsets) == width)):
        return None
    data = np.frombuffer(column.buffers()[2], dtype=np.uint8)[offsets[0] : offsets[-1]]
    return data.reshape(-1, width)


class _Enterprises:
    """Representative codes of a batch's credit codes. The common case (every cell 18 bytes) runs on the
    column's bytes as a matrix: the check character by numpy, the class by a hash of the 18 bytes in an
    open-addressing table of the codes the agreements name, each hit confirmed byte for byte. Other
    batches go through their distinct values, trimming and mapping full-width forms where needed."""

    def __init__(self, code_of: dict[str, int], other: int, check: bool) -> None:
        import pyarrow as pa

        from .io import _USCC_WEIGHTS, USCC_ALPHABET

        names = sorted(code_of)
        self.names = pa.array(names, type=pa.string())
        self.code = np.asarray([code_of[n] for n in names] or [0], dtype=np.int64)
        fixed = [n for n in names if len(n) == 18 and n.isascii()]
        self.fixed = np.frombuffer("".join(fixed).encode("ascii"), dtype=np.uint8).reshape(-1, 18)
        hashes = _hash18(self.fixed)
        self.unique_hashes = len(np.unique(hashes)) == len(hashes)
        self.table = _HashTable(hashes, np.arange(len(fixed), dtype=np.int64))
        self.fixed_code = np.asarray([code_of[n] for n in fixed], dtype=np.int64)
        self.other = other
        self.check = check
        self.lookup = np.full(256, -1, dtype=np.int32)
        for i, ch in enumerate(USCC_ALPHABET):
            self.lookup[ord(ch)] = i
        self.weights = np.asarray(_USCC_WEIGHTS, dtype=np.int32)

    def _valid_rows(self, data: np.ndarray) -> np.ndarray:
        """Check characters of an (n, 18) byte matrix, by columns (numpy is fast along long axes)."""
        chars = self.lookup[np.ascontiguousarray(data.T)]
        total = np.zeros(data.shape[0], dtype=np.int32)
        for i in range(17):
            total += chars[i] * self.weights[i]
        return (chars.min(axis=0) >= 0) & ((31 - total % 31) % 31 == chars[17])

    def _classes(self, data: np.ndarray) -> np.ndarray:
        found = self.table.get(_hash18(data))
        out = np.full(data.shape[0], self.other, dtype=np.int64)
        hit = np.flatnonzero(found >= 0)
        same = np.ones(hit.size, dtype=bool)
        for i in range(18):  # confirm byte for byte: a hash can collide
            same &= self.fixed[found[hit], i] == data[hit, i]
        out[hit[same]] = self.fixed_code[found[hit[same]]]
        return out

    def _valid(self, values: Any) -> np.ndarray:
        import pyarrow.compute as pc

        lengths = np.asarray(pc.binary_length(values), dtype=np.int64)
        if not self.check:
            return lengths > 0
        ok = lengths == 18
        if ok.any():
            fixed = _fixed_width(values.filter(ok), 18)
            assert fixed is not None
            ok[np.flatnonzero(ok)] = self._valid_rows(fixed)
        return ok

    def codes(self, column: Any, rows: np.ndarray, problems: Problems) -> np.ndarray | None:
        import pyarrow as pa
        import pyarrow.compute as pc

        if self.check and self.unique_hashes:
            data = _fixed_width(column, 18)
            if data is not None and bool(self._valid_rows(data).all()):
                return self._classes(data)
        encoded = pc.dictionary_encode(column)
        values = encoded.dictionary
        if not self.check:
            values = pc.utf8_trim_whitespace(values)
            if not pc.all(pc.string_is_ascii(values)).as_py():
                values = pa.array([_normal(v) for v in values.to_pylist()], type=pa.string())
        ok = self._valid(values)
        if not ok.all():
            # only codes that fail are trimmed and mapped from full width, then checked again
            texts = values.to_pylist()
            for i in np.flatnonzero(~ok).tolist():
                texts[i] = _normal(texts[i])
            values = pa.array(texts, type=pa.string())
            ok = self._valid(values)
        index = np.asarray(encoded.indices, dtype=np.int64)
        if not ok.all():
            bad_rows = np.flatnonzero(~ok[index])
            texts = encoded.dictionary
            for at in bad_rows[: MAX_ERRORS_PER_COLUMN + 1].tolist():
                text = texts[int(index[at])].as_py()
                message = (
                    "empty value"
                    if not _normal(text)
                    else "not a valid 统一社会信用代码 (GB 32100 check character)"
                )
                problems.add(int(rows[at]), "enterprise", message, text)
            if bad_rows.size > MAX_ERRORS_PER_COLUMN + 1:
                problems.per_column["enterprise"] += int(bad_rows.size) - MAX_ERRORS_PER_COLUMN - 1
            return None
        found = pc.index_in(values, value_set=self.names).to_numpy(zero_copy_only=False)
        named = ~np.isnan(found) if found.dtype.kind == "f" else np.ones(found.shape, dtype=bool)
        local = np.full(len(values), self.other, dtype=np.int64)
        local[named] = self.code[found[named].astype(np.int64)]
        return local[index]


class _DigitCodes:
    """Codes of a column of fixed-shape digit strings (``999999`` a treasury, ``9999-99`` a month) in the
    common case where every cell has exactly that shape: parsed from the bytes as numbers and looked up in
    a direct table, without hashing strings. Anything else returns None (the caller's general path then
    normalises, checks and reports)."""

    def __init__(self, shape: str, vocab: _Vocabulary) -> None:
        self.width = len(shape)
        self.digits = [i for i, ch in enumerate(shape) if ch == "9"]
        self.dashes = [i for i, ch in enumerate(shape) if ch == "-"]
        self.month = shape == "9999-99"
        self.vocab = vocab
        self.table = np.full(10 ** len(self.digits), -1, dtype=np.int64)

    def codes(self, column: Any) -> np.ndarray | None:
        data = _fixed_width(column, self.width)
        if data is None:
            return None
        number = np.zeros(data.shape[0], dtype=np.int64)
        ok = np.ones(data.shape[0], dtype=bool)
        for i in self.digits:
            digit = data[:, i].astype(np.int64) - 48
            ok &= (digit >= 0) & (digit <= 9)
            number *= 10
            number += digit
        for i in self.dashes:
            ok &= data[:, i] == 45
        if self.month:
            month = number % 100
            ok &= (month >= 1) & (month <= 12)
        if not ok.all():
            return None
        codes = self.table[number]
        if (codes < 0).any():
            for value in np.unique(number[codes < 0]).tolist():
                text = f"{value:0{len(self.digits)}d}"
                if self.month:
                    text = f"{text[:4]}-{text[4:]}"
                self.table[value] = int(self.vocab.codes([text])[0])
            codes = self.table[number]
        return codes


def _hash18(raw: np.ndarray) -> np.ndarray:
    """A 64-bit hash (never 0) of each row of an (n, 18) byte matrix, by columns, wrapping."""
    out = np.zeros(raw.shape[0], dtype=np.uint64)
    with np.errstate(over="ignore"):
        for i in range(raw.shape[1]):
            out *= np.uint64(1_000_003)
            out += raw[:, i]
    out[out == 0] = 1
    return out


def _prefetched(batches: Iterator[Batch], depth: int = 2) -> Iterator[Batch]:
    """The batches, parsed one or two ahead on a second thread: pyarrow parses CSV without holding the
    GIL, so on two cores parsing overlaps with checking and summing the batch before."""
    done = object()
    box: queue.Queue[Any] = queue.Queue(maxsize=depth)
    stop = threading.Event()

    def produce() -> None:
        try:
            for batch in batches:
                while not stop.is_set():
                    try:
                        box.put(batch, timeout=0.1)
                        break
                    except queue.Full:
                        continue
                if stop.is_set():
                    return
            box.put(done)
        except BaseException as error:  # noqa: BLE001 - handed to the reading thread, which raises it
            box.put(error)

    worker = threading.Thread(target=produce, name="tables-prefetch", daemon=True)
    worker.start()
    try:
        while True:
            item = box.get()
            if item is done:
                return
            if isinstance(item, BaseException):
                raise item
            yield item
    finally:
        stop.set()
        worker.join(timeout=5)


def _normal(text: str) -> str:
    return text.strip().translate(FULL_WIDTH).strip()


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
        ents, projs, jurs, pers, taxes = (_Vocabulary() for _ in range(5))
        other = int(ents.codes([OTHERS])[0])
        ent_codes = dict(zip(enterprise_of, ents.codes(list(enterprise_of.values())).tolist(), strict=True))
        proj_codes = dict(zip(project_of, projs.codes(list(project_of.values())).tolist(), strict=True))

        def judge_jurisdiction(text: str) -> Any:
            text = _normal(text)
            if not text:
                return (_BAD, "empty value")
            if not _SIX_DIGITS.fullmatch(text):
                return (_BAD, "not a 6-digit GB/T 2260 code")
            return int(jurs.codes([text])[0])

        def judge_period(text: str) -> Any:
            text = _normal(text)
            m = _EXCEL_DATE_RE.match(text)
            if m:  # Excel turns a typed 2026-01 into a date
                text = m.group(1)
            if not _PERIOD_RE.match(text):
                return (_BAD, "not a month YYYY-MM")
            return int(pers.codes([text])[0])

        def judge_tax(text: str) -> Any:
            text = _normal(text)
            if not text:
                return (_BAD, "empty value")
            if text not in known_taxes:
                return (_BAD, "unknown tax type (see the local shares table)")
            return int(taxes.codes([text])[0])

        def judge_project(text: str) -> Any:
            return proj_codes.get(text.strip(), -1)

        enterprise = _Enterprises(ent_codes, other, check_uscc)
        jurisdiction, period, tax_type, project = (
            _Coder(judge_jurisdiction),
            _Coder(judge_period),
            _Coder(judge_tax),
            _Coder(judge_project),
        )
        sums = _Sums(len(ents.names), len(projs.names) + 1)
        digit_codes = {
            "jurisdiction": _DigitCodes("999999", jurs),
            "period": _DigitCodes("9999-99", pers),
        }
        total_abs = 0.0
        rows = 0
        try:
            for batch in _prefetched(table.batches(batch_rows)):
                rows += len(batch)
                numbers = batch.rows
                bad = False
                ent = enterprise.codes(batch.columns[lower["enterprise"]], numbers, problems)
                bad |= ent is None
                ent_codes_batch = ent if ent is not None else np.zeros(0, dtype=np.int64)
                coded = {}
                for column, coder in (
                    ("jurisdiction", jurisdiction),
                    ("period", period),
                    ("tax_type", tax_type),
                ):
                    fast = (
                        digit_codes[column].codes(batch.columns[lower[column]])
                        if column in digit_codes
                        else None
                    )
                    if fast is not None:
                        coded[column] = fast
                        continue
                    codes, names, index = coder.codes(batch.columns[lower[column]])
                    bad |= coder.report(problems, column, numbers, codes, names, index)
                    coded[column] = codes
                amount, amount_bad = _amounts(batch.columns[lower["amount"]], numbers, problems)
                if bad or amount_bad or problems.lines:
                    continue  # keep checking, to report every bad row; nothing is summed any more
                total_abs += float(np.abs(amount.astype(np.float64)).sum())
                if total_abs >= MAX_TOTAL_ABS_FEN:
                    errors.append(
                        f"{path}:column amount: the absolute amounts add up to more than 2^62 分; "
                        "sums this large could overflow and are refused"
                    )
                    return ReadReceipts(None, rows)
                if has_project:
                    proj = project.codes(batch.columns[lower["project"]])[0]
                else:
                    proj = np.full(len(batch), -1, dtype=np.int64)
                sums.add(
                    (ent_codes_batch, proj + 1, coded["jurisdiction"], coded["period"], coded["tax_type"]),
                    amount,
                    (len(jurs.names), len(pers.names), len(taxes.names)),
                )
        except TableError as e:
            problems.table(e)
        found = problems.finish()
        if found:
            errors.extend(found)
            return ReadReceipts(None, rows)
    key, amounts = sums.result()
    months = np.asarray([int(p[:4]) * 12 + int(p[5:7]) - 1 for p in pers.names] or [0], dtype=np.int64)
    key[:, 3] = months[key[:, 3]] if key.shape[0] else key[:, 3]
    return ReadReceipts(_receipts(key, amounts, ents, projs, jurs, taxes), rows)


def _amounts(column: Any, numbers: np.ndarray, problems: Problems) -> tuple[np.ndarray, bool]:
    """The amount column as int64: one strict cast for a clean column; otherwise each cell is normalised
    and checked, and every bad one reported with the reason."""
    import pyarrow as pa
    import pyarrow.compute as pc

    limit = 10**18 - 1
    try:
        values = pc.cast(column, pa.int64()).to_numpy()
        if values.size == 0 or (int(values.min()) >= -limit and int(values.max()) <= limit):
            return values, False
    except pa.ArrowInvalid:
        pass
    texts = [_normal(t) for t in column.to_pylist()]
    good = np.fromiter((re.fullmatch(_INTEGER, t) is not None for t in texts), dtype=bool, count=len(texts))
    for at in np.flatnonzero(~good).tolist():
        problems.add(int(numbers[at]), "amount", amount_problem(texts[at]), column[at].as_py())
    if not good.all():
        return np.zeros(0, dtype=np.int64), True
    return np.asarray([int(t) for t in texts], dtype=np.int64), False


class _Sums:
    """Exact sums of amount per (enterprise class, project class, treasury, month, tax type).

    While the key space of the vocabularies seen so far is at most DENSE_BINS, each batch is added in
    place into a dense int64 accumulator (``np.add.at``: exact, no temporary the size of the key space);
    when a new treasury, month or tax type widens the key space the accumulator is set aside in sparse
    form. Beyond DENSE_BINS batches are summed by sorting, and the sparse parts are merged whenever they
    outnumber the groups merged before (work proportional to rows, memory to groups). No int64 sum can
    overflow: the reader refuses files whose absolute amounts add up to 2^62 or more.
    """

    def __init__(self, n_ent: int, n_proj: int) -> None:
        self.n_ent, self.n_proj = n_ent, n_proj
        self.shape: tuple[int, int, int] | None = None  # (treasuries, months, tax types) of ``dense``
        self.dense: np.ndarray | None = None
        self.parts: list[tuple[np.ndarray, np.ndarray]] = []  # (keys as (n, 5) columns, sums)
        self.part_rows = 0
        self.merged_rows = 0

    def _key(self, columns: Sequence[np.ndarray], shape: tuple[int, int, int]) -> np.ndarray:
        ent, proj, jur, per, tax = columns
        n_jur, n_per, n_tax = shape
        key = ent * self.n_proj
        key += proj
        key *= n_jur
        key += jur
        key *= n_per
        key += per
        key *= n_tax
        key += tax
        return key

    def _decode(self, key: np.ndarray, shape: tuple[int, int, int]) -> np.ndarray:
        n_jur, n_per, n_tax = shape
        out = np.empty((key.shape[0], 5), dtype=np.int64)
        rest, out[:, 4] = np.divmod(key, n_tax)
        rest, out[:, 3] = np.divmod(rest, n_per)
        rest, out[:, 2] = np.divmod(rest, n_jur)
        out[:, 0], out[:, 1] = np.divmod(rest, self.n_proj)
        return out

    def _set_aside(self) -> None:
        if self.dense is not None and self.shape is not None:
            nz = np.flatnonzero(self.dense)
            self._part(self._decode(nz, self.shape), self.dense[nz])
        self.dense, self.shape = None, None

    def _part(self, keys: np.ndarray, sums: np.ndarray) -> None:
        self.parts.append((keys, sums))
        self.part_rows += keys.shape[0]
        if self.part_rows > max(1 << 21, 2 * self.merged_rows):
            self._merge()

    def _merge(self) -> None:
        keys = np.concatenate([k for k, _s in self.parts])
        sums = np.concatenate([s for _k, s in self.parts])
        shape = (
            int(keys[:, 2].max()) + 1 if keys.size else 1,
            int(keys[:, 3].max()) + 1 if keys.size else 1,
            int(keys[:, 4].max()) + 1 if keys.size else 1,
        )
        flat = self._key([keys[:, 0].copy(), keys[:, 1], keys[:, 2], keys[:, 3], keys[:, 4]], shape)
        uniq, inverse = np.unique(flat, return_inverse=True)
        nz, total = exact_bincount(inverse.reshape(-1), sums, uniq.shape[0])
        merged = (self._decode(uniq[nz], shape), total)
        self.parts = [merged]
        self.part_rows = self.merged_rows = merged[0].shape[0]

    def add(self, columns: Sequence[np.ndarray], amount: np.ndarray, shape: tuple[int, int, int]) -> None:
        """Add one batch: ``columns`` are the five code columns (enterprise class, project class + 1,
        treasury, month, tax type), ``shape`` the sizes of the last three vocabularies so far."""
        bins = self.n_ent * self.n_proj * shape[0] * shape[1] * shape[2]
        key = self._key([np.asarray(columns[0], dtype=np.int64).copy(), *columns[1:]], shape)
        if bins <= DENSE_BINS:
            if self.shape != shape:
                self._set_aside()
                self.shape = shape
                self.dense = np.zeros(bins, dtype=np.int64)
            assert self.dense is not None
            np.add.at(self.dense, key, amount)
            return
        self._set_aside()
        uniq, inverse = np.unique(key, return_inverse=True)
        nz, sums = exact_bincount(inverse.reshape(-1), amount, uniq.shape[0])
        self._part(self._decode(uniq[nz], shape), sums)

    def result(self) -> tuple[np.ndarray, np.ndarray]:
        if self.dense is not None and self.shape is not None and not self.parts:
            # the common case: one dense accumulator, whose non-zero bins are already unique and sorted
            nz = np.flatnonzero(self.dense)
            sums = self.dense[nz]
            self.dense = None
            return self._decode(nz, self.shape), sums
        self._set_aside()
        if not self.parts:
            return np.zeros((0, 5), dtype=np.int64), np.zeros(0, dtype=np.int64)
        self._merge()
        keys, sums = self.parts[0]
        keep = sums != 0
        return keys[keep], sums[keep]


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
