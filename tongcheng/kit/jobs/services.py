"""Starting a job, and what the body of a job calls while it runs.

A module makes a job of a function with ``@job_task``; the function receives the ``Job`` and the parameters
given to ``start_job``::

    @job_task
    def export_receipts(job: Job, *, period: str) -> None:
        for done, chunk in enumerate(chunks):
            ...
            report_progress(job, 100 * done // len(chunks), _("Chunk %(n)d written.") % {"n": done})
        attach_result(job, "receipts.xlsx", workbook_bytes)

    job = start_job(request.user, "cooperation.export_receipts", export_receipts,
                    title=_("Receipts of %(period)s") % {"period": period}, anchor=zone, period=period)

``start_job`` records the job in the caller's transaction and enqueues the task once that commits (a job
of a rolled-back request never runs). The worker marks it running, runs the body in the language of the
user who started it, and marks it succeeded or failed; either way the starter is notified. A body refuses
with ``JobFailed(message)`` (or a ``ServiceError``): that message is what the user reads. Any other
exception is logged with its traceback for the operators and the user reads a generic message.

Progress and log lines are single UPDATE statements in autocommit, visible to the polling page at once; a
body should call them outside its own write transaction (inside it they would appear only at its commit,
and vanish with its rollback)."""

from __future__ import annotations

import functools
import json
import logging
from collections.abc import Callable
from typing import IO, Any

from django.conf import settings
from django.core.files import File
from django.db import models, transaction
from django.db.models import F, Value
from django.db.models.functions import Concat, Greatest
from django.utils import timezone, translation
from django.utils.text import get_valid_filename
from django.utils.translation import gettext as _
from django_tasks import task as make_task
from django_tasks.base import Task

from tongcheng.kit.auditing import anchors_of
from tongcheng.kit.notifications.services import notify
from tongcheng.kit.services import ForbiddenError, ServiceError

from . import files
from .models import ANCHOR_FIELDS, Job, JobStatus

__all__ = [
    "JobFailed",
    "attach_result",
    "job_task",
    "log",
    "open_input",
    "report_progress",
    "start_job",
]

logger = logging.getLogger(__name__)

MAX_LOG_LINES = 1000
MAX_LINE_CHARS = 1000


class JobFailed(Exception):
    """Raised by a job's body to stop with a message the user can read (and act on)."""

    def __init__(self, message: Any) -> None:
        super().__init__(str(message))
        self.message = message


def job_task(body: Callable[..., Any]) -> Task:
    """Make a job of a module-level function ``body(job, **params)``: a django-tasks task taking the job's
    id, which runs the body between the bookkeeping of ``run_job``. The task keeps the function's name, so
    the path the queue stores (module.function) leads back to it."""

    @functools.wraps(body)
    def run(job_id: int, **params: Any) -> str:
        return run_job(job_id, body, params)

    return make_task(run)


def _anchor_fields(anchor: models.Model | dict[str, Any] | None) -> dict[str, Any]:
    if anchor is None:
        return {}
    values = anchor if isinstance(anchor, dict) else anchors_of(anchor)
    return {name: values[name] for name in ANCHOR_FIELDS if values.get(name) is not None}


@transaction.atomic
def start_job(
    actor: Any,
    kind: str,
    task: Task,
    *,
    title: Any,
    anchor: models.Model | dict[str, Any] | None = None,
    upload: IO[bytes] | File | None = None,
    upload_name: str = "",
    **params: Any,
) -> Job:
    """Record a job started by ``actor`` and enqueue ``task`` once the caller's transaction commits.

    The caller has checked that the actor may do the work; the body runs as the actor and its services check
    again. ``anchor`` (a record, or a dict of anchor ids) lets the offices and auditors whose scope contains
    it follow the job; ``upload`` is stored for the body to read (``open_input``) and deleted when the job
    ends. ``params`` must be JSON (the queue stores them)."""
    if not getattr(actor, "is_authenticated", False) or not actor.is_active:
        raise ForbiddenError()
    json.dumps(params)  # a programming error is raised here, not after the commit in the enqueue
    job = Job(
        started_by=actor,
        kind=kind,
        title=str(title)[:200],
        language=translation.get_language() or settings.LANGUAGE_CODE,
        **_anchor_fields(anchor),
    )
    if upload is not None:
        job.input_key = files.save_file("inputs", upload)
        job.input_name = (upload_name or getattr(upload, "name", "") or "upload")[-255:]
    job.save()
    transaction.on_commit(functools.partial(_enqueue, job.pk, task, params))
    return job


def _enqueue(job_id: int, task: Task, params: dict[str, Any]) -> None:
    try:
        result = task.enqueue(job_id=job_id, **params)
    except Exception:
        logger.exception("Job %s could not be enqueued", job_id)
        _finish(
            Job.objects.get(pk=job_id),
            JobStatus.FAILED,
            _("The job could not be queued. Try again later; if it fails again, tell the administrators."),
        )
        return
    Job.objects.filter(pk=job_id, task_result_id="").update(task_result_id=str(result.id)[:64])


# --- what a job's body calls ----------------------------------------------------------------------------


def _stamp() -> str:
    return timezone.localtime().strftime("%Y-%m-%d %H:%M:%S")


def log(job: Job, line: Any) -> None:
    """Append a line (with the time) to the job's log. The log keeps its first MAX_LOG_LINES lines: a body
    that logs per row cannot grow it without bound."""
    text = " ".join(str(line).split())[:MAX_LINE_CHARS]
    if not text:
        return
    if job.log_lines == MAX_LOG_LINES - 1:
        text = _("The log is full; further lines are left out.")
    entry = f"{_stamp()} {text}\n"
    updated = Job.objects.filter(pk=job.pk, log_lines__lt=MAX_LOG_LINES).update(
        log=Concat(F("log"), Value(entry), output_field=models.TextField()), log_lines=F("log_lines") + 1
    )
    if updated:
        job.log += entry
        job.log_lines += 1


def report_progress(job: Job, percent: int, message: Any = "") -> None:
    """Move the progress bar to ``percent`` (0–100; it never moves back) and, with a message, show it beside
    the bar. The message is not logged: a body calls ``log`` for the lines worth keeping."""
    percent = max(0, min(100, int(percent)))
    changes: dict[str, Any] = {
        "progress": Greatest(F("progress"), Value(percent), output_field=models.PositiveSmallIntegerField())
    }
    text = " ".join(str(message).split())[:300]
    if text:
        changes["message"] = text
    Job.objects.filter(pk=job.pk).update(**changes)
    job.progress = max(job.progress, percent)
    if text:
        job.message = text


def attach_result(job: Job, filename: str, content: bytes | IO[bytes] | File) -> None:
    """Store the job's result file (replacing an earlier one); the starter downloads it from the job page."""
    key = files.save_file("results", content)
    size = files.job_storage().size(key)
    name = get_valid_filename(filename)[-255:] or "result"
    old = Job.objects.filter(pk=job.pk).values_list("result_key", flat=True).first()
    Job.objects.filter(pk=job.pk).update(result_key=key, result_name=name, result_size=size)
    if old:
        files.delete_file(old)
    job.result_key, job.result_name, job.result_size = key, name, size


def open_input(job: Job) -> File:
    """The upload the job was started with, opened for reading."""
    if not job.input_key:
        raise JobFailed(_("The job has no input file."))
    try:
        return files.open_file(job.input_key)
    except OSError:
        raise JobFailed(_("The uploaded file is no longer available; upload it again.")) from None


# --- the worker's side ----------------------------------------------------------------------------------


def run_job(job_id: int, body: Callable[..., Any], params: dict[str, Any]) -> str:
    """Claim the queued job (a task delivered twice runs once), run the body, record the outcome."""
    job = Job.objects.select_related("started_by").filter(pk=job_id).first()
    if job is None:
        logger.warning("Job %s no longer exists; its task is dropped", job_id)
        return "missing"
    now = timezone.now()
    if not Job.objects.filter(pk=job_id, status=JobStatus.QUEUED).update(
        status=JobStatus.RUNNING, started_at=now
    ):
        logger.warning("Job %s is %s, not queued; not run again", job_id, job.status)
        return "skipped"
    job.status, job.started_at = JobStatus.RUNNING, now
    with translation.override(job.language or settings.LANGUAGE_CODE):
        try:
            if job.started_by is None or not job.started_by.is_active:
                raise JobFailed(_("The account that started this job is no longer active."))
            log(job, _("Started."))
            body(job, **params)
        except (JobFailed, ServiceError) as exc:
            _finish(job, JobStatus.FAILED, str(exc.message))
            return "failed"
        except BaseException as exc:
            logger.exception("Job %s (%s) failed", job.pk, job.kind)
            if isinstance(exc, (KeyboardInterrupt, SystemExit)):
                message = _("The job was interrupted because its worker stopped. Start it again.")
            else:
                message = _(
                    "The job stopped because of an internal error. The administrators can find the cause "
                    "in the server log under job number %(id)d."
                ) % {"id": job.pk}
            _finish(job, JobStatus.FAILED, message)
            raise
        else:
            _finish(job, JobStatus.SUCCEEDED)
            return "succeeded"
        finally:
            _drop_input(job)


def _drop_input(job: Job) -> None:
    if job.input_key:
        try:
            files.delete_file(job.input_key)
        except OSError:
            logger.exception("Could not delete the input of job %s", job.pk)
            return
        Job.objects.filter(pk=job.pk).update(input_key="")
        job.input_key = ""


def _finish(job: Job, status: str, error: str = "") -> None:
    now = timezone.now()
    with transaction.atomic():
        changes: dict[str, Any] = {"status": status, "finished_at": now, "error": error[:2000]}
        if status == JobStatus.SUCCEEDED:
            changes["progress"] = 100
        Job.objects.filter(pk=job.pk).update(**changes)
        for name, value in changes.items():
            setattr(job, name, value)
        log(
            job,
            _("Finished.") if status == JobStatus.SUCCEEDED else _("Failed: %(error)s") % {"error": error},
        )
        if job.started_by is not None:
            title = job.title

            def headline() -> str:
                if status == JobStatus.SUCCEEDED:
                    return _("Job finished: %(title)s") % {"title": title}
                return _("Job failed: %(title)s") % {"title": title}

            notify([job.started_by], headline, job.get_absolute_url(), anchor=job.anchors())
