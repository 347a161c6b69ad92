"""Test data for core records, built through the services (issue 7, point 10), and the small test demo.

Builders. Each calls the service a user's request would call, as the actor given, and returns the saved
record; when the service refuses, the test fails at once with the service's code, field and message
(``tongcheng.kit.testing.BuildRefused``) instead of going on with data that was never written. So a test's
data obeys the same rules as production's — who may define a zone, who may give a role — and a change to
those rules shows up in the tests that rely on them.

* ``make_user("newcomer", display_name=…)`` — an account (no service creates accounts: the administrators
  do, in the admin; this uses Django's ``create_user``, which hashes the password);
* ``grant(actor, user, role, scope)`` — ``services.grants.grant_role``; the scope is a record or
  ``"metro:nanjing"``, ``"zone:pukou-nanqiao"``, ``"jurisdiction:320111"``, ``"organisation:win-pukou"``;
* ``make_zone(actor, members=["320111", "341103"], …)`` — ``services.zones.create_zone``;
* ``make_organisation(actor, key=…, jurisdiction="320111", zone=…, …)`` —
  ``services.organisations.create_organisation``;
* ``make_person(user, organisation)`` — a person record (no service writes people yet).

Actors and users may be given as usernames. Records the demo loads from data/ (jurisdictions, the
metropolitan area) have no service: they are reference data, loaded by ``core.demo`` or an import.

The small demo (``load_small_demo``): the same names as the demo of the Nanjing metropolitan area, cut
down to one border. Jiangsu and Anhui, Nanjing and Chuzhou, Pukou (with one township), Nanqiao, and
Jiangning as a district outside the zone; the metropolitan area with those two cities as members; the zone
浦口—南谯 and its six organisations plus Jiangning's window; the accounts of that zone's side of
``core.demo.DEMO_USERS`` with the same roles (``SMALL_DEMO_USERS``). Everything above the registry is made
by the builders, as the users themselves: admin gives office_metro the metropolitan area, office_metro
defines the zone, the organisations and the other grants. tests/conftest.py loads it for tests marked
``small_demo`` (see docs/kit/testing.md). Only test code imports this module."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from decimal import Decimal
from typing import Any

from django.db import transaction

from tongcheng.kit.access import bump_scope_version
from tongcheng.kit.testing import built

from .data import reader
from .demo import DEMO_PASSWORD, DEMO_USERS, LoadReport, _upsert, app_demo_loaders, synthetic_id_number
from .models import (
    AdjacentZone,
    Jurisdiction,
    MetroArea,
    MetroMember,
    Organisation,
    Person,
    Role,
    RoleGrant,
    User,
)
from .services.grants import grant_role
from .services.organisations import create_organisation
from .services.zones import MemberSpec, create_zone

__all__ = [
    "SMALL_DEMO_JURISDICTIONS",
    "SMALL_DEMO_ORGANISATIONS",
    "SMALL_DEMO_USERS",
    "SMALL_DEMO_ZONE",
    "as_user",
    "grant",
    "load_small_demo",
    "make_organisation",
    "make_person",
    "make_user",
    "make_zone",
]

SMALL_DEMO_ZONE = "pukou-nanqiao"
SMALL_DEMO_JURISDICTIONS = ("320000", "320100", "320111", "320111002", "320115", "340000", "341100", "341103")
SMALL_DEMO_ORGANISATIONS = (
    "pukou-nanqiao-office",
    "fin-pukou",
    "fin-nanqiao",
    "win-pukou",
    "win-nanqiao",
    "win-jiangning",
)
SMALL_DEMO_USERS = (
    "office_metro",
    "office_pn",
    "leader_pn",
    "auditor_pn",
    "officer_pukou",
    "officer_nanqiao",
    "officer_jiangning",
    "finance_pukou",
    "finance_nanqiao",
    "clerk_pukou",
    "clerk_nanqiao",
    "applicant_demo",
)
# The demo's grants start on this day; the small demo's too, so that dated tests agree on both.
GRANTS_FROM = dt.date(2020, 1, 1)


# --- builders -----------------------------------------------------------------------------------------------


def as_user(user: Any) -> Any:
    """A username or a user -> the user."""
    return User.objects.get(username=user) if isinstance(user, str) else user


def make_user(username: str, *, display_name: str = "", password: str | None = None, **fields: Any) -> User:
    """An account without roles. ``password`` None: it cannot sign in with a password (force_login still
    works)."""
    return User.objects.create_user(username, password=password, display_name=display_name, **fields)


def _scope(scope: Any) -> dict[str, Any]:
    if isinstance(scope, str):
        kind, _, key = scope.partition(":")
        if kind == "metro":
            return {"metro": MetroArea.objects.get(code=key)}
        if kind == "zone":
            return {"zone": AdjacentZone.objects.get(code=key)}
        if kind == "jurisdiction":
            return {"jurisdiction": Jurisdiction.objects.current().get(code=key)}
        if kind == "organisation":
            return {"organisation": Organisation.objects.get(key=key)}
        raise ValueError(f"scope {scope!r}: expected metro:, zone:, jurisdiction: or organisation:")
    for name, model in (
        ("metro", MetroArea),
        ("zone", AdjacentZone),
        ("jurisdiction", Jurisdiction),
        ("organisation", Organisation),
    ):
        if isinstance(scope, model):
            return {name: scope}
    raise TypeError(f"not a scope: {scope!r}")


def grant(
    actor: Any,
    user: Any,
    role: str,
    scope: Any,
    *,
    valid_from: dt.date | None = None,
    valid_to: dt.date | None = None,
) -> RoleGrant:
    """``actor`` gives ``user`` the role on the scope, through ``grant_role``."""
    actor, user = as_user(actor), as_user(user)
    return built(
        f"grant({actor.username} gives {user.username} {role} on {scope})",
        lambda: grant_role(
            actor=actor, user=user, role=role, valid_from=valid_from, valid_to=valid_to, **_scope(scope)
        ),
    )


def _jurisdiction(value: Any) -> Jurisdiction:
    return Jurisdiction.objects.current().get(code=value) if isinstance(value, str) else value


def _member(value: str | MemberSpec) -> MemberSpec:
    return value if isinstance(value, MemberSpec) else MemberSpec(code=value)


def make_zone(
    actor: Any,
    *,
    members: Sequence[str | MemberSpec],
    name: str = "测试同城区",
    name_en: str = "Test zone",
    code: str = "",
    kind: str = "cross_border_demo_zone",
    established: dt.date = dt.date(2024, 1, 1),
    metro: str | MetroArea = "nanjing",
    **fields: Any,
) -> AdjacentZone:
    """A zone defined by ``actor`` through ``create_zone``: active when the actor is the metropolitan-area
    office or runs all its members, a proposal otherwise (the service decides). Members are codes (side and
    party found by the service) or ``MemberSpec``s."""
    actor = as_user(actor)
    metro_area = MetroArea.objects.get(code=metro) if isinstance(metro, str) else metro
    return built(
        f"make_zone({actor.username}, members={[_member(m).code for m in members]})",
        lambda: create_zone(
            actor=actor,
            metro=metro_area,
            name=name,
            name_en=name_en,
            code=code,
            kind=kind,
            established=established,
            members=[_member(m) for m in members],
            **fields,
        ),
    )


def make_organisation(
    actor: Any,
    *,
    key: str,
    jurisdiction: str | Jurisdiction = "320111",
    kind: str = "service_window",
    zone: str | AdjacentZone | None = None,
    name: str = "",
    **fields: Any,
) -> Organisation:
    """An organisation created by ``actor`` through ``create_organisation``."""
    actor = as_user(actor)
    zone_obj = AdjacentZone.objects.get(code=zone) if isinstance(zone, str) else zone
    return built(
        f"make_organisation({actor.username}, key={key})",
        lambda: create_organisation(
            actor=actor,
            key=key,
            name=name or key,
            kind=kind,
            jurisdiction=_jurisdiction(jurisdiction),
            zone=zone_obj,
            **fields,
        ),
    )


def make_person(user: Any, organisation: str | Organisation, *, position: str = "", **fields: Any) -> Person:
    """The person record of a staff account, with a synthetic, checksum-valid ID number."""
    user = as_user(user)
    org = Organisation.objects.get(key=organisation) if isinstance(organisation, str) else organisation
    values: dict[str, Any] = {
        "name": (user.display_name or user.username).split()[-1],
        "position": position,
        "id_number": synthetic_id_number(user.username, org.jurisdiction.code[:6]),
        "synthetic": True,
        **fields,
    }
    return Person.objects.create(user=user, organisation=org, **values)


# --- the small demo ------------------------------------------------------------------------------------------


def _dec(text: str | None) -> Decimal | None:
    return Decimal(text) if text not in (None, "") else None


def _load_registry_slice(codes: Iterable[str]) -> None:
    """The chosen jurisdictions (their current rows) and the metropolitan area with those of its members,
    from the same files as the full demo."""
    wanted = set(codes)
    report = LoadReport()
    rows = [r for r in reader.load_jurisdictions() if r.code in wanted and r.valid_to is None]
    order = {"province": 0, "prefecture": 1, "county": 2, "township": 3}
    made: dict[str, Jurisdiction] = {}
    for row in sorted(rows, key=lambda r: (order[r.level], r.code)):
        parent = made.get(row.parent_code) if row.parent_code else None
        made[row.code] = _upsert(
            Jurisdiction,
            {"code": row.code, "valid_from": row.valid_from},
            {
                "name": row.name,
                "name_en": row.name_en,
                "level": row.level,
                "kind": row.kind,
                "parent": parent,
                "path": (parent.path if parent else "") + row.code + "/",
                "lon": Decimal(str(row.lon)).quantize(Decimal("0.000001")) if row.lon is not None else None,
                "lat": Decimal(str(row.lat)).quantize(Decimal("0.000001")) if row.lat is not None else None,
                "note": row.note,
            },
            report,
        )
    for metro in reader.load_metro_areas():
        if metro.code != "nanjing":
            continue
        area = _upsert(
            MetroArea,
            {"code": metro.code},
            {
                "name": metro.name,
                "name_en": metro.name_en,
                "approved": metro.ndrc_approval,
                "core_area_km2": _dec(metro.core_area_km2),
                "planning_area_km2": _dec(metro.planning_area_km2),
                "description": metro.description,
            },
            report,
        )
        for code in metro.members:
            if code in made:
                _upsert(
                    MetroMember,
                    {"metro": area, "jurisdiction": made[code]},
                    {"core": code in metro.core_area_members},
                    report,
                )


@transaction.atomic
def load_small_demo(password: str = DEMO_PASSWORD) -> None:
    """Fill an empty database with the small demo (see the module's docstring). Not idempotent: run it
    on an empty database."""
    _load_registry_slice(SMALL_DEMO_JURISDICTIONS)
    demo_users = {u[0]: u for u in DEMO_USERS}
    admin = make_user("admin", display_name="系统管理员", password=password, is_staff=True, is_superuser=True)
    users = {
        name: make_user(name, display_name=demo_users[name][1], password=password)
        for name in SMALL_DEMO_USERS
    }
    metro_office = users["office_metro"]
    grant(admin, metro_office, Role.OFFICE, "metro:nanjing", valid_from=GRANTS_FROM)

    zone_data = next(z for z in reader.load_zones() if z.code == SMALL_DEMO_ZONE)
    zone = make_zone(
        metro_office,
        code=zone_data.code,
        name=zone_data.name,
        name_en=zone_data.name_en,
        kind=zone_data.kind,
        established=zone_data.established,
        planning_area_km2=_dec(zone_data.planning_area_km2),
        description=zone_data.description,
        # The side follows from the party (the service derives it).
        members=[MemberSpec(m.code, m.party_code, role=m.role) for m in zone_data.members],
    )
    organisations = {o.key: o for o in reader.load_organisations()}
    for key in SMALL_DEMO_ORGANISATIONS:
        org = organisations[key]
        make_organisation(
            metro_office,
            key=key,
            name=org.name,
            name_en=org.name_en,
            kind=org.kind,
            jurisdiction=org.jurisdiction_code,
            # The demo attaches Jiangning's window to 江宁—博望, a zone the small demo does not have.
            zone=zone if org.zone_code == SMALL_DEMO_ZONE else None,
        )

    for username, _display, role, kind, key in DEMO_USERS:
        if username not in users or username == "office_metro":
            continue
        if role == Role.APPLICANT:
            # Not a staff role: no service gives it (applicants will come with the cooperation modules).
            RoleGrant.objects.create(
                user=users[username], role=role, metro=MetroArea.objects.get(code=key), valid_from=GRANTS_FROM
            )
            continue
        grant(metro_office, users[username], role, f"{kind}:{key}", valid_from=GRANTS_FROM)
        office = key if kind == "organisation" else ("pukou-nanqiao-office" if kind == "zone" else None)
        if office is not None:
            make_person(users[username], office, position=str(Role(role).label))
    # The apps above core add their demo records of the small demo's zone (e.g. cooperation's agreements).
    report = LoadReport(touched=set())
    for loader in app_demo_loaders(small=True):
        loader(report)
    bump_scope_version()
