"""Exports of parks, enterprises and projects re-import (issue 10, "Re-importing an edited export updates
instead of duplicating"): unchanged rows stay unchanged, edited rows update with a version step and an audit
entry, new rows create, and a bad row is named by row and column while nothing is written."""

from __future__ import annotations

import csv
import io

import openpyxl
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import translation

from tongcheng.cooperation.demo import synthetic_credit_code
from tongcheng.cooperation.models import Enterprise, Park, Project
from tongcheng.core.models import AuditEntry
from tongcheng.kit.testing import read_csv_export

pytestmark = pytest.mark.django_db


def _csv(rows: list[dict[str, str]], header: list[str] | None = None) -> bytes:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=header or list(rows[0]))
    writer.writeheader()
    writer.writerows(rows)
    return ("\ufeff" + out.getvalue()).encode()


def _upload(client, url: str, content: bytes, name: str = "upload.csv", **extra):
    return client.post(url, {"file": SimpleUploadedFile(name, content), **extra})


def _errors(response) -> str:
    return response.content.decode()


def test_given_an_unedited_project_export_when_it_is_imported_then_every_row_is_unchanged(client_for):
    client = client_for("office_pn")
    rows = read_csv_export(client.get("/cooperation/projects/?export=csv"))
    before = Project.objects.count()

    response = _upload(client, "/cooperation/projects/import/", _csv(rows))

    assert response.status_code == 200, _errors(response)[-3000:]
    assert "新建 0 条，更新 0 条，未变 3 条" in response.content.decode()
    assert Project.objects.count() == before


def test_given_an_edited_project_export_when_it_is_imported_then_the_edits_apply_with_versions_and_audit(
    client_for,
):
    client = client_for("office_pn")
    rows = read_csv_export(client.get("/cooperation/projects/?export=csv&q=pn-"))
    by_code = {r["code"]: r for r in rows}
    huanuo = Project.objects.get(code="pn-huanuo")
    by_code["pn-huanuo"]["investment"] = "1300000000.50"
    by_code["pn-huanuo"]["attracted_by"] = "341103"
    by_code["pn-huanuo"]["status"] = "signed"  # the workflow's column: read and ignored
    new = dict(by_code["pn-yaxinwei"], code="pn-new-import", name="导入的新项目", version="", park="")

    response = _upload(client, "/cooperation/projects/import/", _csv([*rows, new]))

    assert response.status_code == 200, _errors(response)[-3000:]
    huanuo.refresh_from_db()
    assert huanuo.investment_fen == 130_000_000_050 and huanuo.status == "in_production"
    assert [j.code for j in huanuo.attracted_by.all()] == ["341103"]
    entry = AuditEntry.objects.filter(action="project.update", object_id=str(huanuo.pk)).get()
    assert set(entry.data["changes"]) == {"investment_fen", "attracted_by"}
    created = Project.objects.get(code="pn-new-import")
    assert created.zone.code == "pukou-nanqiao" and created.history.count() == 1
    assert {j.code for j in created.attracted_by.all()} == {"320111", "341103"}


@pytest.mark.parametrize(
    ("column", "value", "heading"),
    [
        ("investment", "12.345", "投资额（元）"),
        ("investment", "十二亿", "投资额（元）"),
        ("park", "no-such-park", "园区"),
        ("mode", "飞地经济", "合作模式"),
        ("attracted_by", "340506", "共同招引方"),
        ("version", "99", "版本"),
        ("signed_on", "2021/09/18", "签约日期"),
        ("enterprise", "91320111MA1XXXXXX1", "企业"),
    ],
)
def test_given_a_bad_cell_when_projects_are_imported_then_its_row_and_column_are_named_and_nothing_is_written(
    client_for, column, value, heading
):
    client = client_for("office_pn")
    response = client.get("/cooperation/projects/?export=csv&q=pn-")
    text = b"".join(response.streaming_content).decode("utf-8-sig")
    reader = list(csv.reader(io.StringIO(text)))
    header, body = reader[0], reader[1:]
    names = response.export_columns
    body[0][names.index("name")] += "（改）"  # a good edit on the first row
    body[1][names.index(column)] = value
    out = io.StringIO()
    csv.writer(out).writerows([header, *body])
    versions = dict(Project.objects.filter(zone__code="pukou-nanqiao").values_list("code", "version"))

    result = _upload(client, "/cooperation/projects/import/", ("\ufeff" + out.getvalue()).encode())

    assert result.status_code == 400
    page = result.content.decode()
    assert "<td>3</td>" in page and f"<td>{heading}</td>" in page, page[-2500:]
    assert dict(Project.objects.filter(zone__code="pukou-nanqiao").values_list("code", "version")) == versions


def test_given_a_project_of_another_zone_in_the_file_when_office_jb_imports_it_then_it_may_not_change_it(
    client_for,
):
    rows = read_csv_export(client_for("office_pn").get("/cooperation/projects/?export=csv&q=pn-huanuo"))
    rows[0]["note"] = "越权"

    response = _upload(client_for("office_jb"), "/cooperation/projects/import/", _csv(rows))

    assert response.status_code == 400
    assert "pn-huanuo" in response.content.decode()
    assert Project.objects.get(code="pn-huanuo").note != "越权"


def test_given_the_xlsx_export_in_english_when_it_is_imported_then_it_reads_back(client_for):
    client = client_for("office_pn")
    with translation.override("en"):
        response = client.get("/cooperation/parks/?export=xlsx", HTTP_ACCEPT_LANGUAGE="en")
    book = openpyxl.load_workbook(io.BytesIO(response.content))
    sheet = book.active
    header = [c.value for c in sheet[1]]
    area = header.index("Area (m²)") if "Area (m²)" in header else header.index("面积（平方米）")
    sheet.cell(row=2, column=area + 1).value = "700000"
    buffer = io.BytesIO()
    book.save(buffer)

    result = _upload(client, "/cooperation/parks/import/", buffer.getvalue(), name="parks.xlsx")

    assert result.status_code == 200, result.content.decode()[-2000:]
    assert Park.objects.get(code="pn-cobuilt-park").area_m2 == 700_000


def test_given_an_enterprise_row_with_a_bad_check_character_when_imported_then_it_is_refused(client_for):
    client = client_for("office_pn")
    good = synthetic_credit_code("import-new", "341103")
    bad = good[:17] + ("0" if good[17] != "0" else "1")
    header = ["统一社会信用代码", "名称", "行业（GB/T 4754）", "注册地", "归口毗邻区", "版本"]
    rows = [
        dict(zip(header, [good, "导入企业", "C39", "341103", "pukou-nanqiao", ""], strict=True)),
        dict(zip(header, [bad, "错码企业", "C39", "341103", "pukou-nanqiao", ""], strict=True)),
    ]

    refused = _upload(client, "/cooperation/enterprises/import/", _csv(rows, header))
    assert refused.status_code == 400 and "<td>3</td>" in refused.content.decode()
    assert not Enterprise.objects.filter(credit_code=good).exists()

    applied = _upload(client, "/cooperation/enterprises/import/", _csv(rows, header), apply_good_rows="on")
    assert applied.status_code == 200
    assert Enterprise.objects.get(credit_code=good).zone.code == "pukou-nanqiao"


@pytest.mark.parametrize("fmt", ["xlsx", "csv"])
@pytest.mark.parametrize("kind", ["parks", "enterprises", "projects"])
def test_given_an_office_when_it_downloads_an_import_template_then_the_headers_are_chinese(
    client_for, kind, fmt
):
    response = client_for("office_pn").get(f"/cooperation/{kind}/import/template.{fmt}")

    assert response.status_code == 200
    if fmt == "csv":
        header = response.content.decode("utf-8-sig").splitlines()[0]
    else:
        header = ",".join(
            str(c.value) for c in openpyxl.load_workbook(io.BytesIO(response.content)).active[1]
        )
    assert "代码" in header or "统一社会信用代码" in header
