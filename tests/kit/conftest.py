"""Fixtures of the kit's tests: job files in a temporary storage, and the task backends."""

from __future__ import annotations

import signal

import pytest

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
