"""Formula injection (issue 6, point 6): exported text that Excel or WPS would run as a formula is written as
text (CSV: one leading quote; XLSX: string cells), numbers stay numbers, and an exported file imports again
without losing or adding a character."""

from __future__ import annotations

import csv
import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from openpyxl import load_workbook

from tongcheng.core.models import AdjacentZone, AuditEntry, Jurisdiction, Organisation
from tongcheng.core.services import organisations
from tongcheng.kit.testing import read_csv_export
from tongcheng.kit.textsafety import csv_cell, from_csv_cell

FORMULA = '=HYPERLINK("http://example.invalid","点我")'
MINUS = "-2+3 负数开头"
AT = "@SUM(A1)"
DANGEROUS = [FORMULA, MINUS, AT, "+1", "\tTAB", "\rCR", "'=already quoted", "''-twice"]


@pytest.mark.parametrize("text", DANGEROUS)
def test_dangerous_text_is_quoted_and_reads_back_exactly(text):
    """Given text starting with = + - @ tab or CR (after any quotes of its own), when it is made safe for a CSV
    cell, then it gets exactly one leading quote, and reading the cell back returns the original text."""
    safe = csv_cell(text)
    assert safe == "'" + text
    assert from_csv_cell(safe) == text


@pytest.mark.parametrize("value", ["plain", "'quoted plain", "", "中文", "2026-01", "a=b"])
def test_harmless_text_is_left_alone(value):
    """Given text that cannot start a formula, when it is made safe, then it is unchanged and reads back
    unchanged."""
    assert csv_cell(value) == value
    assert from_csv_cell(value) == value


@pytest.mark.parametrize("value", [-100, 0, 7, -1.5, None])
def test_numbers_stay_numbers(value):
    """Given a number (a negative amount included), when it is made safe, then it is the same number."""
    assert csv_cell(value) is value


# --- list exports -----------------------------------------------------------------------------------------


@pytest.fixture
def planted(db, demo_user):
    """Formula-like text in a row of every exported list: an organisation (renamed through the service, so
    the audit log holds it too), a zone and a jurisdiction."""
    org = Organisation.objects.get(key="nanpu-co")
    org = organisations.update_organisation(
        actor=demo_user("office_metro"),
        organisation=org,
        changes={"name": FORMULA, "name_en": MINUS},
        expected_version=org.version,
    )
    AdjacentZone.objects.filter(code="pukou-nanqiao").update(name=AT)
    Jurisdiction.objects.filter(code="320111").update(name="+320111")
    return org  # as renamed, with its version after the rename


LISTS = [
    ("/organisations/?q=nanpu-co", "name", FORMULA),
    ("/organisations/?q=nanpu-co", "name_en", MINUS),
    ("/zones/?q=pukou-nanqiao", "name", AT),
    ("/jurisdictions/?q=320111", "name", "+320111"),
    ("/audit/?action=organisation.update", "object_repr", FORMULA),
]


@pytest.mark.parametrize(("url", "column", "text"), LISTS)
def test_csv_export_quotes_formula_text(client_for, planted, url, column, text):
    """Given formula-like text in a list, when the list is exported as CSV, then that cell starts with one
    quote followed by the text, and no cell of the file starts with a formula character unless it is a
    number."""
    response = client_for("office_metro").get(url + "&export=csv")
    rows = read_csv_export(response)
    assert "'" + text in [r[column] for r in rows]
    for row in rows:
        for value in row.values():
            if value[:1] in ("=", "+", "-", "@", "\t", "\r"):
                float(value)  # only numbers may start so


@pytest.mark.parametrize(("url", "column", "text"), LISTS)
def test_xlsx_export_writes_text_cells(client_for, planted, url, column, text):
    """Given formula-like text in a list, when the list is exported as XLSX, then its cell is a string cell
    holding exactly the text (no formula, no added quote), and the version column holds numbers."""
    response = client_for("office_metro").get(url + "&export=xlsx")
    sheet = load_workbook(io.BytesIO(response.content)).worksheets[0]
    header = response.export_columns  # the names of the columns whose labels the first row shows
    assert len(header) == len([c for c in sheet[1] if c.value])
    cells = [row[header.index(column)] for row in sheet.iter_rows(min_row=2)]
    match = [c for c in cells if c.value == text]
    assert match and all(c.data_type == "s" for c in match)
    assert all(c.data_type != "f" for row in sheet.iter_rows() for c in row)
    if "version" in header:
        assert all(row[header.index("version")].data_type == "n" for row in sheet.iter_rows(min_row=2))


# --- round trip -------------------------------------------------------------------------------------------


def _upload(client, name: str, content: bytes):
    return client.post("/organisations/import/", {"file": SimpleUploadedFile(name, content)})


def test_exported_csv_imports_without_change(client_for, planted):
    """Given an organisation named with '=' and an English name beginning with '-', when the CSV export is
    imported as it is, then nothing changes (the added quote is taken off again); when its description is
    edited and the file imported, then only the description changes and the names are kept exactly."""
    client = client_for("office_metro")
    export = client.get("/organisations/?export=csv")
    content = b"".join(export.streaming_content)
    response = _upload(client, "o.csv", content)
    assert response.status_code == 200, response.content.decode()[:2000]
    org = Organisation.objects.get(key="nanpu-co")
    assert (org.name, org.name_en, org.version) == (FORMULA, MINUS, planted.version)

    rows = list(csv.DictReader(io.StringIO(content.decode("utf-8-sig"))))
    heading = dict(zip(export.export_columns, rows[0], strict=True))  # name -> header as written
    for row in rows:
        if row[heading["key"]] == "nanpu-co":
            row[heading["description"]] = "改过"
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=list(rows[0]))
    writer.writeheader()
    writer.writerows(rows)
    response = _upload(client, "o.csv", out.getvalue().encode("utf-8"))
    assert response.status_code == 200, response.content.decode()[:2000]
    org.refresh_from_db()
    assert (org.name, org.name_en, org.description) == (FORMULA, MINUS, "改过")
    assert AuditEntry.objects.filter(action="organisation.update", object_id=str(org.pk)).count() == 2


def test_exported_xlsx_imports_without_change(client_for, planted):
    """Given the same organisation, when the XLSX export is imported as it is, then nothing changes."""
    client = client_for("office_metro")
    content = client.get("/organisations/?export=xlsx").content
    response = _upload(client, "o.xlsx", content)
    assert response.status_code == 200, response.content.decode()[:2000]
    org = Organisation.objects.get(key="nanpu-co")
    assert (org.name, org.name_en, org.version) == (FORMULA, MINUS, planted.version)
