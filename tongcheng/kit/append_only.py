"""Append-only tables in the database: triggers that refuse UPDATE and DELETE (and TRUNCATE on PostgreSQL),
on PostgreSQL and SQLite, and the one deliberate way around them, ``maintenance()``.

The ORM refuses the same operations earlier, with a clearer error (``tongcheng.kit.models.AppendOnlyModel``);
the triggers are what make the rule hold for everything else: raw SQL, ``on_delete=SET_NULL`` updates issued
by Django's deletion collector, a shell, another program sharing the database.

Maintenance. Wiping a database (``manage.py flush``, and Django's test runner, which flushes after every
transactional test) deletes rows of append-only tables too. ``maintenance()`` opens a transaction in which
the triggers stand aside: on PostgreSQL it sets the transaction-local setting
``tongcheng.append_only_maintenance``; on SQLite, where a trigger cannot read connection state, it inserts a
row into the table ``kit_append_only_maintenance`` and deletes it again before the transaction ends, so no
other connection ever sees it (SQLite has one writer at a time). The kit's ``flush`` command runs the flush
SQL inside it. Any other use — a data migration that must correct old rows — is a reviewed, deliberate act:
grep for ``maintenance(``."""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from contextlib import contextmanager

from django.db import DEFAULT_DB_ALIAS, connections, transaction
from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.backends.utils import truncate_name

__all__ = [
    "AppendOnlyError",
    "MAINTENANCE_SETTING",
    "MAINTENANCE_TABLE",
    "installed_triggers",
    "maintenance",
    "trigger_names",
    "triggers_sql",
    "drop_triggers_sql",
]

MAINTENANCE_SETTING = "tongcheng.append_only_maintenance"
MAINTENANCE_TABLE = "kit_append_only_maintenance"
SUPPORTED = ("postgresql", "sqlite")


class AppendOnlyError(Exception):
    """An update or delete of an append-only record was attempted through the ORM. A mistake is corrected
    by appending a correcting record, never by changing the old one."""


def _unsupported(connection: BaseDatabaseWrapper) -> NotImplementedError:
    return NotImplementedError(
        f"append-only triggers exist for PostgreSQL and SQLite, not for {connection.vendor}"
    )


def _name(connection: BaseDatabaseWrapper, table: str, suffix: str) -> str:
    return truncate_name(f"{table}_{suffix}", connection.ops.max_name_length())


def trigger_names(connection: BaseDatabaseWrapper, table: str) -> set[str]:
    """The names of the triggers ``triggers_sql`` creates for the table."""
    if connection.vendor == "postgresql":
        return {_name(connection, table, "append_only"), _name(connection, table, "append_only_truncate")}
    if connection.vendor == "sqlite":
        return {
            _name(connection, table, "append_only_update"),
            _name(connection, table, "append_only_delete"),
        }
    raise _unsupported(connection)


def _sqlite_literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def triggers_sql(connection: BaseDatabaseWrapper, table: str) -> list[str]:
    """Statements that make ``table`` append-only. Idempotent, so that the operation can be repeated after a
    migration that rebuilds the table (SQLite rebuilds a table for most field changes, dropping its triggers)."""
    quote = connection.ops.quote_name
    if connection.vendor == "postgresql":
        function = quote(_name(connection, table, "append_only"))
        rows = quote(_name(connection, table, "append_only"))
        truncate = quote(_name(connection, table, "append_only_truncate"))
        # No % in the body: the statement may pass through a driver's parameter formatting.
        return [
            f"""CREATE OR REPLACE FUNCTION {function}() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF current_setting('{MAINTENANCE_SETTING}', true) = 'on' THEN
        IF TG_LEVEL = 'STATEMENT' THEN
            RETURN NULL;
        ELSIF TG_OP = 'DELETE' THEN
            RETURN OLD;
        END IF;
        RETURN NEW;
    END IF;
    RAISE EXCEPTION USING
        MESSAGE = 'append-only table ' || TG_TABLE_NAME || ': ' || TG_OP || ' refused',
        ERRCODE = 'restrict_violation';
END
$$""",
            f"DROP TRIGGER IF EXISTS {rows} ON {quote(table)}",
            f"CREATE TRIGGER {rows} BEFORE UPDATE OR DELETE ON {quote(table)} "
            f"FOR EACH ROW EXECUTE FUNCTION {function}()",
            f"DROP TRIGGER IF EXISTS {truncate} ON {quote(table)}",
            f"CREATE TRIGGER {truncate} BEFORE TRUNCATE ON {quote(table)} "
            f"FOR EACH STATEMENT EXECUTE FUNCTION {function}()",
        ]
    if connection.vendor == "sqlite":
        statements = [f"CREATE TABLE IF NOT EXISTS {quote(MAINTENANCE_TABLE)} (token text NOT NULL)"]
        for operation in ("UPDATE", "DELETE"):
            name = quote(_name(connection, table, f"append_only_{operation.lower()}"))
            message = _sqlite_literal(f"append-only table {table}: {operation} refused")
            statements.append(
                f"CREATE TRIGGER IF NOT EXISTS {name} BEFORE {operation} ON {quote(table)} FOR EACH ROW "
                f"WHEN NOT EXISTS (SELECT 1 FROM {quote(MAINTENANCE_TABLE)}) "
                f"BEGIN SELECT RAISE(ABORT, {message}); END"
            )
        return statements
    raise _unsupported(connection)


def drop_triggers_sql(connection: BaseDatabaseWrapper, table: str) -> list[str]:
    """Statements that undo ``triggers_sql`` (the SQLite maintenance table stays: other tables use it)."""
    quote = connection.ops.quote_name
    if connection.vendor == "postgresql":
        return [
            f"DROP TRIGGER IF EXISTS {quote(_name(connection, table, 'append_only'))} ON {quote(table)}",
            f"DROP TRIGGER IF EXISTS {quote(_name(connection, table, 'append_only_truncate'))} ON {quote(table)}",
            f"DROP FUNCTION IF EXISTS {quote(_name(connection, table, 'append_only'))}()",
        ]
    if connection.vendor == "sqlite":
        return [f"DROP TRIGGER IF EXISTS {quote(name)}" for name in sorted(trigger_names(connection, table))]
    raise _unsupported(connection)


def installed_triggers(connection: BaseDatabaseWrapper, table: str) -> set[str]:
    """The append-only triggers present on ``table`` in the database (empty when none)."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                "SELECT tgname FROM pg_trigger WHERE tgrelid = to_regclass(%s) AND NOT tgisinternal",
                [connection.ops.quote_name(table)],
            )
        elif connection.vendor == "sqlite":
            cursor.execute("SELECT name FROM sqlite_master WHERE type = 'trigger' AND tbl_name = %s", [table])
        else:
            raise _unsupported(connection)
        present = {row[0] for row in cursor.fetchall()}
    return present & trigger_names(connection, table)


@contextmanager
def maintenance(using: str = DEFAULT_DB_ALIAS) -> Iterator[None]:
    """A transaction in which the append-only triggers of database ``using`` let updates and deletes through.
    The ORM still refuses them: this is for SQL that wipes or repairs tables, such as ``flush``. Leaving the
    block, normally or by an exception, ends the exemption; nothing outside the transaction ever sees it."""
    connection = connections[using]
    with transaction.atomic(using=using):
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("SELECT current_setting(%s, true)", [MAINTENANCE_SETTING])
                row = cursor.fetchone()
                previous = (row[0] if row else None) or ""
                cursor.execute("SELECT set_config(%s, 'on', true)", [MAINTENANCE_SETTING])
            yield
            with connection.cursor() as cursor:
                cursor.execute("SELECT set_config(%s, %s, true)", [MAINTENANCE_SETTING, previous])
        elif connection.vendor == "sqlite":
            # A token of its own, so that a nested maintenance block ends only its own exemption.
            token = secrets.token_hex(8)
            table = connection.ops.quote_name(MAINTENANCE_TABLE)
            with connection.cursor() as cursor:
                cursor.execute(f"CREATE TABLE IF NOT EXISTS {table} (token text NOT NULL)")
                cursor.execute(f"INSERT INTO {table} (token) VALUES (%s)", [token])
            yield
            with connection.cursor() as cursor:
                cursor.execute(f"DELETE FROM {table} WHERE token = %s", [token])
        else:
            yield
