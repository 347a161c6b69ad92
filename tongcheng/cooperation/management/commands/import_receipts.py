"""``manage.py import_receipts``: import receipts (or indicators, factors) from a .csv or .xlsx file into a
zone, as a user, through the same import as the page and the API (sharing/imports.py).

    manage.py import_receipts --zone pukou-nanqiao --as office_pn receipts.csv
    manage.py import_receipts --zone pukou-nanqiao --as office_pn --apply-good-rows --rejects rejects.csv big.csv

The file is read as a stream in batches (a million rows in bounded memory). Nothing is written if any row is
refused, unless --apply-good-rows; every refused row and column is printed (at most --show of them)."""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError
from django.utils import translation

from tongcheng.cooperation.sharing.imports import DATASETS, import_table
from tongcheng.core.models import AdjacentZone, User
from tongcheng.kit.importing import TableLimits
from tongcheng.kit.services import ServiceError


class Command(BaseCommand):
    help = "Import tax receipts (or statistical indicators, apportionment factors) from a .csv or .xlsx file into a zone."

    def add_arguments(self, parser: argparse.ArgumentParser) -> None:
        parser.add_argument("file", type=Path, help=".csv (UTF-8 or GBK) or .xlsx")
        parser.add_argument("--zone", required=True, help="the zone's code, e.g. pukou-nanqiao")
        parser.add_argument("--as", dest="username", required=True, help="the user the import acts as")
        parser.add_argument("--dataset", choices=sorted(DATASETS), default="receipts")
        parser.add_argument(
            "--apply-good-rows", action="store_true", help="write the good rows even if some are refused"
        )
        parser.add_argument(
            "--rejects", type=Path, help="with --apply-good-rows: write the refused rows here (CSV)"
        )
        parser.add_argument(
            "--max-rows", type=int, default=None, help="refuse a file of more rows (default: no limit)"
        )
        parser.add_argument("--show", type=int, default=50, help="errors printed (all are counted)")
        parser.add_argument("--language", default="zh-hans", help="language of the messages (zh-hans or en)")

    def handle(self, *args: Any, **options: Any) -> None:
        translation.activate(options["language"])
        path: Path = options["file"]
        zone = AdjacentZone.objects.filter(code=options["zone"]).first()
        user = User.objects.filter(username=options["username"], is_active=True).first()
        if zone is None or user is None:
            raise CommandError("unknown zone or user")
        limits = TableLimits(max_rows=options["max_rows"])
        started = time.monotonic()

        def progress(rows: int, writing: bool) -> None:
            word = "written" if writing else "checked"
            self.stderr.write(f"\r{rows:,} rows {word}", ending="")

        try:
            with path.open("rb") as handle:
                outcome = import_table(
                    user,
                    zone,
                    options["dataset"],
                    path.name,
                    handle,
                    apply_good_rows=options["apply_good_rows"],
                    progress=progress if sys.stderr.isatty() else None,
                    limits=limits,
                )
        except FileNotFoundError:
            raise CommandError(f"{path}: file not found") from None
        except ServiceError as exc:
            raise CommandError(f"{exc.code}: {exc.message}") from None
        elapsed = time.monotonic() - started
        for error in outcome.errors[: options["show"]]:
            self.stderr.write(f"{path}:row {error.row}:column {error.heading}: {error.message}")
        if outcome.error_count > options["show"]:
            self.stderr.write(f"{path}: {outcome.error_count - options['show']} more errors")
        if options["rejects"] and outcome.rejects:
            options["rejects"].write_bytes(outcome.rejects)
        summary = (
            f"{outcome.rows:,} rows read in {elapsed:.1f} s: {outcome.created:,} created, {outcome.updated:,} updated, "
            f"{outcome.unchanged:,} unchanged, {outcome.error_count:,} errors"
        )
        if not outcome.applied:
            self.stderr.write(summary)
            raise CommandError(
                "nothing written: correct the rows named above, or use --apply-good-rows", returncode=2
            )
        self.stdout.write(summary)
