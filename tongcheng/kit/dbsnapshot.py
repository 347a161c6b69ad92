"""A test database's rows copied once and put back in milliseconds (issue 7, point 10).

Browser tests and other transactional tests commit for real, so no rollback undoes what they wrote. Emptying
the database after each (Django's ``flush``) and loading the demo again costs about a second on PostgreSQL;
putting back a snapshot of the rows costs a few tens of milliseconds:

* **SQLite** — the whole database copied with SQLite's online backup API into a private in-memory database,
  and copied back over the test database (schema, rows and ``sqlite_sequence`` alike);
* **PostgreSQL** — every table of the current schema (but ``django_migrations``) read once with
  ``COPY … TO STDOUT (FORMAT BINARY)``, and every sequence's position; restoring deletes every row, copies
  the saved ones back with ``COPY … FROM STDIN`` and sets the sequences, in one transaction. ``DELETE`` is
  used rather than ``TRUNCATE``: on the demo's few hundred rows it is some thirty times faster (``TRUNCATE``
  creates new files for every table and syncs them). Django's foreign keys are ``DEFERRABLE INITIALLY
  DEFERRED``, so the order of the tables does not matter; the append-only tables' triggers stand aside for
  it (``tongcheng.kit.append_only.maintenance``), as they do for ``flush``.

The schema is not part of a PostgreSQL snapshot: a test that changes it puts it back itself (as the
append-only trigger tests do). Caches that hold database ids are the caller's to clear after a restore
(Django's content types, the scope cache). Only test code imports this module."""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass, field
from typing import Any

from django.db import DEFAULT_DB_ALIAS, connections, transaction

from .append_only import maintenance
from .pagecache import writes_untracked

__all__ = ["DatabaseSnapshot", "snapshot_supported"]

_SKIPPED_TABLES = frozenset({"django_migrations"})
# What an empty binary COPY holds: the 19-byte header and the 2-byte trailer.
_EMPTY_BINARY_COPY = 21


def snapshot_supported(using: str = DEFAULT_DB_ALIAS) -> bool:
    return connections[using].vendor in ("sqlite", "postgresql")


@dataclass
class DatabaseSnapshot:
    """``DatabaseSnapshot.take()`` copies the rows of database ``using`` as they are now (outside any
    transaction); ``snapshot.restore()`` puts the database back exactly so."""

    using: str = DEFAULT_DB_ALIAS
    _sqlite: sqlite3.Connection | None = None
    _tables: dict[str, bytes] = field(default_factory=dict)
    _sequences: list[tuple[str, int, bool]] = field(default_factory=list)

    @classmethod
    def take(cls, using: str = DEFAULT_DB_ALIAS) -> DatabaseSnapshot:
        connection = connections[using]
        _outside_transactions(connection)
        snapshot = cls(using=using)
        connection.ensure_connection()
        if connection.vendor == "sqlite":
            copy = sqlite3.connect(":memory:", check_same_thread=False)
            connection.connection.backup(copy)
            snapshot._sqlite = copy
        elif connection.vendor == "postgresql":
            snapshot._tables, snapshot._sequences = _pg_read(connection)
        else:
            raise NotImplementedError(f"no database snapshot for {connection.vendor}")
        return snapshot

    def restore(self) -> None:
        connection = connections[self.using]
        _outside_transactions(connection)
        connection.ensure_connection()
        if self._sqlite is not None:
            self._sqlite.backup(connection.connection)
        else:
            # The version table comes back with the rows it describes (kit/pagecache.py): no new tokens.
            with writes_untracked():
                _pg_write(connection, self.using, self._tables, self._sequences)

    def close(self) -> None:
        if self._sqlite is not None:
            self._sqlite.close()
            self._sqlite = None


def _outside_transactions(connection: Any) -> None:
    if connection.in_atomic_block:
        raise RuntimeError("a database snapshot is taken and restored outside any transaction")


def _pg_tables(cursor: Any) -> list[str]:
    cursor.execute(
        "SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
        "WHERE n.nspname = current_schema() AND c.relkind IN ('r', 'p') ORDER BY c.relname"
    )
    return [name for (name,) in cursor.fetchall() if name not in _SKIPPED_TABLES]


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _pg_read(connection: Any) -> tuple[dict[str, bytes], list[tuple[str, int, bool]]]:
    tables: dict[str, bytes] = {}
    with connection.connection.cursor() as cursor:
        for table in _pg_tables(cursor):
            data = bytearray()
            with cursor.copy(f"COPY {_quote(table)} TO STDOUT (FORMAT BINARY)") as copy:
                for chunk in copy:
                    data += chunk
            tables[table] = bytes(data)
        # A sequence never used has no last_value: it goes back to its start, not yet called.
        cursor.execute(
            "SELECT sequencename, COALESCE(last_value, start_value), last_value IS NOT NULL "
            "FROM pg_sequences WHERE schemaname = current_schema()"
        )
        sequences = [(name, int(value), bool(called)) for name, value, called in cursor.fetchall()]
    return tables, sequences


def _pg_write(
    connection: Any, using: str, tables: dict[str, bytes], sequences: list[tuple[str, int, bool]]
) -> None:
    with transaction.atomic(using=using), maintenance(using):
        with connection.cursor() as cursor:
            # A test database need not survive a crash: not waiting for the commit's WAL flush saves most
            # of a restore's time on a busy disk.
            cursor.execute("SET LOCAL synchronous_commit = off")
            cursor.execute("SET CONSTRAINTS ALL DEFERRED")
            current = _pg_tables(cursor)
            cursor.execute("; ".join(f"DELETE FROM {_quote(table)}" for table in current))
        with connection.connection.cursor() as cursor:
            for table, data in tables.items():
                if len(data) <= _EMPTY_BINARY_COPY or table not in current:
                    continue
                with cursor.copy(f"COPY {_quote(table)} FROM STDIN (FORMAT BINARY)") as copy:
                    copy.write(data)
            if sequences:
                cursor.execute(
                    "SELECT " + ", ".join("setval(%s::regclass, %s, %s)" for _s in sequences),
                    [
                        value
                        for name, position, called in sequences
                        for value in (_quote(name), position, called)
                    ],
                )
