"""Development launcher (`make run`): the web server, a background-job worker beside it, and the periodic
functions every minute; Ctrl-C (or the server's end) stops them all.

    python tools/run_dev.py [--host 127.0.0.1] [--port 8000]

Each child runs in its own process group, so that stopping it also stops what it started itself (Django's
autoreloader runs the server in a child process). Production runs each piece as its own service instead:
see README "Background jobs"."""

from __future__ import annotations

import argparse
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
MANAGE = [sys.executable, str(ROOT / "manage.py")]
PERIOD_SECONDS = 60
STOP_GRACE_SECONDS = 10


def start(args: list[str]) -> subprocess.Popen:
    return subprocess.Popen([*MANAGE, *args], cwd=ROOT, start_new_session=True)


def stop(process: subprocess.Popen, name: str) -> None:
    """SIGTERM to the child's process group (the worker finishes its current task), then SIGKILL if it has
    not ended within the grace period."""
    if process.poll() is not None:
        return
    try:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=STOP_GRACE_SECONDS)
    except subprocess.TimeoutExpired:
        print(f"run_dev: {name} did not stop within {STOP_GRACE_SECONDS} s; killing it", file=sys.stderr)
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()
    except ProcessLookupError:
        pass


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", default="8000")
    options = parser.parse_args()

    server = start(["runserver", f"{options.host}:{options.port}"])
    worker = start(["db_worker", "--interval", "1"])
    periodic: subprocess.Popen | None = None
    next_tick = time.monotonic()

    def terminate(signum: int, _frame: object) -> None:
        raise KeyboardInterrupt

    # SIGINT explicitly too: a launcher started in the background of a script inherits an ignored SIGINT.
    signal.signal(signal.SIGINT, terminate)
    signal.signal(signal.SIGTERM, terminate)
    code = 0
    try:
        while True:
            if server.poll() is not None:
                code = server.returncode or 0
                break
            if worker.poll() is not None:
                print("run_dev: the job worker stopped; starting it again", file=sys.stderr)
                worker = start(["db_worker", "--interval", "1"])
            if time.monotonic() >= next_tick and (periodic is None or periodic.poll() is not None):
                periodic = start(["run_periodic"])
                next_tick = time.monotonic() + PERIOD_SECONDS
            time.sleep(1)
    except KeyboardInterrupt:
        pass
    finally:
        for process, name in ((periodic, "run_periodic"), (worker, "the job worker"), (server, "the server")):
            if process is not None:
                stop(process, name)
    return code


if __name__ == "__main__":
    sys.exit(main())
