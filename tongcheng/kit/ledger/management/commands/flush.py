"""``flush`` that can empty append-only tables: Django's flush command, whose SQL runs inside
``tongcheng.kit.append_only.maintenance()``. Django's test runner calls ``flush`` after every transactional
test; without this, the append-only triggers would refuse SQLite's ``DELETE FROM`` and PostgreSQL's
``TRUNCATE`` of those tables. Being in an installed app, this command replaces Django's own."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.core.management.commands.flush import Command as DjangoFlush
from django.db import connections

from tongcheng.kit.append_only import maintenance


class Command(DjangoFlush):
    def handle(self, **options: Any) -> None:
        connection = connections[options["database"]]
        django_execute = connection.ops.execute_sql_flush

        # Only the flush statements run in maintenance, not the confirmation prompt or post_migrate handlers.
        def execute_in_maintenance(sql_list: Iterable[str]) -> None:
            with maintenance(connection.alias):
                django_execute(sql_list)

        connection.ops.execute_sql_flush = execute_in_maintenance  # type: ignore[method-assign]
        try:
            super().handle(**options)
        finally:
            del connection.ops.execute_sql_flush
