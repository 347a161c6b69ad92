"""Documents (issue 7, point 9): Chinese PDF with ReportLab's CID font STSong-Light, formatted workbooks
with XlsxWriter, behind tongcheng.kit.documents. Each PDF is read back with pypdf and each workbook with
openpyxl, so the tests check what a reader gets, not what we meant to write."""

from __future__ import annotations

import io
import re
from datetime import date
from decimal import Decimal

import openpyxl
import pypdf
import pytest
from django.utils import translation

from tongcheng.kit.documents import (
    Column,
    Facts,
    Sheet,
    Table,
    document_response,
    format_amount,
    pdf_document,
    xlsx_workbook,
)

ZONE = "pukou-nanqiao"
ZONE_NAME = "浦口—南谯跨界一体化发展示范区"


def pdf_text(content: bytes) -> list[str]:
    return [page.extract_text() for page in pypdf.PdfReader(io.BytesIO(content)).pages]


@pytest.fixture
def restore_language():
    """The middleware activates the request's language on the test thread; put the previous one back."""
    with translation.override(translation.get_language()):
        yield


# --- the zone fact sheet (core's worked example) --------------------------------------------------------


@pytest.mark.django_db
def test_zone_sheet_round_trip(client_for, restore_language):
    """Given office_pn, when it downloads the fact sheet of 浦口—南谯, then it gets a PDF attachment whose
    text, read back with pypdf, holds the zone's Chinese name (also its PDF title), its members and its
    organisations, and the footer "第 1 页 / 共 1 页"."""
    response = client_for("office_pn").get(f"/zones/{ZONE}/sheet.pdf")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"] == f'attachment; filename="{ZONE}.pdf"'
    assert response["X-Content-Type-Options"] == "nosniff"

    reader = pypdf.PdfReader(io.BytesIO(response.content))
    assert reader.metadata.title == ZONE_NAME
    text = "\n".join(page.extract_text() for page in reader.pages)
    for expected in (ZONE_NAME, "浦口区", "南谯区", "浦口—南谯同城办", "成员", "相关机构", "示范区"):
        assert expected in text, expected
    assert f"第 1 页 / 共 {len(reader.pages)} 页" in text


@pytest.mark.django_db
def test_zone_sheet_follows_the_users_language(client_for, demo_user, restore_language):
    """Given office_pn has chosen English, then the sheet's labels and footer are English while the
    records keep their Chinese names."""
    user = demo_user("office_pn")
    type(user).objects.filter(pk=user.pk).update(language="en")
    text = "\n".join(pdf_text(client_for("office_pn").get(f"/zones/{ZONE}/sheet.pdf").content))
    assert ZONE_NAME in text and "Members" in text and "Institutions" in text
    assert "Page 1 of" in text and "成员" not in text and "第 1 页" not in text


@pytest.mark.django_db
def test_zone_sheet_only_for_those_who_see_the_zone(client_for):
    """Given the zone 浦口—南谯, then office_jb (江宁—博望) gets the same 404 as for a zone that does not
    exist, and an anonymous visitor is sent to sign in."""
    other = client_for("office_jb")
    assert other.get(f"/zones/{ZONE}/sheet.pdf").status_code == 404
    assert other.get("/zones/no-such-zone/sheet.pdf").status_code == 404
    anonymous = client_for(None).get(f"/zones/{ZONE}/sheet.pdf")
    assert anonymous.status_code == 302 and anonymous["Location"].startswith("/login/")


@pytest.mark.django_db
def test_zone_page_links_to_the_sheet(client_for):
    page = client_for("auditor_pn").get(f"/zones/{ZONE}/").content.decode()
    assert f'href="/zones/{ZONE}/sheet.pdf"' in page


# --- PDF ------------------------------------------------------------------------------------------------


def money_document(title: str = "结算单 Settlement statement") -> bytes:
    table = Table(
        [Column("项目 Item"), Column("金额（元）", "amount")],
        [["税收分成 VAT share", 123456], ["调整 Adjustment", 44]],
        total_label="合计 Total",
    )
    return pdf_document(title, [("金额 Amounts", [table])], subtitle="2024 年 12 月")


def test_money_table_totals_round_trip():
    """Given a table of amounts 1,234.56 and 0.44 元 (integer fen) with a totals row, then the PDF read
    back shows both amounts and the exact total 1,235.00 on the totals line, and Chinese and Latin text
    alike."""
    text = "\n".join(pdf_text(money_document()))
    for expected in (
        "结算单 Settlement statement",
        "税收分成 VAT share",
        "1,234.56",
        "0.44",
        "2024 年 12 月",
    ):
        assert expected in text, expected
    assert re.search(r"合计 Total\s+1,235\.00", text), text


def test_amounts_are_right_aligned():
    """Given amounts of different widths in one column, then their right edges line up: the shorter one
    starts further right (left-aligned figures would start at the same x)."""
    starts: dict[str, float] = {}

    def visit(text, cm, tm, font_dict, font_size):
        if text.strip() in {"1,234.56", "0.44", "1,235.00"}:
            starts[text.strip()] = tm[4]

    pypdf.PdfReader(io.BytesIO(money_document())).pages[0].extract_text(visitor_text=visit)
    assert set(starts) == {"1,234.56", "0.44", "1,235.00"}
    assert starts["0.44"] > starts["1,234.56"]
    assert starts["1,234.56"] == pytest.approx(starts["1,235.00"])


def test_english_document_renders_latin_text():
    text = "\n".join(
        pdf_text(pdf_document("Settlement statement", [("Parties", ["Pukou District, Nanqiao District."])]))
    )
    assert "Settlement statement" in text and "Pukou District, Nanqiao District." in text


def test_record_text_is_never_read_as_markup():
    """Given record text that looks like ReportLab markup, then it is printed as written (not bold, not a
    link, and no error for the unbalanced tag)."""
    hostile = '<b>粗体</b> & <a href="http://x">链接</a> <font'
    text = "\n".join(pdf_text(pdf_document("标题", [("", [hostile, Facts([("说明", hostile)])])])))
    assert text.count('<b>粗体</b> & <a href="http://x">链接</a> <font') == 2


def test_every_page_has_its_number_and_the_count():
    """Given a table long enough for several pages, then each page's footer reads "第 N 页 / 共 M 页" with
    the right N and the same M, and the header row is repeated on every page."""
    rows = [[f"第 {i} 行", i * 100] for i in range(1, 151)]
    with translation.override("zh-hans"):
        pages = pdf_text(
            pdf_document("长表", [("", [Table([Column("行"), Column("金额", "amount")], rows)])])
        )
    assert len(pages) >= 3
    for number, page in enumerate(pages, start=1):
        assert f"第 {number} 页 / 共 {len(pages)} 页" in page
        assert "金额" in page


def test_empty_table_says_so():
    with translation.override("en"):
        text = "\n".join(pdf_text(pdf_document("Empty", [("Rows", [Table(["A", "B"], [])])])))
    assert "Nothing to show." in text


@pytest.mark.parametrize(
    ("fen", "shown"),
    [(0, "0.00"), (1, "0.01"), (-5, "-0.05"), (123456, "1,234.56"), (10**17 + 1, "1,000,000,000,000,000.01")],
)
def test_format_amount(fen, shown):
    assert format_amount(fen) == shown


def test_amounts_must_be_integer_fen():
    with pytest.raises(TypeError):
        format_amount(12.34)
    with pytest.raises(TypeError):
        xlsx_workbook([Sheet("s", [Column("a", "amount")], [[Decimal("1.5")]])])


def test_document_response_is_a_download():
    response = document_response(b"%PDF-1.4", "浦口 概况.pdf")
    assert (
        response["Content-Disposition"]
        == "attachment; filename*=utf-8''%E6%B5%A6%E5%8F%A3%20%E6%A6%82%E5%86%B5.pdf"
    )
    assert response["X-Content-Type-Options"] == "nosniff"


# --- XLSX -----------------------------------------------------------------------------------------------


def workbook() -> openpyxl.Workbook:
    columns = [
        Column("名称"),
        Column("金额（元）", "amount"),
        Column("日期", "date"),
        Column("笔数", "integer"),
    ]
    rows = [
        ['=HYPERLINK("http://evil.example","点击")', 123456, date(2024, 12, 31), 3],
        ["+1", 44, None, 1],
        ["@SUM(A1:A2)", -100, date(2025, 1, 2), 0],
        ["浦口区财政局", 2**53 + 1, None, None],
    ]
    content = xlsx_workbook(
        [Sheet("结算/明细", columns, rows, total_label="合计"), ("第二页", ["A"], [["x"]])]
    )
    return openpyxl.load_workbook(io.BytesIO(content))


def test_xlsx_header_is_bold_frozen_and_filtered():
    book = workbook()
    sheet = book["结算_明细"]  # "/" is not allowed in a sheet name
    assert [c.value for c in sheet[1]] == ["名称", "金额（元）", "日期", "笔数"]
    assert all(c.font.b for c in sheet[1])
    assert sheet.freeze_panes == "A2"
    assert sheet.auto_filter.ref == "A1:D5"
    assert sheet.column_dimensions["A"].width >= len("浦口区财政局") * 2
    assert book.sheetnames == ["结算_明细", "第二页"]


def test_xlsx_amounts_are_numbers_with_two_decimals_and_exact_totals():
    """Given amounts in integer fen, then each is a number of 元 shown with two decimals; an amount too
    large for a spreadsheet number to hold exactly is written as text rather than rounded; the totals row
    is bold and sums the integer column."""
    sheet = workbook()["结算_明细"]
    amounts = [sheet.cell(row=r, column=2) for r in range(2, 5)]
    assert [c.value for c in amounts] == [1234.56, 0.44, -1.0]
    assert all(c.data_type == "n" and c.number_format == "#,##0.00" for c in amounts)
    assert sheet.cell(row=5, column=2).value == "90,071,992,547,409.93"
    total = [c.value for c in sheet[6]]
    assert (total[0], total[3]) == ("合计", 4) and sheet.cell(row=6, column=1).font.b


def test_xlsx_totals_of_amounts_are_exact():
    """Given 1,234.56 + 0.44 元 in fen, then the totals row holds the number 1,235.00 (summed in fen)."""
    content = xlsx_workbook(
        [Sheet("s", [Column("项目"), Column("金额", "amount")], [["a", 123456], ["b", 44]], "合计")]
    )
    sheet = openpyxl.load_workbook(io.BytesIO(content)).active
    assert [c.value for c in sheet[4]] == ["合计", 1235.0]
    assert sheet.cell(row=4, column=2).number_format == "#,##0.00"


def test_xlsx_formula_text_stays_text():
    """Given text that starts like a formula (=, +, @), then it is a string cell holding exactly that
    text: a spreadsheet shows it and never evaluates it."""
    sheet = workbook()["结算_明细"]
    for row, text in ((2, '=HYPERLINK("http://evil.example","点击")'), (3, "+1"), (4, "@SUM(A1:A2)")):
        cell = sheet.cell(row=row, column=1)
        assert (cell.data_type, cell.value) == ("s", text)


def test_xlsx_dates_and_integers():
    sheet = workbook()["结算_明细"]
    assert sheet.cell(row=2, column=3).value.date() == date(2024, 12, 31)
    assert sheet.cell(row=2, column=3).number_format == "yyyy-mm-dd"
    assert sheet.cell(row=2, column=4).value == 3 and sheet.cell(row=2, column=4).number_format == "#,##0"
