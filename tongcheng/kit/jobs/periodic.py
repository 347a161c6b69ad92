"""The kit's own periodic work: finished jobs are kept TONGCHENG_JOBS_KEEP_DAYS days, then removed with
their files (and, with the database backend, the finished task results of the queue)."""

from __future__ import annotations

import logging
from datetime import timedelta

from django.apps import apps
from django.conf import settings
from django.core.management import call_command
from django.utils import timezone

from . import files
from .models import FINISHED, Job
from .schedule import periodic

logger = logging.getLogger(__name__)


@periodic(every=timedelta(days=1))
def purge_finished_jobs() -> int:
    """Delete the jobs finished before the retention period, their result and input files first (a file that
    cannot be deleted keeps its job, so that the next run tries again). Returns the number of jobs deleted."""
    days = settings.TONGCHENG_JOBS_KEEP_DAYS
    cutoff = timezone.now() - timedelta(days=days)
    deleted: list[int] = []
    old = Job.objects.filter(status__in=FINISHED, finished_at__lt=cutoff).values_list(
        "pk", "result_key", "input_key"
    )
    for pk, result_key, input_key in old.iterator():
        try:
            files.delete_file(result_key)
            files.delete_file(input_key)
        except OSError:
            logger.exception("Could not delete the files of job %s; it is kept until the next purge", pk)
            continue
        deleted.append(pk)
    for start in range(0, len(deleted), 500):
        Job.objects.filter(pk__in=deleted[start : start + 500]).delete()
    if apps.is_installed("django_tasks_db") and "django_tasks_db" in settings.TASKS["default"]["BACKEND"]:
        call_command("prune_db_task_results", queue_name="*", min_age_days=days, verbosity=0)
    return len(deleted)
