"""The engine's 57号 factors come from the records' ApportionmentFactor (sharing/loader.py): the year applied
is the year after the figures', the head office is the unit HQ, and an enterprise whose establishments all
lie in one province never gets 57号 (records' ProvinceRule), however its factors are recorded."""

from __future__ import annotations

import datetime as dt

import pytest

from tongcheng.cooperation.engine.types import BranchFactors
from tongcheng.cooperation.models import Enterprise
from tongcheng.cooperation.services import records
from tongcheng.cooperation.sharing import loader
from tongcheng.cooperation.testing import make_enterprise, place
from tongcheng.core.models import AdjacentZone, User

pytestmark = pytest.mark.django_db

CROSS, INSIDE = "91341103MA2X00010G", "91341103MA2X00020H"


def _enterprise(code: str, branch_at: str, **branch):
    office = User.objects.get(username="office_pn")
    enterprise = make_enterprise(office, credit_code=code, zone_code="pukou-nanqiao")
    head = records.create_establishment(
        actor=office, enterprise=enterprise, kind="head_office", jurisdiction=place("341103")
    )
    base = records.create_establishment(
        actor=office, enterprise=enterprise, kind="branch", jurisdiction=place(branch_at), **branch
    )
    for establishment, figures in ((head, (0, 0, 0)), (base, (300, 200, 100))):
        records.save_factors(
            actor=office,
            establishment=establishment,
            year=2025,
            revenue_fen=figures[0],
            payroll_fen=figures[1],
            assets_fen=figures[2],
        )
    return base


def test_a_cross_province_enterprise_gets_its_factors_for_the_next_year():
    base = _enterprise(CROSS, "320111", opened=dt.date(2024, 3, 5), support_unit=True)
    zone = AdjacentZone.objects.get(code="pukou-nanqiao")
    mine = [f for f in loader.factors_for_engine(zone, 2026 * 12, 2026 * 12 + 11) if f.enterprise == CROSS]
    assert mine == [
        BranchFactors(CROSS, "HQ", "341103", 2026),
        BranchFactors(CROSS, f"E{base.pk}", "320111", 2026, 300, 200, 100, 2024 * 12 + 2, None, True, False),
    ]
    # the figures of 2025 are applied in 2026 only
    assert not [
        f for f in loader.factors_for_engine(zone, 2025 * 12, 2025 * 12 + 11) if f.enterprise == CROSS
    ]


def test_a_single_province_enterprise_never_gets_57():
    _enterprise(INSIDE, "341102")  # 南谯 and 琅琊: both in Anhui
    zone = AdjacentZone.objects.get(code="pukou-nanqiao")
    factors = loader.factors_for_engine(zone, 2026 * 12, 2026 * 12 + 11, enterprises={INSIDE})
    assert not [f for f in factors if f.enterprise == INSIDE]
    assert records.apportionment_regime(Enterprise.objects.get(credit_code=INSIDE)).kind == "province"
