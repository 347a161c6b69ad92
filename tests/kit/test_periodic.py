"""Periodic work (issue 7, point 4): a due function runs once per period however many servers call
run_periodic, and the kit's own purge removes finished jobs and their files after the retention period."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.db import connection
from django.utils import timezone

from tongcheng.kit.jobs import schedule
from tongcheng.kit.jobs.files import job_storage, save_file
from tongcheng.kit.jobs.models import Job, JobStatus, PeriodicRun

RUNS: list[str] = []
HOURLY = "tests.kit.hourly"


@schedule.periodic(every=timedelta(hours=1), name=HOURLY)
def hourly() -> None:
    RUNS.append("hourly")


@pytest.fixture(autouse=True)
def fresh_runs():
    RUNS.clear()


@pytest.mark.django_db
def test_called_twice_within_the_period_runs_once():
    """Given an hourly function, when run_periodic's loop is called at 10:00, again at 10:00:05 (a second
    server, or the next cron tick), and at 10:59:45, then it ran once; at 11:00 it runs again (the claim allows
    30 s of earliness so that one-minute ticks do not push each run later)."""
    start = timezone.now().replace(microsecond=0)
    for offset, expected in ((0, 1), (5, 1), (59 * 60 + 15, 1), (60 * 60, 2)):
        schedule.run_due(now=start + timedelta(seconds=offset), only={HOURLY})
        assert len(RUNS) == expected, offset
    row = PeriodicRun.objects.get(name=HOURLY)
    assert row.last_ok is True and row.last_finished_at is not None


@pytest.mark.django_db(transaction=True)
def test_concurrent_claims_let_exactly_one_caller_run():
    """Given eight servers calling the claim of one due function at the same instant (threads with their own
    database connections, released together), then exactly one of them wins it."""
    if connection.vendor == "sqlite" and connection.settings_dict["NAME"].startswith("file:memorydb"):
        pytest.skip("the in-memory SQLite test database is shared by threads without real concurrency")
    now = timezone.now()
    barrier = threading.Barrier(8)
    won: list[bool] = []
    lock = threading.Lock()

    def server() -> None:
        from django.db import connections

        try:
            barrier.wait()
            result = schedule.claim("tests.kit.concurrent", timedelta(minutes=5), now)
            with lock:
                won.append(result)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=server) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    print("claims:", won)
    assert sorted(won) == [False] * 7 + [True]


@pytest.mark.django_db
def test_a_failing_function_is_recorded_and_the_command_fails(monkeypatch):
    """Given a due function that raises, then run_periodic records the failure, runs the others and exits with
    an error (cron and systemd report it)."""

    def broken() -> None:
        raise RuntimeError("disk full")

    monkeypatch.setitem(
        schedule._REGISTRY,
        "tests.kit.broken",
        schedule.Periodic("tests.kit.broken", timedelta(hours=1), broken),
    )
    from django.core.management.base import CommandError

    with pytest.raises(CommandError, match="tests.kit.broken"):
        call_command("run_periodic", only=["tests.kit.broken", HOURLY])
    assert RUNS == ["hourly"]
    row = PeriodicRun.objects.get(name="tests.kit.broken")
    assert row.last_ok is False and "disk full" in row.last_error


@pytest.mark.django_db
def test_purge_removes_old_finished_jobs_and_their_files(demo_user, settings):
    """Given a job finished 31 days ago with a result file, one finished yesterday and one still running
    since long ago, when run_periodic runs the daily purge, then only the old finished job and its file are
    gone; a second call the same day does nothing."""
    user = demo_user("office_pn")
    now = timezone.now()
    old_key = save_file("results", b"old")
    old = Job.objects.create(
        started_by=user,
        kind="t",
        title="old",
        status=JobStatus.SUCCEEDED,
        result_key=old_key,
        result_name="a.csv",
        finished_at=now - timedelta(days=31),
    )
    recent_key = save_file("results", b"recent")
    recent = Job.objects.create(
        started_by=user,
        kind="t",
        title="recent",
        status=JobStatus.FAILED,
        result_key=recent_key,
        finished_at=now - timedelta(days=1),
    )
    running = Job.objects.create(
        started_by=user,
        kind="t",
        title="running",
        status=JobStatus.RUNNING,
        created_at=now - timedelta(days=60),
    )
    name = "tongcheng.kit.jobs.periodic.purge_finished_jobs"
    call_command("run_periodic", only=[name])
    assert not Job.objects.filter(pk=old.pk).exists() and not job_storage().exists(old_key)
    assert Job.objects.filter(pk__in=[recent.pk, running.pk]).count() == 2 and job_storage().exists(
        recent_key
    )
    first_run = PeriodicRun.objects.get(name=name).last_started_at

    call_command("run_periodic", only=[name])
    assert PeriodicRun.objects.get(name=name).last_started_at == first_run


def test_registry_lists_the_purge():
    """The kit's purge is discovered from its app's periodic module, as every app's periodic functions are."""
    schedule.discover()
    item = schedule.registry()["tongcheng.kit.jobs.periodic.purge_finished_jobs"]
    assert item.every == timedelta(days=1)
