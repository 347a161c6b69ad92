"""Migration operations of the kit.

``AppendOnlyTriggers("AuditEntry")`` in a migration's operations installs the database triggers that refuse
updates and deletes of the model's table (see tongcheng.kit.append_only); unapplying the migration removes
them. It changes no model state, so the autodetector never writes or removes it: add it by hand to the
migration that creates the model, and again after any later operation that rebuilds the table on SQLite
(AlterField, RemoveField, AddField of a NOT NULL column …: SQLite copies the table and the triggers are lost).
tests/kit/test_append_only.py checks that every append-only model has its triggers in the test database."""

from __future__ import annotations

from typing import Any

from django.db.backends.base.schema import BaseDatabaseSchemaEditor
from django.db.migrations.operations.base import Operation
from django.db.migrations.state import ProjectState

from .append_only import drop_triggers_sql, triggers_sql

__all__ = ["AppendOnlyTriggers"]


class AppendOnlyTriggers(Operation):
    reversible = True
    reduces_to_sql = True
    # A trigger is DDL; on PostgreSQL and SQLite it runs inside the migration's transaction.
    atomic = True

    def __init__(self, model_name: str):
        self.model_name = model_name

    def deconstruct(self) -> tuple[str, list[Any], dict[str, Any]]:
        return (self.__class__.__qualname__, [self.model_name], {})

    def state_forwards(self, app_label: str, state: ProjectState) -> None:
        pass  # the triggers live in the database only

    def _run(
        self, app_label: str, schema_editor: BaseDatabaseSchemaEditor, state: ProjectState, sql: Any
    ) -> None:
        model = state.apps.get_model(app_label, self.model_name)
        if not self.allow_migrate_model(schema_editor.connection.alias, model):
            return
        for statement in sql(schema_editor.connection, model._meta.db_table):
            # params=None: the statements hold no placeholders and must not be %-formatted.
            schema_editor.execute(statement, params=None)

    def database_forwards(
        self,
        app_label: str,
        schema_editor: BaseDatabaseSchemaEditor,
        from_state: ProjectState,
        to_state: ProjectState,
    ) -> None:
        self._run(app_label, schema_editor, to_state, triggers_sql)

    def database_backwards(
        self,
        app_label: str,
        schema_editor: BaseDatabaseSchemaEditor,
        from_state: ProjectState,
        to_state: ProjectState,
    ) -> None:
        self._run(app_label, schema_editor, from_state, drop_triggers_sql)

    def describe(self) -> str:
        return f"Refuse updates and deletes of {self.model_name} in the database (append-only triggers)"

    @property
    def migration_name_fragment(self) -> str:
        return f"{self.model_name.lower()}_append_only"
