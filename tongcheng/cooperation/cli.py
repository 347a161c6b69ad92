"""Command line: ``tongcheng settle`` runs the revenue-sharing engine on files (docs/settlement-formats.md).

Exit codes: 0 done; 2 invalid input (every problem is printed as file:row N:column C: message, and no
output file is written); 1 the results could not be written (the previous result folder is unchanged).
"""

from __future__ import annotations

import argparse
import hashlib
import sys
from pathlib import Path
from typing import Any, Protocol

import numpy as np

from tongcheng.cooperation.engine import local_shares as ls
from tongcheng.cooperation.engine.io import (
    InputErrors,
    check_out_dir,
    read_agreements,
    read_contributions,
    read_factors,
    read_indicators,
    read_local_shares,
    write_outputs,
)
from tongcheng.cooperation.engine.reading import read_receipts_summed
from tongcheng.cooperation.engine.settle import settle
from tongcheng.cooperation.engine.types import EngineInputError, Settlement, parse_period_range

EXIT_INPUT = 2
EXIT_OUTPUT = 1

ROUNDING_RULE = (
    "Per (agreement, tax type, period, collecting treasury): base = round_half_even(sum(amount) x local share bp "
    "x fraction bp / 10^8); group base = sum of those; shares by largest remainder with the agreement's tie "
    "order; negative bases split as their absolute value and negated."
)


def add_settle_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--receipts", required=True, type=Path, help="receipts: .csv (UTF-8/GBK), .xlsx or .parquet"
    )
    p.add_argument("--agreements", required=True, type=Path, help="agreements: JSON")
    p.add_argument("--factors", type=Path, help="head-office apportionment factors (57号)")
    p.add_argument("--local-shares", type=Path, help="override of the local retained shares table")
    p.add_argument("--contributions", type=Path, help="fund contributions for cost-linked ratios")
    p.add_argument("--indicators", type=Path, help="statistical indicators per enterprise (S-B3)")
    p.add_argument("--periods", required=True, help="settled months, e.g. 2026-01..2026-12")
    p.add_argument("--out", required=True, type=Path, help="output directory")
    p.add_argument("--no-uscc-check", action="store_true", help="do not verify credit-code check characters")


class Writer(Protocol):
    def write(self, text: str, /) -> Any: ...


def _checks(result: Settlement) -> dict[str, bool]:
    """Re-check the written figures themselves (the engine asserts the same while computing)."""
    key = (result.alloc_agreement * len(result.tax_types) + result.alloc_tax) * (
        1 << 24
    ) + result.alloc_period
    new = np.ones(key.shape[0], dtype=bool)
    new[1:] = key[1:] != key[:-1]
    starts = np.flatnonzero(new)
    parts_ok = bool(
        starts.size == 0
        or np.array_equal(np.add.reduceat(result.alloc_share, starts), result.alloc_base[starts])
    )
    nets: dict[int, int] = {}
    for p, v in zip(result.pos_period.tolist(), result.pos_net.tolist(), strict=True):
        nets[p] = nets.get(p, 0) + v
    t = result.totals
    return {
        "parts_add_up_to_group_base": parts_ok,
        "positions_net_to_zero_each_period": all(v == 0 for v in nets.values()),
        "allocated_plus_retained_equals_receipts": t["allocated_fen"] + t["retained_fen"]
        == t["receipts_fen"],
        "allocated_equals_bases": t["allocated_fen"] == t["base_fen"],
    }


def _say(stream: Writer, text: str) -> None:
    # one write with its newline: Django's OutputWrapper would add a second one after print()
    stream.write(text + "\n")


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def run_settle(args: argparse.Namespace, stdout: Writer | None = None, stderr: Writer | None = None) -> int:
    stdout = stdout or sys.stdout
    stderr = stderr or sys.stderr
    errors: list[str] = []
    try:
        first, last = parse_period_range(args.periods)
    except EngineInputError as e:
        errors.append(f"--periods: {e.detail}")
        first = last = 0
    out_problem = check_out_dir(args.out)
    if out_problem is not None:
        errors.append(out_problem)
    shares = ls.load_shipped()
    if args.local_shares:
        override = read_local_shares(args.local_shares, errors)
        if override is not None:
            shares = ls.merge(shares, override)
    known_taxes = {r.tax_type for r in shares}
    agreements = read_agreements(
        args.agreements, errors, known_taxes, periods=None if errors else (first, last)
    )
    factors = read_factors(args.factors, errors) if args.factors else []
    # receipts are summed per settlement group while they are read, which needs the agreements' scopes
    read = read_receipts_summed(
        args.receipts,
        known_taxes,
        errors,
        agreements,
        head_offices={f.enterprise for f in factors or ()},
        check_uscc=not args.no_uscc_check,
    )
    receipts = read.receipts
    ids = {a.id for a in agreements.agreements} if agreements is not None else None
    contributions = read_contributions(args.contributions, errors, ids) if args.contributions else []
    indicators = read_indicators(args.indicators, errors) if args.indicators else None
    if errors or receipts is None or agreements is None or factors is None or contributions is None:
        for line in errors:
            _say(stderr, line)
        _say(stderr, f"settle: {len(errors)} input error(s); nothing written")
        return EXIT_INPUT
    try:
        result = settle(
            receipts,
            agreements,
            first,
            last,
            local_shares=shares,
            factors=factors,
            contributions=contributions,
            indicators=indicators,
        )
    except EngineInputError as e:
        _say(stderr, f"settle: {e}")
        _say(stderr, "settle: 1 input error; nothing written")
        return EXIT_INPUT
    inputs = {
        name: path
        for name, path in (
            ("receipts", args.receipts),
            ("agreements", args.agreements),
            ("factors", args.factors),
            ("local_shares", args.local_shares),
            ("contributions", args.contributions),
            ("indicators", args.indicators),
        )
        if path
    }
    summary = {
        "periods": args.periods,
        "inputs": {k: {"file": str(p), "sha256": _sha256(p)} for k, p in inputs.items()},
        "rows": read.rows,
        "groups_read": len(receipts),
        "agreements": len(agreements.agreements),
        "totals": result.totals,
        "per_period": result.per_period,
        "checks": _checks(result),
        "rounding": ROUNDING_RULE,
        "transfers": len(result.transfers),
    }
    try:
        written = write_outputs(result, args.out, summary)
    except InputErrors as e:  # the folder changed since the check at the start
        for line in e.errors:
            _say(stderr, line)
        return EXIT_INPUT
    except OSError as e:
        _say(
            stderr,
            f"settle: cannot write the results into {args.out}: {e}; the previous results are unchanged",
        )
        return EXIT_OUTPUT
    _say(
        stdout,
        f"settled {read.rows} receipts, {len(agreements.agreements)} agreements, {args.periods}: "
        f"{result.totals['groups']} groups, {len(result.transfers)} transfers -> "
        + ", ".join(p.name for p in written),
    )
    return 0


def run_verify_ledger(args: argparse.Namespace) -> int:
    """``manage.py verify_ledger`` on the configured database (needs Django, unlike ``settle``)."""
    import os

    import django
    from django.core.management import call_command
    from django.core.management.base import CommandError

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tongcheng.settings")
    django.setup()
    try:
        call_command("verify_ledger", *(["--zone", args.zone] if args.zone else []))
    except CommandError as exc:
        print(exc, file=sys.stderr)
        return exc.returncode or 1
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="tongcheng", description="Tongcheng (同城) command line")
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("settle", help="settle shared tax revenue between jurisdictions")
    add_settle_arguments(p)
    v = sub.add_parser(
        "verify-ledger", help="verify the stored final settlements (hash chains and an engine re-run)"
    )
    v.add_argument("--zone", help="code of one zone (default: all)")
    args = parser.parse_args(argv)
    if args.command == "settle":
        return run_settle(args)
    if args.command == "verify-ledger":
        return run_verify_ledger(args)
    return 1  # pragma: no cover - argparse rejects unknown commands


if __name__ == "__main__":
    raise SystemExit(main())
