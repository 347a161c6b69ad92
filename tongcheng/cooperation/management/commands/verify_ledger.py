"""manage.py verify_ledger [--zone CODE]: recompute the settlements' hash chains and re-run the engine on the
stored inputs of every final settlement (tongcheng/cooperation/settlements/verify.py). Exit code 1 when
anything is wrong."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError

from tongcheng.cooperation.settlements.verify import verify_ledger
from tongcheng.core.models import AdjacentZone


class Command(BaseCommand):
    help = "Verify the final settlements: hash chains, stored lines, receipt sums and an engine re-run."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--zone", help="code of one zone (default: all)")

    def handle(self, *args: Any, **options: Any) -> None:
        zone = None
        if options.get("zone"):
            zone = AdjacentZone.objects.filter(code=options["zone"]).first()
            if zone is None:
                raise CommandError(f"no zone {options['zone']!r}")
        report = verify_ledger(zone)
        for line in report.notes:
            self.stdout.write(f"note: {line}")
        for line in report.problems:
            self.stdout.write(f"PROBLEM: {line}")
        if not report.ok:
            raise CommandError(
                f"{len(report.problems)} problem(s) in {report.checked} final settlement(s)", returncode=1
            )
        self.stdout.write(f"ok: {report.checked} final settlement(s) verified")
