"""Uploads to the organisation import (issue 6, points 5 and 8): who may post is decided before the body is
read, the size is limited before and while the body is parsed, xlsx archives are checked before they are
opened, and every malformed file is a located 4xx error that writes nothing."""

from __future__ import annotations

import csv
import io
import time
import zipfile

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from tongcheng.core.models import AuditEntry, Organisation, User
from tongcheng.kit.testing import read_csv_export

# Needs nothing beyond one zone and its roles: the small demo is enough (tests/conftest.py).
pytestmark = pytest.mark.small_demo

URL = "/organisations/import/"
SMALL_LIMIT = 100_000  # bytes: tests set a small limit so that "too large" needs no large body


class _ExplodingBody:
    """A request body that fails the test as soon as anything reads it."""

    def read(self, *args, **kwargs):
        raise AssertionError("the request body was read")

    readline = read


def _snapshot() -> dict[str, tuple[int, str]]:
    return dict(
        (key, (version, name))
        for key, version, name in Organisation.objects.values_list("key", "version", "name")
    )


def _assert_nothing_written(before: dict[str, tuple[int, str]]) -> None:
    assert _snapshot() == before
    assert not AuditEntry.objects.filter(action="organisation.update").exists()


def _client(username: str, enforce_csrf: bool = False) -> Client:
    client = Client(enforce_csrf_checks=enforce_csrf)
    client.force_login(User.objects.get(username=username))
    if enforce_csrf:
        # A CSRF cookie as a browser would hold it, so the CSRF check goes on to look for the token in the
        # body (without a cookie it refuses the request without reading the body).
        client.cookies[settings.CSRF_COOKIE_NAME] = "k" * 32
    return client


def _csv_bytes(rows: list[list[str]]) -> bytes:
    out = io.StringIO()
    csv.writer(out).writerows(rows)
    return out.getvalue().encode("utf-8")


def _export_rows(client) -> list[dict[str, str]]:
    return read_csv_export(client.get("/organisations/?export=csv"))


def _edited_export(client) -> list[list[str]]:
    """The CSV export as a list of lists (header first), one name changed so that a write would show."""
    rows = _export_rows(client)
    rows[0]["name"] += "（改）"
    header = list(rows[0])
    return [header, *[[r[h] for h in header] for r in rows]]


def _post_file(client, name: str, content: bytes, content_type: str = "text/csv"):
    return client.post(URL, {"file": SimpleUploadedFile(name, content, content_type)})


def _text(response) -> str:
    return response.content.decode()


# --- permission before reading ----------------------------------------------------------------------------

REFUSED = [
    ("applicant_demo", 404),  # sees no organisation at all (rules.organisation_rule: no staff role)
    ("officer_pukou", 403),  # sees organisations of 320111, may change none
    ("clerk_pukou", 403),
    ("finance_pukou", 403),
    ("leader_pn", 403),
    ("auditor_pn", 403),
]


@pytest.mark.parametrize(("username", "status"), REFUSED)
def test_import_is_refused_before_the_body_is_read(db, username, status):
    """Given a signed-in user who may change no organisation, when they post a multipart upload whose body
    fails the test if read (with CSRF checks on, as in production), then the answer is 403 if they can see
    organisations and 404 if they cannot, decided before the body (or the CSRF token in it) is parsed."""
    before = _snapshot()
    client = _client(username, enforce_csrf=True)
    response = client.generic(
        "POST",
        URL,
        b"",
        CONTENT_TYPE="multipart/form-data; boundary=xyz",
        CONTENT_LENGTH="5000",
        **{"wsgi.input": _ExplodingBody()},
    )
    assert response.status_code == status
    _assert_nothing_written(before)


@pytest.mark.parametrize(("username", "status"), [*REFUSED, ("office_pn", 200), ("office_metro", 200)])
def test_import_page_is_refused_the_same_way(client_for, username, status):
    """Given each role, when it opens the import page, then only those who may change an organisation get it;
    the others get the same 403/404 as for a post."""
    assert client_for(username).get(URL).status_code == status


def test_import_still_requires_the_csrf_token(db):
    """Given office_metro with CSRF checks on, when it posts a valid upload without the token, then the post
    is refused (403) and nothing is written; with the token from the page it is accepted."""
    before = _snapshot()
    client = _client("office_metro", enforce_csrf=True)
    rows = _edited_export(client)
    upload = {"file": SimpleUploadedFile("o.csv", _csv_bytes(rows), "text/csv")}
    assert client.post(URL, upload).status_code == 403
    _assert_nothing_written(before)
    token = client.get(URL).context["csrf_token"]
    upload = {"file": SimpleUploadedFile("o.csv", _csv_bytes(rows), "text/csv"), "csrfmiddlewaretoken": token}
    response = client.post(URL, upload)
    assert response.status_code == 200
    assert Organisation.objects.filter(name=rows[1][rows[0].index("name")]).exists()


# --- size limit -------------------------------------------------------------------------------------------


def test_declared_oversize_is_refused_on_the_header_alone(client_for, settings):
    """Given office_metro and a 100 kB upload limit, when a post declares a 50 MB body (and its body would
    fail the test if read), then it is refused with 413 and a message naming the limit, unread."""
    settings.TONGCHENG_UPLOAD_MAX_BYTES = SMALL_LIMIT
    before = _snapshot()
    response = client_for("office_metro").generic(
        "POST",
        URL,
        b"",
        CONTENT_TYPE="multipart/form-data; boundary=xyz",
        CONTENT_LENGTH=str(50 * 1024 * 1024),
        **{"wsgi.input": _ExplodingBody()},
    )
    assert response.status_code == 413
    assert "97.7" in _text(response)  # 100,000 bytes as the page shows it (97.7 KB)
    assert "上传上限" in _text(response)  # the message is translated (Chinese by default)
    _assert_nothing_written(before)


def test_oversize_upload_is_refused(client_for, settings):
    """Given office_metro and a 100 kB limit, when it uploads a 300 kB CSV (an honest Content-Length), then it
    is refused with 413 and the limit, and nothing is written."""
    settings.TONGCHENG_UPLOAD_MAX_BYTES = SMALL_LIMIT
    before = _snapshot()
    client = client_for("office_metro")
    rows = _edited_export(client)
    content = _csv_bytes(rows) + b"\n" * 300_000
    response = _post_file(client, "o.csv", content)
    assert response.status_code == 413
    assert "97.7" in _text(response)
    _assert_nothing_written(before)


def test_oversize_file_is_stopped_while_streaming(client_for, settings):
    """Given a limit of 20 kB, when a 40 kB file comes in a body whose declared length passes the header check
    (the limit allows for the form's own fields), then the upload handler stops the parse once the running
    size passes the limit: 413 with the limit, nothing written."""
    settings.TONGCHENG_UPLOAD_MAX_BYTES = 20_000
    before = _snapshot()
    client = client_for("office_metro")
    rows = _edited_export(client)
    content = _csv_bytes(rows) + b"\n" * 40_000
    response = _post_file(client, "o.csv", content)
    assert response.status_code == 413
    assert "19.5" in _text(response)  # 20,000 bytes = 19.5 KB
    _assert_nothing_written(before)


# --- xlsx archives ----------------------------------------------------------------------------------------


def _zip_bomb(uncompressed: int) -> bytes:
    """An .xlsx-shaped zip whose sheet expands to ``uncompressed`` bytes of zeros (compressed at level 9,
    written in chunks so the test stays fast)."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as archive:
        archive.writestr("[Content_Types].xml", '<?xml version="1.0"?><Types/>')
        with archive.open("xl/worksheets/sheet1.xml", "w") as sheet:
            chunk = b"0" * (1 << 20)
            for _ in range(uncompressed // len(chunk)):
                sheet.write(chunk)
        archive.writestr("xl/workbook.xml", '<?xml version="1.0"?><workbook/>')
    return buffer.getvalue()


@pytest.mark.parametrize("megabytes", [200, 20], ids=["200MB-expanded", "20MB-ratio"])
def test_zip_bomb_is_refused_quickly(client_for, megabytes):
    """Given office_metro, when it uploads an .xlsx whose sheet expands to 200 MB (or 20 MB, under the size
    cap but compressed over 1000:1), then the archive is refused from its directory, before any XML is parsed:
    400 within seconds, nothing written."""
    bomb = _zip_bomb(megabytes * 1024 * 1024)
    assert len(bomb) < 1024 * 1024
    before = _snapshot()
    started = time.monotonic()
    response = _post_file(client_for("office_metro"), "o.xlsx", bomb, "application/octet-stream")
    elapsed = time.monotonic() - started
    assert response.status_code == 400
    assert 'class="text-danger' in _text(response)
    assert elapsed < 5, elapsed
    _assert_nothing_written(before)


def _valid_xlsx(client) -> bytes:
    return client.get("/organisations/?export=xlsx").content


def _zip_without_workbook() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("readme.txt", "not a workbook")
    return buffer.getvalue()


@pytest.mark.parametrize("kind", ["not-a-zip", "truncated", "zip-without-workbook", "csv-named-xlsx"])
def test_malformed_xlsx_is_a_form_error(client_for, kind):
    """Given office_metro, when it uploads an .xlsx that is not a zip, is cut in half, is a zip without a
    workbook, or is a CSV under an .xlsx name, then the answer is 400 with an error on the file field (never a
    500) and nothing is written."""
    client = client_for("office_metro")
    content = {
        "not-a-zip": lambda: b"\x00\x01garbage" * 100,
        "truncated": lambda: _valid_xlsx(client)[:2000],
        "zip-without-workbook": _zip_without_workbook,
        "csv-named-xlsx": lambda: _csv_bytes(_edited_export(client)),
    }[kind]()
    before = _snapshot()
    response = _post_file(client, "o.xlsx", content, "application/octet-stream")
    assert response.status_code == 400
    assert 'class="text-danger' in _text(response)
    _assert_nothing_written(before)


# --- CSV content ------------------------------------------------------------------------------------------


def _row_error(response, row: int) -> None:
    text = _text(response)
    assert response.status_code == 400, response.status_code
    assert f"{row}" in text.split('class="text-danger', 1)[1].split("</div>", 1)[0]


def test_nul_byte_in_csv_is_refused_with_its_row(client_for):
    """Given an edited export whose third data row (row 4) has a NUL inside its name, when it is uploaded,
    then the answer is 400 naming row 4 and nothing is written (PostgreSQL cannot store a NUL)."""
    client = client_for("office_metro")
    rows = _edited_export(client)
    rows[3][rows[0].index("name")] = "bad\x00name"
    before = _snapshot()
    _row_error(_post_file(client, "o.csv", _csv_bytes(rows)), 4)
    _assert_nothing_written(before)


def test_field_over_the_csv_limit_is_refused_with_its_row(client_for):
    """Given an edited export whose second data row (row 3) has a 200,000-character description (over csv's
    131,072 limit), when it is uploaded, then the answer is 400 naming row 3, nothing written."""
    client = client_for("office_metro")
    rows = _edited_export(client)
    rows[2][rows[0].index("description")] = "长" * 200_000
    before = _snapshot()
    _row_error(_post_file(client, "o.csv", _csv_bytes(rows)), 3)
    _assert_nothing_written(before)


def test_row_with_more_fields_than_the_header_is_refused(client_for):
    """Given an edited export whose fifth data row (row 6) has two more values than the header has columns,
    when it is uploaded, then the answer is 400 naming row 6, nothing written."""
    client = client_for("office_metro")
    rows = _edited_export(client)
    rows[5] = [*rows[5], "extra", "values"]
    before = _snapshot()
    _row_error(_post_file(client, "o.csv", _csv_bytes(rows)), 6)
    _assert_nothing_written(before)


def test_gbk_csv_is_read(client_for):
    """Given an edited export saved by Chinese Excel as GBK (no BOM), when it is uploaded, then the changed
    Chinese name is written."""
    client = client_for("office_metro")
    rows = _edited_export(client)
    name = rows[1][rows[0].index("name")]
    response = _post_file(client, "o.csv", _csv_bytes(rows).decode("utf-8").encode("gbk"))
    assert response.status_code == 200, _text(response)[:2000]
    assert Organisation.objects.filter(name=name).exists()


def test_import_with_row_errors_is_a_400_and_writes_nothing(client_for):
    """Given an edited export with an unknown key, when it is uploaded, then the answer is 400 (bad input,
    nothing written), and the error table names the row."""
    client = client_for("office_metro")
    rows = _edited_export(client)
    rows[2][rows[0].index("key")] = "no-such-organisation"
    before = _snapshot()
    response = _post_file(client, "o.csv", _csv_bytes(rows))
    assert response.status_code == 400
    assert 'data-testid="import-errors"' in _text(response)
    _assert_nothing_written(before)


def test_repeated_key_is_refused(client_for):
    """Given an edited export where one organisation's row appears twice, when it is uploaded, then the second
    occurrence is an error on its row and nothing is written."""
    client = client_for("office_metro")
    rows = _edited_export(client)
    rows.append(list(rows[1]))
    before = _snapshot()
    response = _post_file(client, "o.csv", _csv_bytes(rows))
    assert response.status_code == 400
    assert f"<td>{len(rows)}</td>" in _text(response)
    _assert_nothing_written(before)


def test_too_many_rows_are_refused(client_for, settings):
    """Given an import limit of 5 rows, when the whole export (more rows) is uploaded, then the answer is 400
    naming the limit and nothing is written."""
    settings.TONGCHENG_IMPORT_MAX_ROWS = 5
    client = client_for("office_metro")
    rows = _edited_export(client)
    assert len(rows) > 6
    before = _snapshot()
    response = _post_file(client, "o.csv", _csv_bytes(rows))
    assert response.status_code == 400
    assert "5" in _text(response).split('class="text-danger', 1)[1].split("</div>", 1)[0]
    _assert_nothing_written(before)


def test_sheet_claiming_a_million_rows_is_refused_quickly(client_for):
    """Given an .xlsx whose sheet declares A1:XFD1048576 (a cell in its last row and column) after the
    export's header, when it is uploaded, then it is refused as too many rows within seconds (the declared
    size is not used to pad rows), nothing written."""
    import xlsxwriter

    client = client_for("office_metro")
    header = _edited_export(client)[0]
    buffer = io.BytesIO()
    book = xlsxwriter.Workbook(buffer, {"in_memory": True})
    sheet = book.add_worksheet()
    for column, name in enumerate(header):
        sheet.write_string(0, column, name)
    sheet.write_string(1_048_575, 16_383, "far away")
    book.close()
    before = _snapshot()
    started = time.monotonic()
    response = _post_file(client, "o.xlsx", buffer.getvalue(), "application/octet-stream")
    assert time.monotonic() - started < 10
    assert response.status_code == 400
    _assert_nothing_written(before)
