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
from typing import IO, Any

from django.utils.module_loading import import_string
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from tongcheng.kit.importing import (
    ImportResult,
    ImportSpec,
    TableError,
    TableRows,
    import_summary,
    run_import,
)
from tongcheng.kit.textsafety import csv_row

from .models import Job
from .services import JobFailed, attach_result, job_task, log, open_input, report_progress, start_job

__all__ = ["error_report", "import_file", "import_table", "start_import_job"]


def error_report(result: ImportResult) -> bytes:
    """The refused rows as CSV (UTF-8 with a byte-order mark, so that Excel opens Chinese text correctly);
    cells that a spreadsheet would run as a formula are quoted (textsafety)."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(csv_row([_("Row"), _("Column"), _("Error")]))
    for error in result.errors:
        writer.writerow(csv_row([error.row, error.heading, error.message]))
    if result.errors_left_out:
        writer.writerow(
            csv_row(["", "", _("%(count)d further errors are left out.") % {"count": result.errors_left_out}])
        )
    return ("\ufeff" + out.getvalue()).encode("utf-8")


class _Position:
    """How far into the stored upload the reader is, as a share of its size: the progress bar of a file
    whose rows are not counted in advance (counting them would mean reading it once more)."""

    def __init__(self, handle: Any) -> None:
        self.handle = handle
        try:
            handle.seek(0, io.SEEK_END)
            self.size = max(handle.tell(), 1)
            handle.seek(0)
        except (OSError, AttributeError, ValueError):
            self.size = 0

    def share(self) -> float:
        if not self.size:
            return 0.0
        try:
            return min(self.handle.tell() / self.size, 1.0)
        except (OSError, ValueError):
            return 0.0


def import_file(
    job: Job, make_spec: Callable[[], ImportSpec], handle: IO[bytes], *, apply_good_rows: bool
) -> ImportResult:
    """Check and write the rows of the job's upload (already open as ``handle``), reading it as a stream
    (twice unless the good rows are applied: the whole file is checked before anything is written),
    moving the job's progress bar and writing the refused rows to its report. The whole of what an import
    job does, apart from opening the file (the benchmark runs it on a file of its own)."""
    position = _Position(handle)
    checking = not apply_good_rows

    def moved(done: int, writing: bool) -> None:
        # Checking takes the bar from 5 to 50, writing from 50 to 95 (from 5 when it is the only pass).
        start, span = (50, 45) if writing and checking else (5, 45 if checking else 90)
        message = (_("%(done)d rows written.") if writing else _("%(done)d rows checked.")) % {"done": done}
        report_progress(job, start + int(span * position.share()), message)

    rows = TableRows(job.input_name, handle)
    try:
        result = run_import(
            job.started_by, make_spec(), rows, apply_good_rows=apply_good_rows, progress=moved
        )
    except TableError as exc:
        raise JobFailed(exc.message) from None
    log(job, ngettext("%(count)d row read.", "%(count)d rows read.", result.rows) % {"count": result.rows})
    if result.errors:
        stem = job.input_name.rsplit(".", 1)[0] or "import"
        attach_result(job, f"{stem}-errors.csv", error_report(result))
        log(
            job,
            ngettext(
                "%(count)d error; the report names its row and column.",
                "%(count)d errors; the report names the row and column of each.",
                result.error_count,
            )
            % {"count": result.error_count},
        )
    return result


@job_task
def import_table(job: Job, *, spec: str, apply_good_rows: bool) -> None:
    # ``spec`` is the dotted path of a function returning the ImportSpec; only start_import_job enqueues it.
    make_spec: Callable[[], ImportSpec] = import_string(spec)
    report_progress(job, 2, _("Reading the file %(name)s.") % {"name": job.input_name})
    with open_input(job) as handle:
        result = import_file(job, make_spec, getattr(handle, "file", handle), apply_good_rows=apply_good_rows)
    if not result.applied:
        raise JobFailed(
            _("Nothing was written: correct the rows named in the report and upload the file again.")
            if result.errors
            else _("Nothing was written.")
        )
    log(job, import_summary(result))


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
