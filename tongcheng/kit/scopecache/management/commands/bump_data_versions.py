"""``manage.py bump_data_versions [table …]``: after writes Django did not see (psql, another program, a
PostgreSQL COPY), give the tables new tokens so that no cached list built from their old rows is served
again (tongcheng/kit/pagecache.py)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError
from django.db import connection

from tongcheng.kit.pagecache import bump_data_versions


class Command(BaseCommand):
    help = "New data-version tokens for the named tables (all when none are named): cached lists are rebuilt."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("tables", nargs="*", help="database table names, e.g. core_adjacentzone")

    def handle(self, *args: Any, tables: list[str], **options: Any) -> None:
        known = set(connection.introspection.table_names())
        unknown = sorted(set(tables) - known)
        if unknown:
            raise CommandError(f"No such table: {', '.join(unknown)}")
        bump_data_versions(tables or None)
        self.stdout.write(f"New tokens for {len(tables) if tables else 'every'} table(s).")
