"""Jobs in the API: ``GET /api/v1/jobs``, ``GET /api/v1/jobs/{id}`` and its result file, and the answer an
endpoint gives when it hands its work to a job::

    @router.post("/receipts/import", response={202: JobAcceptedOut, **ERRORS})
    def import_receipts(request, file: UploadedFile = File(...)):
        job = start_job(request.auth, "cooperation.import_receipts", import_receipts_job, title=..., upload=file)
        return job_accepted(request, job)

The client then polls the job's URL (``Location``) until ``status`` is ``succeeded`` or ``failed``."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.urls import reverse
from ninja import Field, Router, Schema
from ninja.pagination import paginate

from tongcheng.kit.schemas import ErrorOut

from .models import Job
from .views import result_response, visible_job

__all__ = ["JobAcceptedOut", "JobOut", "job_accepted", "router"]

router = Router(tags=["jobs"])
ERRORS = {401: ErrorOut, 403: ErrorOut, 404: ErrorOut}


class JobOut(Schema):
    id: int
    kind: str
    title: str
    status: str = Field(..., description="queued, running, succeeded or failed")
    progress: int = Field(..., description="0–100")
    message: str = Field(..., description="The latest progress message")
    error: str = Field(..., description="Why the job failed, in words for the user (empty otherwise)")
    log: str
    created_at: dt.datetime
    started_at: dt.datetime | None
    finished_at: dt.datetime | None
    result_name: str = Field(..., description="File name of the result, empty while there is none")
    result_url: str | None = Field(None, description="Download of the result file, once there is one")
    page_url: str = Field(..., description="The job's page in the application")

    @staticmethod
    def resolve_result_url(job: Job) -> str | None:
        return reverse("api:get_job_result", kwargs={"job_id": job.pk}) if job.result_key else None

    @staticmethod
    def resolve_page_url(job: Job) -> str:
        return job.get_absolute_url()


class JobAcceptedOut(Schema):
    job: int = Field(..., description="The job's number")
    url: str = Field(..., description="Poll this URL (also in the Location header) for the job's status")
    page_url: str = Field(..., description="The job's page in the application")


def caller(request: HttpRequest) -> Any:
    """The authenticated caller Ninja put on the request (session or token)."""
    return getattr(request, "auth", None)


def job_url(job: Job) -> str:
    return reverse("api:get_job", kwargs={"job_id": job.pk})


def job_accepted(request: HttpRequest, job: Job) -> HttpResponse:
    """202 Accepted for work handed to ``job``: ``Location`` is the job's API URL, the body names it too."""
    url = job_url(job)
    body = {"job": job.pk, "url": url, "page_url": job.get_absolute_url()}
    response = JsonResponse(body, status=202, json_dumps_params={"ensure_ascii": False})
    response["Location"] = request.build_absolute_uri(url)
    return response


@router.get("", response=list[JobOut], summary="List jobs")
@paginate
def list_jobs(request: HttpRequest):
    """The caller's jobs, and those anchored in the zones the caller oversees (office, auditor); newest first."""
    return Job.objects.visible_to(caller(request))


@router.get("/{job_id}", response={200: JobOut, **ERRORS}, summary="A job's status")
def get_job(request: HttpRequest, job_id: int):
    return visible_job(caller(request), job_id)


@router.get(
    "/{job_id}/result",
    response={200: None, **ERRORS},
    summary="Download a job's result file",
    openapi_extra={
        "responses": {200: {"description": "The file", "content": {"application/octet-stream": {}}}}
    },
)
def get_job_result(request: HttpRequest, job_id: int):
    return result_response(visible_job(caller(request), job_id))
