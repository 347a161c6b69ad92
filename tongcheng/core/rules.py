"""Access rules of the core models: one function per model, returning the Q of rows an action reaches.

Roles (DESIGN.md): office — 同城办 staff of a zone or of the whole metropolitan area (may edit);
officer, finance, clerk, leader, auditor — read within their scope; applicant — only their own
applications, so none of the registry below except the public reference data (jurisdictions)."""

from __future__ import annotations

from django.db.models import Q

from tongcheng.kit.access import ALL, NONE, any_of, register_rule

from .models import (
    AdjacentZone,
    AuditEntry,
    Jurisdiction,
    MetroArea,
    MetroMember,
    Organisation,
    Person,
    RoleGrant,
    User,
    WorkdayOverride,
    ZoneMember,
    ZoneStatus,
)
from .scope import HISTORY_ROLES, STAFF_ROLES, Scope

EDITORS = ("office",)


@register_rule(Jurisdiction, actions=("view", "change", "history"))
def jurisdiction_rule(scope: Scope, action: str) -> Q:
    # GB/T 2260 codes are public reference data that every form needs; only administrators edit them.
    if action == "view":
        return ALL
    if action == "history":
        return ALL if scope.has_role(*HISTORY_ROLES) else NONE
    return NONE


@register_rule(WorkdayOverride, actions=("view", "change"))
def workday_rule(scope: Scope, action: str) -> Q:
    return ALL if action == "view" else NONE


@register_rule(MetroArea, actions=("view", "add_zone", "change", "history"))
def metro_rule(scope: Scope, action: str) -> Q:
    if action == "view":
        ids = scope.metro_ids(STAFF_ROLES)
    elif action in {"add_zone", "change"}:
        ids = {g.metro_id for g in scope.grants if g.role in EDITORS and g.metro_id}
    elif action == "history":
        ids = scope.metro_ids(HISTORY_ROLES)
    else:
        return NONE
    return Q(pk__in=sorted(ids)) if ids else NONE


def _zone_roles(action: str) -> tuple[str, ...] | frozenset[str] | None:
    return {"view": STAFF_ROLES, "change": EDITORS, "history": HISTORY_ROLES}.get(action)


def _metro_office_q(scope: Scope, field_name: str) -> Q:
    metros = {g.metro_id for g in scope.grants if g.role in EDITORS and g.metro_id}
    return Q(**{f"{field_name}__in": sorted(metros)}) if metros else NONE


def _own_proposals_q(scope: Scope, field_name: str) -> Q:
    # The proposer follows its own proposal (and sees its refusal); nobody else reaches it through it.
    return Q(**{field_name: scope.user_id}) if scope.user_id else NONE


@register_rule(AdjacentZone, actions=("view", "change", "history", "approve", "reject"))
def zone_rule(scope: Scope, action: str) -> Q:
    if action in {"approve", "reject"}:
        # Only the metropolitan-area office decides on a zone that reaches beyond its proposer's territory.
        return _metro_office_q(scope, "metro_id")
    roles = _zone_roles(action)
    if roles is None:
        return NONE
    if action == "view":
        return any_of(scope.zone_q(roles, "id"), _own_proposals_q(scope, "proposed_by_id"))
    if action == "change":
        # Editing needs an office grant on the zone itself or on its metropolitan area, not a
        # grant that merely reaches the zone through a member jurisdiction.
        ids = {g.zone_id for g in scope.grants if g.role in EDITORS and g.zone_id}
        metros = {g.metro_id for g in scope.grants if g.role in EDITORS and g.metro_id}
        return any_of(
            Q(pk__in=sorted(ids)) if ids else NONE, Q(metro_id__in=sorted(metros)) if metros else NONE
        )
    return scope.zone_q(roles, "id")


@register_rule(ZoneMember, actions=("view", "change", "history"))
def zone_member_rule(scope: Scope, action: str) -> Q:
    roles = _zone_roles(action)
    if roles is None:
        return NONE
    q = scope.zone_q(roles, "zone_id")
    return any_of(q, _own_proposals_q(scope, "zone__proposed_by_id")) if action == "view" else q


@register_rule(Organisation, actions=("view", "change", "history"))
def organisation_rule(scope: Scope, action: str) -> Q:
    roles = _zone_roles(action)
    if roles is None:
        return NONE
    return any_of(scope.zone_q(roles, "zone_id"), scope.path_q(roles, "jurisdiction__path"))


@register_rule(Person, actions=("view", "change", "history", "unmask"))
def person_rule(scope: Scope, action: str) -> Q:
    if action == "unmask":
        roles: frozenset[str] | tuple[str, ...] | None = ("office", "auditor")
    else:
        roles = _zone_roles(action)
    if roles is None:
        return NONE
    return any_of(
        scope.zone_q(roles, "organisation__zone_id"), scope.path_q(roles, "organisation__jurisdiction__path")
    )


@register_rule(MetroMember, actions=("view",))
def metro_member_rule(scope: Scope, action: str) -> Q:
    if action != "view":
        return NONE
    ids = scope.metro_ids(STAFF_ROLES)
    return Q(metro_id__in=sorted(ids)) if ids else NONE


AUDIT_READERS = ("auditor", "office")


@register_rule(AuditEntry, actions=("view",))
def audit_rule(scope: Scope, action: str) -> Q:
    # Auditors and offices read every entry anchored inside their scope: on a zone they reach, on a
    # jurisdiction (or an organisation's jurisdiction) inside their territory, on their metropolitan area
    # or on an organisation they are granted. Everyone sees the entries of their own actions (tokens,
    # language), which have no anchor.
    if action != "view":
        return NONE
    return any_of(scope.anchored_q(AUDIT_READERS), Q(actor_id=scope.user_id))


def _grants_managed_q(scope: Scope) -> Q:
    """The grants on scopes the user's own office grants cover: the rule of services.grants.may_grant_on
    (who may give a role there may also see and withdraw it) as one filter."""
    metros = sorted({g.metro_id for g in scope.grants if g.role in EDITORS and g.metro_id})
    zones = sorted({g.zone_id for g in scope.grants if g.role in EDITORS and g.zone_id})
    return any_of(
        scope.path_q(EDITORS, "jurisdiction__path"),
        scope.path_q(EDITORS, "organisation__jurisdiction__path"),
        Q(metro_id__in=metros) if metros else NONE,
        Q(zone__metro_id__in=metros, zone__status=ZoneStatus.ACTIVE) if metros else NONE,
        Q(zone_id__in=zones, zone__status=ZoneStatus.ACTIVE) if zones else NONE,
    )


@register_rule(RoleGrant, actions=("view", "manage"))
def grant_rule(scope: Scope, action: str) -> Q:
    # Everyone sees their own grants; an office also sees, and manages, the grants within its scope.
    if action == "manage":
        return _grants_managed_q(scope)
    if action == "view":
        return any_of(Q(user_id=scope.user_id), _grants_managed_q(scope))
    return NONE


@register_rule(User, actions=("view", "change"))
def user_rule(scope: Scope, action: str) -> Q:
    return Q(pk=scope.user_id) if action in {"view", "change"} else NONE
