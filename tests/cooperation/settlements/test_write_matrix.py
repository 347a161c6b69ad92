"""The write-permission matrix of settlements (docs/access-matrix.md, "Settlements"): every write of the API
and of the pages, tried by every demo role, admin and an anonymous visitor, each in a savepoint rolled back
afterwards (tongcheng/kit/write_matrix.py). The samples are the demo's 浦口—南谯 draft of 2026 (submitted,
or submitted and confirmed by both bureaus, inside the attempt, where the step needs it) and a new
settlement of 2024-11..12.

Who may: create, compute and submit — the zone's office and the metropolitan-area office; confirm and refuse
— the finance bureaus of the parties (浦口, 南谯); finalise — the office or a party's bureau. The zone's
auditor and the parties' bureaus see the settlement (403 where they may not act); everyone else gets 404.
A superuser sees everything but is no party: it cannot confirm for one (403)."""

from __future__ import annotations

import pytest
from django.test import Client

from tests.conftest import DEMO_USERNAMES
from tongcheng.cooperation.models import Settlement, SettlementLine, SettlementParty
from tongcheng.core.models import AdjacentZone, AuditEntry, Jurisdiction, User
from tongcheng.kit.jobs.models import Job
from tongcheng.kit.ledger.models import LedgerEntry
from tongcheng.kit.workflow import confirmations
from tongcheng.kit.workflow.models import Confirmation, TransitionLog
from tongcheng.kit.write_matrix import LOGIN, Outcome, WriteCase, check_write_matrix

pytestmark = pytest.mark.django_db

ROLES = [*DEMO_USERNAMES, "admin", "anonymous"]
API = "/api/v1/cooperation/settlements"
PAGES = "/cooperation/settlements"
DRAFT = "SJ-PUKOUNANQIAO-2026-000001"
PN_ZONE_READERS = (
    "leader_pn",
    "auditor_pn",
    "officer_pukou",
    "officer_nanqiao",
    "finance_pukou",
    "finance_nanqiao",
    "clerk_pukou",
    "clerk_nanqiao",
)
SEERS = ("auditor_pn", "finance_pukou", "finance_nanqiao")  # besides the offices and admin
PARTIES = ("finance_pukou", "finance_nanqiao")


def outcomes(default: Outcome, **by_role: Outcome) -> dict[str, Outcome]:
    unknown = set(by_role) - set(ROLES)
    assert not unknown, sorted(unknown)
    table = {role: by_role.get(role, default) for role in ROLES}
    table["anonymous"] = by_role.get("anonymous", LOGIN)
    return table


def _each(roles, outcome) -> dict[str, Outcome]:
    return dict.fromkeys(roles, outcome)


def _office(success: int) -> dict[str, Outcome]:
    return {"office_metro": success, "office_pn": success, "admin": success}


EXPECTED: dict[str, dict[str, Outcome]] = {
    "settlement_create_api": outcomes(404, **_office(202), **_each(PN_ZONE_READERS, 403)),
    "settlement_compute_api": outcomes(404, **_office(202), **_each(SEERS, 403)),
    "settlement_submit_api": outcomes(404, **_office(200), **_each(SEERS, 403)),
    "settlement_confirm_api": outcomes(404, **_office(403), **{**_each(SEERS, 403), **_each(PARTIES, 200)}),
    "settlement_reject_api": outcomes(404, **_office(403), **{**_each(SEERS, 403), **_each(PARTIES, 200)}),
    "settlement_finalise_api": outcomes(404, **_office(200), **{**_each(SEERS, 403), **_each(PARTIES, 200)}),
    "settlement_create_page": outcomes(403, **_office(302), office_jb=400),  # office_jb: its own zone only
    "settlement_compute_page": outcomes(404, **_office(302), **_each(SEERS, 403)),
    "settlement_submit_page": outcomes(404, **_office(302), **_each(SEERS, 403)),
    "settlement_confirm_page": outcomes(404, **_office(403), **{**_each(SEERS, 403), **_each(PARTIES, 302)}),
    "settlement_reject_page": outcomes(404, **_office(403), **{**_each(SEERS, 403), **_each(PARTIES, 302)}),
    "settlement_finalise_page": outcomes(404, **_office(302), **{**_each(SEERS, 403), **_each(PARTIES, 302)}),
}
for _name in EXPECTED:
    if _name.endswith("_api"):
        EXPECTED[_name]["anonymous"] = 401
DEVIATIONS: dict[str, dict[str, Outcome]] = {}

TABLES = (
    Settlement,
    Settlement.history.model,
    SettlementParty,
    SettlementLine,
    TransitionLog,
    Confirmation,
    LedgerEntry,
    AuditEntry,
    Job,
)


def _draft() -> Settlement:
    return Settlement.objects.get(number=DRAFT)


def _version(role) -> int:
    return _draft().version


def _submitted(role) -> int:
    """Inside the attempt: the office submits the draft (confirmation asked of 浦口 and 南谯)."""
    from tongcheng.cooperation.settlements import services

    office = User.objects.get(username="office_pn")
    s = services.submit_settlement(actor=office, settlement=_draft(), expected_version=_draft().version)
    return s.version


def _confirmed(role) -> int:
    """Inside the attempt: submitted, and both bureaus confirmed through the kit (not yet finalised)."""
    version = _submitted(role)
    s = _draft()
    for name, code in (("finance_pukou", "320111"), ("finance_nanqiao", "341103")):
        confirmations.confirm(
            User.objects.get(username=name), s, Jurisdiction.objects.get(code=code), expected_version=version
        )
    return version


def cases() -> list[WriteCase]:
    def case(name: str, **kwargs) -> WriteCase:
        return WriteCase(
            name=name, expected=EXPECTED[name], deviations=DEVIATIONS.get(name, {}), tables=TABLES, **kwargs
        )

    def step(name: str, verb: str, prepare, payload, api: bool) -> WriteCase:
        if api:
            return case(
                name,
                route=f"{API}/{{number}}/{verb}",
                method="POST",
                url=f"{API}/{DRAFT}/{verb}",
                prepare=prepare,
                payload=payload,
            )
        return case(
            name,
            route=f"{PAGES}/{{number}}/{verb}/",
            method="POST",
            api=False,
            url=f"{PAGES}/{DRAFT}/{verb}/",
            prepare=prepare,
            payload=payload,
        )

    version = lambda role, v: {"version": v}  # noqa: E731
    page_version = lambda role, v: {"version": str(v)}  # noqa: E731
    reason = lambda role, v: {"reason": "矩阵：比例不符"}  # noqa: E731
    page_reason = lambda role, v: {"version": str(v), "reason": "矩阵：比例不符"}  # noqa: E731
    new = {"zone": "pukou-nanqiao", "first": "2024-11", "last": "2024-12"}
    return [
        case("settlement_create_api", route=API, method="POST", url=API, payload=new),
        step("settlement_compute_api", "compute", _version, version, True),
        step("settlement_submit_api", "submit", _version, version, True),
        step("settlement_confirm_api", "confirm", _submitted, version, True),
        step("settlement_reject_api", "reject", _submitted, reason, True),
        step("settlement_finalise_api", "finalise", _confirmed, version, True),
        case(
            "settlement_create_page",
            route=f"{PAGES}/new/",
            method="POST",
            api=False,
            url=f"{PAGES}/new/",
            payload=new,
        ),
        step("settlement_compute_page", "compute", _version, page_version, False),
        step("settlement_submit_page", "submit", _version, page_version, False),
        step("settlement_confirm_page", "confirm", _submitted, page_version, False),
        step("settlement_reject_page", "reject", _submitted, page_reason, False),
        step("settlement_finalise_page", "finalise", _confirmed, page_version, False),
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
    """Given the demo, when the write is tried by every role in a savepoint, then each gets the status of its
    table row and the tables change exactly when it is allowed."""
    by_name = {c.name: c for c in cases()}
    report = check_write_matrix(by_name[name], clients)
    assert not report, str(report)


def test_every_write_has_a_table():
    assert sorted(c.name for c in cases()) == sorted(EXPECTED)
    for name, table in EXPECTED.items():
        assert set(table) == set(ROLES), name
    assert AdjacentZone.objects.filter(code="pukou-nanqiao").exists()
