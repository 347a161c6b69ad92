"""Row locks taken in one fixed order, so that two services locking the same rows never deadlock.

Two transactions that lock the same two rows in opposite orders wait for each other: PostgreSQL detects the
cycle and kills one of them ("deadlock detected"), which the user sees as a failed save. A service that
locks more than one row therefore locks them all through ``lock_in_order``: rows are sorted by (table,
primary key) and locked table by table, each table's rows in one ``SELECT … FOR UPDATE … ORDER BY pk``
(PostgreSQL locks rows in the order the query returns them). Every service using it takes locks in the same
global order, whatever order its arguments came in.

On SQLite ``FOR UPDATE`` does not exist; Tongcheng opens every SQLite transaction with ``BEGIN IMMEDIATE``
(settings), which takes the database's single write lock up front, so writers are serialised anyway.

The rows of a queryset argument are listed (their primary keys) before anything is locked: a row inserted
after that listing is not locked. A service that must see every row of a set (e.g. all confirmations of a
record) first locks a parent row that every writer of the set locks too, then reads the set again."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any

from django.db import models, transaction

__all__ = ["LockedRows", "lock_in_order"]


class LockedRows:
    """The rows ``lock_in_order`` locked, freshly read from the database, in the order they were locked."""

    def __init__(self, rows: list[models.Model]):
        self.rows = rows
        self._by_key = {(type(row)._meta.db_table, row.pk): row for row in rows}

    def __iter__(self) -> Iterator[models.Model]:
        return iter(self.rows)

    def __len__(self) -> int:
        return len(self.rows)

    def fresh(self, obj: models.Model) -> Any:
        """The locked copy of ``obj`` (read after the lock was taken), or None if its row is gone."""
        return self._by_key.get((_table(type(obj)), obj.pk))

    def of(self, model: type[models.Model]) -> list[Any]:
        table = _table(model)
        return [row for row in self.rows if type(row)._meta.db_table == table]


def _table(model: type[models.Model]) -> str:
    concrete = model._meta.concrete_model or model
    return concrete._meta.db_table


def lock_in_order(*items: models.Model | models.QuerySet[Any] | Iterable[models.Model]) -> LockedRows:
    """Lock the rows of model instances and querysets (or lists of instances) in (table, pk) order.

    Must run inside the caller's transaction: a lock lasts until that transaction ends."""
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("lock_in_order() must run inside the service's transaction")
    wanted: dict[str, tuple[type[models.Model], set[Any]]] = {}
    for item in items:
        for model, pks in _rows_of(item):
            concrete = model._meta.concrete_model or model
            _, keys = wanted.setdefault(concrete._meta.db_table, (concrete, set()))
            keys.update(pks)
    locked: list[models.Model] = []
    for table in sorted(wanted):
        model, keys = wanted[table]
        if keys:
            # Plain rows, no select_related: a join would lock the joined tables' rows too, out of order.
            rows = model._base_manager.select_for_update().filter(pk__in=keys).order_by("pk")
            locked.extend(rows)
    return LockedRows(locked)


def _rows_of(
    item: models.Model | models.QuerySet[Any] | Iterable[models.Model],
) -> Iterator[tuple[type[models.Model], list[Any]]]:
    if isinstance(item, models.Model):
        if item.pk is None:
            raise ValueError("lock_in_order() cannot lock an unsaved object")
        yield type(item), [item.pk]
    elif isinstance(item, models.QuerySet):
        yield item.model, list(item.order_by().values_list("pk", flat=True))
    else:
        for obj in item:
            yield from _rows_of(obj)
