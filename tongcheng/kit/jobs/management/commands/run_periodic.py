"""Run the periodic functions that are due, then exit: call it every minute (cron or a systemd timer; the
development launcher does). Several servers may call it at once; each due function runs once."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from tongcheng.kit.jobs import schedule


class Command(BaseCommand):
    help = "Run the periodic functions that are due (call it every minute)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--list", action="store_true", help="List the registered functions and exit.")
        parser.add_argument("--only", action="append", help="Run only this function (by its name) if due.")

    def handle(self, *args: Any, **options: Any) -> None:
        schedule.discover()
        if options["list"]:
            for item in schedule.registry().values():
                self.stdout.write(f"{item.name}\tevery {item.every}")
            return
        only = set(options["only"]) if options["only"] else None
        outcomes = schedule.run_due(only=only)
        for outcome in outcomes:
            self.stdout.write(f"{outcome.name}: {'ok' if outcome.ok else 'FAILED ' + outcome.error}")
        failed = [o.name for o in outcomes if not o.ok]
        if failed:
            raise CommandError(f"{len(failed)} periodic function(s) failed: {', '.join(failed)}")
