"""``python manage.py settle``: the same settlement run as ``tongcheng settle`` (tongcheng/cli.py)."""

from __future__ import annotations

import argparse
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from tongcheng.cooperation.cli import EXIT_INPUT, add_settle_arguments, run_settle


class Command(BaseCommand):
    help = "Settle shared tax revenue between jurisdictions from files (docs/settlement-formats.md)."

    def add_arguments(self, parser: argparse.ArgumentParser) -> None:
        add_settle_arguments(parser)

    def handle(self, *args: Any, **options: Any) -> None:
        ns = argparse.Namespace(
            **{
                k: options[k]
                for k in (
                    "receipts",
                    "agreements",
                    "factors",
                    "local_shares",
                    "contributions",
                    "indicators",
                    "periods",
                    "out",
                    "no_uscc_check",
                )
            }
        )
        code = run_settle(ns, stdout=self.stdout, stderr=self.stderr)
        if code:
            raise CommandError("invalid input; nothing written", returncode=EXIT_INPUT)
