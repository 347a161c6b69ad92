"""Fixtures for the kit's tests: service calls at the same moment on several threads (each with its own
connection and real transaction, as gunicorn workers do), job files in a temporary storage, the task
backends, and raw SQL against the append-only ledger table, on SQLite and PostgreSQL."""

from __future__ import annotations

import signal
import sqlite3
import threading
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
from django.contrib.contenttypes.models import ContentType
from django.db import connection, connections, transaction

from tongcheng.kit.append_only import drop_triggers_sql, triggers_sql
from tongcheng.kit.ledger.models import LedgerEntry


class Threads:
    """``threads.one(fn)`` runs fn on a fresh thread and connection and returns its result (or raises its
    exception); ``threads.at_once([f, g])`` starts every call at the same moment (a barrier) and returns,
    in order, each one's result or the exception it raised."""

    def one(self, call: Callable[[], Any]) -> Any:
        result = self.at_once([call])[0]
        if isinstance(result, BaseException):
            raise result
        return result

    def at_once(self, calls: list[Callable[[], Any]]) -> list[Any]:
        start = threading.Barrier(len(calls))

        def run(call: Callable[[], Any]) -> Any:
            try:
                start.wait()
                return call()
            except Exception as exc:
                return exc
            finally:
                connections.close_all()

        with ThreadPoolExecutor(max_workers=len(calls)) as pool:
            return list(pool.map(run, calls))


@pytest.fixture
def threads(transactional_db, request) -> Iterator[Threads]:
    """Real commits by several connections. The test's own connection holds no open transaction
    (transactional_db), so on PostgreSQL the threads write the test database itself and the flush after the
    test removes what they committed. SQLite's in-memory test database cannot take writers on several
    connections (its shared cache answers "table is locked" at once instead of waiting), so there the
    threads get a file copy of it, opened as production opens its database: WAL, busy timeout, IMMEDIATE
    transactions. Do every query of such a test through ``threads`` so it reads what the threads wrote.

    With the ``demo`` mark the demo is loaded first (an earlier transactional test may have flushed it)."""
    ContentType.objects.clear_cache()  # a flush re-creates the content types under other ids
    if request.node.get_closest_marker("demo"):
        from tongcheng.core.demo import load_demo

        load_demo()
    connection = connections["default"]
    original = None
    if connection.vendor == "sqlite" and connection.is_in_memory_db():
        connection.ensure_connection()
        path = request.getfixturevalue("tmp_path") / "threads.sqlite3"
        copy = sqlite3.connect(path)
        connection.connection.backup(copy)
        copy.close()
        original = connections.settings["default"]
        # A new dict for the threads' connections; this thread's keeps the in-memory one.
        connections.settings["default"] = {**original, "NAME": str(path)}
    try:
        yield Threads()
    finally:
        if original is not None:
            connections.settings["default"] = original
        ContentType.objects.clear_cache()


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "demo: the threads fixture loads the demo before the test")


IMMEDIATE = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
DATABASE = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["default"]}}


@pytest.fixture(autouse=True)
def job_storage(settings, tmp_path):
    """Uploads and results of jobs go to a fresh directory, never to the working tree's media/."""
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


@pytest.fixture
def immediate_tasks(settings):
    """Tasks run at once, in the enqueueing thread (django-tasks' ImmediateBackend)."""
    settings.TASKS = IMMEDIATE


@pytest.fixture
def database_tasks(settings):
    """The real queue: django-tasks-db's DatabaseBackend, as in development and production."""
    settings.TASKS = DATABASE


@pytest.fixture
def run_worker():
    """run_worker() -> runs `manage.py db_worker --batch`: the real worker processes the queue and exits. Its
    signal handlers are put back afterwards, so that Ctrl-C still stops pytest."""
    from django.core.management import call_command

    def run() -> None:
        saved = {sig: signal.getsignal(sig) for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGQUIT)}
        try:
            call_command(
                "db_worker", "--batch", "--no-startup-delay", "--no-reload", "--interval", "0", verbosity=0
            )
        finally:
            for sig, handler in saved.items():
                signal.signal(sig, handler)

    return run


TABLE = LedgerEntry._meta.db_table


def raw(sql: str, params: list | None = None) -> None:
    """Run one statement in a savepoint, so that a refused statement leaves the test's transaction usable."""
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(sql, params)


@pytest.fixture
def triggers_dropped():
    """Drop the ledger table's append-only triggers with the migration operation's own SQL; re-create them
    afterwards (the test then checks they are back), as someone with DDL rights could."""

    def drop() -> None:
        with connection.cursor() as cursor:
            for statement in drop_triggers_sql(connection, TABLE):
                cursor.execute(statement)

    def restore() -> None:
        with connection.cursor() as cursor:
            for statement in triggers_sql(connection, TABLE):
                cursor.execute(statement)

    drop()
    yield restore
    restore()
