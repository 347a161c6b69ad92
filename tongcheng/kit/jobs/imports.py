"""An import of an edited export, run as a background job when the file is large.

The page reads the upload (so that a file that is no table is refused at once), and when it has more than
``TONGCHENG_IMPORT_INLINE_MAX_ROWS`` rows hands it to ``start_import_job``: the upload is stored, the job
reads it again in the worker and applies it through the same ``ImportSpec`` and services as the page would,
as the user who started it. Rows refused are written to a report (row, column, error) that the user
downloads from the job page. Nothing is written when any row is refused, unless the user chose to apply
the good rows, exactly as on the page."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from typing import Any

from django.utils.module_loading import import_string
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from tongcheng.kit.importing import ImportResult, ImportSpec, TableError, read_table, run_import
from tongcheng.kit.textsafety import csv_row

from .models import Job
from .services import JobFailed, attach_result, job_task, log, open_input, report_progress, start_job

__all__ = ["error_report", "import_table", "start_import_job"]


def error_report(result: ImportResult) -> bytes:
    """The refused rows as CSV (UTF-8 with a byte-order mark, so that Excel opens Chinese text correctly);
    cells that a spreadsheet would run as a formula are quoted (textsafety)."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(csv_row([_("Row"), _("Column"), _("Error")]))
    for error in result.errors:
        writer.writerow(csv_row([error.row, error.column, error.message]))
    return ("\ufeff" + out.getvalue()).encode("utf-8")


@job_task
def import_table(job: Job, *, spec: str, apply_good_rows: bool) -> None:
    # ``spec`` is the dotted path of a function returning the ImportSpec; only start_import_job enqueues it.
    make_spec: Callable[[], ImportSpec] = import_string(spec)
    report_progress(job, 2, _("Reading the file %(name)s.") % {"name": job.input_name})
    with open_input(job) as handle:
        try:
            rows = list(read_table(job.input_name, getattr(handle, "file", handle)))
        except TableError as exc:
            raise JobFailed(exc.message) from None
    read = ngettext("%(count)d row read.", "%(count)d rows read.", len(rows)) % {"count": len(rows)}
    report_progress(job, 10, read)
    log(job, read)

    def checked(done: int, total: int) -> None:
        report_progress(
            job,
            10 + 70 * done // total,
            _("%(done)d of %(total)d rows checked.") % {"done": done, "total": total},
        )

    result = run_import(job.started_by, make_spec(), rows, apply_good_rows=apply_good_rows, progress=checked)
    if result.errors:
        stem = job.input_name.rsplit(".", 1)[0] or "import"
        attach_result(job, f"{stem}-errors.csv", error_report(result))
        log(
            job,
            ngettext(
                "%(count)d error; the report names its row and column.",
                "%(count)d errors; the report names the row and column of each.",
                len(result.errors),
            )
            % {"count": len(result.errors)},
        )
    if not result.applied:
        raise JobFailed(
            _("Nothing was written: correct the rows named in the report and upload the file again.")
            if result.errors
            else _("Nothing was written.")
        )
    log(
        job,
        _("%(updated)d updated, %(unchanged)d unchanged.")
        % {"updated": result.updated, "unchanged": result.unchanged},
    )


def start_import_job(
    actor: Any,
    make_spec: Callable[[], ImportSpec],
    upload: Any,
    *,
    kind: str,
    title: Any,
    apply_good_rows: bool = False,
    anchor: Any = None,
) -> Job:
    """Store the upload and start ``import_table`` on it with the spec that ``make_spec`` (a module-level
    function) returns."""
    path = f"{make_spec.__module__}.{make_spec.__qualname__}"
    if import_string(path) is not make_spec:
        raise ValueError(f"{path} must be a module-level function: the worker finds the spec by its path")
    return start_job(
        actor,
        kind,
        import_table,
        title=title,
        anchor=anchor,
        upload=upload,
        upload_name=getattr(upload, "name", ""),
        spec=path,
        apply_good_rows=apply_good_rows,
    )
