"""The demo's agreements and receipts (sharing/demo.py): loaded with core's demo, deterministic, synthetic where
no source gives a figure (and marked so), and never overwriting what a user changed on a reload."""

from __future__ import annotations

import io

import pytest

from tongcheng.cooperation.engine.io import uscc_valid
from tongcheng.cooperation.models import Agreement, AgreementVersion, Receipt, ReceiptSum
from tongcheng.cooperation.sharing import canonical, services
from tongcheng.cooperation.sharing.demo import DEMO_ENTERPRISES, DEMO_MONTHS, demo_receipt_rows
from tongcheng.cooperation.sharing.imports import import_table
from tongcheng.cooperation.sharing.testing import user
from tongcheng.core.demo import load_demo
from tongcheng.core.models import AdjacentZone

pytestmark = pytest.mark.django_db


def test_the_demo_holds_three_zones_agreements_and_24_months_of_receipts():
    """Given the demo, then 浦口—南谯, 江宁—博望 and 宁淮 each have an approved agreement the engine reads for
    every demo month, and 24 months of receipts (2024-11 … 2026-10) whose credit codes pass the check."""
    assert len(DEMO_MONTHS) == 24 and DEMO_MONTHS[0] == (2024, 11) and DEMO_MONTHS[-1] == (2026, 10)
    for code in ("pukou-nanqiao", "jiangning-bowang", "ninghuai"):
        zone = AdjacentZone.objects.get(code=code)
        assert Agreement.objects.filter(zone=zone, versions__status="approved").exists(), code
        periods = set(Receipt.objects.filter(zone=zone).values_list("period", flat=True))
        assert periods == {y * 100 + m for y, m in DEMO_MONTHS}, code
        canonical.engine_segments(zone, canonical.month("2024-11"), canonical.month("2026-10"))
    assert all(uscc_valid(e.code) and e.name.startswith("（演示）") for e in DEMO_ENTERPRISES)
    assert Receipt.objects.filter(synthetic=True).count() == len(list(demo_receipt_rows()))
    synthetic = Agreement.objects.filter(code__in=["jb-demo-share", "nh-demo-increment"])
    assert (
        all(a.synthetic for a in synthetic)
        and not Agreement.objects.get(code="pn-park-district-share").synthetic
    )


def test_a_reload_changes_nothing_and_leaves_the_users_work():
    """Given the demo, when the office edits the 浦口—南谯 agreement and re-imports one demo receipt with
    another amount, and the demo is loaded again, then the edited agreement and the imported receipt stay
    as the users made them (and are named in the report), and nothing else changes."""
    agreement = Agreement.objects.get(code="pn-park-district-share")
    services.update_agreement(
        actor=user("office_pn"),
        agreement=agreement,
        changes={"title": "用户改过的标题"},
        expected_version=agreement.version,
    )
    receipt = Receipt.objects.filter(zone=agreement.zone, synthetic=True).order_by("receipt_id").first()
    text = (
        "receipt_id,enterprise,jurisdiction,period,tax_type,amount\n"
        f"{receipt.receipt_id},{receipt.enterprise},{receipt.jurisdiction},{receipt.period // 100}-{receipt.period % 100:02d},"
        f"{receipt.tax_type},123\n"
    )
    assert (
        import_table(
            user("office_pn"), agreement.zone, "receipts", "edit.csv", io.BytesIO(text.encode())
        ).updated
        == 1
    )
    versions_before = list(AgreementVersion.objects.order_by("pk").values_list("pk", "version"))
    sums_before = ReceiptSum.objects.count()

    report, _accounts = load_demo()

    agreement.refresh_from_db()
    receipt.refresh_from_db()
    assert agreement.title == "用户改过的标题"
    assert (receipt.amount_fen, receipt.synthetic) == (123, False)
    assert report.created == 0 and report.updated == 0
    assert any("用户改过的标题" in line for line in report.kept)
    assert any("changed by imports" in line for line in report.kept)
    assert list(AgreementVersion.objects.order_by("pk").values_list("pk", "version")) == versions_before
    assert ReceiptSum.objects.count() == sums_before
