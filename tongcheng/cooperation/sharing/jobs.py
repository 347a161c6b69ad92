"""An import of receipts, indicators or factors run as a background job (a large file, or one whose good rows
are applied and whose rejects the user downloads): the worker reads the stored upload with the same import as
the page, the API and ``manage.py import_receipts``, as the user who started it."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext as _

from tongcheng.core.models import AdjacentZone
from tongcheng.kit.jobs.models import Job
from tongcheng.kit.jobs.services import (
    JobFailed,
    attach_result,
    job_task,
    log,
    open_input,
    report_progress,
    start_job,
)

from .imports import DATASETS, ImportOutcome, error_report, import_table

__all__ = ["import_dataset", "start_import"]


def summary(outcome: ImportOutcome) -> str:
    return _(
        "%(rows)d rows read: %(created)d created, %(updated)d updated, %(unchanged)d unchanged, %(refused)d refused."
    ) % {
        "rows": outcome.rows,
        "created": outcome.created,
        "updated": outcome.updated,
        "unchanged": outcome.unchanged,
        "refused": outcome.error_count if outcome.applied else outcome.rows,
    }


@job_task
def import_dataset(job: Job, *, zone_id: int, dataset: str, apply_good_rows: bool) -> None:
    zone = AdjacentZone.objects.get(pk=zone_id)
    checking = not apply_good_rows

    def moved(done: int, writing: bool) -> None:
        start = 50 if writing and checking else 5
        text = _("%(done)d rows written.") if writing else _("%(done)d rows checked.")
        report_progress(job, min(95, start + done // 20_000), text % {"done": done})

    report_progress(job, 2, _("Reading the file %(name)s.") % {"name": job.input_name})
    with open_input(job) as handle:
        outcome = import_table(
            job.started_by,
            zone,
            dataset,
            job.input_name,
            getattr(handle, "file", handle),
            apply_good_rows=apply_good_rows,
            progress=moved,
        )
    stem = job.input_name.rsplit(".", 1)[0] or dataset
    if outcome.rejects:
        attach_result(job, f"{stem}-rejects.csv", outcome.rejects)
    elif outcome.errors:
        attach_result(job, f"{stem}-errors.csv", error_report(outcome))
    log(job, summary(outcome))
    if not outcome.applied:
        raise JobFailed(
            _("Nothing was written: correct the rows named in the report and upload the file again.")
        )


def start_import(actor: Any, zone: AdjacentZone, dataset: str, upload: Any, *, apply_good_rows: bool) -> Job:
    """Store the upload and start ``import_dataset`` (the caller has checked that the actor may import)."""
    return start_job(
        actor,
        f"cooperation.{dataset}_import",
        import_dataset,
        title=_("Import of %(what)s into %(zone)s from %(name)s")
        % {"what": DATASETS[dataset].title, "zone": zone.name, "name": getattr(upload, "name", "")},
        anchor=zone,
        upload=upload,
        upload_name=getattr(upload, "name", ""),
        zone_id=zone.pk,
        dataset=dataset,
        apply_good_rows=apply_good_rows,
    )
