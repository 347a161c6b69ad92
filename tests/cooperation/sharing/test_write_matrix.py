"""The write-permission matrix of agreements, versions and imports (docs/access-matrix.md, "Cooperation"): every
write of the API and of the pages, tried by every demo role, admin and an anonymous visitor, each in a
savepoint rolled back afterwards (tongcheng/kit/write_matrix.py). The sample is 浦口—南谯's demo agreement
and its draft version 2 (the 3:7 alternative), and receipts collected by 南谯 (341103).

Who may: the zone's office and the metropolitan-area office (agreements and versions); for imports also the
finance bureau of the treasury that collected the receipts (finance_nanqiao). Those who see the zone but
may not act get 403; those who do not see it 404; finance_pukou, whose treasury did not collect these
receipts, gets 400 (every row refused, nothing written), as do offices and bureaus whose import form does not
offer the zone."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from tests.conftest import DEMO_USERNAMES
from tongcheng.cooperation.models import Agreement, AgreementVersion, Receipt, ReceiptSum
from tongcheng.core.models import AuditEntry, User
from tongcheng.kit.workflow.models import TransitionLog
from tongcheng.kit.write_matrix import LOGIN, Outcome, WriteCase, check_write_matrix

pytestmark = pytest.mark.django_db

ROLES = [*DEMO_USERNAMES, "admin", "anonymous"]
API = "/api/v1/cooperation"
AGREEMENT = "pn-park-district-share"
DRAFT = 2
PN_READERS = (
    "leader_pn",
    "auditor_pn",
    "officer_pukou",
    "officer_nanqiao",
    "finance_pukou",
    "finance_nanqiao",
    "clerk_pukou",
    "clerk_nanqiao",
)
OFFICES = {"office_metro": None, "office_pn": None, "admin": None}


def outcomes(default: Outcome, **by_role: Outcome) -> dict[str, Outcome]:
    unknown = set(by_role) - set(ROLES)
    assert not unknown, sorted(unknown)
    table = {role: by_role.get(role, default) for role in ROLES}
    table["anonymous"] = by_role.get("anonymous", LOGIN)
    return table


def _each(roles, outcome) -> dict[str, Outcome]:
    return dict.fromkeys(roles, outcome)


def _office(success: int) -> dict[str, Outcome]:
    return {role: success for role in OFFICES}


EXPECTED: dict[str, dict[str, Outcome]] = {
    # API
    "agreement_create_api": outcomes(404, **_office(201), **_each(PN_READERS, 403)),
    "agreement_patch_api": outcomes(404, **_office(200), **_each(PN_READERS, 403)),
    "version_create_api": outcomes(404, **_office(201), **_each(PN_READERS, 403)),
    "version_patch_api": outcomes(404, **_office(200), **_each(PN_READERS, 403)),
    "version_approve_api": outcomes(404, **_office(200), **_each(PN_READERS, 403)),
    "import_api": outcomes(
        404,
        **_office(200),
        **{**_each(PN_READERS, 403), "finance_nanqiao": 200, "finance_pukou": 400},
        anonymous=401,
    ),
    # pages
    "agreement_create_page": outcomes(
        403, **_office(302), office_jb=400, applicant_demo=404
    ),  # office_jb: the form offers its own zone only
    "agreement_edit_page": outcomes(404, **_office(302), **_each(PN_READERS, 403)),
    "version_create_page": outcomes(404, **_office(302), **_each(PN_READERS, 403)),
    "version_edit_page": outcomes(404, **_office(302), **_each(PN_READERS, 403)),
    "version_approve_page": outcomes(404, **_office(302), **_each(PN_READERS, 403)),
    "import_page": outcomes(
        403,
        **_office(200),
        finance_nanqiao=200,
        finance_pukou=400,  # not its treasury's receipts
        office_jb=400,
        finance_jiangning=400,
        finance_bowang=400,  # the form does not offer 浦口—南谯
        applicant_demo=404,
    ),
}
DEVIATIONS: dict[str, dict[str, Outcome]] = {}

AGREEMENT_TABLES = (
    Agreement,
    Agreement.history.model,
    AgreementVersion,
    AgreementVersion.history.model,
    TransitionLog,
    AuditEntry,
)
IMPORT_TABLES = (Receipt, ReceiptSum, AuditEntry)
RULES = {
    "scope": {"enterprises": ["91341103MA2X00010G"]},
    "tax_types": ["PIT"],
    "base": {"kind": "local_share", "fraction_bp": 10000},
    "ratio": {"kind": "fixed", "bp": [5000, 5000]},
}
RECEIPTS = (
    b"receipt_id,enterprise,jurisdiction,period,tax_type,amount_yuan\n"
    b"M1,91341103MA2X00010G,341103,2026-01,VAT,100.00\n"
    b"M2,91341103MA2X00020H,341103,2026-02,CIT,-5.5\n"
)


def _draft() -> AgreementVersion:
    return AgreementVersion.objects.get(agreement__code=AGREEMENT, number=DRAFT)


def _with_resolution(role):
    """Inside the attempt: the draft names its approving resolution (the demo's draft does not yet)."""
    draft = _draft()
    AgreementVersion.objects.filter(pk=draft.pk).update(resolution="矩阵决议〔2026〕1号")
    return draft.version


def _agreement_version(role, prepared) -> dict:
    return {"version": Agreement.objects.get(code=AGREEMENT).version, "note": "矩阵"}


def _draft_patch(role, prepared) -> dict:
    return {"version": _draft().version, "note": "矩阵"}


def _version_form(role, prepared) -> dict:
    draft = _draft()
    return {
        "effective_from": "2026-01",
        "effective_to": "",
        "resolution": "",
        "enterprises": "\n".join(draft.rules["scope"]["enterprises"]),
        "tax_types": ["VAT", "CIT"],
        "base_kind": "local_share",
        "fraction_bp": "4000",
        "ratio_kind": "fixed",
        "ratio_bp": "4000, 6000",
        "note": "矩阵",
        "version": str(draft.version),
    }


def _new_version_form(role, prepared) -> dict:
    form = _version_form(role, prepared)
    form.update(effective_from="2027-01", enterprises="91341103MA2X00010G", tax_types=["PIT"], version="")
    return form


def _upload(role, prepared) -> dict:
    return {
        "dataset": "receipts",
        "zone": "pukou-nanqiao",
        "file": SimpleUploadedFile("r.csv", RECEIPTS, "text/csv"),
    }


def _api_upload(role, prepared) -> dict:
    return {"zone": "pukou-nanqiao", "file": SimpleUploadedFile("r.csv", RECEIPTS, "text/csv")}


def cases() -> list[WriteCase]:
    def case(name: str, **kwargs) -> WriteCase:
        return WriteCase(name=name, expected=EXPECTED[name], deviations=DEVIATIONS.get(name, {}), **kwargs)

    version_url = f"{API}/agreements/{AGREEMENT}/versions/{DRAFT}"
    page = f"/cooperation/agreements/{AGREEMENT}"
    return [
        case(
            "agreement_create_api",
            route="/api/v1/cooperation/agreements",
            method="POST",
            url=f"{API}/agreements",
            payload={
                "zone": "pukou-nanqiao",
                "code": "matrix-agreement",
                "title": "矩阵协议",
                "parties": [
                    {"jurisdiction": "341103", "role": "host"},
                    {"jurisdiction": "320111", "role": "partner"},
                ],
            },
            tables=AGREEMENT_TABLES,
        ),
        case(
            "agreement_patch_api",
            route="/api/v1/cooperation/agreements/{agreement}",
            method="PATCH",
            url=f"{API}/agreements/{AGREEMENT}",
            payload=_agreement_version,
            tables=AGREEMENT_TABLES,
        ),
        case(
            "version_create_api",
            route="/api/v1/cooperation/agreements/{agreement}/versions",
            method="POST",
            url=f"{API}/agreements/{AGREEMENT}/versions",
            payload={"effective_from": "2027-01", "rules": RULES},
            tables=AGREEMENT_TABLES,
        ),
        case(
            "version_patch_api",
            route="/api/v1/cooperation/agreements/{agreement}/versions/{number}",
            method="PATCH",
            url=version_url,
            payload=_draft_patch,
            tables=AGREEMENT_TABLES,
        ),
        case(
            "version_approve_api",
            route="/api/v1/cooperation/agreements/{agreement}/versions/{number}/approve",
            method="POST",
            url=f"{version_url}/approve",
            prepare=_with_resolution,
            payload=lambda role, version: {"version": version},
            tables=AGREEMENT_TABLES,
        ),
        case(
            "import_api",
            route="/api/v1/cooperation/imports/{dataset}",
            method="POST",
            api=False,  # a multipart upload; an anonymous caller gets the API's 401
            url=f"{API}/imports/receipts",
            payload=_api_upload,
            tables=IMPORT_TABLES,
        ),
        case(
            "agreement_create_page",
            route="/cooperation/agreements/new/",
            method="POST",
            api=False,
            url="/cooperation/agreements/new/",
            payload={
                "zone": "pukou-nanqiao",
                "code": "matrix-agreement",
                "title": "矩阵协议",
                "parties": "341103 host\n320111 partner",
            },
            tables=AGREEMENT_TABLES,
        ),
        case(
            "agreement_edit_page",
            route="/cooperation/agreements/{agreement}/edit/",
            method="POST",
            api=False,
            url=f"{page}/edit/",
            payload=lambda role, p: {
                "title": "浦口—南谯（矩阵）",
                "parties": "341103 host\n320111 partner",
                "version": str(Agreement.objects.get(code=AGREEMENT).version),
            },
            tables=AGREEMENT_TABLES,
        ),
        case(
            "version_create_page",
            route="/cooperation/agreements/{agreement}/versions/new/",
            method="POST",
            api=False,
            url=f"{page}/versions/new/",
            payload=_new_version_form,
            tables=AGREEMENT_TABLES,
        ),
        case(
            "version_edit_page",
            route="/cooperation/agreements/{agreement}/versions/{number}/edit/",
            method="POST",
            api=False,
            url=f"{page}/versions/{DRAFT}/edit/",
            payload=_version_form,
            tables=AGREEMENT_TABLES,
        ),
        case(
            "version_approve_page",
            route="/cooperation/agreements/{agreement}/versions/{number}/approve/",
            method="POST",
            api=False,
            url=f"{page}/versions/{DRAFT}/approve/",
            prepare=_with_resolution,
            payload=lambda role, version: {"version": str(version), "note": "矩阵"},
            tables=AGREEMENT_TABLES,
        ),
        case(
            "import_page",
            route="/cooperation/imports/",
            method="POST",
            api=False,
            url="/cooperation/imports/",
            payload=_upload,
            tables=IMPORT_TABLES,
        ),
    ]


@pytest.fixture
def clients(db) -> dict[str, Client]:
    out = {}
    for role in ROLES:
        client = Client()
        if role != "anonymous":
            client.force_login(User.objects.get(username=role))
        out[role] = client
    return out


@pytest.mark.parametrize("name", list(EXPECTED))
def test_write_matrix(clients, name):
    """Given the demo, when the write is tried by every demo role, admin and an anonymous visitor, each in a
    savepoint, then each gets the status of its table row and the tables change exactly when it is allowed."""
    by_name = {c.name: c for c in cases()}
    report = check_write_matrix(by_name[name], clients)
    assert not report, str(report)


def test_every_write_has_a_table():
    assert sorted(c.name for c in cases()) == sorted(EXPECTED)
    for name, table in EXPECTED.items():
        assert set(table) == set(ROLES), name
