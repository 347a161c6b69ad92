"""A 1,000,000-row import, end to end, with its peak memory (issue 7, point 8).

    .venv/bin/python bench/import_1m.py [--rows 1000000] [--small 10000] [--out bench/results/import_1m.json]
    make bench-import

On a fresh SQLite demo (a temporary folder), the script adds ``rows / 2`` organisations in office_metro's
scope and writes a CSV (in /tmp, deleted afterwards) as the export writes it — Chinese headers, kind
labels, versions — whose first half updates those organisations (a changed description) and whose second
half creates as many new ones (new keys, empty version). It then does what a user's upload of a large file
does: ``start_import_job`` stores the file and queues the job, and ``manage.py db_worker --batch`` — the
real worker, in its own process — runs ``import_table``: the file is read as a stream, checked whole in
batches, read again and written in one transaction through the batched services (history rows, audit
entries), moving the job's progress bar.

Measured: the wall time of the worker process, its peak resident memory (its own ``ru_maxrss``, which
includes the interpreter and Django), and the same for a ``--small`` file in the same run, so that
the difference shows what the rows themselves cost in memory (bounded: it should not grow with the file).
The load average before and after is recorded: the machine is shared. Not a test: nothing here asserts
speed; the tests check correctness on small files.
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import json
import os
import platform
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PYTHON = sys.executable
USER = "office_metro"


def _env(folder: Path) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        DJANGO_SETTINGS_MODULE="tongcheng.settings.base",
        DATABASE_URL=f"sqlite:///{folder / 'bench.sqlite3'}",
        TONGCHENG_IMPORT_MAX_ROWS="2000000",
        DEBUG="0",  # as in production: no query log (it would keep the SQL of thousands of bulk statements)
        PYTHONPATH=str(ROOT),
    )
    env.pop("TONGCHENG_IMPORT_BATCH_ROWS", None)
    return env


def _run(cmd: list[str], env: dict[str, str]) -> str:
    done = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True)
    if done.returncode != 0:
        sys.exit(f"{' '.join(cmd)} failed:\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}")
    return done.stdout


def _setup_django() -> None:
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()


# --- steps run in child processes (each with the bench database) --------------------------------------------


def prepare(rows: int, prefix: str, path: Path) -> None:
    """Add rows/2 organisations and write the file (Chinese headers and labels, as the export writes them)."""
    _setup_django()
    from django.utils import translation

    from tongcheng.core.imports import organisation_import_spec
    from tongcheng.core.models import AdjacentZone, Jurisdiction, Organisation, OrganisationKind

    zone = AdjacentZone.objects.get(code="pukou-nanqiao")
    pukou = Jurisdiction.objects.current().get(code="320111")
    half = rows // 2
    for start in range(0, half, 10_000):
        Organisation.objects.bulk_create(
            [
                Organisation(
                    key=f"{prefix}-old-{i:07d}",
                    name=f"机构 {i}",
                    kind="service_window",
                    jurisdiction=pukou,
                    zone=zone,
                )
                for i in range(start, min(start + 10_000, half))
            ]
        )
    with translation.override("zh-hans"):
        columns = [c.name for c in organisation_import_spec().columns]
        header = [str(c.label) for c in organisation_import_spec().columns]
        window = str(OrganisationKind.SERVICE_WINDOW.label)
        department = str(OrganisationKind.GOVERNMENT_DEPARTMENT.label)
    with path.open("w", encoding="utf-8-sig", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(header)
        for i in range(half):
            values = {
                "key": f"{prefix}-old-{i:07d}",
                "name": f"机构 {i}",
                "kind": window,
                "jurisdiction": "320111",
                "zone": zone.name,
                "description": f"第{i}行已核对",
                "version": "1",
            }
            writer.writerow([values.get(c, "") for c in columns])
        for i in range(rows - half):
            values = {
                "key": f"{prefix}-new-{i:07d}",
                "name": f"新机构 {i}",
                "name_en": f"New body {i}",
                "kind": department,
                "jurisdiction": "320111",
                "zone": zone.name,
                "established": "2024-05-01",
            }
            writer.writerow([values.get(c, "") for c in columns])


def enqueue(path: Path) -> None:
    """What the import page does with a large file: store it and queue the job."""
    _setup_django()
    from django.core.files import File

    from tongcheng.core.imports import organisation_import_spec
    from tongcheng.core.models import User
    from tongcheng.kit.jobs.imports import start_import_job

    with path.open("rb") as handle:
        job = start_import_job(
            User.objects.get(username=USER),
            organisation_import_spec,
            File(handle, name=path.name),
            kind="core.organisation_import",
            title=f"bench {path.name}",
        )
    print(job.pk)


def worker() -> None:
    """The real worker (`manage.py db_worker --batch`: it runs the queued jobs and exits), reporting the
    peak resident memory of its own process."""
    _setup_django()
    from django.core.management import call_command

    call_command("db_worker", "--batch", "--no-startup-delay", "--no-reload", "--interval", "0", verbosity=0)
    print(json.dumps({"peak_rss_mib": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)}))


def outcome(job_id: int) -> None:
    _setup_django()
    from tongcheng.core.models import AuditEntry
    from tongcheng.kit.jobs.models import Job

    job = Job.objects.get(pk=job_id)
    print(
        json.dumps(
            {
                "status": job.status,
                "progress": job.progress,
                "error": job.error,
                "log": job.log.splitlines()[-4:],
                "audit_entries": AuditEntry.objects.filter(action__startswith="organisation.").count(),
            },
            ensure_ascii=False,
        )
    )


# --- the parent ---------------------------------------------------------------------------------------------


def _import(env: dict[str, str], rows: int, prefix: str) -> dict:
    path = Path(tempfile.gettempdir()) / f"tongcheng-import-{prefix}-{os.getpid()}.csv"
    try:
        started = time.monotonic()
        _run(
            [
                PYTHON,
                __file__,
                "--step",
                "prepare",
                "--rows",
                str(rows),
                "--prefix",
                prefix,
                "--path",
                str(path),
            ],
            env,
        )
        size = path.stat().st_size
        prepared = time.monotonic() - started
        job_id = int(_run([PYTHON, __file__, "--step", "enqueue", "--path", str(path)], env).strip())
    finally:
        path.unlink(missing_ok=True)  # the job keeps its own stored copy until it ends
    load_before = os.getloadavg()
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.monotonic()
    memory = json.loads(_run([PYTHON, __file__, "--step", "worker"], env).strip().splitlines()[-1])
    wall = time.monotonic() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    load_after = os.getloadavg()
    result = json.loads(_run([PYTHON, __file__, "--step", "outcome", "--job", str(job_id)], env))
    return {
        "rows": rows,
        "file_bytes": size,
        "prepare_seconds": round(prepared, 1),
        "worker_wall_seconds": round(wall, 1),
        "worker_cpu_seconds": round(
            (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime), 1
        ),
        "rows_per_second": round(rows / wall),
        "worker_peak_rss_mib": memory["peak_rss_mib"],
        "load_average_before": [round(v, 2) for v in load_before],
        "load_average_after": [round(v, 2) for v in load_after],
        "job": result,
    }


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--small", type=int, default=10_000)
    parser.add_argument("--out", default=str(ROOT / "bench" / "results" / "import_1m.json"))
    parser.add_argument("--step", choices=["prepare", "enqueue", "worker", "outcome"])
    parser.add_argument("--prefix", default="bench")
    parser.add_argument("--path")
    parser.add_argument("--job", type=int)
    args = parser.parse_args()
    if args.step == "prepare":
        return prepare(args.rows, args.prefix, Path(args.path))
    if args.step == "enqueue":
        return enqueue(Path(args.path))
    if args.step == "worker":
        return worker()
    if args.step == "outcome":
        return outcome(args.job)

    folder = Path(tempfile.mkdtemp(prefix="tongcheng-bench-import-"))
    try:
        env = _env(folder)
        print("migrate and load the demo …", flush=True)
        _run([PYTHON, "manage.py", "migrate", "--noinput", "-v0"], env)
        _run([PYTHON, "manage.py", "load_demo"], env)
        print(f"import of {args.small:,} rows …", flush=True)
        small = _import(env, args.small, "small")
        print(json.dumps(small, ensure_ascii=False), flush=True)
        print(f"import of {args.rows:,} rows …", flush=True)
        large = _import(env, args.rows, "large")
        print(json.dumps(large, ensure_ascii=False), flush=True)
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    report = {
        "what": "Organisation import end to end: start_import_job, then `manage.py db_worker --batch` runs "
        "import_table (stream read, check pass, write pass in one transaction through the batched services)",
        "database": "sqlite (a fresh demo in a temporary folder)",
        "taken_at": dt.datetime.now().isoformat(timespec="seconds"),
        "machine": {
            "platform": platform.platform(),
            "python": platform.python_version(),
            "cpus": os.cpu_count(),
        },
        "batch_rows": 2000,
        "small": small,
        "large": large,
        "peak_rss_growth_mib": round(large["worker_peak_rss_mib"] - small["worker_peak_rss_mib"], 1),
    }
    Path(args.out).write_text(json.dumps(report, ensure_ascii=False, indent=2) + "\n")
    print(f"written {args.out}")


if __name__ == "__main__":
    main()
