"""Access rules of the cooperation records and the fund (architecture.md section 3): one function per model,
returning the Q of the rows an action reaches for a user's scope (core/scope.py).

- A park, a project and a park's yearly figures lie in a zone: every staff role reaching the zone reads them
  (the zone's office, leader and auditor; the officers, finance bureaus and windows of its members); the
  zone's office (or the metropolitan area's) writes them.
- An enterprise lies in its registered jurisdiction and, optionally, in the zone whose office keeps it (the
  rule of organisations); its establishments and their apportionment factors follow it.
- The fund of a zone is money: its office, leader and auditor read it, and the finance bureaus of its parties
  — a bureau whose jurisdiction is a member of the zone or contains one (浦口区财政局 reads 浦口—南谯's
  fund, not the fund of the city-level 宁淮合作, whose party is 南京市). Officers and windows do not.
- A province's rule for head offices with branches only inside it is public policy: every staff role
  reads it; the metropolitan-area office records it.
Anyone else gets nothing: a record out of sight is a 404."""

from __future__ import annotations

from django.db.models import Q

from tongcheng.core.scope import HISTORY_ROLES, STAFF_ROLES, Scope
from tongcheng.kit.access import ALL, NONE, any_of, register_rule

from .models import (
    ApportionmentFactor,
    Enterprise,
    Establishment,
    FundCommitment,
    FundContribution,
    FundDisbursement,
    Park,
    ParkYear,
    Project,
    ProvinceRule,
)

EDITORS = ("office",)
FUND_READERS = ("office", "leader", "auditor")
ACTIONS = ("view", "change", "history")

__all__ = ["EDITORS", "FUND_READERS", "enterprise_q", "fund_q", "zone_record_q"]


def _roles(action: str):
    return {"view": STAFF_ROLES, "change": EDITORS, "history": HISTORY_ROLES}.get(action)


def zone_record_q(scope: Scope, action: str, field: str = "zone_id") -> Q:
    """Rows lying in a zone (``field`` leads to its id): the roles of the action reaching the zone."""
    roles = _roles(action)
    if roles is None:
        return NONE
    return scope.zone_q(roles, field)


def enterprise_q(scope: Scope, action: str, prefix: str = "") -> Q:
    """Enterprises (``prefix`` leads from another model to one): kept by a zone the roles reach, or
    registered inside their territory."""
    roles = _roles(action)
    if roles is None:
        return NONE
    return any_of(scope.zone_q(roles, f"{prefix}zone_id"), scope.path_q(roles, f"{prefix}jurisdiction__path"))


def _finance_party_q(scope: Scope, zone_field: str) -> Q:
    """Zones one of whose members lies in (or is) the territory of the user's finance grants."""
    if scope.superuser:
        return ALL
    members = f"{zone_field}__members" if zone_field else "members"
    paths = scope.jurisdiction_paths(("finance",))
    return any_of(*(Q(**{f"{members}__jurisdiction__path__startswith": p}) for p in paths))


def fund_q(scope: Scope, action: str, zone_field: str = "zone") -> Q:
    """The rows of a zone's fund (``zone_field`` leads to their zone; "" on the zone itself)."""
    zone_id = f"{zone_field}_id" if zone_field else "id"
    if action == "view":
        return any_of(scope.zone_q(FUND_READERS, zone_id), _finance_party_q(scope, zone_field))
    if action == "change":
        return scope.zone_q(EDITORS, zone_id)
    if action == "history":
        return any_of(scope.zone_q(HISTORY_ROLES, zone_id), _finance_party_q(scope, zone_field))
    return NONE


@register_rule(Park, actions=ACTIONS)
def park_rule(scope: Scope, action: str) -> Q:
    return zone_record_q(scope, action)


@register_rule(ParkYear, actions=ACTIONS)
def park_year_rule(scope: Scope, action: str) -> Q:
    return zone_record_q(scope, action, "park__zone_id")


@register_rule(Project, actions=ACTIONS)
def project_rule(scope: Scope, action: str) -> Q:
    return zone_record_q(scope, action)


@register_rule(Enterprise, actions=ACTIONS)
def enterprise_rule(scope: Scope, action: str) -> Q:
    return enterprise_q(scope, action)


@register_rule(Establishment, actions=ACTIONS)
def establishment_rule(scope: Scope, action: str) -> Q:
    return enterprise_q(scope, action, "enterprise__")


@register_rule(ApportionmentFactor, actions=ACTIONS)
def factor_rule(scope: Scope, action: str) -> Q:
    return enterprise_q(scope, action, "establishment__enterprise__")


@register_rule(FundCommitment, actions=ACTIONS)
def commitment_rule(scope: Scope, action: str) -> Q:
    return fund_q(scope, action)


@register_rule(FundContribution, actions=ACTIONS)
def contribution_rule(scope: Scope, action: str) -> Q:
    return fund_q(scope, action)


@register_rule(FundDisbursement, actions=ACTIONS)
def disbursement_rule(scope: Scope, action: str) -> Q:
    return fund_q(scope, action)


@register_rule(ProvinceRule, actions=ACTIONS)
def province_rule_rule(scope: Scope, action: str) -> Q:
    if action == "view":
        return ALL if scope.has_role(*STAFF_ROLES) else NONE
    if action == "history":
        return ALL if scope.has_role(*HISTORY_ROLES) else NONE
    if action == "change":
        # The metropolitan-area office records the rules of the provinces its area reaches into.
        return ALL if any(g.role in EDITORS and g.metro_id for g in scope.grants) else NONE
    return NONE
