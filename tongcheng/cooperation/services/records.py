"""Services of the cooperation records: parks and their yearly results, enterprises, establishments,
apportionment factors and the provinces' rules. The only writers of these tables: each checks the actor's
grant, validates, writes in one transaction with its audit entry, and compares the version on every edit."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

from tongcheng.core.models import AdjacentZone, Jurisdiction, JurisdictionLevel, Organisation
from tongcheng.kit.services import (
    ForbiddenError,
    NotFoundError,
    ValidationFailed,
    require,
)

from ..industries import check_industry
from ..models import (
    ApportionmentFactor,
    Enterprise,
    Establishment,
    EstablishmentKind,
    Park,
    ParkYear,
    ProvinceRule,
)
from .base import create_record, member_paths, require_touches_zone, update_record

__all__ = [
    "ENTERPRISE_EDITABLE_FIELDS",
    "ESTABLISHMENT_EDITABLE_FIELDS",
    "PARK_EDITABLE_FIELDS",
    "ApportionmentRegime",
    "apportionment_regime",
    "create_enterprise",
    "create_establishment",
    "create_park",
    "province_rule_for",
    "save_factors",
    "save_park_year",
    "save_province_rule",
    "update_enterprise",
    "update_establishment",
    "update_park",
]

PARK_EDITABLE_FIELDS = (
    "name",
    "name_en",
    "host",
    "managing_organisation",
    "area_m2",
    "established",
    "closed",
    "note",
    "note_en",
)
PARK_M2M = ("partners",)
ENTERPRISE_EDITABLE_FIELDS = ("name", "name_en", "industry", "note", "note_en")
ESTABLISHMENT_EDITABLE_FIELDS = (
    "kind",
    "name",
    "name_en",
    "jurisdiction",
    "park",
    "opened",
    "closed",
    "support_unit",
    "note",
    "note_en",
)


# --- parks ------------------------------------------------------------------------------------------------


def _check_park_places(
    zone: AdjacentZone, host: Jurisdiction | None, partners: Sequence[Jurisdiction], managing: Any
) -> None:
    paths = member_paths(zone)
    require_touches_zone(zone, [host], "host", paths)
    require_touches_zone(zone, partners, "partners", paths)
    if host is not None and any(p.pk == host.pk for p in partners):
        raise ValidationFailed(
            _("The host is not also a partner of its own park."), code="validation_failed", field="partners"
        )
    if managing is not None and not isinstance(managing, Organisation):
        raise ValidationFailed(_("Choose an organisation."), field="managing_organisation")


@transaction.atomic
def create_park(
    *,
    actor: Any,
    code: str,
    name: str,
    zone: AdjacentZone,
    host: Jurisdiction,
    name_en: str = "",
    managing_organisation: Organisation | None = None,
    partners: Sequence[Jurisdiction] = (),
    area_m2: int | None = None,
    established: dt.date | None = None,
    closed: dt.date | None = None,
    note: str = "",
    note_en: str = "",
) -> Park:
    """A co-built park of a zone the actor's office runs: its host and partners must be members of the zone
    (or lie inside or contain one)."""
    _check_park_places(zone, host, partners, managing_organisation)
    park = Park(
        code=code,
        name=name,
        name_en=name_en,
        zone=zone,
        host=host,
        managing_organisation=managing_organisation,
        area_m2=area_m2,
        established=established,
        closed=closed,
        note=note,
        note_en=note_en,
    )
    create_record(
        actor,
        park,
        action="park.create",
        refusal=_("You may not create a park there."),
        m2m={"partners": partners},
        data={"code": code, "zone": zone.code},
    )
    return park


@transaction.atomic
def update_park(*, actor: Any, park: Park, changes: dict[str, Any], expected_version: Any) -> Park:
    """Edit a park against the version the editor opened. A park stays in its zone."""
    require(actor, "change", park)
    host = changes.get("host", park.host)
    partners = changes.get("partners", list(park.partners.all()))
    _check_park_places(park.zone, host, list(partners), changes.get("managing_organisation"))
    return update_record(
        actor,
        park,
        changes,
        expected_version,
        fields=(*PARK_EDITABLE_FIELDS, *PARK_M2M),
        action="park.update",
        m2m_fields=PARK_M2M,
    )


@transaction.atomic
def save_park_year(
    *,
    actor: Any,
    park: Park,
    year: int,
    business_revenue_fen: int,
    budget_revenue_fen: int,
    note: str = "",
    note_en: str = "",
    expected_version: Any = None,
) -> ParkYear:
    """Record a park's results of a year: a new year is created, a recorded one is updated against the
    version the editor saw."""
    require(actor, "change", park)
    existing = ParkYear.objects.select_for_update().filter(park=park, year=year).first()
    values = {
        "business_revenue_fen": business_revenue_fen,
        "budget_revenue_fen": budget_revenue_fen,
        "note": note,
        "note_en": note_en,
    }
    if existing is None:
        row = ParkYear(park=park, year=year, **values)
        create_record(
            actor,
            row,
            action="park_year.save",
            refusal=_("You may not record this park's results."),
            data={
                "year": year,
                "business_revenue_fen": business_revenue_fen,
                "budget_revenue_fen": budget_revenue_fen,
            },
        )
        return row
    return update_record(
        actor, existing, values, expected_version, fields=tuple(values), action="park_year.save"
    )


# --- enterprises and establishments ---------------------------------------------------------------------


@transaction.atomic
def create_enterprise(
    *,
    actor: Any,
    credit_code: str,
    name: str,
    industry: str,
    jurisdiction: Jurisdiction,
    zone: AdjacentZone | None = None,
    name_en: str = "",
    note: str = "",
    note_en: str = "",
) -> Enterprise:
    """An enterprise registered in ``jurisdiction``; ``zone`` is the zone whose office keeps it (needed
    when it is registered outside the actor's territory). The credit code's check character is verified."""
    if zone is not None and not AdjacentZone.objects.visible_to(actor, "change").filter(pk=zone.pk).exists():
        raise ForbiddenError(_("You may not create an enterprise there."), field="zone")
    enterprise = Enterprise(
        credit_code=(credit_code or "").strip().upper(),
        name=name,
        name_en=name_en,
        industry=(industry or "").strip().upper(),
        jurisdiction=jurisdiction,
        zone=zone,
        note=note,
        note_en=note_en,
    )
    create_record(
        actor,
        enterprise,
        action="enterprise.create",
        refusal=_("You may not create an enterprise there."),
        data={"credit_code": enterprise.credit_code},
    )
    return enterprise


@transaction.atomic
def update_enterprise(
    *, actor: Any, enterprise: Enterprise, changes: dict[str, Any], expected_version: Any
) -> Enterprise:
    if "industry" in changes:
        changes = {**changes, "industry": check_industry(changes["industry"])}
    return update_record(
        actor,
        enterprise,
        changes,
        expected_version,
        fields=ENTERPRISE_EDITABLE_FIELDS,
        action="enterprise.update",
    )


def _check_establishment(kind: str, park: Park | None, jurisdiction: Jurisdiction) -> None:
    if kind not in EstablishmentKind.values:
        raise ValidationFailed(
            _("Unknown kind %(kind)s.") % {"kind": kind}, code="invalid_choice", field="kind"
        )
    if park is not None and not (
        jurisdiction.path.startswith(park.host.path) or park.host.path.startswith(jurisdiction.path)
    ):
        raise ValidationFailed(
            _("The park lies in %(host)s, not in %(place)s.")
            % {"host": park.host.name, "place": jurisdiction.name},
            code="outside_zone",
            field="park",
        )


@transaction.atomic
def create_establishment(
    *,
    actor: Any,
    enterprise: Enterprise,
    kind: str,
    jurisdiction: Jurisdiction,
    park: Park | None = None,
    name: str = "",
    name_en: str = "",
    opened: dt.date | None = None,
    closed: dt.date | None = None,
    support_unit: bool = False,
    note: str = "",
    note_en: str = "",
) -> Establishment:
    """A head office, branch or production base of an enterprise the actor may change (one head office per
    enterprise); a park it lies in must be one the actor sees, in the same place."""
    require(actor, "change", enterprise)
    if park is not None and not Park.objects.visible_to(actor).filter(pk=park.pk).exists():
        raise NotFoundError(field="park")
    _check_establishment(kind, park, jurisdiction)
    if kind == EstablishmentKind.HEAD_OFFICE and enterprise.establishments.filter(kind=kind).exists():
        raise ValidationFailed(
            _("The enterprise already has a head office."), code="duplicate_key", field="kind"
        )
    row = Establishment(
        enterprise=enterprise,
        kind=kind,
        jurisdiction=jurisdiction,
        park=park,
        name=name,
        name_en=name_en,
        opened=opened,
        closed=closed,
        support_unit=support_unit,
        note=note,
        note_en=note_en,
    )
    create_record(
        actor,
        row,
        action="establishment.create",
        refusal=_("You may not add an establishment to this enterprise."),
        data={"kind": kind, "jurisdiction": jurisdiction.code, "enterprise": enterprise.credit_code},
    )
    return row


@transaction.atomic
def update_establishment(
    *, actor: Any, establishment: Establishment, changes: dict[str, Any], expected_version: Any
) -> Establishment:
    require(actor, "change", establishment)
    park = changes.get("park", establishment.park)
    if (
        park is not None
        and "park" in changes
        and not Park.objects.visible_to(actor).filter(pk=park.pk).exists()
    ):
        raise NotFoundError(field="park")
    kind = changes.get("kind", establishment.kind)
    _check_establishment(kind, park, changes.get("jurisdiction", establishment.jurisdiction))
    if (
        kind == EstablishmentKind.HEAD_OFFICE
        and Establishment.objects.filter(enterprise_id=establishment.enterprise_id, kind=kind)
        .exclude(pk=establishment.pk)
        .exists()
    ):
        raise ValidationFailed(
            _("The enterprise already has a head office."), code="duplicate_key", field="kind"
        )
    return update_record(
        actor,
        establishment,
        changes,
        expected_version,
        fields=ESTABLISHMENT_EDITABLE_FIELDS,
        action="establishment.update",
    )


@transaction.atomic
def save_factors(
    *,
    actor: Any,
    establishment: Establishment,
    year: int,
    revenue_fen: int,
    payroll_fen: int,
    assets_fen: int,
    note: str = "",
    note_en: str = "",
    expected_version: Any = None,
) -> ApportionmentFactor:
    """Record an establishment's 57号 factors of a year (revenue, payroll, assets at 31 December, in fen):
    a new year is created, a recorded one updated against the version the editor saw."""
    require(actor, "change", establishment)
    existing = (
        ApportionmentFactor.objects.select_for_update().filter(establishment=establishment, year=year).first()
    )
    values = {
        "revenue_fen": revenue_fen,
        "payroll_fen": payroll_fen,
        "assets_fen": assets_fen,
        "note": note,
        "note_en": note_en,
    }
    if existing is None:
        row = ApportionmentFactor(establishment=establishment, year=year, **values)
        create_record(
            actor,
            row,
            action="factor.save",
            refusal=_("You may not record this establishment's factors."),
            data={
                "year": year,
                "revenue_fen": revenue_fen,
                "payroll_fen": payroll_fen,
                "assets_fen": assets_fen,
            },
        )
        return row
    return update_record(
        actor, existing, values, expected_version, fields=tuple(values), action="factor.save"
    )


# --- the provinces' rules and which rule an enterprise follows ----------------------------------------


DEFAULT_RULE = (
    "未查到本省跨市县总分机构企业所得税分配办法；默认不在省内市县之间分配，由总机构在其所在地缴纳"
    "（fiscal.md §2，待办公室核实后修改）。"
)
DEFAULT_RULE_EN = (
    "No provincial rule for head offices with branches in several cities of the province was found; by "
    "default the tax is not apportioned across cities and is paid where the head office is (fiscal.md §2; "
    "the office corrects this once it has the rule)."
)


def province_rule_for(province: Jurisdiction) -> ProvinceRule:
    """The recorded rule of a province, or the default (not apportioned across cities) unsaved."""
    rule = ProvinceRule.objects.filter(province=province).first()
    return rule or ProvinceRule(
        province=province, apportioned_across_cities=False, rule=DEFAULT_RULE, rule_en=DEFAULT_RULE_EN
    )


@transaction.atomic
def save_province_rule(
    *,
    actor: Any,
    province: Jurisdiction,
    apportioned_across_cities: bool,
    rule: str = "",
    rule_en: str = "",
    note: str = "",
    note_en: str = "",
    expected_version: Any = None,
) -> ProvinceRule:
    """Record how a province shares the tax of a head office whose branches are all inside it."""
    if province.level != JurisdictionLevel.PROVINCE:
        raise ValidationFailed(
            _("%(name)s is not a province.") % {"name": province.name},
            code="not_a_province",
            field="province",
        )
    values = {
        "apportioned_across_cities": apportioned_across_cities,
        "rule": rule,
        "rule_en": rule_en,
        "note": note,
        "note_en": note_en,
    }
    existing = ProvinceRule.objects.select_for_update().filter(province=province).first()
    if existing is None:
        row = ProvinceRule(province=province, **values)
        create_record(
            actor,
            row,
            action="province_rule.save",
            refusal=_("Only the metropolitan-area office records a province's rule."),
            data={"province": province.code, "apportioned_across_cities": apportioned_across_cities},
        )
        return row
    return update_record(
        actor, existing, values, expected_version, fields=tuple(values), action="province_rule.save"
    )


class ApportionmentRegime:
    """Which rule shares an enterprise's income tax in a year (fiscal.md §2): ``"57"`` when its
    establishments lie in more than one province (国家税务总局公告2012年第57号), ``"province"`` when they
    all lie in one (that province's own rule, ``rule``), ``"single"`` when it has one establishment or
    none (nothing to apportion)."""

    def __init__(self, kind: str, provinces: list[str], rule: ProvinceRule | None = None):
        self.kind, self.provinces, self.rule = kind, provinces, rule

    def __repr__(self) -> str:
        return f"<ApportionmentRegime {self.kind} {self.provinces}>"


def _province_code(j: Jurisdiction) -> str:
    return j.path.split("/", 1)[0]


def apportionment_regime(enterprise: Enterprise, on: dt.date | None = None) -> ApportionmentRegime:
    """57号 applies only across provinces: an enterprise whose establishments (open on ``on``; all when
    None) all lie in one province never gets it, whatever its cities."""
    rows: Iterable[Establishment] = enterprise.establishments.select_related("jurisdiction")
    if on is not None:
        rows = [
            e for e in rows if (e.opened is None or e.opened <= on) and (e.closed is None or on < e.closed)
        ]
    rows = list(rows)
    provinces = sorted({_province_code(e.jurisdiction) for e in rows})
    if len(rows) <= 1:
        return ApportionmentRegime("single", provinces)
    if len(provinces) > 1:
        return ApportionmentRegime("57", provinces)
    province = Jurisdiction.objects.current().filter(code=provinces[0]).first()
    return ApportionmentRegime("province", provinces, province_rule_for(province) if province else None)
