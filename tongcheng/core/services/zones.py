"""Services for adjacent zones (S-Z1, S-A1): define a zone with its members, edit it."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.utils import translation
from django.utils.text import slugify
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from tongcheng.kit.access import bump_scope_version, forget_scope, restrict, scope_of
from tongcheng.kit.services import (
    ForbiddenError,
    ValidationFailed,
    apply_changes,
    audit,
    change_record,
    get_visible,
    require,
)
from tongcheng.kit.workflow.declaration import Transition, Workflow
from tongcheng.kit.workflow.transitions import transition

from ..models import (
    AdjacentZone,
    Jurisdiction,
    MemberRole,
    MetroArea,
    Role,
    RoleGrant,
    ZoneKind,
    ZoneMember,
    ZoneStatus,
)

__all__ = [
    "MemberSpec",
    "approve_zone",
    "create_zone",
    "reject_zone",
    "update_zone",
    "ZONE_EDITABLE_FIELDS",
    "ZONE_WORKFLOW",
]

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
    """A member as a form or the API gives it. Its party (the city it acts for) and so its side are derived
    from the registry; ``party_code``, when given, must name that same party."""

    code: str
    party_code: str | None = None
    role: str = MemberRole.PARTNER


def _party_of(jurisdiction: Jurisdiction, day: dt.date) -> Jurisdiction:
    """The prefecture-level city a member acts for, by default (or the member itself above that level)."""
    node = jurisdiction
    while node.level not in ("prefecture", "province") and node.parent is not None:
        node = node.parent
    return node


def side_of(party: Jurisdiction) -> str:
    """A side is its party: members under the same party (e.g. 溧水区 and 江宁区, both 南京市) are one side."""
    return party.name


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
        party = _party_of(member, start)
        if spec.party_code and spec.party_code != party.code:
            errors.append(
                {
                    "field": f"members.{index}.party_code",
                    "code": "party_mismatch",
                    "message": _("%(member)s acts for %(party)s, not for %(code)s.")
                    % {
                        "member": member.display_name(translation.get_language() or "zh-hans"),
                        "party": party.display_name(translation.get_language() or "zh-hans"),
                        "code": spec.party_code,
                    },
                }
            )
            continue
        if spec.role not in MemberRole.values:
            errors.append(
                {
                    "field": f"members.{index}.role",
                    "code": "invalid_choice",
                    "message": _("Unknown member role %(role)s.") % {"role": spec.role},
                }
            )
            continue
        resolved.append((member, party, side_of(party), spec.role))
    if errors:
        raise ValidationFailed(
            errors[0]["message"], code=errors[0]["code"], field=errors[0]["field"], errors=errors
        )
    parties = {party.pk: party for _m, party, _s, _r in resolved}
    if len(parties) < 2 and resolved:
        (party,) = parties.values()
        language = translation.get_language() or "zh-hans"
        separator = ", " if language.startswith("en") else "、"
        raise ValidationFailed(
            _("A zone needs members on at least two sides.")
            + " "
            + _("%(members)s all act for %(party)s, which makes one side.")
            % {
                "members": separator.join(m.display_name(language) for m, *_rest in resolved),
                "party": party.display_name(language),
            },
            code="one_sided_zone",
            field="members",
        )
    return resolved


def _duplicate_of(
    actor: Any,
    metro: MetroArea,
    name: str,
    established: dt.date,
    member_ids: set[int],
    exclude: int | None = None,
) -> None:
    """Refuse a zone defined twice: the same name in the metropolitan area, or the same members from the
    same day. The message names the existing zone when the actor may see it; otherwise it says only that
    another office has defined it (the actor learns no name or code it could not read)."""
    others = AdjacentZone.objects.filter(metro=metro).exclude(status=ZoneStatus.REJECTED)
    if exclude is not None:
        others = others.exclude(pk=exclude)
    same_name = others.filter(name=name).first()
    same_members = None
    if same_name is None and member_ids:
        for zone in others.filter(
            established=established, members__jurisdiction_id__in=member_ids
        ).distinct():
            if set(zone.members.values_list("jurisdiction_id", flat=True)) == member_ids:
                same_members = zone
                break
    existing = same_name or same_members
    if existing is None:
        return
    field = "name" if same_name is not None else "members"
    if restrict(AdjacentZone.objects.filter(pk=existing.pk), actor, "view").exists():
        message = _("This zone is already defined: %(name)s (%(code)s).") % {
            "name": existing.name,
            "code": existing.code,
        }
    else:
        message = _("This zone is already defined by another office.")
    raise ValidationFailed(message, code="duplicate_zone", field=field)


def _free_code(base: str) -> str:
    """A slug of at most 60 characters not yet used by a zone (base, base-2, base-3 …)."""
    base = base[:60].strip("-") or "zone"
    code, n = base, 1
    while AdjacentZone.objects.filter(code=code).exists():
        n += 1
        suffix = f"-{n}"
        code = base[: 60 - len(suffix)].rstrip("-") + suffix
    return code


def _outside(resolved: list[tuple[Jurisdiction, Jurisdiction, str, str]], territory: list[str]) -> list[str]:
    """Codes of the members that do not lie inside the territory (path prefixes)."""
    return [m.code for m, *_rest in resolved if not any(m.path.startswith(p) for p in territory)]


def _metro_territory(metro: MetroArea) -> list[str]:
    return list(metro.members.values_list("jurisdiction__path", flat=True))


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

    No one gains sight of anything through a zone they define. The metropolitan area's office may define
    any zone inside the metropolitan area. The office of an existing zone may define a zone whose members
    all lie inside the territory it already runs; it then becomes the new zone's office. A zone that
    reaches beyond that territory (e.g. 江宁—博望's office proposing 溧水—博望) is recorded as a proposal:
    it gives nobody access until the metropolitan-area office approves it (``approve_zone``), and only then
    does its proposer become its office, granted by the approver."""
    get_visible(MetroArea, actor, pk=metro.pk)
    scope = scope_of(actor)
    metro_office = restrict(MetroArea.objects.filter(pk=metro.pk), actor, "add_zone").exists()
    territory = [] if metro_office else scope.office_territory()
    if not metro_office and not territory:
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
    _duplicate_of(actor, metro, name.strip(), established, {m.pk for m, *_rest in resolved})
    if outside_metro := _outside(resolved, _metro_territory(metro)):
        raise ValidationFailed(
            _("These members lie outside the metropolitan area: %(codes)s")
            % {"codes": ", ".join(outside_metro)},
            code="member_outside_metro",
            field="members",
        )
    beyond = [] if metro_office else _outside(resolved, territory)
    if not metro_office and len(beyond) == len(resolved):
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
        status=ZoneStatus.PROPOSED if beyond else ZoneStatus.ACTIVE,
        proposed_by=actor if beyond else None,
    )
    zone.full_clean()
    zone.save()
    for member, party, side, role in resolved:
        ZoneMember.objects.create(
            zone=zone, jurisdiction=member, party=party, side=side, role=role, since=established
        )
    data: dict[str, Any] = {"members": [m.code for m, *_ in resolved]}
    if beyond:
        audit(actor, "zone.propose", zone, {**data, "beyond_territory": beyond})
    else:
        audit(actor, "zone.create", zone, data)
        if not metro_office:
            # Inside the actor's own territory: the grant reaches nothing the actor does not already run.
            _grant_founding_office(granted_by=actor, user=actor, zone=zone)
    bump_scope_version()
    forget_scope(actor)
    return zone


def _grant_founding_office(*, granted_by: Any, user: Any, zone: AdjacentZone) -> RoleGrant:
    grant = RoleGrant.objects.create(user=user, role=Role.OFFICE, zone=zone, granted_by=granted_by)
    audit(
        granted_by,
        "grant.create",
        grant,
        {"role": Role.OFFICE, "user": user.username, "reason": "founding office"},
    )
    forget_scope(user)
    return grant


# The decision on a proposed zone is the core's worked example of the kit's workflow: states and transitions
# declared once, each decision locked, version-checked, logged (TransitionLog), audited and announced.
ZONE_WORKFLOW = Workflow(
    AdjacentZone,
    field="status",
    states=dict(ZoneStatus.choices),
    transitions=[
        Transition(
            "approve",
            sources=[ZoneStatus.PROPOSED],
            target=ZoneStatus.ACTIVE,
            action="approve",
            label=gettext_lazy("Approve"),
            audit_action="zone.approve",
            notify=lambda zone: [zone.proposed_by],
        ),
        Transition(
            "reject",
            sources=[ZoneStatus.PROPOSED],
            target=ZoneStatus.REJECTED,
            action="reject",
            label=gettext_lazy("Reject"),
            note_required=True,
            audit_action="zone.reject",
            notify=lambda zone: [zone.proposed_by],
        ),
    ],
)


def _decide(
    actor: Any, zone: AdjacentZone, name: str, note: str, expected_version: int | None
) -> AdjacentZone:
    # Without a version from the caller, the one of the zone it read: a decision on a zone that changed
    # since is refused (stale_version) rather than taken blind.
    version = zone.version if expected_version is None else expected_version
    return transition(
        actor,
        zone,
        name,
        expected_version=version,
        note=note,
        changes={"decision_note": (note or "").strip()},
    )


@transaction.atomic
def approve_zone(
    *, actor: Any, zone: AdjacentZone, note: str = "", expected_version: int | None = None
) -> AdjacentZone:
    """The metropolitan-area office approves a proposed zone: it becomes active and its proposer becomes its
    office, granted by the approver (whose scope already contains the zone's territory)."""
    zone = _decide(actor, zone, "approve", note, expected_version)
    proposer = zone.proposed_by
    if proposer is not None and proposer.is_active:
        _grant_founding_office(granted_by=actor, user=proposer, zone=zone)
    bump_scope_version()
    forget_scope(actor)
    return zone


@transaction.atomic
def reject_zone(
    *, actor: Any, zone: AdjacentZone, note: str, expected_version: int | None = None
) -> AdjacentZone:
    """The metropolitan-area office refuses a proposed zone, saying why; the proposer sees the reason."""
    zone = _decide(actor, zone, "reject", note, expected_version)
    bump_scope_version()
    return zone


@transaction.atomic
def update_zone(
    *, actor: Any, zone: AdjacentZone, changes: dict[str, Any], expected_version: int | None
) -> AdjacentZone:
    require(actor, "change", zone)
    zone = AdjacentZone.objects.select_for_update().get(pk=zone.pk)
    if "name" in changes and str(changes["name"]).strip() != zone.name:
        _duplicate_of(
            actor, zone.metro, str(changes["name"]).strip(), zone.established, set(), exclude=zone.pk
        )
    diff = apply_changes(zone, changes, expected_version, ZONE_EDITABLE_FIELDS)
    if diff:
        audit(actor, "zone.update", zone, change_record(diff, expected_version))
        bump_scope_version()
    return zone
