"""The demo of the Nanjing metropolitan area: real jurisdictions, zones and institutions from data/
(each fact with its source), plus synthetic demo users for every role on both sides of two zones.

Idempotent: a row is written only when it is missing or differs, so a second run changes nothing and
adds no history.

It never destroys work (every `make run` loads it). A record some user has changed since (any audited
service action on it: services are the only writers and audit every change) is left exactly as it is and
named in the report, and so are the members of a zone a user has changed; only records no user has touched
are brought up to date with the demo's data, and then with a new edit version, so that an edit begun before
the reload is refused as stale instead of silently based on other values."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.contrib.auth.hashers import make_password
from django.db import models, transaction
from django.utils import translation

from tongcheng.kit.access import bump_scope_version
from tongcheng.kit.models import VersionedModel

from .data import reader
from .models import (
    AdjacentZone,
    AuditEntry,
    Jurisdiction,
    MetroArea,
    MetroMember,
    Organisation,
    Person,
    Role,
    RoleGrant,
    User,
    ZoneMember,
)
from .services.zones import side_of

DEMO_PASSWORD = "tongcheng-demo-2026"
# Display names earlier demos gave and this one corrects: changed on reload only while still unchanged.
CORRECTED_DISPLAY_NAMES = {"officer_pukou": "浦口区 发改局 孙"}


@dataclass
class LoadReport:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    # Records a user has changed, whose demo values differ: left as the user made them.
    kept: list[str] = field(default_factory=list)
    # (object type, object id) of every record some audited service action concerned.
    touched: set[tuple[str, str]] = field(default_factory=set, repr=False)

    def count(self, outcome: str) -> None:
        setattr(self, outcome, getattr(self, outcome) + 1)

    def changed_by_a_user(self, obj: models.Model) -> bool:
        return (obj._meta.label_lower, str(obj.pk)) in self.touched

    def keep(self, obj: models.Model) -> None:
        self.kept.append(f"{obj._meta.verbose_name} {obj}")


def _touched_records() -> set[tuple[str, str]]:
    return set(AuditEntry.objects.values_list("object_type", "object_id").distinct().order_by())


def _upsert(model: type[models.Model], lookup: dict[str, Any], values: dict[str, Any], report: LoadReport):
    obj = model._default_manager.filter(**lookup).first()
    if obj is None:
        obj = model._default_manager.create(**lookup, **values)
        report.count("created")
        return obj
    changed = [name for name, value in values.items() if getattr(obj, name) != value]
    if not changed:
        report.count("unchanged")
    elif report.changed_by_a_user(obj):
        report.keep(obj)
    else:
        for name in changed:
            setattr(obj, name, values[name])
        if isinstance(obj, VersionedModel):
            obj.version += 1
        obj.save()
        report.count("updated")
    return obj


def _sources(sources) -> list[dict[str, Any]]:
    out = []
    for s in sources:
        item = {"fact": s.fact, "fact_en": s.fact_en, "url": s.url or "", "unconfirmed": s.unconfirmed}
        if s.note:
            item.update(note=s.note, note_en=s.note_en)
        out.append(item)
    return out


def _existing_jurisdiction(row: reader.JurisdictionRow, claimed: set[int]) -> dict[str, Any]:
    """The lookup of the stored row this CSV row stands for: the same code and start, or, when the data
    corrected the start (金坛区 2015-05-01 → 2015-04-28), the one stored row of the code whose period
    overlaps the corrected one, so that a reload moves the date instead of adding a second current row."""
    same = Jurisdiction.objects.filter(code=row.code, valid_from=row.valid_from).first()
    if same is not None:
        return {"pk": same.pk}
    overlapping = [
        j
        for j in Jurisdiction.objects.filter(code=row.code).exclude(pk__in=claimed)
        if (row.valid_to is None or j.valid_from < row.valid_to)
        and (j.valid_to is None or row.valid_from < j.valid_to)
    ]
    if len(overlapping) == 1:
        return {"pk": overlapping[0].pk}
    return {"code": row.code, "valid_from": row.valid_from}


def _dec(text: str | None) -> Decimal | None:
    return Decimal(text) if text not in (None, "") else None


def load_jurisdictions(report: LoadReport) -> dict[tuple[str, Any], Jurisdiction]:
    rows = reader.load_jurisdictions()
    by_key: dict[tuple[str, Any], Jurisdiction] = {}
    current: dict[str, Jurisdiction] = {}
    claimed: set[int] = set()
    # Parents before children: provinces, then prefectures, counties, townships.
    order = {"province": 0, "prefecture": 1, "county": 2, "township": 3}
    for row in sorted(rows, key=lambda r: (order[r.level], r.code, r.valid_from)):
        parent = None
        if row.parent_code:
            parent = next(
                (
                    j
                    for (code, _v), j in by_key.items()
                    if code == row.parent_code
                    and j.valid_from <= row.valid_from
                    and (j.valid_to is None or j.valid_to > row.valid_from)
                ),
                None,
            ) or current.get(row.parent_code)
        path = (parent.path if parent else "") + row.code + "/"
        lookup = _existing_jurisdiction(row, claimed)
        obj = _upsert(
            Jurisdiction,
            lookup,
            {
                # Part of the values, not of the lookup: a corrected start date moves on the stored row.
                **({"valid_from": row.valid_from} if "pk" in lookup else {}),
                "valid_from_precision": row.valid_from_precision,
                "valid_to_precision": row.valid_to_precision,
                "name": row.name,
                "name_en": row.name_en,
                "level": row.level,
                "kind": row.kind,
                "parent": parent,
                "path": path,
                "valid_to": row.valid_to,
                "lon": Decimal(str(row.lon)).quantize(Decimal("0.000001")) if row.lon is not None else None,
                "lat": Decimal(str(row.lat)).quantize(Decimal("0.000001")) if row.lat is not None else None,
                "note": row.note,
                "note_en": row.note_en,
            },
            report,
        )
        claimed.add(obj.pk)
        by_key[(row.code, row.valid_from)] = obj
        if row.valid_to is None:
            current[row.code] = obj
    for row in rows:
        if row.successor_code:
            obj = by_key[(row.code, row.valid_from)]
            successor = reader.resolve_code(row.successor_code, row.valid_to, rows) if row.valid_to else None
            target = (
                by_key.get((successor.code, successor.valid_from))
                if successor
                else current.get(row.successor_code)
            )
            if target is not None and obj.successor_id != target.pk:
                if report.changed_by_a_user(obj):
                    report.keep(obj)
                    continue
                obj.successor = target
                obj.version += 1
                obj.save(update_fields=["successor", "version", "updated_at"])
    return by_key


def _at(code: str, day) -> Jurisdiction:
    obj = Jurisdiction.objects.valid_on(day).filter(code=code).first()
    if obj is None:
        raise ValueError(f"jurisdiction {code} is not valid on {day}")
    return obj


def load_registry(report: LoadReport) -> None:
    for metro in reader.load_metro_areas():
        obj = _upsert(
            MetroArea,
            {"code": metro.code},
            {
                "name": metro.name,
                "name_en": metro.name_en,
                "approved": metro.ndrc_approval,
                "core_area_km2": _dec(metro.core_area_km2),
                "planning_area_km2": _dec(metro.planning_area_km2),
                "description": metro.description,
                "description_en": metro.description_en,
                "sources": _sources(metro.sources),
            },
            report,
        )
        if report.changed_by_a_user(obj):
            continue
        for code in metro.members:
            _upsert(
                MetroMember,
                {"metro": obj, "jurisdiction": _at(code, metro.plan_issued)},
                {"core": code in metro.core_area_members},
                report,
            )
    metro = MetroArea.objects.get(code="nanjing")
    zones = reader.load_zones()
    for zone in sorted(zones, key=lambda z: (z.parent is not None, z.code)):
        obj = _upsert(
            AdjacentZone,
            {"code": zone.code},
            {
                "metro": metro,
                "name": zone.name,
                "name_en": zone.name_en,
                "kind": zone.kind,
                "parent": AdjacentZone.objects.get(code=zone.parent) if zone.parent else None,
                "established": zone.established,
                "established_precision": zone.established_precision,
                "planning_area_km2": _dec(zone.planning_area_km2),
                "start_area_km2": _dec(zone.start_area_km2),
                "established_basis": zone.established_basis,
                "established_basis_en": zone.established_basis_en,
                "description": zone.description,
                "description_en": zone.description_en,
                "sources": _sources(zone.sources),
            },
            report,
        )
        if report.changed_by_a_user(obj):
            # Its members are the user's to decide: a member they removed is not put back.
            continue
        members = [
            _upsert(
                ZoneMember,
                {"zone": obj, "jurisdiction": _at(m.code, zone.established)},
                {
                    "party": _at(m.party_code, zone.established),
                    # A side is its party (services/zones.side_of), never free text.
                    "side": side_of(_at(m.party_code, zone.established)),
                    "role": m.role,
                    "since": m.since,
                },
                report,
            )
            for m in zone.members
        ]
        # A member an earlier demo listed and this one does not (宁淮特别合作区's 南京市 became 浦口区) goes,
        # in a zone no user has changed; the zone's version moves on as for any change of its members.
        dropped, _by_model = (
            ZoneMember.objects.filter(zone=obj).exclude(pk__in=[m.pk for m in members]).delete()
        )
        if dropped:
            AdjacentZone.objects.filter(pk=obj.pk).update(version=models.F("version") + 1)
            report.updated += dropped
    orgs = reader.load_organisations()
    for org in sorted(orgs, key=lambda o: (o.parent_key is not None, o.key)):
        _upsert(
            Organisation,
            {"key": org.key},
            {
                "name": org.name,
                "name_en": org.name_en,
                "kind": org.kind,
                "jurisdiction": Jurisdiction.objects.current().get(code=org.jurisdiction_code),
                "zone": AdjacentZone.objects.get(code=org.zone_code) if org.zone_code else None,
                "parent": Organisation.objects.get(key=org.parent_key) if org.parent_key else None,
                "established": org.established,
                "description": org.description,
                "description_en": org.description_en,
                "sources": _sources(org.sources),
                "synthetic": org.synthetic,
            },
            report,
        )


# Demo users: (username, display name, role, scope kind, scope key). Both sides of 浦口—南谯 and
# 江宁—博望 get every staff role; the metro office can define new zones.
DEMO_USERS: list[tuple[str, str, str, str, str]] = [
    ("office_metro", "都市圈同城办 王主任", Role.OFFICE, "metro", "nanjing"),
    ("office_pn", "浦口—南谯同城办 陈科长", Role.OFFICE, "zone", "pukou-nanqiao"),
    ("office_jb", "江宁—博望同城办 刘科长", Role.OFFICE, "zone", "jiangning-bowang"),
    ("leader_pn", "浦口—南谯 领导 周", Role.LEADER, "zone", "pukou-nanqiao"),
    ("leader_jb", "江宁—博望 领导 吴", Role.LEADER, "zone", "jiangning-bowang"),
    ("auditor_pn", "浦口—南谯 审计 郑", Role.AUDITOR, "zone", "pukou-nanqiao"),
    ("auditor_jb", "江宁—博望 审计 冯", Role.AUDITOR, "zone", "jiangning-bowang"),
    # 浦口区发展和改革委员会 is a 发改委 (as in the other districts), not a 发改局.
    ("officer_pukou", "浦口区 发改委 孙", Role.OFFICER, "jurisdiction", "320111"),
    ("officer_nanqiao", "南谯区 发改委 李", Role.OFFICER, "jurisdiction", "341103"),
    ("officer_jiangning", "江宁区 发改委 赵", Role.OFFICER, "jurisdiction", "320115"),
    ("officer_bowang", "博望区 发改委 钱", Role.OFFICER, "jurisdiction", "340506"),
    ("finance_pukou", "浦口区财政局 何", Role.FINANCE, "organisation", "fin-pukou"),
    ("finance_nanqiao", "南谯区财政局 吕", Role.FINANCE, "organisation", "fin-nanqiao"),
    ("finance_jiangning", "江宁区财政局 施", Role.FINANCE, "organisation", "fin-jiangning"),
    ("finance_bowang", "博望区财政局 张", Role.FINANCE, "organisation", "fin-bowang"),
    ("clerk_pukou", "浦口区 窗口 孔", Role.CLERK, "organisation", "win-pukou"),
    ("clerk_nanqiao", "南谯区 窗口 曹", Role.CLERK, "organisation", "win-nanqiao"),
    ("clerk_jiangning", "江宁区 窗口 严", Role.CLERK, "organisation", "win-jiangning"),
    ("clerk_bowang", "博望区 窗口 华", Role.CLERK, "organisation", "win-bowang"),
    ("applicant_demo", "申请人 金（演示）", Role.APPLICANT, "metro", "nanjing"),
]


def synthetic_id_number(seed: str, area: str = "320111") -> str:
    """A checksum-valid, clearly invented ID number (birth 1990-01-01, sequence from the seed)."""
    seq = int(hashlib.sha256(seed.encode()).hexdigest(), 16) % 900 + 100
    body = f"{area}19900101{seq:03d}"
    weights = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]
    check = "10X98765432"[sum(int(d) * w for d, w in zip(body, weights, strict=True)) % 11]
    return body + check


def _scope(kind: str, key: str) -> dict[str, Any]:
    if kind == "metro":
        return {"metro": MetroArea.objects.get(code=key)}
    if kind == "zone":
        return {"zone": AdjacentZone.objects.get(code=key)}
    if kind == "jurisdiction":
        return {"jurisdiction": Jurisdiction.objects.current().get(code=key)}
    return {"organisation": Organisation.objects.get(key=key)}


def load_users(report: LoadReport, password: str = DEMO_PASSWORD) -> list[tuple[str, str, str]]:
    accounts = []
    # Every demo account has the same password: hash it once (argon2 is slow by design).
    hashed = make_password(password)
    admin = User.objects.filter(username="admin").first()
    if admin is None:
        User.objects.create(
            username="admin", password=hashed, is_staff=True, is_superuser=True, display_name="系统管理员"
        )
        report.count("created")
    accounts.append(("admin", "superuser", "—"))
    for username, display, role, kind, key in DEMO_USERS:
        user = User.objects.filter(username=username).first()
        if user is None:
            user = User.objects.create(username=username, password=hashed, display_name=display)
            report.count("created")
        elif user.display_name == CORRECTED_DISPLAY_NAMES.get(username) != display:
            user.display_name = display
            user.save(update_fields=["display_name"])
            report.count("updated")
        scope = _scope(kind, key)
        grant = RoleGrant.objects.filter(user=user, role=role, **scope).first()
        if grant is None:
            RoleGrant.objects.create(user=user, role=role, valid_from="2020-01-01", **scope)
            report.count("created")
        scope_obj = next(iter(scope.values()))
        accounts.append((username, str(role), str(scope_obj)))
        org = (
            scope_obj
            if isinstance(scope_obj, Organisation)
            else Organisation.objects.filter(
                zone=scope_obj if isinstance(scope_obj, AdjacentZone) else None, kind="same_city_office"
            ).first()
        )
        if org is not None and role != Role.APPLICANT:
            area = org.jurisdiction.code[:6]
            _upsert(
                Person,
                {"user": user},
                {
                    "name": display.split()[-1],
                    "organisation": org,
                    "position": str(role.label),
                    "id_number": synthetic_id_number(username, area),
                    "synthetic": True,
                },
                report,
            )
    return accounts


def app_demo_loaders(small: bool = False) -> list[Any]:
    """The demo loaders of the apps above core (``demo_loaders``, dotted paths on an app's config), each
    called with the load's report inside the load's transaction, after core's registry and accounts, in the
    order of INSTALLED_APPS and of each app's list. The same rules hold: a record some user has changed is
    left as it is (``report.changed_by_a_user``), others are brought up to date. With ``small``, those the
    small test demo (core/testing.py) can hold: ``small_demo_loaders``."""
    from django.apps import apps
    from django.utils.module_loading import import_string

    attribute = "small_demo_loaders" if small else "demo_loaders"
    return [
        import_string(path) for config in apps.get_app_configs() for path in getattr(config, attribute, ())
    ]


@transaction.atomic
def load_demo(with_users: bool = True) -> tuple[LoadReport, list[tuple[str, str, str]]]:
    report = LoadReport(touched=_touched_records())
    # Record text is Chinese (a demo person's position is their role's label): the same whatever language
    # the caller runs in, or a reload from an English session would "update" every person.
    with translation.override("zh-hans"):
        load_jurisdictions(report)
        load_registry(report)
        accounts = load_users(report) if with_users else []
        for loader in app_demo_loaders():
            loader(report)
    # Grants, zones and members may have changed: scopes cached before the load are stale.
    bump_scope_version()
    return report, accounts
