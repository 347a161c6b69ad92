"""Statements read back: the .xlsx with openpyxl, the PDF with pypdf; the totals are found in both."""

from __future__ import annotations

import io

import openpyxl
import pytest
from pypdf import PdfReader

from tongcheng.cooperation.models import LineKind, SettlementLine
from tongcheng.cooperation.settlements.rules import lines_for
from tongcheng.cooperation.settlements.statements import statement_pdf, statement_xlsx
from tongcheng.cooperation.settlements.testing import final_settlement, user
from tongcheng.kit.documents import format_amount

pytestmark = pytest.mark.django_db


def test_the_workbook_has_its_four_sheets_and_the_totals():
    """Given a final settlement, when the office downloads the workbook, then it has the sheets 汇总, 按协议,
    按参与方 and 划转, and the per-agreement and per-party totals equal the settlement's total (in 元)."""
    s = final_settlement()
    book = openpyxl.load_workbook(io.BytesIO(statement_xlsx(s, lines_for(user("office_pn"), s))))
    assert book.sheetnames[:4] == ["汇总", "按协议", "按参与方", "划转"]
    expected = s.total_fen / 100
    for name in ("按协议", "按参与方"):
        sheet = book[name]
        last = list(sheet.iter_rows(values_only=True))[-1]
        assert last[0] == "合计" and abs(last[-1] - expected) < 0.005, (name, last)
    transfers = sum(
        SettlementLine.objects.filter(settlement=s, kind=LineKind.TRANSFER).values_list(
            "amount_fen", flat=True
        )
    )
    last = list(book["划转"].iter_rows(values_only=True))[-1]
    assert abs((last[-1] or 0) - transfers / 100) < 0.005
    summary = {row[0]: row[1] for row in book["汇总"].iter_rows(values_only=True)}
    assert summary["编号"] == s.number


def test_the_pdf_is_chinese_with_the_total_and_a_signature_block_per_party():
    s = final_settlement()
    pdf = PdfReader(io.BytesIO(statement_pdf(s, lines_for(user("office_pn"), s))))
    text = "".join(page.extract_text() for page in pdf.pages)
    assert s.number in text and format_amount(s.total_fen) in text
    assert "结算单" in text and "合计" in text
    assert text.count("签字") == 2 and "浦口区" in text and "南谯区" in text
    assert "finance_pukou" in text or "浦口区财政局" in text


def test_a_party_statement_holds_only_its_own_lines():
    s = final_settlement()
    book = openpyxl.load_workbook(io.BytesIO(statement_xlsx(s, lines_for(user("finance_pukou"), s))))
    codes = {row[1] for row in list(book["按参与方"].iter_rows(values_only=True))[1:-1]}
    assert codes == {"320111"}
