"""Services for adjacent zones (S-Z1, S-A1): define a zone with its members, edit it."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.db.models import F
from django.utils import timezone, translation
from django.utils.text import slugify
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from tongcheng.kit.access import bump_scope_version, forget_scope, restrict, scope_of
from tongcheng.kit.services import (
    ConflictError,
    ForbiddenError,
    ValidationFailed,
    apply_changes,
    audit,
    change_record,
    check_version,
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
    "edit_zone",
    "reject_zone",
    "update_zone",
    "update_zone_members",
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
    "description_en",
    "parent",
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
    specs: list[MemberSpec], start: dt.date, kept: dict[str, Jurisdiction] | None = None
) -> list[tuple[Jurisdiction, Jurisdiction, str, str]]:
    """The members with their parties and sides. ``kept``: the members a zone already has, by code, which
    stay as they are even if their code has since been abolished; any other must exist on ``start``."""
    kept_given = kept is not None
    kept = kept or {}
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
        member = kept.get(spec.code) or (
            Jurisdiction.objects.valid_on(start)
            .filter(code=spec.code)
            .select_related("parent__parent")
            .first()
        )
        if member is None:
            message = (
                _("No jurisdiction with code %(code)s exists today.")
                if kept_given
                else _("No jurisdiction with code %(code)s exists on %(date)s, the zone's start date.")
            )
            errors.append(
                {
                    "field": field,
                    "code": "member_not_valid_at_start",
                    "message": message % {"code": spec.code, "date": start.isoformat()},
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
    if changes.get("parent") is not None:
        _check_parent(actor, zone, changes["parent"])
    if "name" in changes and str(changes["name"]).strip() != zone.name:
        _duplicate_of(
            actor, zone.metro, str(changes["name"]).strip(), zone.established, set(), exclude=zone.pk
        )
    diff = apply_changes(zone, changes, expected_version, ZONE_EDITABLE_FIELDS)
    if diff:
        audit(actor, "zone.update", zone, change_record(diff, expected_version))
        bump_scope_version()
    return zone


def _check_parent(actor: Any, zone: AdjacentZone, parent: AdjacentZone) -> None:
    """A zone may be part of another zone of its metropolitan area that the actor sees, never of itself or
    of a zone within it."""
    if not restrict(AdjacentZone.objects.filter(pk=parent.pk), actor, "view").exists():
        raise ValidationFailed(_("Choose a zone you can see."), code="invalid_choice", field="parent")
    node: AdjacentZone | None = parent
    while node is not None:
        if node.pk == zone.pk:
            raise ValidationFailed(
                _("A zone cannot be part of itself or of a zone within it."),
                code="parent_cycle",
                field="parent",
            )
        node = node.parent
    if parent.metro_id != zone.metro_id:
        raise ValidationFailed(
            _("The zone it is part of must lie in the same metropolitan area."),
            code="invalid_choice",
            field="parent",
        )


def _member_index(specs: list[MemberSpec], code: str) -> int:
    return next(i for i, spec in enumerate(specs) if spec.code == code)


@transaction.atomic
def update_zone_members(
    *, actor: Any, zone: AdjacentZone, members: list[MemberSpec], expected_version: Any
) -> AdjacentZone:
    """Replace a zone's members, with the rules of ``create_zone``: every member inside the metropolitan
    area, at least two sides (a side is a party: two members acting for one city are one side), not the
    members of another zone from the same day. A zone office adds only members inside the territory it
    already runs (a member beyond it would widen its own sight); the metropolitan-area office adds any
    member of the metropolitan area. Members kept stay as they were (with their start); a new member starts
    today. The zone gets a new version (a concurrent edit is refused as stale) and an audit entry naming
    the members added and removed; everyone's scope is recomputed, since members decide who reaches it."""
    require(actor, "change", zone)
    zone = AdjacentZone.objects.select_for_update().select_related("metro").get(pk=zone.pk)
    check_version(expected_version, zone.version)
    current = {
        m.jurisdiction.code: m for m in zone.members.select_related("jurisdiction__parent__parent", "party")
    }
    if len(members) < 2:
        raise ValidationFailed(
            _("A zone needs members on at least two sides."), code="one_sided_zone", field="members"
        )
    today = timezone.localdate()
    resolved = _resolve_members(members, today, kept={code: m.jurisdiction for code, m in current.items()})
    if outside_metro := _outside(resolved, _metro_territory(zone.metro)):
        raise ValidationFailed(
            _("These members lie outside the metropolitan area: %(codes)s")
            % {"codes": ", ".join(outside_metro)},
            code="member_outside_metro",
            field=f"members.{_member_index(members, outside_metro[0])}.code",
        )
    metro_office = restrict(MetroArea.objects.filter(pk=zone.metro_id), actor, "add_zone").exists()
    if not metro_office:
        added = [(m, p, s, r) for m, p, s, r in resolved if m.code not in current]
        beyond = _outside(added, scope_of(actor).office_territory())
        if beyond:
            raise ForbiddenError(
                _(
                    "%(member)s lies beyond the territory your office runs; only the metropolitan-area "
                    "office may add it."
                )
                % {
                    "member": next(
                        m.display_name(translation.get_language() or "zh-hans")
                        for m, *_rest in resolved
                        if m.code == beyond[0]
                    )
                },
                field=f"members.{_member_index(members, beyond[0])}.code",
            )
    _duplicate_of(
        actor, zone.metro, zone.name, zone.established, {m.pk for m, *_rest in resolved}, exclude=zone.pk
    )
    wanted = {m.code: (m, party, side, role) for m, party, side, role in resolved}
    added_codes = [code for code in wanted if code not in current]
    removed_codes = [code for code in current if code not in wanted]
    roles = {
        code: [current[code].role, wanted[code][3]]
        for code in wanted
        if code in current and current[code].role != wanted[code][3]
    }
    if not (added_codes or removed_codes or roles):
        return zone
    ZoneMember.objects.filter(zone=zone, jurisdiction__code__in=removed_codes).delete()
    for code in added_codes:
        member, party, side, role = wanted[code]
        ZoneMember.objects.create(
            zone=zone, jurisdiction=member, party=party, side=side, role=role, since=today
        )
    for code, (_before, after) in roles.items():
        ZoneMember.objects.filter(pk=current[code].pk).update(role=after)
    _next_version(zone)
    data: dict[str, Any] = {}
    if added_codes:
        data["members_added"] = added_codes
    if removed_codes:
        data["members_removed"] = removed_codes
    if roles:
        data["member_roles"] = roles
    audit(actor, "zone.members", zone, data)
    bump_scope_version()
    forget_scope(actor)
    return zone


def _next_version(zone: AdjacentZone) -> None:
    """Raise the zone's version as apply_changes does (compare-and-set) and write its history row."""
    written = AdjacentZone.objects.filter(pk=zone.pk, version=zone.version).update(version=F("version") + 1)
    if written != 1:
        raise ConflictError(
            _("This record was changed by someone else since you opened it; reload and try again."),
            field="version",
        )
    zone.version += 1
    zone.save(update_fields=["updated_at"])


@transaction.atomic
def edit_zone(
    *,
    actor: Any,
    zone: AdjacentZone,
    changes: dict[str, Any],
    members: list[MemberSpec] | None,
    expected_version: Any,
) -> AdjacentZone:
    """The zone's edit page in one step: its fields (``update_zone``) and, when given, its members
    (``update_zone_members``), both or neither, against the version the editor opened."""
    zone = update_zone(actor=actor, zone=zone, changes=changes, expected_version=expected_version)
    if members is not None:
        zone = update_zone_members(actor=actor, zone=zone, members=members, expected_version=zone.version)
    return zone
