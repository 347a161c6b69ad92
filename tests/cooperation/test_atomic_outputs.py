"""A settlement run replaces its result folder in one rename (issue 9, point 2): a failure half-way leaves
the previous results whole, and a re-run never mixes files of two runs."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from tongcheng.cooperation.cli import main

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "examples" / "settlement"


def _args(out: Path, periods: str = "2026-01..2026-03", factors: bool = True) -> list[str]:
    args = [
        "settle",
        "--receipts",
        str(EXAMPLES / "receipts.csv"),
        "--agreements",
        str(EXAMPLES / "agreements.json"),
        "--contributions",
        str(EXAMPLES / "contributions.csv"),
        "--periods",
        periods,
        "--out",
        str(out),
    ]
    if factors:
        args += ["--factors", str(EXAMPLES / "factors.csv")]
    return args


WRITE_ORDER = [
    "allocations.csv",
    "positions.csv",
    "transfers.csv",
    "statistics.csv",
    "headquarters.csv",
    "summary.json",
]


def _snapshot(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir())}


def _leftovers(parent: Path) -> list[str]:
    return sorted(p.name for p in parent.iterdir() if p.name.startswith("."))


def test_given_a_run_with_factors_when_rerun_without_then_no_old_headquarters_file_remains(tmp_path):
    out = tmp_path / "out"
    assert main(_args(out)) == 0
    assert (out / "headquarters.csv").is_file()
    assert main(_args(out, factors=False)) == 0
    assert "headquarters.csv" not in _snapshot(out)
    assert _leftovers(tmp_path) == []


def test_given_previous_results_when_a_run_fails_half_way_then_the_previous_folder_is_whole(tmp_path):
    """The second run (other months, so other contents) is stopped by a real write failure: a file-size
    limit (RLIMIT_FSIZE) lets its CSV files be written and makes summary.json, written last, fail. The
    previous folder must stay byte for byte, and no half-written folder may be left beside it."""
    out = tmp_path / "out"
    assert main(_args(out)) == 0
    before = _snapshot(out)
    scratch = tmp_path / "scratch" / "out"
    assert main(_args(scratch, periods="2026-01..2026-01")) == 0
    sizes = {name: len(data) for name, data in _snapshot(scratch).items()}
    # The order the run writes its files in (engine/io.py): a limit that lets the first files through and
    # stops a later, larger one makes the failure come half-way, whatever the sizes of this data.
    order = [n for n in WRITE_ORDER if n in sizes]
    limit = None
    for k in range(1, len(order)):
        written = max(sizes[n] for n in order[:k])
        if any(sizes[n] > written for n in order[k:]):
            limit = written
            break
    assert limit is not None, sizes
    code = (
        "import resource, signal, sys\n"
        "signal.signal(signal.SIGXFSZ, signal.SIG_IGN)\n"
        f"resource.setrlimit(resource.RLIMIT_FSIZE, ({limit}, {limit}))\n"
        "from tongcheng.cooperation.cli import main\n"
        f"sys.exit(main({_args(out, periods='2026-01..2026-01')!r}))\n"
    )
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert done.returncode == 1, done.stderr
    assert "cannot write the results" in done.stderr
    assert "the previous results are unchanged" in done.stderr
    assert _snapshot(out) == before
    assert _leftovers(tmp_path) == []


def test_given_previous_results_when_a_run_succeeds_then_the_folder_holds_exactly_the_new_files(tmp_path):
    out = tmp_path / "out"
    assert main(_args(out)) == 0
    (out / "allocations.csv").write_text("stale", encoding="utf-8")
    assert main(_args(out, periods="2026-01..2026-01")) == 0
    scratch = tmp_path / "fresh"
    assert main(_args(scratch, periods="2026-01..2026-01")) == 0
    after, fresh = _snapshot(out), _snapshot(scratch)
    assert after.keys() == fresh.keys()
    assert after["allocations.csv"] == fresh["allocations.csv"]
