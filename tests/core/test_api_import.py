"""The organisation import through the API (issue 7, point 4): ``POST /api/v1/organisations/import`` always
hands the file to a background job and answers 202 with the job's URL; the job writes what the import page
would. Who may post, and how large a body may be, is decided before anything of the body is read; a browser
session's CSRF token is checked after that, and a file that is no table is refused at once with nothing
stored."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.middleware.csrf import _get_new_csrf_string
from django.test import Client

from tongcheng.core.models import AuditEntry, Organisation, User
from tongcheng.core.services import accounts
from tongcheng.kit.jobs.models import Job, JobStatus
from tongcheng.kit.testing import read_csv_export

# One zone and its roles are enough (tests/conftest.py).
pytestmark = [pytest.mark.django_db, pytest.mark.small_demo]

URL = "/api/v1/organisations/import"
SMALL_LIMIT = 100_000  # bytes: "too large" then needs no large body


class _ExplodingBody:
    """A request body that fails the test as soon as anything reads it."""

    def read(self, *args, **kwargs):
        raise AssertionError("the request body was read")

    readline = read


@pytest.fixture
def jobs(settings, tmp_path) -> Path:
    """Jobs run at once when the request that starts them commits (django-tasks' ImmediateBackend, as in
    tests/kit), and their files go to a fresh directory, which the fixture returns."""
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


def _token_client(username: str) -> Client:
    """A program's client: no session, the user's API token on every request."""
    _token, key = accounts.create_api_token(actor=User.objects.get(username=username), name="import")
    return Client(headers={"Authorization": f"Bearer {key}"})


def _session_client(username: str) -> tuple[Client, str]:
    """A browser's client with CSRF checks on, holding the CSRF cookie; returns it and the token to send."""
    client = Client(enforce_csrf_checks=True)
    client.force_login(User.objects.get(username=username))
    secret = _get_new_csrf_string()
    client.cookies[settings.CSRF_COOKIE_NAME] = secret
    return client, secret


def _csv(rows: list[dict[str, str]]) -> bytes:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=list(rows[0]))
    writer.writeheader()
    writer.writerows(rows)
    return ("\ufeff" + out.getvalue()).encode()


def _export(client_for, username: str = "office_metro") -> list[dict[str, str]]:
    """The user's CSV export of the organisations, by column name."""
    return read_csv_export(client_for(username).get("/organisations/?export=csv"))


def _edited(client_for) -> tuple[list[dict[str, str]], bytes]:
    """The export with the first organisation renamed and a new window added (key, no version)."""
    rows = _export(client_for)
    rows[0]["name"] += "（接口）"
    new = dict.fromkeys(rows[0], "")
    new.update(key="api-new-window", name="浦口接口窗口", kind="service_window", jurisdiction="320111")
    rows.append(new)
    return rows, _csv(rows)


def _upload(content: bytes, name: str = "organisations.csv") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content, "text/csv")


def _snapshot() -> tuple[dict[str, tuple[int, str]], int]:
    """The organisations (version and name by key) and the audit log's last entry."""
    organisations = Organisation.objects.values_list("key", "version", "name")
    last_entry = AuditEntry.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
    return {key: (version, name) for key, version, name in organisations}, last_entry


def _nothing_written(before: tuple[dict[str, tuple[int, str]], int]) -> None:
    assert _snapshot() == before
    assert not Job.objects.exists()


def _post_unread(client: Client, length: int):
    """A multipart post declaring ``length`` bytes whose body fails the test if anything reads it."""
    return client.generic(
        "POST",
        URL,
        b"",
        CONTENT_TYPE="multipart/form-data; boundary=xyz",
        CONTENT_LENGTH=str(length),
        **{"wsgi.input": _ExplodingBody()},
    )


def _error(response, status: int, code: str, field: str | None) -> dict:
    assert response.status_code == status, response.content.decode()[:2000]
    body = response.json()
    assert (body["code"], body.get("field")) == (code, field), body
    return body


# --- accepted: a job that imports as the page does -------------------------------------------------------


def test_an_upload_is_accepted_as_a_job_that_writes_what_the_page_would(
    client_for, jobs, django_capture_on_commit_callbacks
):
    """Given office_metro with an API token and its export with one name changed and one new window, when it
    posts the file, then the answer is 202 with the job's URL in Location and in the body, the job is queued
    and nothing is written yet; when the job runs, the organisation is updated (one version step, an audit
    entry by office_metro) and the window created, as the import page would, the job has succeeded and the
    API reports it so."""
    rows, content = _edited(client_for)
    renamed = Organisation.objects.get(key=rows[0]["key"])
    client = _token_client("office_metro")

    with django_capture_on_commit_callbacks() as queued:
        response = client.post(URL, {"file": _upload(content)})
        assert response.status_code == 202, response.content.decode()
        job = Job.objects.get()
        assert response["Location"] == f"http://testserver/api/v1/jobs/{job.pk}"
        assert response.json() == {
            "job": job.pk,
            "url": f"/api/v1/jobs/{job.pk}",
            "page_url": f"/jobs/{job.pk}/",
        }
        assert (job.status, job.kind, job.started_by.username) == (
            JobStatus.QUEUED,
            "core.organisation_import",
            "office_metro",
        )
        assert job.input_name == "organisations.csv" and job.input_key
        assert not Organisation.objects.filter(key="api-new-window").exists()
    for callback in queued:
        callback()  # the commit: the task is enqueued and, on the immediate backend, runs

    status = client.get(f"/api/v1/jobs/{job.pk}").json()
    assert status["status"] == "succeeded", status
    assert status["progress"] == 100 and status["result_url"] is None  # no refused rows, no report
    updated = Organisation.objects.get(pk=renamed.pk)
    assert (updated.name, updated.version) == (rows[0]["name"], renamed.version + 1)
    assert AuditEntry.objects.get(action="organisation.update", object_id=str(renamed.pk)).actor.username == (
        "office_metro"
    )
    created = Organisation.objects.get(key="api-new-window")
    assert (created.name, created.kind, created.jurisdiction.code) == (
        "浦口接口窗口",
        "service_window",
        "320111",
    )
    assert AuditEntry.objects.filter(action="organisation.create", object_id=str(created.pk)).exists()


def test_a_refused_row_fails_the_job_with_its_row_and_column_and_writes_nothing(
    client_for, jobs, django_capture_on_commit_callbacks
):
    """Given office_pn's token and the export with every name changed and an unknown kind in the third data
    row (row 4), when it posts the file, then it is accepted (202); the job fails with "nothing was written",
    no organisation changed, and its result, downloaded from the API, names row 4 and the column kind."""
    rows = _export(client_for, "office_pn")
    for row in rows:
        row["name"] += "（改）"
    rows[2]["kind"] = "castle"
    client = _token_client("office_pn")
    before = _snapshot()

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(URL, {"file": _upload(_csv(rows))})
    assert response.status_code == 202

    status = client.get(response["Location"]).json()
    assert status["status"] == "failed"
    assert "correct the rows named in the report" in status["error"] or "报告" in status["error"]
    assert _snapshot()[0] == before[0]
    assert not AuditEntry.objects.filter(pk__gt=before[1], action__startswith="organisation.").exists()
    report = client.get(status["result_url"])
    assert report.status_code == 200
    lines = list(csv.reader(io.StringIO(b"".join(report.streaming_content).decode("utf-8-sig"))))
    assert len(lines) == 2, lines  # the header and the one refused row
    row, column, _message = lines[1]
    assert row == "4" and column in {"kind", "类型", "Kind"}, lines


def test_with_apply_good_rows_the_job_writes_the_good_rows_and_reports_the_bad(
    client_for, jobs, django_capture_on_commit_callbacks
):
    """Given the same file with apply_good_rows=true, when office_metro posts it, then the job succeeds,
    every other row is written and the refused row is in the report."""
    rows = _export(client_for)
    for row in rows:
        row["name"] += "（改）"
    rows[2]["kind"] = "castle"
    bad = Organisation.objects.get(key=rows[2]["key"])
    client = _token_client("office_metro")

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(URL, {"file": _upload(_csv(rows)), "apply_good_rows": "true"})
    assert response.status_code == 202
    status = client.get(response["Location"]).json()
    assert status["status"] == "succeeded" and status["result_url"], status
    assert Organisation.objects.filter(name__endswith="（改）").count() == len(rows) - 1
    assert Organisation.objects.get(pk=bad.pk).version == bad.version


# --- refused before the body is read ---------------------------------------------------------------------

REFUSED = [
    ("applicant_demo", 404, "not_found"),  # sees no organisation at all
    ("officer_pukou", 403, "forbidden"),  # sees organisations, may change none
    ("officer_jiangning", 403, "forbidden"),
    ("clerk_pukou", 403, "forbidden"),
    ("finance_pukou", 403, "forbidden"),
    ("leader_pn", 403, "forbidden"),
    ("auditor_pn", 403, "forbidden"),
]


@pytest.mark.parametrize("auth", ["token", "session"])
@pytest.mark.parametrize(("username", "status", "code"), REFUSED)
def test_a_caller_who_may_not_import_is_refused_before_the_body_is_read(jobs, username, status, code, auth):
    """Given a user who may change no organisation, with a token or with a browser session (CSRF checks on,
    the CSRF cookie held, so a CSRF check would look into the body), when it posts a multipart body that fails
    the test if read, then the answer is 403 if it sees organisations and 404 if not, with nothing written
    and no job."""
    client = _token_client(username) if auth == "token" else _session_client(username)[0]
    before = _snapshot()
    _error(_post_unread(client, 5000), status, code, None)
    _nothing_written(before)


def test_without_credentials_the_answer_is_401_before_the_body_is_read(jobs):
    """Given no credentials, or a token that does not exist, when the upload is posted (a body that fails the
    test if read), then the answer is 401 and nothing is written."""
    before = _snapshot()
    _error(_post_unread(Client(), 5000), 401, "unauthenticated", None)
    bad_token = Client(headers={"Authorization": "Bearer tc_no-such-token"})
    _error(_post_unread(bad_token, 5000), 401, "unauthenticated", None)
    _nothing_written(before)


@pytest.mark.parametrize("auth", ["token", "session"])
def test_a_declared_oversize_body_is_413_before_it_is_read(settings, jobs, auth):
    """Given office_metro and an upload limit of 100 kB, when it posts a body declaring 50 MB that fails the
    test if read (with a session, before the CSRF check would read it), then the answer is 413 naming the
    field file and the limit, and nothing is written."""
    settings.TONGCHENG_UPLOAD_MAX_BYTES = SMALL_LIMIT
    client = _token_client("office_metro") if auth == "token" else _session_client("office_metro")[0]
    before = _snapshot()
    body = _error(_post_unread(client, 50 * 1024 * 1024), 413, "file_too_large", "file")
    assert "97.7" in body["message"] and "上传上限" in body["message"]  # the limit, in the caller's language
    _nothing_written(before)


def test_a_file_that_grows_past_the_limit_while_it_streams_is_413(settings, client_for, jobs):
    """Given a limit of 20 kB, when a 40 kB file comes in a body whose declared length passes the header check
    (the limit allows for the form's own fields), then the parse stops at the limit: 413 naming file, nothing
    written and nothing stored."""
    settings.TONGCHENG_UPLOAD_MAX_BYTES = 20_000
    _rows, content = _edited(client_for)
    client = _token_client("office_metro")
    before = _snapshot()
    response = client.post(URL, {"file": _upload(content + b"\n" * 40_000)})
    body = _error(response, 413, "file_too_large", "file")
    assert "19.5" in body["message"]
    _nothing_written(before)
    assert not any(path.is_file() for path in jobs.rglob("*"))


# --- a browser session and its CSRF token ----------------------------------------------------------------


def test_a_session_needs_its_csrf_token(client_for, jobs):
    """Given office_metro signed in in a browser (CSRF checks on), when it posts a good file without the CSRF
    token, then the answer is 403 csrf_failed, with nothing written and no job; with the token in the
    X-CSRFToken header, or in the form's csrfmiddlewaretoken field (which is not an unknown field), it is
    accepted (202)."""
    _rows, content = _edited(client_for)
    before = _snapshot()
    client, token = _session_client("office_metro")

    _error(client.post(URL, {"file": _upload(content)}), 403, "csrf_failed", None)
    _nothing_written(before)

    response = client.post(URL, {"file": _upload(content)}, headers={"X-CSRFToken": token})
    assert response.status_code == 202, response.content.decode()
    response = client.post(URL, {"file": _upload(content), "csrfmiddlewaretoken": token})
    assert response.status_code == 202, response.content.decode()
    assert Job.objects.count() == 2


# --- the form and the file -------------------------------------------------------------------------------


def _zip_without_workbook() -> bytes:
    import zipfile

    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("readme.txt", "not a workbook")
    return buffer.getvalue()


@pytest.mark.parametrize(
    ("name", "content", "reader_code"),
    [
        ("o.csv", "浦口".encode() + b"\n" + b"\xff\xfe\xfd\n", "mixed_encoding"),
        ("o.csv", b"key,name\n\xff\xfe,\x80\x80\n", "not_text"),
        ("o.xlsx", b"\x00\x01garbage" * 100, "invalid_xlsx"),
        ("o.xlsx", _zip_without_workbook(), "invalid_xlsx"),
        ("o.pdf", b"%PDF-1.7\n", "unsupported_type"),
    ],
    ids=["mixed-encoding", "not-text", "not-a-zip", "zip-without-workbook", "pdf"],
)
def test_a_file_that_is_no_table_is_refused_at_once(jobs, name, content, reader_code):
    """Given office_metro's token, when it posts a file that cannot be read as a table (bytes that are neither
    UTF-8 nor GBK, an .xlsx that is no workbook, another type), then the answer is 400 invalid_table naming
    the field file, with the reader's own code in errors[]; no job exists and nothing is stored."""
    client = _token_client("office_metro")
    before = _snapshot()
    response = client.post(URL, {"file": SimpleUploadedFile(name, content)})
    body = _error(response, 400, "invalid_table", "file")
    assert body["errors"][0]["code"] == reader_code, body
    assert body["message"] == body["errors"][0]["message"]
    _nothing_written(before)
    assert not any(path.is_file() for path in jobs.rglob("*"))


@pytest.mark.parametrize(
    ("form", "field", "item_code"),
    [
        ({"colour": "blue"}, "colour", "unknown_field"),  # an unknown text field
        ({"attachment": "FILE"}, "attachment", "unknown_field"),  # an unknown file field
        ({"apply_good_rows": "perhaps"}, "apply_good_rows", "bool_parsing"),
        ({"file": None}, "file", "missing"),  # no file at all
        ({"file": "organisations.csv"}, "file", "file_expected"),  # a text field, not a file
    ],
    ids=["unknown-field", "unknown-file", "bad-boolean", "no-file", "text-not-file"],
)
def test_a_form_that_is_not_the_imports_is_422_naming_the_field(client_for, jobs, form, field, item_code):
    """Given office_metro's token and a good file, when the form also holds an unknown field (text or file),
    a flag that is not a boolean, no file, or the file's name as text, then the answer is 422 naming that
    field, with nothing written and no job: the API refuses unknown keys in forms as in JSON."""
    _rows, content = _edited(client_for)
    data: dict = {"file": _upload(content)}
    for key, value in form.items():
        if value is None:
            data.pop(key)
        elif value == "FILE":
            data[key] = _upload(content, "other.csv")
        else:
            data[key] = value
    client = _token_client("office_metro")
    before = _snapshot()
    body = _error(client.post(URL, data), 422, "validation_failed", field)
    assert body["errors"][0]["code"] == item_code, body
    _nothing_written(before)


def test_a_body_that_is_no_multipart_form_is_400_naming_the_file(jobs):
    """Given office_metro's token, when it posts a multipart body without a boundary, then the answer is 400
    naming the field file (never a 500), with nothing written and no job."""
    client = _token_client("office_metro")
    before = _snapshot()
    response = client.generic("POST", URL, b"garbage", CONTENT_TYPE="multipart/form-data")
    _error(response, 400, "invalid", "file")
    _nothing_written(before)


def test_the_schema_documents_the_form_and_the_polling(client_for):
    """Given the OpenAPI document, then the import takes a multipart form with a binary file and a boolean
    flag, forbids other fields, answers 202 with the job and says how to follow it."""
    from tongcheng.api import api

    operation = api.get_openapi_schema()["paths"][URL]["post"]
    form = operation["requestBody"]["content"]["multipart/form-data"]["schema"]
    assert form["properties"]["file"]["format"] == "binary" and form["required"] == ["file"]
    assert form["properties"]["apply_good_rows"]["type"] == "boolean"
    assert form["additionalProperties"] is False
    assert {202, 400, 401, 403, 404, 413, 422} <= {int(status) for status in operation["responses"]}
    assert "GET /api/v1/jobs/{id}" in operation["description"]


def test_an_upload_endpoint_that_answers_a_session_without_its_csrf_check_is_an_error():
    """Given an operation marked csrf_after_checks whose session CSRF check is owed (the session
    authentication deferred it), when the operation answers without having called read_multipart, then that
    is a programming error (raised), never an unchecked write; a token's call (nothing owed) is answered."""
    from django.test import RequestFactory

    from tongcheng.kit.api_uploads import csrf_after_checks, defer_csrf

    view = csrf_after_checks(lambda request: "answered")
    assert view.csrf_exempt is True  # Ninja then leaves the check to the operation
    assert view(RequestFactory().post("/api/v1/x")) == "answered"
    session_call = RequestFactory().post("/api/v1/x")
    defer_csrf(session_call)
    with pytest.raises(RuntimeError, match="CSRF"):
        view(session_call)
