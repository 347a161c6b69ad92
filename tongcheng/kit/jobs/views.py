"""Job pages: the list, the job with its progress bar (refreshed by htmx polling the status fragment while
the job runs: no inline script, so the strict CSP holds) and the download of its result.

The result is served only here (and by the API), after ``visible_to``: a job the user may not see, or one
without a result, is a 404 like a missing one."""

from __future__ import annotations

import mimetypes

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import render

from . import files
from .models import Job

PAGE_SIZE = 25


def visible_job(user, pk: int) -> Job:
    job = Job.objects.visible_to(user).select_related("started_by").filter(pk=pk).first()
    if job is None:
        raise Http404
    return job


@login_required
def job_list(request: HttpRequest) -> HttpResponse:
    qs = Job.objects.visible_to(request.user).select_related("started_by")
    page = Paginator(qs, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "kit/jobs/list.html", {"page": page})


@login_required
def job_detail(request: HttpRequest, pk: int) -> HttpResponse:
    return render(request, "kit/jobs/detail.html", {"job": visible_job(request.user, pk)})


@login_required
def job_status(request: HttpRequest, pk: int) -> HttpResponse:
    """The part of the job page that changes while it runs; htmx swaps it in every two seconds and stops
    once the fragment it receives no longer asks to be polled (the job has finished)."""
    response = render(request, "kit/jobs/_status.html", {"job": visible_job(request.user, pk)})
    response["Cache-Control"] = "no-store"
    return response


def result_response(job: Job) -> FileResponse:
    if not job.result_key:
        raise Http404
    try:
        handle = files.open_file(job.result_key)
    except OSError as exc:
        raise Http404 from exc
    content_type = mimetypes.guess_type(job.result_name)[0] or "application/octet-stream"
    response = FileResponse(handle, as_attachment=True, filename=job.result_name, content_type=content_type)
    response["Cache-Control"] = "private, no-store"
    response["X-Content-Type-Options"] = "nosniff"
    return response


@login_required
def job_result(request: HttpRequest, pk: int) -> FileResponse:
    return result_response(visible_job(request.user, pk))
