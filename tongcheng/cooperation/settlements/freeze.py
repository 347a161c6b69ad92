"""Database triggers that make a final settlement immutable: an UPDATE or DELETE of a settlement row whose
stored status is ``final`` is refused (PostgreSQL and SQLite), whatever path sends it — the ORM (which
refuses earlier, ``Settlement.save``), raw SQL, a shell, another program. Its lines are append-only
altogether (``AppendOnlyTriggers``). The kit's ``maintenance()`` lets the flush of tests through."""

from __future__ import annotations

from typing import Any

from tongcheng.kit.append_only import MAINTENANCE_SETTING, MAINTENANCE_TABLE

TABLE = "cooperation_settlement"
NAME = "coop_settlement_final"


def freeze_sql(connection: Any) -> list[str]:
    quote = connection.ops.quote_name
    if connection.vendor == "postgresql":
        return [
            f"""CREATE OR REPLACE FUNCTION {NAME}() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF current_setting('{MAINTENANCE_SETTING}', true) = 'on' THEN
        IF TG_OP = 'DELETE' THEN RETURN OLD; END IF;
        RETURN NEW;
    END IF;
    RAISE EXCEPTION USING
        MESSAGE = 'append-only once final: settlement ' || OLD.number || ': ' || TG_OP || ' refused',
        ERRCODE = 'restrict_violation';
END
$$""",
            f"DROP TRIGGER IF EXISTS {NAME} ON {quote(TABLE)}",
            f"CREATE TRIGGER {NAME} BEFORE UPDATE OR DELETE ON {quote(TABLE)} "
            f"FOR EACH ROW WHEN (OLD.status = 'final') EXECUTE FUNCTION {NAME}()",
        ]
    if connection.vendor == "sqlite":
        out = [f"CREATE TABLE IF NOT EXISTS {quote(MAINTENANCE_TABLE)} (token text NOT NULL)"]
        for op in ("UPDATE", "DELETE"):
            out.append(
                f"CREATE TRIGGER IF NOT EXISTS {NAME}_{op.lower()} BEFORE {op} ON {quote(TABLE)} FOR EACH ROW "
                f"WHEN OLD.status = 'final' AND NOT EXISTS (SELECT 1 FROM {quote(MAINTENANCE_TABLE)}) "
                f"BEGIN SELECT RAISE(ABORT, 'append-only once final: settlement {op} refused'); END"
            )
        return out
    raise NotImplementedError(connection.vendor)


def unfreeze_sql(connection: Any) -> list[str]:
    quote = connection.ops.quote_name
    if connection.vendor == "postgresql":
        return [f"DROP TRIGGER IF EXISTS {NAME} ON {quote(TABLE)}", f"DROP FUNCTION IF EXISTS {NAME}()"]
    return [f"DROP TRIGGER IF EXISTS {NAME}_update", f"DROP TRIGGER IF EXISTS {NAME}_delete"]


def install(apps: Any, schema_editor: Any) -> None:
    for statement in freeze_sql(schema_editor.connection):
        schema_editor.execute(statement, params=None)


def uninstall(apps: Any, schema_editor: Any) -> None:
    for statement in unfreeze_sql(schema_editor.connection):
        schema_editor.execute(statement, params=None)
