"""The import of organisations (issue 7, point 8): exports in the user's words import again, labels read
back to codes, a template per language, creation by key without revealing existence, the required version,
all or nothing across batches, and a number of queries that does not follow the number of rows."""

from __future__ import annotations

import csv
import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import translation
from openpyxl import load_workbook

from tongcheng.core.imports import organisation_import_spec
from tongcheng.core.models import AdjacentZone, AuditEntry, Jurisdiction, Organisation, User
from tongcheng.kit.importing import run_import

URL = "/organisations/import/"


def speak(username: str, language: str) -> None:
    User.objects.filter(username=username).update(language=language)


def _csv(header: list[str], rows: list[list[str]]) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(header)
    writer.writerows(rows)
    return ("\ufeff" + out.getvalue()).encode()


def _upload(client, content: bytes, name: str = "o.csv", **extra):
    return client.post(URL, {"file": SimpleUploadedFile(name, content), **extra})


def _labels(language: str, export: bool = False) -> dict[str, str]:
    """The import's column labels; with ``export``, also those the export writes and the import ignores."""
    with translation.override(language):
        spec = organisation_import_spec()
        return {c.name: str(c.label) for c in [*spec.columns, *(spec.export_columns if export else ())]}


def _bulk(count: int, prefix: str = "imp") -> None:
    zone = AdjacentZone.objects.get(code="pukou-nanqiao")
    pukou = Jurisdiction.objects.current().get(code="320111")
    Organisation.objects.bulk_create(
        [
            Organisation(
                key=f"{prefix}-{i:04d}",
                name=f"机构 {i}",
                kind="service_window",
                jurisdiction=pukou,
                zone=zone,
            )
            for i in range(count)
        ]
    )


def _rows_of(response) -> tuple[list[str], list[list[str]]]:
    text = b"".join(response.streaming_content).decode("utf-8-sig")
    header, *rows = list(csv.reader(io.StringIO(text)))
    return header, rows


@pytest.mark.parametrize(("language", "kind"), [("zh-hans", "服务窗口"), ("en", "Service window")])
def test_given_an_export_in_either_language_when_imported_as_it_is_then_nothing_changes(
    client_for, language, kind
):
    """Given office_metro reading in Chinese or English, when it exports organisations as CSV and XLSX,
    then the headers are the column labels and the kind its label in that language; when either file is
    imported unchanged, then every row is reported unchanged and no version moves."""
    _bulk(12)
    speak("office_metro", language)
    client = client_for("office_metro")
    labels = _labels(language, export=True)
    response = client.get("/organisations/?q=imp-&export=csv")
    header, rows = _rows_of(response)
    assert header == [labels[name] for name in response.export_columns]
    assert {row[header.index(labels["kind"])] for row in rows} == {kind}
    before = dict(Organisation.objects.values_list("key", "version"))

    result = _upload(client, _csv(header, rows))
    assert result.status_code == 200, result.content.decode()[:2000]
    xlsx = client.get("/organisations/?q=imp-&export=xlsx").content
    assert [c.value for c in load_workbook(io.BytesIO(xlsx)).worksheets[0][1]] == header
    result = _upload(client, xlsx, "o.xlsx")
    assert result.status_code == 200, result.content.decode()[:2000]
    with translation.override(language):
        assert str(_summary(0, 0, 12)) in result.content.decode()
    assert dict(Organisation.objects.values_list("key", "version")) == before
    assert (
        not AuditEntry.objects.filter(action__startswith="organisation.")
        .exclude(actor=None)
        .filter(actor__username="office_metro")
        .exists()
    )


def _summary(created: int, updated: int, unchanged: int) -> str:
    from django.utils.translation import gettext

    return gettext("%(created)d created, %(updated)d updated, %(unchanged)d unchanged.") % {
        "created": created,
        "updated": updated,
        "unchanged": unchanged,
    }


def test_given_a_kind_label_in_the_other_language_when_imported_then_its_code_is_stored(client_for):
    """Given a Chinese export, when one row's kind is written as the English label and another's as the
    code itself, then both are stored as codes; an unknown kind is refused naming the kinds it may be."""
    _bulk(3)
    client = client_for("office_metro")
    response = client.get("/organisations/?q=imp-&export=csv")
    header, rows = _rows_of(response)
    kind = header.index(_labels("zh-hans")["kind"])
    rows[0][kind] = "Government department"
    rows[1][kind] = "finance_bureau"
    assert _upload(client, _csv(header, rows)).status_code == 200
    kinds = dict(Organisation.objects.filter(key__startswith="imp-").values_list("key", "kind"))
    assert kinds == {
        "imp-0000": "government_department",
        "imp-0001": "finance_bureau",
        "imp-0002": "service_window",
    }

    header, rows = _rows_of(client.get("/organisations/?q=imp-&export=csv"))
    rows[2][kind] = "城堡"
    page = _upload(client, _csv(header, rows))
    assert page.status_code == 400
    assert "城堡" in page.content.decode() and "服务窗口" in page.content.decode()
    assert Organisation.objects.get(key="imp-0002").kind == "service_window"


@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_given_the_import_page_when_the_template_is_downloaded_then_its_header_is_in_the_users_language(
    client_for, language
):
    """Given office_pn in either language, when it follows the template links of the import page, then the
    .xlsx has the header row alone in that language and a second sheet describing each column (the kinds
    among the allowed values), the .csv the header alone; uploaded as it is, the template writes nothing.
    A user who may not change organisations gets 403 (sees them) or 404."""
    speak("office_pn", language)
    client = client_for("office_pn")
    page = client.get(URL).content.decode()
    assert "/organisations/import/template.xlsx" in page and "/organisations/import/template.csv" in page
    labels = _labels(language)
    book = load_workbook(io.BytesIO(client.get("/organisations/import/template.xlsx").content))
    sheet, about = book.worksheets
    assert [c.value for c in sheet[1]] == list(labels.values())
    assert sheet.max_row == 1
    described = {row[0]: row for row in about.iter_rows(min_row=2, values_only=True)}
    assert set(described) == set(labels.values())
    with translation.override(language):
        from tongcheng.core.models import OrganisationKind

        assert str(OrganisationKind.SERVICE_WINDOW.label) in described[labels["kind"]][3]
    content = client.get("/organisations/import/template.csv").content
    assert content.decode("utf-8-sig").strip() == ",".join(labels.values())
    response = _upload(client, content)
    assert response.status_code == 200
    assert Organisation.objects.count() == Organisation.objects.count()  # nothing to write, nothing failed
    assert client_for("officer_pukou").get("/organisations/import/template.xlsx").status_code == 403
    assert client_for("applicant_demo").get("/organisations/import/template.xlsx").status_code == 404


def test_given_a_new_key_without_version_when_imported_then_the_organisation_is_created(client_for):
    """Given office_pn and a file (headers in English, the UI in Chinese) with a new key, an empty version and
    its zone by name, when imported, then the organisation is created through the service (history row,
    audit entry anchored in the zone) and the page reports 1 created, 1 unchanged."""
    _bulk(1)
    client = client_for("office_pn")
    labels = _labels("en")
    existing = Organisation.objects.get(key="imp-0000")
    header = [labels[n] for n in ("key", "name", "kind", "jurisdiction", "zone", "established", "version")]
    rows = [
        ["imp-new", "浦口新窗口", "Service window", "320111", "浦口—南谯毗邻区", "2024-05-01", ""],
        ["imp-0000", existing.name, "服务窗口", "", "", "", str(existing.version)],
    ]
    zone = AdjacentZone.objects.get(code="pukou-nanqiao")
    rows[0][4] = zone.name
    response = _upload(client, _csv(header, rows))
    assert response.status_code == 200, response.content.decode()[:3000]
    assert _summary(1, 0, 1) in response.content.decode()
    org = Organisation.objects.get(key="imp-new")
    assert (org.name, org.kind, org.jurisdiction.code, org.zone, str(org.established)) == (
        "浦口新窗口",
        "service_window",
        "320111",
        zone,
        "2024-05-01",
    )
    assert org.history.count() == 1
    entry = AuditEntry.objects.get(action="organisation.create", object_id=str(org.pk))
    assert entry.actor.username == "office_pn" and entry.zone_id == zone.pk


def test_given_rows_creating_outside_the_scope_when_imported_then_each_is_refused_alike(client_for):
    """Given office_pn (the pukou-nanqiao zone), when its file creates one organisation with a new key and
    one with the key of an organisation of another zone it cannot see (both in Jiangning, no zone of its
    own), then both rows are refused with the same words, which do not say that the second key exists, and
    nothing is written."""
    client = client_for("office_pn")
    labels = _labels("zh-hans")
    assert Organisation.objects.filter(key="jiangning-bowang-office").exists()
    header = [labels[n] for n in ("key", "name", "kind", "jurisdiction", "version")]
    rows = [
        ["imp-brand-new", "新机构", "政府部门", "320115", ""],
        ["jiangning-bowang-office", "新机构", "政府部门", "320115", ""],
    ]
    count = Organisation.objects.count()
    response = _upload(client, _csv(header, rows))
    assert response.status_code == 400
    html = response.content.decode()
    errors = html.split('data-testid="import-errors"', 1)[1].split("</table>", 1)[0]
    first, second = (errors.split(f"<td>{n}</td>", 1)[1].split("</tr>", 1)[0] for n in (2, 3))
    assert first == second
    assert "已存在" not in errors and "exists" not in errors
    assert Organisation.objects.count() == count
    # And a key it cannot see, given with a version (an update), is the same "no record you may change".
    rows = [
        ["jiangning-bowang-office", "新机构", "政府部门", "320115", "1"],
        ["imp-x", "新", "政府部门", "320115", "1"],
    ]
    errors = _upload(client, _csv(header, rows)).content.decode().split('data-testid="import-errors"', 1)[1]
    first, second = (errors.split(f"<td>{n}</td>", 1)[1].split("</tr>", 1)[0] for n in (2, 3))
    assert first.replace("jiangning-bowang-office", "K") == second.replace("imp-x", "K")


def test_given_an_update_row_without_its_version_when_imported_then_it_is_refused(client_for):
    """Given an export whose version cell is emptied on one row, when imported with a change, then that row
    is refused on its version column (the version is never optional) and nothing is written."""
    _bulk(4)
    client = client_for("office_metro")
    header, rows = _rows_of(client.get("/organisations/?q=imp-&export=csv"))
    labels = _labels("zh-hans")
    for row in rows:
        row[header.index(labels["description"])] = "改"
    rows[2][header.index(labels["version"])] = ""
    response = _upload(client, _csv(header, rows))
    assert response.status_code == 400
    assert f"<td>4</td><td>{labels['version']}</td>" in response.content.decode()
    assert not Organisation.objects.filter(description="改").exists()


def _spec_rows(count: int, bad_at: int | None = None) -> list[tuple[int, dict[str, str]]]:
    """``count`` rows by column name, as a file holds them: even ones update imp-NNNN (description
    changed), odd ones create new-NNNN."""
    existing = {o.key: o for o in Organisation.objects.filter(key__startswith="imp-")}
    rows = []
    for i in range(count):
        row = {"key": "", "name": "", "kind": "政府部门", "jurisdiction": "", "zone": "", "established": ""}
        if i % 2 == 0:
            org = existing[f"imp-{i:04d}"]
            row.update(key=org.key, name=org.name, description=f"第{i}行", version=str(org.version))
        else:
            row.update(key=f"new-{i:04d}", name=f"新 {i}", jurisdiction="320111", zone="pukou-nanqiao")
            row.update(description="", version="")
        if i == bad_at:
            row["established"] = "2024-13-45"
        rows.append((i + 2, row))
    return rows


@pytest.mark.parametrize("once", [False, True], ids=["read-twice", "one-time-iterator"])
def test_given_a_bad_row_in_the_third_batch_when_imported_then_nothing_is_written(demo_user, once):
    """Given 50 rows in batches of 10 (half updates, half creations) whose 25th row has an impossible date,
    when imported (the file read twice, or a one-time iterator written as it is checked), then that row is
    reported on its column and nothing at all is written, not even the first two batches."""
    _bulk(50)
    rows = _spec_rows(50, bad_at=24)
    before = (Organisation.objects.count(), AuditEntry.objects.count())
    result = run_import(
        demo_user("office_metro"), organisation_import_spec(), iter(rows) if once else rows, batch_rows=10
    )
    assert not result.applied
    assert [(e.row, e.column) for e in result.errors] == [(26, "established")]
    assert (Organisation.objects.count(), AuditEntry.objects.count()) == before
    assert not Organisation.objects.filter(description__startswith="第").exists()

    result = run_import(demo_user("office_metro"), organisation_import_spec(), _spec_rows(50), batch_rows=10)
    assert result.applied and (result.created, result.updated, result.unchanged) == (25, 25, 0)
    assert Organisation.objects.filter(key__startswith="new-").count() == 25


def test_given_a_key_twice_in_different_batches_when_imported_then_the_second_is_refused(demo_user):
    """Given a file naming imp-0000 in its first and its third batch, when imported, then the second row is
    refused as a repeat and nothing is written."""
    _bulk(30)
    rows = _spec_rows(30)
    rows[25] = (27, dict(rows[0][1]))
    result = run_import(demo_user("office_metro"), organisation_import_spec(), rows, batch_rows=10)
    assert [(e.row, e.column) for e in result.errors] == [(27, "key")]
    assert not Organisation.objects.filter(description__startswith="第").exists()


def test_the_number_of_queries_does_not_follow_the_number_of_rows(demo_user):
    """Given 40 and then 400 rows (half updates, half creations) in one batch each, when imported, then the
    larger file runs within a few queries of the smaller one (on SQLite the writes are split by its
    parameter limit), far fewer than one per row."""
    _bulk(400)
    user = demo_user("office_metro")
    run_import(user, organisation_import_spec(), _spec_rows(4), batch_rows=1000)  # warms the scope cache
    counts = []
    for count in (40, 400):
        Organisation.objects.filter(key__startswith="new-").delete()
        rows = _spec_rows(count)
        with CaptureQueriesContext(connection) as queries:
            result = run_import(user, organisation_import_spec(), rows, batch_rows=1000)
        assert result.applied and result.created == count // 2, result.errors[:3]
        counts.append(len(queries))
    print("queries for 40 and 400 rows:", counts)
    small, large = counts
    assert large <= small + 400 // 20
    if connection.features.max_query_params is None:
        assert large == small
