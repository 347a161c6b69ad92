"""The kit's importer on its own: headers in either language, an unknown header refused, a bounded list
of errors, a one-time iterator consumed once in batches, and the reader yielding rows as it reads."""

from __future__ import annotations

import io
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from django.utils.translation import gettext_lazy

from tongcheng.kit.importing import ImportColumn, ImportSpec, read_table, run_import
from tongcheng.kit.importing import _Seen as Seen


@dataclass
class _Outcome:
    changed: int = 0
    unchanged: int = 0
    written: bool = True
    errors: dict[int, Any] = field(default_factory=dict)


@dataclass
class _Record:
    pk: int
    key: str
    version: int = 1


class _Store:
    """An in-memory stand-in for a model's services, counting the calls (the importer's contract only)."""

    def __init__(self, keys: list[str]) -> None:
        self.records = {k: _Record(i + 1, k) for i, k in enumerate(keys)}
        self.finds = 0
        self.batches: list[int] = []
        self.written: list[tuple[str, dict]] = []

    def find(self, user: Any, keys: list[str]) -> dict[str, _Record]:
        self.finds += 1
        return {k: self.records[k] for k in keys if k in self.records}

    def update(self, user: Any, items: list, *, apply_valid: bool, write: bool) -> _Outcome:
        self.batches.append(len(items))
        if write:
            self.written.extend((obj.key, changes) for obj, changes, _v in items)
        return _Outcome(changed=len(items), written=write)

    def spec(self) -> ImportSpec:
        return ImportSpec(
            key="key",
            find=self.find,
            update=self.update,
            columns=[
                ImportColumn("key", gettext_lazy("Key"), required=True),
                ImportColumn("name", gettext_lazy("Name"), required=True),
                ImportColumn("kind", gettext_lazy("Kind"), choices=[("a", gettext_lazy("Service window"))]),
                ImportColumn("version", gettext_lazy("Version")),
            ],
        )


def _rows(count: int, header: tuple[str, str, str, str] = ("key", "name", "kind", "version")) -> Iterator:
    for i in range(count):
        yield (i + 2, dict(zip(header, (f"k{i}", f"名 {i}", "服务窗口", "1"), strict=True)))


def test_given_a_one_time_iterator_when_imported_then_it_is_read_once_in_batches(db):
    """Given 2,500 rows as a generator (no len) and batches of 1,000, when imported, then the spec is asked
    three times (1,000, 1,000, 500 rows), every row is written with its kind label read as its code."""
    store = _Store([f"k{i}" for i in range(2500)])
    result = run_import(None, store.spec(), _rows(2500), batch_rows=1000)
    assert result.applied and result.updated == 2500 and result.rows == 2500
    assert store.finds == 3 and store.batches == [1000, 1000, 500]
    assert store.written[0] == ("k0", {"name": "名 0", "kind": "a"})


def test_given_chinese_english_and_old_headers_when_imported_then_each_is_understood(db):
    """Given the header written as Chinese labels, English labels, or the field names, when imported,
    then the rows are read alike; an unknown header is refused on row 1 and nothing is asked of the spec."""
    for header in (
        ("标识", "名称", "类型", "版本"),
        ("Key", "Name", "Kind", "Version"),
        ("key", "name", "kind", "version"),
    ):
        store = _Store(["k0", "k1"])
        result = run_import(None, store.spec(), list(_rows(2, header)))
        assert result.applied and result.updated == 2, (header, result.errors)
    store = _Store(["k0"])
    result = run_import(None, store.spec(), list(_rows(1, ("key", "name", "colour", "version"))))
    assert not result.applied and [(e.row, e.column) for e in result.errors] == [(1, "colour")]
    assert store.finds == 0


def test_given_more_errors_than_the_cap_when_imported_then_the_first_are_kept_and_all_counted(db, settings):
    """Given TONGCHENG_IMPORT_MAX_ERRORS = 10 and 50 rows with an unknown key, when imported, then 10 errors
    are kept (the first rows), 50 counted, and nothing written."""
    settings.TONGCHENG_IMPORT_MAX_ERRORS = 10
    store = _Store([])
    result = run_import(None, store.spec(), list(_rows(50)), batch_rows=20)
    assert [e.row for e in result.errors] == list(range(2, 12))
    assert result.error_count == 50 and result.errors_left_out == 40
    assert not result.applied and store.written == []


def test_the_seen_bitmap_remembers_primary_keys_compactly():
    """Given a million integer keys and a text key, when added, then each is remembered and no other, in
    a bitmap of about 125 kB."""
    seen = Seen()
    for pk in range(0, 2_000_000, 2):
        seen.add(pk)
    seen.add("x-1")
    assert 1_999_998 in seen and 0 in seen and "x-1" in seen
    assert 1 not in seen and 1_999_999 not in seen and 5_000_000 not in seen and "x-2" not in seen
    assert len(seen.bits) < 400_000


def test_read_table_yields_rows_as_it_reads():
    """Given a CSV, when read_table is called, then it returns an iterator of numbered rows (not a list)."""
    rows = read_table("t.csv", io.BytesIO("\ufeffkey,name\na,甲\n\nb,乙\n".encode()))
    assert isinstance(rows, Iterator)
    assert list(rows) == [(2, {"key": "a", "name": "甲"}), (4, {"key": "b", "name": "乙"})]
