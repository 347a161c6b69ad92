"""Who reaches agreements and imported rows (docs/access-matrix.md, "Cooperation").

- **Agreements and their versions** are read by the staff of the zone (those who read the zone itself:
  its office, leader and auditor, and the officers, finance bureaus and windows of its members); drafted,
  edited and approved by the zone's office or the metropolitan-area office.
- **Receipts** (tax data of single enterprises, 涉税信息) are read by the zone's office and auditor, and by a
  finance bureau for the receipts its own treasury collected in the zones it takes part in. They are imported
  by the zone's office (any treasury) and by a finance bureau (its own treasury only).
- **Statistical indicators** are read like receipts (by every finance bureau of the zone: they carry no
  treasury) and imported by the zone's office. **Apportionment factors** are the records'
  ``ApportionmentFactor`` (cooperation/rules.py): imported by the zone's office, which the records' rule must
  also let change the establishment's enterprise.
Anyone else gets nothing (a record out of sight is a 404)."""

from __future__ import annotations

from typing import Any

from django.db.models import Q

from tongcheng.core.models import Jurisdiction
from tongcheng.core.scope import HISTORY_ROLES, STAFF_ROLES, Scope
from tongcheng.kit.access import NONE, any_of, register_rule, scope_of

from ..models import Agreement, AgreementVersion, IndicatorValue, Receipt

READERS = ("office", "auditor")


def office_q(scope: Scope, zone_field: str, metro_field: str) -> Q:
    """Rows of the zones whose office the user is, or of its metropolitan area (an office reaching a zone only
    through a member jurisdiction does not edit it), as core's zone rule decides ``change``."""
    zones = sorted({g.zone_id for g in scope.grants if g.role == "office" and g.zone_id})
    metros = sorted({g.metro_id for g in scope.grants if g.role == "office" and g.metro_id})
    return any_of(
        Q(**{f"{zone_field}__in": zones}) if zones else NONE,
        Q(**{f"{metro_field}__in": metros}) if metros else NONE,
    )


def treasury_codes_q(scope: Scope, roles: tuple[str, ...], field_name: str = "jurisdiction") -> Q:
    """Rows whose 6-digit treasury code lies in the jurisdiction subtrees the roles reach: one subquery
    against the registry's materialised paths (no code list built in Python)."""
    paths = scope.path_q(roles, "path")
    if paths is NONE:
        return NONE
    return Q(**{f"{field_name}__in": Jurisdiction.objects.filter(paths).values("code")})


def finance_q(scope: Scope, zone_field: str = "zone_id", field_name: str = "jurisdiction") -> Q:
    zones = scope.zone_q(("finance",), zone_field)
    if zones is NONE:
        return NONE
    treasury = treasury_codes_q(scope, ("finance",), field_name)
    return NONE if treasury is NONE else zones & treasury


@register_rule(Agreement, actions=("view", "change", "approve", "history"))
def agreement_rule(scope: Scope, action: str) -> Q:
    if action == "view":
        return scope.zone_q(STAFF_ROLES, "zone_id")
    if action in ("change", "approve"):
        return office_q(scope, "zone_id", "zone__metro_id")
    if action == "history":
        return scope.zone_q(HISTORY_ROLES, "zone_id")
    return NONE


@register_rule(AgreementVersion, actions=("view", "change", "approve", "history"))
def version_rule(scope: Scope, action: str) -> Q:
    if action == "view":
        return scope.zone_q(STAFF_ROLES, "agreement__zone_id")
    if action in ("change", "approve"):
        return office_q(scope, "agreement__zone_id", "agreement__zone__metro_id")
    if action == "history":
        return scope.zone_q(HISTORY_ROLES, "agreement__zone_id")
    return NONE


@register_rule(Receipt, actions=("view", "change"))
def receipt_rule(scope: Scope, action: str) -> Q:
    if action == "view":
        return any_of(scope.zone_q(READERS, "zone_id"), finance_q(scope))
    if action == "change":
        return any_of(office_q(scope, "zone_id", "zone__metro_id"), finance_q(scope))
    return NONE


@register_rule(IndicatorValue, actions=("view", "change"))
def indicator_rule(scope: Scope, action: str) -> Q:
    if action == "view":
        return scope.zone_q((*READERS, "finance"), "zone_id")
    if action == "change":
        return office_q(scope, "zone_id", "zone__metro_id")
    return NONE


# --- where a user may import ------------------------------------------------------------------------------


class ImportReach:
    """What a user may import into one zone: every treasury (``codes`` None) or only those listed."""

    def __init__(self, codes: frozenset[str] | None) -> None:
        self.codes = codes

    def allows(self, code: str) -> bool:
        return self.codes is None or code in self.codes


def import_reach(user: Any, zone: Any, dataset: str) -> ImportReach | None:
    """None when the user may not import ``dataset`` ("receipts", "indicators", "factors") into ``zone``."""
    scope = scope_of(user)
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return None
    if scope.superuser:
        return ImportReach(None)
    offices = {g.zone_id for g in scope.grants if g.role == "office" and g.zone_id}
    metros = {g.metro_id for g in scope.grants if g.role == "office" and g.metro_id}
    if zone.pk in offices or zone.metro_id in metros:
        return ImportReach(None)
    if dataset == "receipts" and zone.pk in scope.zone_ids(("finance",)):
        paths = scope.path_q(("finance",), "path")
        if paths is NONE:
            return None
        return ImportReach(frozenset(Jurisdiction.objects.filter(paths).values_list("code", flat=True)))
    return None


def importable_zones(user: Any, dataset: str = "receipts") -> list[Any]:
    """The zones the user may import ``dataset`` into (the import page's choices)."""
    from tongcheng.core.models import AdjacentZone

    zones = AdjacentZone.objects.visible_to(user).order_by("name_sort")
    return [z for z in zones if import_reach(user, z, dataset) is not None]
