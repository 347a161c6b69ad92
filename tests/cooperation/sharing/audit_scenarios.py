"""The audited actions of agreements and imports, each done once on 浦口—南谯's records, for
tests/core/test_audit_anchors.py: the entry must be read by the auditors and offices whose scope holds the
zone, and by nobody of 江宁—博望."""

from __future__ import annotations

import io

from tongcheng.cooperation.sharing import services
from tongcheng.cooperation.sharing.imports import import_table
from tongcheng.cooperation.sharing.testing import approve, make_agreement, make_version, user
from tongcheng.core.models import AdjacentZone

RULES = {
    "scope": {"enterprises": ["91341103MA2X00010G"]},
    "tax_types": ["PIT"],
    "base": {"kind": "local_share", "fraction_bp": 10000},
    "ratio": {"kind": "fixed", "bp": [5000, 5000]},
}
READERS = ["auditor_pn", "office_pn", "auditor_metro"]
OTHERS = ["auditor_jb", "office_jb"]


def _agreement():
    return make_agreement("office_pn", code="audit-agreement")


def _update_agreement():
    agreement = _agreement()
    services.update_agreement(
        actor=user("office_pn"), agreement=agreement, changes={"title": "审计"}, expected_version=1
    )


def _update_version():
    version = make_version("office_pn", _agreement(), rules=RULES)
    services.update_version(
        actor=user("office_pn"), version=version, changes={"note": "审计"}, expected_version=1
    )


def _approve():
    approve("office_pn", make_version("office_pn", _agreement(), rules=RULES))


def _supersede():
    agreement = _agreement()
    approve("office_pn", make_version("office_pn", agreement, effective_from="2025-01", rules=RULES))
    approve("office_pn", make_version("office_pn", agreement, effective_from="2024-01", rules=RULES))


def _cut():
    agreement = _agreement()
    approve("office_pn", make_version("office_pn", agreement, effective_from="2024-01", rules=RULES))
    approve("office_pn", make_version("office_pn", agreement, effective_from="2025-01", rules=RULES))


def _import(dataset: str, text: str):
    def run():
        zone = AdjacentZone.objects.get(code="pukou-nanqiao")
        outcome = import_table(user("office_pn"), zone, dataset, "a.csv", io.BytesIO(text.encode()))
        assert outcome.applied, outcome.errors

    return run


def _registered_head_office(credit_code: str, jurisdiction: str) -> None:
    """Factors are kept per recorded establishment: the enterprise and its head office come first."""
    from tongcheng.cooperation.services import records
    from tongcheng.cooperation.testing import make_enterprise, place

    office = user("office_pn")
    enterprise = make_enterprise(office, credit_code=credit_code, zone_code="pukou-nanqiao")
    records.create_establishment(
        actor=office, enterprise=enterprise, kind="head_office", jurisdiction=place(jurisdiction)
    )


SCENARIOS = {
    "agreement.create": (_agreement, READERS, OTHERS),
    "agreement.update": (_update_agreement, READERS, OTHERS),
    "agreement_version.create": (
        lambda: make_version("office_pn", _agreement(), rules=RULES),
        READERS,
        OTHERS,
    ),
    "agreement_version.update": (_update_version, READERS, OTHERS),
    "agreement_version.approve": (_approve, READERS, OTHERS),
    "agreement_version.supersede": (_supersede, READERS, OTHERS),
    "agreement_version.cut": (_cut, READERS, OTHERS),
    "receipts.import": (
        _import(
            "receipts",
            "receipt_id,enterprise,jurisdiction,period,tax_type,amount\nA1,91341103MA2X00010G,341103,2026-01,VAT,100\n",
        ),
        READERS,
        OTHERS,
    ),
    "indicators.import": (
        _import("indicators", "enterprise,period,indicator,value\n91341103MA2X00010G,2026-01,gdp,100\n"),
        READERS,
        OTHERS,
    ),
    "factors.import": (
        lambda: (
            _registered_head_office("91341103MA2X00010G", "341103"),
            _import(
                "factors",
                "enterprise,unit,jurisdiction,year,revenue_fen,payroll_fen,assets_fen\n"
                "91341103MA2X00010G,HQ,341103,2026,0,0,0\n",
            )(),
        ),
        READERS,
        OTHERS,
    ),
}
