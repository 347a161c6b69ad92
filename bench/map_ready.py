"""How soon the maps are ready (issue 8, point 8: "ready in under 300 ms warm").

    .venv/bin/python bench/map_ready.py [--loads 10] [--out bench/results/map_ready.json]
    make bench-map

It builds a fresh SQLite demo in a temporary folder, serves it with gunicorn under the production settings
(static files by WhiteNoise, as in production), signs in as the metropolitan-area office in Chromium
(Playwright) and opens the metro map and a zone page: once cold (the browser's cache empty, the server's
boundary document not yet built), then ``--loads`` times warm (the browser keeps what the server allowed it
to cache). For each load it records the time from the start of the navigation to the map's
``data-rendered="true"`` (the boundaries fetched, parsed and drawn by ECharts), and the bytes of the
boundary document on the wire (compressed) and unpacked. Results: bench/results/map_ready.json."""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import web  # noqa: E402 - the web benchmark's server and environment helpers

ROOT = web.ROOT
PAGES = {"metro": "/metro/", "zone": "/zones/pukou-nanqiao/"}
TARGET_MS = 300.0
CHROMIUM_ARGS = ["--no-sandbox", "--disable-dev-shm-usage"]


def measure(page, base: str, path: str) -> dict:
    geo: dict = {}

    def on_response(response):
        if "/geo.json" in response.url:
            geo["status"] = response.status
            geo["encoding"] = response.headers.get("content-encoding", "")
            geo["wire_bytes"] = int(response.headers.get("content-length") or 0)

    page.on("response", on_response)
    start = time.perf_counter()
    page.goto(base + path)
    page.wait_for_selector("[data-testid=zone-map][data-rendered=true]", timeout=30_000)
    elapsed = (time.perf_counter() - start) * 1000
    page.remove_listener("response", on_response)
    return {"ms": round(elapsed, 1), **geo}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--loads", type=int, default=10)
    parser.add_argument("--chromium", default=os.environ.get("CHROMIUM", "/usr/bin/chromium"))
    parser.add_argument("--out", default=str(ROOT / "bench" / "results" / "map_ready.json"))
    args = parser.parse_args()
    from playwright.sync_api import sync_playwright

    tmp = Path(tempfile.mkdtemp(prefix="tongcheng-bench-map-"))
    env = web.server_env(f"sqlite:///{tmp / 'demo.sqlite3'}", tmp, "tongcheng.settings.production")
    server = None
    try:
        print("migrate, load_demo, collectstatic …", flush=True)
        web.run([web.PYTHON, "manage.py", "migrate", "--noinput", "-v0"], env)
        web.run([web.PYTHON, "manage.py", "load_demo"], env)
        web.run([web.PYTHON, "manage.py", "collectstatic", "--noinput", "-v0"], env)
        server = web.Server(env, workers=2, worker_class="gthread", threads=4)
        base = f"http://{web.HOST}:{server.port}"
        results: dict[str, dict] = {}
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(
                executable_path=args.chromium, headless=True, args=CHROMIUM_ARGS
            )
            context = browser.new_context()
            page = context.new_page()
            page.goto(base + "/login/")
            page.fill("#id_username", web.USER)
            page.fill("#id_password", "tongcheng-demo-2026")
            with page.expect_navigation():
                page.locator("main form button[type=submit]").click()
            for name, path in PAGES.items():
                cold = measure(page, base, path)
                warm = [measure(page, base, path) for _ in range(args.loads)]
                times = [w["ms"] for w in warm]
                results[name] = {
                    "path": path,
                    "cold": cold,
                    "warm_ms": times,
                    "warm_median_ms": round(statistics.median(times), 1),
                    "warm_max_ms": max(times),
                    "meets_target": statistics.median(times) < TARGET_MS,
                }
                print(
                    f"{name}: cold {cold['ms']} ms, warm median {results[name]['warm_median_ms']} ms",
                    flush=True,
                )
            browser.close()
        out = {
            "benchmark": "map ready (issue 8, point 8)",
            "started": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
            "commit": web.git_commit(),
            "load_average": os.getloadavg(),
            "target_warm_ms": TARGET_MS,
            "pages": results,
        }
        Path(args.out).write_text(json.dumps(out, indent=2, ensure_ascii=False) + "\n")
        print(f"wrote {args.out}")
    finally:
        if server is not None:
            server.stop()
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
