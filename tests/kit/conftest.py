"""Helpers for the kit's tests: raw SQL against the append-only ledger table, on SQLite and PostgreSQL."""

from __future__ import annotations

import pytest
from django.db import connection, transaction

from tongcheng.kit.append_only import drop_triggers_sql, triggers_sql
from tongcheng.kit.ledger.models import LedgerEntry

TABLE = LedgerEntry._meta.db_table


def raw(sql: str, params: list | None = None) -> None:
    """Run one statement in a savepoint, so that a refused statement leaves the test's transaction usable."""
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(sql, params)


@pytest.fixture
def triggers_dropped():
    """Drop the ledger table's append-only triggers with the migration operation's own SQL; re-create them
    afterwards (the test then checks they are back), as someone with DDL rights could."""

    def drop() -> None:
        with connection.cursor() as cursor:
            for statement in drop_triggers_sql(connection, TABLE):
                cursor.execute(statement)

    def restore() -> None:
        with connection.cursor() as cursor:
            for statement in triggers_sql(connection, TABLE):
                cursor.execute(statement)

    drop()
    yield restore
    restore()
