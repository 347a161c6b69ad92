"""Browser test (Playwright in Chromium) of a settlement: the two finance bureaus confirm the demo's 2026
draft of 浦口—南谯 on its page, it becomes final, and 浦口's bureau downloads the .xlsx and the PDF, which open
and hold the expected totals."""

from __future__ import annotations

import io

import openpyxl
import pytest
from playwright.sync_api import expect
from pypdf import PdfReader

from tongcheng.cooperation.models import LineKind, Settlement, SettlementLine
from tongcheng.cooperation.settlements import services
from tongcheng.core.models import User
from tongcheng.kit.documents import format_amount

pytestmark = [pytest.mark.e2e, pytest.mark.xdist_group("e2e")]

DRAFT = "SJ-PUKOUNANQIAO-2026-000001"


def test_finance_users_confirm_and_download_the_statements(login_as, new_page):
    """Given the office submitted the 2026 draft, when finance_pukou and finance_nanqiao each press 确认 on
    its page, then it is final with both confirmations shown; when finance_pukou downloads the statements,
    then the workbook's per-party sheet and the PDF hold the totals of 浦口's own lines."""
    s = Settlement.objects.get(number=DRAFT)
    services.submit_settlement(
        actor=User.objects.get(username="office_pn"), settlement=s, expected_version=s.version
    )
    url = f"/cooperation/settlements/{DRAFT}/"

    nanqiao = login_as("finance_nanqiao", new_page())
    nanqiao.goto(url)
    with nanqiao.expect_navigation():
        nanqiao.locator("[data-testid=settlement-confirm]").click()
    expect(nanqiao.locator("[data-party='341103']")).to_contain_text("finance_nanqiao")

    page = login_as("finance_pukou")
    page.goto(url)
    with page.expect_navigation():
        page.locator("[data-testid=settlement-confirm]").click()
    expect(page.locator("[data-testid=settlement-status]")).to_have_text("已定稿")
    expect(page.locator("[data-testid=ledger]")).to_be_visible()

    final = Settlement.objects.get(number=DRAFT)
    mine = SettlementLine.objects.filter(
        settlement=final, run=final.run, kind=LineKind.SHARE, jurisdiction="320111"
    )
    expected = sum(mine.values_list("amount_fen", flat=True))
    assert expected > 0

    with page.expect_download() as caught:
        page.locator("[data-testid=statement-xlsx]").click()
    book = openpyxl.load_workbook(io.BytesIO(caught.value.path().read_bytes()))
    rows = list(book["按参与方"].iter_rows(values_only=True))
    assert rows[-1][0] == "合计" and abs(rows[-1][-1] - expected / 100) < 0.005, rows

    with page.expect_download() as caught:
        page.locator("[data-testid=statement-pdf]").click()
    text = "".join(p.extract_text() for p in PdfReader(io.BytesIO(caught.value.path().read_bytes())).pages)
    assert DRAFT in text and format_amount(expected) in text and text.count("签字") == 2
