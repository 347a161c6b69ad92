"""Background jobs (issue 7, point 4): a job's progress, log and result as its starter sees them; who else
may see it; a failure the user can read; the API's 202; and the large organisation import run as a job by
the real database queue and worker."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Callable

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.test import RequestFactory

from tongcheng.core.models import AdjacentZone, Jurisdiction, Organisation
from tongcheng.kit.jobs.api import job_accepted
from tongcheng.kit.jobs.models import Job, JobStatus
from tongcheng.kit.jobs.services import JobFailed, attach_result, job_task, log, report_progress, start_job
from tongcheng.kit.notifications.models import Notification

# What the job bodies below saw while they ran (the tests reset them).
OBSERVED: list[int] = []
DURING: list[Callable[[Job], None]] = []
REPORT = b"\xef\xbb\xbfrow,value\n2,\xe5\x90\x8c\xe5\x9f\x8e\n"


@job_task
def stepping_job(job: Job, *, steps: int) -> None:
    for step in range(1, steps + 1):
        report_progress(job, 100 * step // (steps + 1), f"step {step} of {steps}")
        log(job, f"step {step} of {steps}")
        OBSERVED.append(Job.objects.get(pk=job.pk).progress)
        for hook in DURING:
            hook(job)
    log(job, "all steps done")
    attach_result(job, "report.csv", REPORT)


@job_task
def failing_job(job: Job, *, readable: bool) -> None:
    report_progress(job, 40, "half way")
    if readable:
        raise JobFailed("The period 2026-13 does not exist; choose a month from 01 to 12.")
    raise RuntimeError("internal detail: connection to 10.0.0.7 refused")


@pytest.fixture(autouse=True)
def fresh_observations():
    OBSERVED.clear()
    DURING.clear()
    yield
    DURING.clear()


def _start(user, task=stepping_job, anchor=None, **params):
    return start_job(user, "test.stepping", task, title="月度报表", anchor=anchor, **params)


@pytest.mark.django_db
def test_job_progress_log_and_result(
    immediate_tasks, demo_user, client_for, django_capture_on_commit_callbacks
):
    """Given office_pn, when it starts a job of three steps (run by the immediate backend once the start
    commits), then the job was queued at 0%, its progress read back from the database rose 25 → 50 → 75 while
    it ran (the polled status fragment showing it and asking to be polled again), and it ended at 100% with
    its timed log lines; the starter downloads the result through the job's view, the finished fragment stops
    the polling, and the starter is notified."""
    client = client_for("office_pn")
    fragments: list[str] = []
    DURING.append(lambda job: fragments.append(client.get(f"/jobs/{job.pk}/status/").content.decode()))

    with django_capture_on_commit_callbacks(execute=True):
        job = _start(demo_user("office_pn"), steps=3)
        assert Job.objects.get(pk=job.pk).progress == 0
        assert Job.objects.get(pk=job.pk).status == JobStatus.QUEUED

    job.refresh_from_db()
    print("progress observed:", [0, *OBSERVED, job.progress])
    assert OBSERVED == [25, 50, 75]
    assert job.status == JobStatus.SUCCEEDED and job.progress == 100
    assert job.started_at and job.finished_at and job.started_at <= job.finished_at
    assert job.task_result_id
    lines = job.log.splitlines()
    assert all(re.match(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d ", line) for line in lines), lines
    assert [line[20:] for line in lines][1:5] == [
        "step 1 of 3",
        "step 2 of 3",
        "step 3 of 3",
        "all steps done",
    ]

    assert len(fragments) == 3
    assert 'value="50"' in fragments[1] and 'hx-trigger="every 2s"' in fragments[1]

    page = client.get(f"/jobs/{job.pk}/")
    assert page.status_code == 200
    html = page.content.decode()
    assert 'value="100"' in html and "step 3 of 3" in html and f"/jobs/{job.pk}/result/" in html
    assert "hx-get" not in client.get(f"/jobs/{job.pk}/status/").content.decode()

    download = client.get(f"/jobs/{job.pk}/result/")
    assert download.status_code == 200
    assert b"".join(download.streaming_content) == REPORT
    assert download["Content-Disposition"] == 'attachment; filename="report.csv"'
    assert "no-store" in download["Cache-Control"]

    note = Notification.objects.get(recipient=demo_user("office_pn"))
    assert note.link == f"/jobs/{job.pk}/" and "月度报表" in note.title
    assert job.pk in [j.pk for j in Job.objects.visible_to(demo_user("office_pn"))]


@pytest.mark.django_db
def test_another_user_gets_404_for_the_job_and_its_file(
    immediate_tasks, demo_user, client_for, django_capture_on_commit_callbacks
):
    """Given a finished job of office_pn with a result and no anchor, when office_jb (another zone's office)
    asks for its page, status, result file or API record, then each is a 404 exactly like a job that does
    not exist, and the list does not name it; an anonymous visitor is sent to sign in (the API: 401)."""
    with django_capture_on_commit_callbacks(execute=True):
        job = _start(demo_user("office_pn"), steps=1)
    job.refresh_from_db()
    assert job.has_result
    missing = Job.objects.order_by("-pk").first().pk + 1000

    other = client_for("office_jb")
    for suffix in ("", "status/", "result/"):
        assert other.get(f"/jobs/{job.pk}/{suffix}").status_code == 404
        assert other.get(f"/jobs/{missing}/{suffix}").status_code == 404
    refused, absent = other.get(f"/api/v1/jobs/{job.pk}"), other.get(f"/api/v1/jobs/{missing}")
    assert refused.status_code == absent.status_code == 404
    assert refused.json() == absent.json()
    assert other.get(f"/api/v1/jobs/{job.pk}/result").status_code == 404
    listing = other.get("/jobs/")
    assert listing.status_code == 200 and "月度报表" not in listing.content.decode()

    anonymous = client_for(None)
    for suffix in ("", "status/", "result/"):
        response = anonymous.get(f"/jobs/{job.pk}/{suffix}")
        assert response.status_code == 302 and response["Location"].startswith("/login/")
    assert anonymous.get("/jobs/").status_code == 302
    assert anonymous.get(f"/api/v1/jobs/{job.pk}").status_code == 401

    owner = client_for("office_pn")
    assert owner.get("/jobs/").status_code == 200 and "月度报表" in owner.get("/jobs/").content.decode()
    assert owner.get(f"/api/v1/jobs/{job.pk}/result").status_code == 200


@pytest.mark.django_db
def test_job_anchored_in_a_zone_is_seen_by_its_office_and_auditor_only(
    immediate_tasks, demo_user, client_for, django_capture_on_commit_callbacks
):
    """Given a job started by office_metro and anchored on the 浦口—南谯 zone, then the zone's auditor and
    office read it and download its result, and the 江宁—博望 auditor and a 浦口 officer get 404."""
    zone = AdjacentZone.objects.get(code="pukou-nanqiao")
    with django_capture_on_commit_callbacks(execute=True):
        job = _start(demo_user("office_metro"), anchor=zone, steps=1)
    assert Job.objects.get(pk=job.pk).zone_id == zone.pk
    for username, status in (
        ("auditor_pn", 200),
        ("office_pn", 200),
        ("office_metro", 200),
        ("auditor_jb", 404),
        ("officer_pukou", 404),
    ):
        client = client_for(username)
        assert client.get(f"/jobs/{job.pk}/").status_code == status, username
        assert client.get(f"/jobs/{job.pk}/result/").status_code == status, username


@pytest.mark.django_db
def test_a_failed_job_shows_a_readable_message(
    immediate_tasks, demo_user, client_for, django_capture_on_commit_callbacks, caplog
):
    """Given two jobs that fail, one with JobFailed and one with an unexpected error, then the first shows its
    own message, the second a general one with the job's number and nothing of the exception (which goes to
    the server log); both are failed, keep the progress they reached, and their starter is told."""
    user = demo_user("office_pn")
    with django_capture_on_commit_callbacks(execute=True):
        readable = _start(user, failing_job, readable=True)
        internal = _start(user, failing_job, readable=False)
    readable.refresh_from_db()
    internal.refresh_from_db()
    client = client_for("office_pn")

    assert readable.status == JobStatus.FAILED and readable.progress == 40
    html = client.get(f"/jobs/{readable.pk}/").content.decode()
    assert "The period 2026-13 does not exist; choose a month from 01 to 12." in html
    assert 'data-testid="job-error"' in html

    assert internal.status == JobStatus.FAILED and internal.finished_at
    html = client.get(f"/jobs/{internal.pk}/").content.decode()
    assert "10.0.0.7" not in html and "RuntimeError" not in html and "Traceback" not in html
    assert str(internal.pk) in internal.error and "10.0.0.7" not in internal.error
    assert client.get(f"/api/v1/jobs/{internal.pk}").json()["error"] == internal.error
    assert "10.0.0.7" in caplog.text  # the operators still have the cause

    titles = sorted(Notification.objects.filter(recipient=user).values_list("title", flat=True))
    assert len(titles) == 2 and all("月度报表" in t for t in titles)


@pytest.mark.django_db
def test_a_job_started_in_a_rolled_back_transaction_never_runs(
    immediate_tasks, demo_user, django_capture_on_commit_callbacks
):
    """Given a service that starts a job and then fails, when its transaction rolls back, then neither the job
    nor its input file exists and the task never ran."""
    before = Job.objects.count()
    with django_capture_on_commit_callbacks(execute=True), pytest.raises(RuntimeError), transaction.atomic():
        _start(demo_user("office_pn"), upload=io.BytesIO(b"key\n"), upload_name="x.csv", steps=1)
        raise RuntimeError("the service failed after starting the job")
    assert Job.objects.count() == before
    assert OBSERVED == []


@pytest.mark.django_db
def test_api_job_status_and_the_202_helper(
    demo_user, client_for, database_tasks, django_capture_on_commit_callbacks
):
    """Given a job queued on the database backend (no worker has run), when its starter asks the API, then it
    is queued at 0% and listed; an offset too large for the database is a 422 on that field; and
    ``job_accepted`` answers 202 with the job's API URL in Location and in the body."""
    user = demo_user("office_pn")
    with django_capture_on_commit_callbacks(execute=True):
        job = _start(user, steps=1)
    body = client_for("office_pn").get(f"/api/v1/jobs/{job.pk}").json()
    assert body["status"] == "queued" and body["progress"] == 0 and body["result_url"] is None
    assert body["page_url"] == f"/jobs/{job.pk}/"
    from django_tasks_db.models import DBTaskResult

    assert DBTaskResult.objects.filter(id=Job.objects.get(pk=job.pk).task_result_id, status="READY").exists()

    listing = client_for("office_pn").get("/api/v1/jobs")
    assert listing.status_code == 200 and [item["id"] for item in listing.json()["items"]] == [job.pk]
    # An offset past what SQLite can hold is a located 422, not a 500.
    too_far = client_for("office_pn").get("/api/v1/jobs?offset=9223372036854775808")
    assert too_far.status_code == 422 and too_far.json()["field"] == "offset"

    request = RequestFactory().post("/api/v1/something")
    response = job_accepted(request, job)
    assert response.status_code == 202
    assert response["Location"] == f"http://testserver/api/v1/jobs/{job.pk}"
    import json

    assert json.loads(response.content) == {
        "job": job.pk,
        "url": f"/api/v1/jobs/{job.pk}",
        "page_url": f"/jobs/{job.pk}/",
    }


# --- the organisation import as a job, through the real queue and worker --------------------------------


def _csv(rows: list[dict[str, str]]) -> bytes:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=list(rows[0]))
    writer.writeheader()
    writer.writerows(rows)
    return ("\ufeff" + out.getvalue()).encode()


@pytest.mark.django_db(transaction=True)
def test_large_organisation_import_runs_as_a_job_through_the_database_worker(
    settings, database_tasks, run_worker, client_for
):
    """Given 30 organisations and TONGCHENG_IMPORT_INLINE_MAX_ROWS = 20, when office_metro uploads their
    edited export (one row with an unknown kind, "apply the good rows" ticked), then the page redirects to a
    queued job and nothing is written yet; after one run of `manage.py db_worker --batch`, the 29 good rows
    are updated through the service (a version step and an audit entry each), the job succeeded and its
    report names the bad row and column, which the starter downloads; the upload is gone from storage. A file
    of 5 rows is still imported within the request."""
    from tongcheng.core.demo import load_demo
    from tongcheng.core.models import AuditEntry

    load_demo(with_users=True)
    settings.TONGCHENG_IMPORT_INLINE_MAX_ROWS = 20
    zone = AdjacentZone.objects.get(code="pukou-nanqiao")
    pukou = Jurisdiction.objects.current().get(code="320111")
    Organisation.objects.bulk_create(
        [
            Organisation(
                key=f"job-{i:03d}", name=f"机构 {i}", kind="service_window", jurisdiction=pukou, zone=zone
            )
            for i in range(30)
        ]
    )
    client = client_for("office_metro")
    from tongcheng.kit.testing import read_csv_export

    rows = read_csv_export(client.get("/organisations/?q=job-&export=csv"))
    assert len(rows) == 30
    for row in rows:
        row["name"] += "（新）"
    rows[7]["kind"] = "castle"

    response = client.post(
        "/organisations/import/",
        {"file": SimpleUploadedFile("机构.csv", _csv(rows), "text/csv"), "apply_good_rows": "on"},
    )
    assert response.status_code == 302
    job = Job.objects.get()
    assert response["Location"] == f"/jobs/{job.pk}/"
    assert job.status == JobStatus.QUEUED and job.input_key and job.task_result_id
    assert Organisation.objects.filter(name__endswith="（新）").count() == 0
    input_key = job.input_key
    from tongcheng.kit.jobs.files import job_storage

    assert job_storage().exists(input_key)

    run_worker()

    job.refresh_from_db()
    print("job log:\n" + job.log)
    assert job.status == JobStatus.SUCCEEDED, job.error
    assert job.progress == 100
    assert (
        Organisation.objects.filter(key__startswith="job-", name__endswith="（新）", version=2).count() == 29
    )
    assert (
        AuditEntry.objects.filter(action="organisation.update", actor__username="office_metro").count() == 29
    )
    assert "29" in job.log
    assert not job_storage().exists(input_key) and job.input_key == ""

    report = client.get(f"/jobs/{job.pk}/result/")
    assert report.status_code == 200
    text = b"".join(report.streaming_content).decode("utf-8-sig")
    header, *refused = list(csv.reader(io.StringIO(text)))
    assert header == ["行", "列", "错误"]
    assert [row[:2] for row in refused] == [["9", "kind"]]  # the column as the file's header names it
    assert "castle" in refused[0][2] and "服务窗口" in refused[0][2]  # the value and the kinds it may be
    from django_tasks_db.models import DBTaskResult

    assert DBTaskResult.objects.get(id=job.task_result_id).status == "SUCCESSFUL"
    assert (
        Notification.objects.filter(recipient__username="office_metro", link=f"/jobs/{job.pk}/").count() == 1
    )

    few = read_csv_export(client.get("/organisations/?q=job-&export=csv"))[:5]
    for row in few:
        row["name"] += "（再）"
    small = client.post(
        "/organisations/import/", {"file": SimpleUploadedFile("o.csv", _csv(few), "text/csv")}
    )
    assert small.status_code == 200
    assert Organisation.objects.filter(key__startswith="job-", name__endswith="（再）").count() == 5
    assert Job.objects.count() == 1
