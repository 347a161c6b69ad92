"""Cost per request under gunicorn: the bare endpoint and every main list, in the same run (issue 7, point 11).

    .venv/bin/python bench/web.py [--db sqlite postgres] [--runs 3] [--seconds 4] [--out bench/results/web.json]
    make bench-web

For each database it builds a fresh demo (SQLite: a file in a temporary folder; PostgreSQL: the database of
``--pg-url``, dropped and created again), adds rows through the services so that every list has at least
20 (zones, and the audit entries those writes leave), serves it with gunicorn under the production settings
on 127.0.0.1 and a free port, signs in as a demo user and measures, in the same run (three runs; each run
visits the endpoints round robin in short slices, so that the load of a shared machine weighs on all alike):

- the bare endpoint ``/healthz`` without a session (the reference of the ratios), and with the session;
- the API lists (20 rows, with the user's API token, as API clients call them);
- the list pages (with the session cookie; a page shows ``TONGCHENG_LIST_PAGE_SIZE`` = 25 rows).

The load generator is this script: ``--connections`` threads, each with one keep-alive ``http.client``
connection (a sync worker closes it after each answer and the thread connects again), sending requests
back to back for ``--seconds`` per endpoint and run, after a warm-up. For each endpoint it records
requests per second, p50/p90/p99 latency, the ratio of the throughput to the bare endpoint's, and the CPU
time per request of the gunicorn workers and of the database server (PostgreSQL backends), read from
/proc: on a machine shared with other work, CPU per request is the steadier figure. Traffic goes to
127.0.0.1 only.

Targets (issue 7): every list at least 40% of the bare endpoint's throughput, p99 under 50 ms at 16
connections. Figures and what limits them: docs/kit/performance.md.
"""

from __future__ import annotations

import argparse
import datetime as dt
import http.client
import json
import os
import platform
import re
import secrets
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
PYTHON = sys.executable
HOST = "127.0.0.1"
USER = "office_metro"  # the metropolitan-area office: sees every list whole, with the widest scope
TARGET_RATIO = 0.40
TARGET_P99_MS = 50.0
EXTRA_ZONES = 15  # the demo has 5 zones; 15 more make a list of 20
EXTRA_ZONE_EDITS = 10
SLICE_WARMUP = 0.2  # seconds before each later slice: the connections reopen  # audited writes, so the audit log has more than a page of entries


@dataclass(frozen=True)
class Endpoint:
    name: str
    path: str
    auth: str  # "none", "session" or "token"
    kind: str  # "bare", "api" or "page"
    # "Cache-Control: no-cache" (a browser's reload): the list is built, not answered from the list cache.
    fresh: bool = False

    def headers(self, auth_headers: dict[str, dict[str, str]]) -> dict[str, str]:
        headers = dict(auth_headers[self.auth])
        if self.fresh:
            headers["Cache-Control"] = "no-cache"
        return headers


_LISTS = (
    ("api_zones", "/api/v1/zones?limit=20", "token", "api"),
    ("api_organisations", "/api/v1/organisations?limit=20", "token", "api"),
    ("api_jurisdictions", "/api/v1/jurisdictions?limit=20", "token", "api"),
    ("api_people", "/api/v1/people?limit=20", "token", "api"),
    ("page_zones", "/zones/", "session", "page"),
    ("page_organisations", "/organisations/", "session", "page"),
    ("page_jurisdictions", "/jurisdictions/", "session", "page"),
    ("page_people", "/people/", "session", "page"),
    ("page_audit", "/audit/", "session", "page"),
    # The cooperation module (issue 10): its API lists and list pages, on the demo's records.
    ("api_coop_parks", "/api/v1/cooperation/parks?limit=20", "token", "api"),
    ("api_coop_enterprises", "/api/v1/cooperation/enterprises?limit=20", "token", "api"),
    ("api_coop_projects", "/api/v1/cooperation/projects?limit=20", "token", "api"),
    ("api_coop_agreements", "/api/v1/cooperation/agreements?limit=20", "token", "api"),
    ("api_coop_receipts", "/api/v1/cooperation/receipts?limit=20", "token", "api"),
    ("api_coop_settlements", "/api/v1/cooperation/settlements?limit=20", "token", "api"),
    ("page_coop_parks", "/cooperation/parks/", "session", "page"),
    ("page_coop_enterprises", "/cooperation/enterprises/", "session", "page"),
    ("page_coop_projects", "/cooperation/projects/", "session", "page"),
    ("page_coop_agreements", "/cooperation/agreements/", "session", "page"),
    ("page_coop_receipts", "/cooperation/receipts/", "session", "page"),
    ("page_coop_settlements", "/cooperation/settlements/", "session", "page"),
)
# Each list twice: as asked again with nothing changed (answered from the list cache, kit/pagecache.py),
# and built afresh (``_built``: what the first request after a change costs).
ENDPOINTS = (
    Endpoint("healthz", "/healthz", "none", "bare"),
    Endpoint("healthz_signed_in", "/healthz", "session", "bare"),
    *(Endpoint(name, path, auth, kind) for name, path, auth, kind in _LISTS),
    *(Endpoint(f"{name}_built", path, auth, kind, fresh=True) for name, path, auth, kind in _LISTS),
)
BARE = "healthz"


# --- the demo database -------------------------------------------------------------------------------------


def prepare_inside_django() -> None:
    """Run in a child process with the benchmark's environment: add the rows through the services and print
    the demo user's name and password as JSON."""
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from tongcheng.core.demo import DEMO_PASSWORD
    from tongcheng.core.models import AdjacentZone, Jurisdiction, MetroArea, User, ZoneKind
    from tongcheng.core.services import zones

    actor = User.objects.get(username=USER)
    metro = MetroArea.objects.get()
    territory = list(metro.members.values_list("jurisdiction__path", flat=True))
    counties = [
        j
        for j in Jurisdiction.objects.current().filter(level="county").order_by("code")
        if any(j.path.startswith(p) for p in territory)
    ]
    jiangsu = [j for j in counties if j.code.startswith("32")]
    anhui = [j for j in counties if j.code.startswith("34")]
    start = dt.date(2024, 1, 1)
    for i in range(EXTRA_ZONES):
        a, b = jiangsu[i % len(jiangsu)], anhui[(i * 7) % len(anhui)]
        zones.create_zone(
            actor=actor,
            metro=metro,
            code=f"bench-{i:02d}",
            name=f"基准测试合作区 {i:02d}",
            name_en=f"Benchmark zone {i:02d}",
            kind=ZoneKind.COOPERATION_PARK,
            established=start,
            members=[zones.MemberSpec(code=a.code), zones.MemberSpec(code=b.code)],
        )
    zone = AdjacentZone.objects.get(code="bench-00")
    for i in range(EXTRA_ZONE_EDITS):
        zone.refresh_from_db()
        zones.update_zone(
            actor=actor,
            zone=zone,
            changes={"description": f"Benchmark edit {i}"},
            expected_version=zone.version,
        )
    print(json.dumps({"username": USER, "password": DEMO_PASSWORD}))


def run(cmd: list[str], env: dict[str, str]) -> str:
    done = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True)
    if done.returncode != 0:
        sys.stderr.write(done.stdout + done.stderr)
        raise SystemExit(f"failed: {' '.join(cmd)}")
    return done.stdout


def recreate_postgres(url: str) -> None:
    import psycopg

    parts = urllib.parse.urlsplit(url)
    name = parts.path.lstrip("/")
    if not re.fullmatch(r"[a-z_][a-z0-9_]*", name):
        raise SystemExit(f"unexpected database name {name!r}")
    admin = urllib.parse.urlunsplit(parts._replace(path="/postgres"))
    with psycopg.connect(admin, autocommit=True) as connection:
        connection.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
        connection.execute(f"CREATE DATABASE {name}")


def drop_postgres(url: str) -> None:
    import psycopg

    parts = urllib.parse.urlsplit(url)
    admin = urllib.parse.urlunsplit(parts._replace(path="/postgres"))
    with psycopg.connect(admin, autocommit=True) as connection:
        connection.execute(f"DROP DATABASE IF EXISTS {parts.path.lstrip('/')} WITH (FORCE)")


def server_env(database_url: str, tmp: Path, settings_module: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "DATABASE_", "REDIS_"))}
    env.update(
        DJANGO_SETTINGS_MODULE=settings_module,
        SECRET_KEY=secrets.token_urlsafe(64),
        DATABASE_URL=database_url,
        # Plain HTTP on the loopback: no redirect to HTTPS (a TLS proxy does that in production).
        SECURE_SSL_REDIRECT="0",
        STATIC_ROOT=str(tmp / "static"),
        MEDIA_ROOT=str(tmp / "media"),
        ALLOWED_HOSTS=HOST,
        LOG_LEVEL="WARNING",
        # A variant settings module for an experiment may live outside the project (PYTHONPATH).
        PYTHONPATH=os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH", "")])),
    )
    return env


# --- gunicorn ---------------------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as s:
        s.bind((HOST, 0))
        return s.getsockname()[1]


class Server:
    def __init__(self, env: dict[str, str], workers: int, worker_class: str, threads: int) -> None:
        self.port = free_port()
        cmd = [
            PYTHON,
            "-m",
            "gunicorn",
            "tongcheng.wsgi:application",
            f"--bind={HOST}:{self.port}",
            f"--workers={workers}",
            f"--worker-class={worker_class}",
            "--log-level=warning",
            "--backlog=2048",
        ]
        if worker_class == "gthread":
            cmd.append(f"--threads={threads}")
        self.process = subprocess.Popen(cmd, cwd=ROOT, env=env)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                status, _h, _b = request(self.port, "GET", "/healthz")
                if status == 200:
                    return
            except OSError:
                pass
            if self.process.poll() is not None:
                raise SystemExit("gunicorn exited at start")
            time.sleep(0.2)
        self.stop()
        raise SystemExit("gunicorn did not answer /healthz within 60 s")

    def worker_pids(self) -> list[int]:
        pids = [self.process.pid]
        for entry in Path("/proc").iterdir():
            if entry.name.isdigit():
                try:
                    fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
                except OSError:
                    continue
                if int(fields[1]) == self.process.pid:
                    pids.append(int(entry.name))
        return pids

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


def cpu_snapshot(pids: list[int]) -> dict[int, float]:
    """User + system CPU seconds of each of these processes that is still alive (from /proc)."""
    ticks = os.sysconf("SC_CLK_TCK")
    snapshot = {}
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        snapshot[pid] = (int(fields[11]) + int(fields[12])) / ticks
    return snapshot


def cpu_between(before: dict[int, float], after: dict[int, float]) -> float:
    """CPU used between two snapshots: a process born in between counts whole, one gone is lost (database
    connections are opened and closed while the load runs)."""
    return sum(cpu - before.get(pid, 0.0) for pid, cpu in after.items())


def postgres_backends(database: str) -> list[int]:
    """PostgreSQL server processes serving this database (their command line names it)."""
    pids = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                cmdline = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
            except OSError:
                continue
            if cmdline.startswith("postgres: ") and f" {database} " in cmdline:
                pids.append(int(entry.name))
    return pids


# --- HTTP -------------------------------------------------------------------------------------------------


def request(
    port: int, method: str, path: str, headers: dict[str, str] | None = None, body: str | None = None
) -> tuple[int, http.client.HTTPMessage, bytes]:
    connection = http.client.HTTPConnection(HOST, port, timeout=30)
    try:
        connection.request(method, path, body=body, headers=headers or {})
        response = connection.getresponse()
        return response.status, response.headers, response.read()
    finally:
        connection.close()


def cookies_of(headers: http.client.HTTPMessage) -> dict[str, str]:
    jar = {}
    for value in headers.get_all("Set-Cookie") or []:
        name, _eq, rest = value.partition("=")
        jar[name.strip()] = rest.split(";", 1)[0]
    return jar


def cookie_header(jar: dict[str, str]) -> str:
    return "; ".join(f"{k}={v}" for k, v in jar.items())


def sign_in(port: int, username: str, password: str) -> tuple[str, str]:
    """Sign in through the login form like a browser; then create an API token. Returns (Cookie header,
    Authorization header)."""
    status, headers, body = request(port, "GET", "/login/")
    assert status == 200, f"/login/ answered {status}"
    jar = cookies_of(headers)
    token = re.search(rb'name="csrfmiddlewaretoken" value="([^"]+)"', body)
    assert token, "no CSRF token on the login page"
    form = urllib.parse.urlencode(
        {"username": username, "password": password, "csrfmiddlewaretoken": token.group(1).decode()}
    )
    status, headers, _body = request(
        port,
        "POST",
        "/login/",
        {"Cookie": cookie_header(jar), "Content-Type": "application/x-www-form-urlencoded"},
        form,
    )
    assert status == 302, f"sign-in answered {status}"
    jar.update(cookies_of(headers))
    session_cookie = cookie_header(jar)
    status, _headers, body = request(
        port,
        "POST",
        "/api/v1/me/tokens",
        {
            "Cookie": session_cookie,
            "X-CSRFToken": jar.get("csrftoken", ""),
            "Content-Type": "application/json",
        },
        json.dumps({"name": "bench", "expires_in_days": 1}),
    )
    assert status == 201, f"token creation answered {status}: {body[:200]!r}"
    return session_cookie, f"Bearer {json.loads(body)['key']}"


def rows_shown(endpoint: Endpoint, body: bytes) -> int:
    if endpoint.kind == "api":
        return len(json.loads(body)["items"])
    if endpoint.kind == "page":
        return len(re.findall(rb"<tr[\s>]", body.split(b"<tbody", 1)[-1]))
    return 0


@dataclass
class Measurement:
    requests: int
    errors: int
    seconds: float
    latencies_ms: list[float]
    client_cpu_s: float
    server_cpu_s: float
    database_cpu_s: float

    def __add__(self, other: Measurement) -> Measurement:
        return Measurement(
            requests=self.requests + other.requests,
            errors=self.errors + other.errors,
            seconds=self.seconds + other.seconds,
            latencies_ms=self.latencies_ms + other.latencies_ms,
            client_cpu_s=self.client_cpu_s + other.client_cpu_s,
            server_cpu_s=self.server_cpu_s + other.server_cpu_s,
            database_cpu_s=self.database_cpu_s + other.database_cpu_s,
        )

    def summary(self) -> dict[str, Any]:
        lat = sorted(self.latencies_ms)

        def pct(p: float) -> float:
            return round(lat[min(len(lat) - 1, int(p * len(lat)))], 2) if lat else float("nan")

        n = max(self.requests, 1)
        return {
            "requests": self.requests,
            "errors": self.errors,
            "req_per_s": round(self.requests / self.seconds, 1),
            "p50_ms": pct(0.50),
            "p90_ms": pct(0.90),
            "p99_ms": pct(0.99),
            "server_cpu_ms_per_request": round(self.server_cpu_s * 1000 / n, 3),
            "database_cpu_ms_per_request": round(self.database_cpu_s * 1000 / n, 3),
            "client_cpu_ms_per_request": round(self.client_cpu_s * 1000 / n, 3),
        }


def hammer(
    port: int,
    path: str,
    headers: dict[str, str],
    connections: int,
    seconds: float,
    warmup: float,
    server_pids: Callable[[], list[int]],
    database_pids: Callable[[], list[int]],
) -> Measurement:
    """``connections`` threads send requests back to back; requests started during the warm-up are not
    counted. CPU is read around the measured window only."""
    barrier = threading.Barrier(connections + 1)
    window: dict[str, float] = {}
    per_thread: list[tuple[list[float], int]] = [([], 0)] * connections

    def worker(index: int) -> None:
        connection = http.client.HTTPConnection(HOST, port, timeout=30)
        latencies: list[float] = []
        errors = 0
        barrier.wait()
        start, end = window["start"], window["end"]
        while True:
            t0 = time.perf_counter()
            if t0 >= end:
                break
            try:
                connection.request("GET", path, headers=headers)
                response = connection.getresponse()
                response.read()
                status = response.status
                if response.will_close:
                    connection.close()
            except (OSError, http.client.HTTPException):
                connection.close()
                status = 0
            t1 = time.perf_counter()
            if t0 >= start:
                latencies.append((t1 - t0) * 1000)
                errors += status != 200
        connection.close()
        per_thread[index] = (latencies, errors)

    threads = [threading.Thread(target=worker, args=(i,), daemon=True) for i in range(connections)]
    for thread in threads:
        thread.start()
    now = time.perf_counter()
    window["start"] = now + warmup
    window["end"] = now + warmup + seconds
    barrier.wait()
    time.sleep(max(0.0, window["start"] - time.perf_counter()))
    cpu0 = (time.process_time(), cpu_snapshot(server_pids()), cpu_snapshot(database_pids()))
    time.sleep(max(0.0, window["end"] - time.perf_counter()))
    cpu1 = (time.process_time(), cpu_snapshot(server_pids()), cpu_snapshot(database_pids()))
    for thread in threads:
        thread.join()
    latencies = [x for lat, _e in per_thread for x in lat]
    return Measurement(
        requests=len(latencies),
        errors=sum(e for _l, e in per_thread),
        seconds=seconds,
        latencies_ms=latencies,
        client_cpu_s=cpu1[0] - cpu0[0],
        server_cpu_s=cpu_between(cpu0[1], cpu1[1]),
        database_cpu_s=cpu_between(cpu0[2], cpu1[2]),
    )


# --- one database -----------------------------------------------------------------------------------------


def bench_database(kind: str, args: argparse.Namespace) -> dict[str, Any]:
    tmp = Path(tempfile.mkdtemp(prefix=f"tongcheng-bench-{kind}-"))
    database_url = f"sqlite:///{tmp / 'demo.sqlite3'}" if kind == "sqlite" else args.pg_url
    env = server_env(database_url, tmp, args.settings)
    server = None
    try:
        if kind == "postgres":
            recreate_postgres(args.pg_url)
        print(f"[{kind}] migrate, load_demo, collectstatic, extra rows …", flush=True)
        run([PYTHON, "manage.py", "migrate", "--noinput", "-v0"], env)
        run([PYTHON, "manage.py", "load_demo"], env)
        run([PYTHON, "manage.py", "collectstatic", "--noinput", "-v0"], env)
        account = json.loads(
            run([PYTHON, str(Path(__file__).resolve()), "--prepare"], env).strip().splitlines()[-1]
        )
        server = Server(env, args.workers, args.worker_class, args.threads)
        session_cookie, authorization = sign_in(server.port, account["username"], account["password"])
        auth_headers = {
            "none": {},
            "session": {"Cookie": session_cookie},
            "token": {"Authorization": authorization},
        }
        database = urllib.parse.urlsplit(args.pg_url).path.lstrip("/") if kind == "postgres" else None

        rows: dict[str, int] = {}
        for endpoint in ENDPOINTS:
            status, _headers, body = request(
                server.port, "GET", endpoint.path, endpoint.headers(auth_headers)
            )
            if status != 200:
                raise SystemExit(f"{endpoint.path} answered {status} before the benchmark")
            rows[endpoint.name] = rows_shown(endpoint, body)

        runs = []
        for number in range(1, args.runs + 1):
            # Each run visits every endpoint in several short slices, round robin, so that a change in the
            # machine's load during the run weighs on all endpoints alike and the ratios stay fair.
            measured: dict[str, Measurement] = {}
            for slice_number in range(args.slices):
                for endpoint in ENDPOINTS:
                    part = hammer(
                        server.port,
                        endpoint.path,
                        endpoint.headers(auth_headers),
                        args.connections,
                        args.seconds / args.slices,
                        args.warmup if number == 1 and slice_number == 0 else SLICE_WARMUP,
                        server.worker_pids,
                        (lambda: postgres_backends(database)) if database else list,
                    )
                    measured[endpoint.name] = (
                        measured[endpoint.name] + part if endpoint.name in measured else part
                    )
            results: dict[str, Any] = {name: m.summary() for name, m in measured.items()}
            bare = results[BARE]
            for summary in results.values():
                summary["ratio_to_bare"] = round(summary["req_per_s"] / bare["req_per_s"], 3)
                summary["cpu_ratio_to_bare"] = round(
                    (bare["server_cpu_ms_per_request"] + bare["database_cpu_ms_per_request"])
                    / max(
                        1e-9, summary["server_cpu_ms_per_request"] + summary["database_cpu_ms_per_request"]
                    ),
                    3,
                )
            runs.append({"run": number, "load_average": os.getloadavg(), "endpoints": results})
            print_run(kind, number, results)
        return {"database": kind, "rows": rows, "runs": runs, "summary": summarise(runs)}
    finally:
        if server is not None:
            server.stop()
        if kind == "postgres" and not args.keep:
            drop_postgres(args.pg_url)
        shutil.rmtree(tmp, ignore_errors=True)


def summarise(runs: list[dict[str, Any]]) -> dict[str, Any]:
    """Median over the runs of each figure, and whether the targets are met in every run."""
    out: dict[str, Any] = {}
    for endpoint in ENDPOINTS:
        per_run = [r["endpoints"][endpoint.name] for r in runs]
        keys = (
            "req_per_s",
            "p50_ms",
            "p99_ms",
            "ratio_to_bare",
            "cpu_ratio_to_bare",
            "server_cpu_ms_per_request",
        )
        entry: dict[str, Any] = {k: round(statistics.median(p[k] for p in per_run), 3) for k in keys}
        if endpoint.kind != "bare":
            entry["meets_ratio"] = all(p["ratio_to_bare"] >= TARGET_RATIO for p in per_run)
            entry["meets_p99"] = all(p["p99_ms"] < TARGET_P99_MS for p in per_run)
        out[endpoint.name] = entry
    return out


def print_run(kind: str, number: int, results: dict[str, Any]) -> None:
    print(f"[{kind}] run {number} (load average {os.getloadavg()[0]:.1f})")
    print(
        f"  {'endpoint':22s} {'req/s':>8s} {'p50':>7s} {'p99':>7s} {'ratio':>6s} {'cpu ms':>7s} {'cpu ratio':>9s}"
    )
    for name, s in results.items():
        print(
            f"  {name:22s} {s['req_per_s']:8.1f} {s['p50_ms']:7.1f} {s['p99_ms']:7.1f} {s['ratio_to_bare']:6.2f}"
            f" {s['server_cpu_ms_per_request'] + s['database_cpu_ms_per_request']:7.2f} {s['cpu_ratio_to_bare']:9.2f}"
            + (f"  errors {s['errors']}" if s["errors"] else "")
        )


def git_commit() -> str:
    try:
        return subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True, check=True
        ).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return ""


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--db", nargs="+", choices=("sqlite", "postgres"), default=["sqlite", "postgres"])
    parser.add_argument(
        "--pg-url", default=os.environ.get("BENCH_PG_URL", "postgres://postgres@127.0.0.1:5432/bench_web")
    )
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--seconds", type=float, default=4.0, help="measured seconds per endpoint and run")
    parser.add_argument("--warmup", type=float, default=1.0, help="seconds before the first slice of a run")
    parser.add_argument("--slices", type=int, default=4, help="round-robin slices per run")
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--workers", type=int, default=2)
    # gthread: keep-alive connections, and a worker's threads overlap their database waits; measured
    # against sync in docs/kit/performance.md.
    parser.add_argument("--worker-class", choices=("sync", "gthread"), default="gthread")
    parser.add_argument("--threads", type=int, default=8, help="threads per gthread worker")
    parser.add_argument("--keep", action="store_true", help="keep the PostgreSQL database afterwards")
    parser.add_argument(
        "--settings", default="tongcheng.settings.production", help="Django settings of the served site"
    )
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "results" / "web.json")
    parser.add_argument("--prepare", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.prepare:
        prepare_inside_django()
        return

    started = dt.datetime.now(dt.UTC)
    databases = [bench_database(kind, args) for kind in args.db]
    import django
    import gunicorn

    report = {
        "benchmark": "web cost per request (issue 7, point 11)",
        "started": started.isoformat(timespec="seconds"),
        "commit": git_commit(),
        "machine": {
            "cpus": os.cpu_count(),
            "python": platform.python_version(),
            "django": django.get_version(),
            "gunicorn": gunicorn.__version__,
            "platform": platform.platform(),
        },
        "settings": {
            "django_settings": f"{args.settings} (SECURE_SSL_REDIRECT off)",
            "user": USER,
            "workers": args.workers,
            "worker_class": args.worker_class,
            "threads": args.threads if args.worker_class == "gthread" else 1,
            "connections": args.connections,
            "seconds_per_endpoint": args.seconds,
            "warmup_seconds": args.warmup,
            "slices_per_run": args.slices,
            "runs": args.runs,
            "bare_endpoint": BARE,
            "targets": {"ratio_to_bare": TARGET_RATIO, "p99_ms": TARGET_P99_MS},
        },
        "endpoints": [
            {"name": e.name, "path": e.path, "auth": e.auth, "kind": e.kind, "built_afresh": e.fresh}
            for e in ENDPOINTS
        ],
        "results": databases,
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(report, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
