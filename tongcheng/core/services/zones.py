"""Services for adjacent zones (S-Z1, S-A1): define a zone with its members, edit it."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.utils.text import slugify
from django.utils.translation import gettext as _

from ..access import forget_scope, restrict, scope_of
from ..models import AdjacentZone, Jurisdiction, MemberRole, MetroArea, Role, RoleGrant, ZoneKind, ZoneMember
from .base import ForbiddenError, ValidationFailed, apply_changes, audit, get_visible, require

__all__ = ["MemberSpec", "create_zone", "update_zone", "ZONE_EDITABLE_FIELDS"]

ZONE_EDITABLE_FIELDS = (
    "name",
    "name_en",
    "kind",
    "established",
    "ended",
    "planning_area_km2",
    "start_area_km2",
    "description",
)


@dataclass(frozen=True)
class MemberSpec:
    code: str
    party_code: str | None = None
    side: str | None = None
    role: str = MemberRole.PARTNER


def _party_of(jurisdiction: Jurisdiction, day: dt.date) -> Jurisdiction:
    """The prefecture-level city a member acts for, by default (or the member itself above that level)."""
    node = jurisdiction
    while node.level not in ("prefecture", "province") and node.parent_id:
        node = node.parent
    return node


def _province_name(jurisdiction: Jurisdiction) -> str:
    node = jurisdiction
    while node.parent_id:
        node = node.parent
    return node.name


def _resolve_members(
    specs: list[MemberSpec], start: dt.date
) -> list[tuple[Jurisdiction, Jurisdiction, str, str]]:
    errors: list[dict[str, Any]] = []
    resolved = []
    seen: set[str] = set()
    for index, spec in enumerate(specs):
        field = f"members.{index}.code"
        if spec.code in seen:
            errors.append(
                {
                    "field": field,
                    "code": "duplicate_member",
                    "message": _("%(code)s is listed twice.") % {"code": spec.code},
                }
            )
            continue
        seen.add(spec.code)
        member = (
            Jurisdiction.objects.valid_on(start)
            .filter(code=spec.code)
            .select_related("parent__parent")
            .first()
        )
        if member is None:
            errors.append(
                {
                    "field": field,
                    "code": "member_not_valid_at_start",
                    "message": _(
                        "No jurisdiction with code %(code)s exists on %(date)s, the zone's start date."
                    )
                    % {"code": spec.code, "date": start.isoformat()},
                }
            )
            continue
        if spec.party_code:
            party = Jurisdiction.objects.valid_on(start).filter(code=spec.party_code).first()
            if party is None:
                errors.append(
                    {
                        "field": f"members.{index}.party_code",
                        "code": "party_not_valid_at_start",
                        "message": _("No jurisdiction with code %(code)s exists on %(date)s.")
                        % {"code": spec.party_code, "date": start.isoformat()},
                    }
                )
                continue
        else:
            party = _party_of(member, start)
        if spec.role not in MemberRole.values:
            errors.append(
                {
                    "field": f"members.{index}.role",
                    "code": "invalid_choice",
                    "message": _("Unknown member role %(role)s.") % {"role": spec.role},
                }
            )
            continue
        side = spec.side or _province_name(member)
        resolved.append((member, party, side, spec.role))
    if errors:
        raise ValidationFailed(
            errors[0]["message"], code=errors[0]["code"], field=errors[0]["field"], errors=errors
        )
    if len({side for _m, _p, side, _r in resolved}) < 2:
        raise ValidationFailed(
            _("A zone needs members on at least two sides."), code="one_sided_zone", field="members"
        )
    return resolved


def _free_code(base: str) -> str:
    """A slug of at most 60 characters not yet used by a zone (base, base-2, base-3 …)."""
    base = base[:60].strip("-") or "zone"
    code, n = base, 1
    while AdjacentZone.objects.filter(code=code).exists():
        n += 1
        suffix = f"-{n}"
        code = base[: 60 - len(suffix)].rstrip("-") + suffix
    return code


@transaction.atomic
def create_zone(
    *,
    actor: Any,
    metro: MetroArea,
    name: str,
    kind: str,
    established: dt.date,
    members: list[MemberSpec],
    code: str = "",
    name_en: str = "",
    planning_area_km2: Decimal | None = None,
    start_area_km2: Decimal | None = None,
    description: str = "",
    parent: AdjacentZone | None = None,
    sources: list[dict[str, Any]] | None = None,
) -> AdjacentZone:
    """Define a new adjacent zone in a metropolitan area.

    The metropolitan area's office may define any zone. The office of an existing zone may define a zone
    that shares territory with its own (e.g. 江宁—博望's office proposing 溧水—博望); it then becomes
    the new zone's office, recorded in the audit log."""
    get_visible(MetroArea, actor, pk=metro.pk)
    metro_office = restrict(MetroArea.objects.filter(pk=metro.pk), actor, "add_zone").exists()
    office_paths = [] if metro_office else scope_of(actor).jurisdiction_paths(("office",))
    if not metro_office and not office_paths:
        raise ForbiddenError(_("Only a same-city office may define a zone."))
    if not name.strip():
        raise ValidationFailed(_("This field is required."), code="required", field="name")
    if kind not in ZoneKind.values:
        raise ValidationFailed(
            _("Unknown zone kind %(kind)s.") % {"kind": kind}, code="invalid_choice", field="kind"
        )
    for label, area in (("planning_area_km2", planning_area_km2), ("start_area_km2", start_area_km2)):
        if area is not None and area <= 0:
            raise ValidationFailed(_("An area must be positive."), code="invalid_area", field=label)
    resolved = _resolve_members(members, established)
    if not metro_office and not any(m.path.startswith(p) for m, *_rest in resolved for p in office_paths):
        raise ForbiddenError(
            _("A zone you define must share at least one member with a zone your office runs."),
            field="members",
        )
    if not code:
        code = _free_code(slugify(name_en or name, allow_unicode=False) or "zone")
    if AdjacentZone.objects.filter(code=code).exists():
        raise ValidationFailed(
            _("A zone with code %(code)s already exists.") % {"code": code},
            code="duplicate_code",
            field="code",
        )
    zone = AdjacentZone(
        metro=metro,
        code=code,
        name=name.strip(),
        name_en=name_en.strip(),
        kind=kind,
        established=established,
        planning_area_km2=planning_area_km2,
        start_area_km2=start_area_km2,
        description=description,
        parent=parent,
        sources=sources or [],
    )
    zone.full_clean()
    zone.save()
    for member, party, side, role in resolved:
        ZoneMember.objects.create(
            zone=zone, jurisdiction=member, party=party, side=side, role=role, since=established
        )
    audit(actor, "zone.create", zone, {"members": [m.code for m, *_ in resolved]}, zone_id=zone.pk)
    if not metro_office:
        RoleGrant.objects.create(user=actor, role=Role.OFFICE, zone=zone, granted_by=actor)
        audit(
            actor,
            "grant.create",
            zone,
            {"role": Role.OFFICE, "user": actor.username, "reason": "founding office"},
            zone_id=zone.pk,
        )
    forget_scope(actor)
    return zone


@transaction.atomic
def update_zone(
    *, actor: Any, zone: AdjacentZone, changes: dict[str, Any], expected_version: int | None
) -> AdjacentZone:
    require(actor, "change", zone)
    zone = AdjacentZone.objects.select_for_update().get(pk=zone.pk)
    diff = apply_changes(zone, changes, expected_version, ZONE_EDITABLE_FIELDS)
    if diff:
        audit(actor, "zone.update", zone, {"changes": diff}, zone_id=zone.pk)
    return zone
