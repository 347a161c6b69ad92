"""What a user's role grants reach in the registry (DESIGN.md "Access").

A user holds role grants on scopes (metropolitan area, zone, jurisdiction with its subtree, organisation).
``load_scope(user)`` turns them, with two or three queries, into the sets of zones and jurisdiction subtrees
each role reaches; the kit (``tongcheng.kit.access``) caches the result under the scope version and hands it
to every rule. Whatever changes grants, zones, zone members, metropolitan-area members or the paths and
zones of granted organisations bumps that version (the services, and ``_bump_on_change`` below for any
other writer such as the admin or a loader)."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Q
from django.db.models.signals import post_delete, post_save

from tongcheng.kit.access import ALL, NONE, any_of, bump_scope_version

__all__ = [
    "ANONYMOUS",
    "COMMON_ROLE_SETS",
    "HISTORY_ROLES",
    "STAFF_ROLES",
    "GrantInfo",
    "Scope",
    "load_scope",
    "minimal_prefixes",
]

STAFF_ROLES = frozenset({"office", "officer", "clerk", "finance", "leader", "auditor"})
HISTORY_ROLES = frozenset({"office", "auditor", "leader"})


@dataclass(frozen=True)
class GrantInfo:
    role: str
    metro_id: int | None
    zone_id: int | None
    jurisdiction_path: str | None
    organisation_id: int | None
    organisation_path: str | None
    organisation_zone_id: int | None


@dataclass
class Scope:
    """What one user's active grants reach. Built by ``load_scope`` when the user's cached scope is missing
    or stale (kit.access caches it under the scope version), then used by every rule of the request.

    The answers (zones, jurisdiction subtrees and metropolitan areas a set of roles reaches) are memoised
    per set of the user's roles that a question selects, and those the rules ask for are computed before
    the scope is cached: a cached scope carries its answers, not the registry tables they came from."""

    user_id: int | None
    authenticated: bool
    superuser: bool
    grants: tuple[GrantInfo, ...]
    # (zone id, metro id, member path, zone is active) for every zone member of the registry.
    _zone_members: list[tuple[int, int, str, bool]] | None = field(default=None, repr=False)
    _metro_paths: dict[int, list[str]] | None = field(default=None, repr=False)
    _answers: dict[tuple[str, frozenset[str]], Any] = field(default_factory=dict, repr=False)

    def __getstate__(self) -> dict[str, Any]:
        # The registry tables stay out of the cache: they are the same for every user and only needed for
        # a question nobody asked before caching (then they are read again, see _load_members).
        state = dict(self.__dict__)
        state["_zone_members"] = None
        state["_metro_paths"] = None
        return state

    @property
    def roles(self) -> set[str]:
        return {g.role for g in self.grants}

    def has_role(self, *roles: str) -> bool:
        return self.superuser or any(g.role in roles for g in self.grants)

    def _grants(self, roles: Iterable[str] | None) -> list[GrantInfo]:
        wanted = set(roles) if roles is not None else None
        return [g for g in self.grants if wanted is None or g.role in wanted]

    def _selected(self, roles: Iterable[str] | None) -> frozenset[str]:
        """The user's roles among ``roles``: every answer depends only on the grants of these roles."""
        held = {g.role for g in self.grants}
        return frozenset(held if roles is None else held.intersection(roles))

    def _answer(
        self, kind: str, roles: Iterable[str] | None, compute: Callable[[list[GrantInfo]], Any]
    ) -> Any:
        key = (kind, self._selected(roles))
        if key not in self._answers:
            self._answers[key] = compute([g for g in self.grants if g.role in key[1]])
        return self._answers[key]

    def _load_members(self) -> list[tuple[int, int, str, bool]]:
        if self._zone_members is None:
            from .models import ZoneMember, ZoneStatus

            self._zone_members = [
                (zone_id, metro_id, path, status == ZoneStatus.ACTIVE)
                for zone_id, metro_id, path, status in ZoneMember.objects.order_by().values_list(
                    "zone_id", "zone__metro_id", "jurisdiction__path", "zone__status"
                )
            ]
        return self._zone_members

    def _load_metro_paths(self) -> dict[int, list[str]]:
        if self._metro_paths is None:
            from .models import MetroMember

            paths: dict[int, list[str]] = {}
            for metro_id, path in MetroMember.objects.order_by().values_list(
                "metro_id", "jurisdiction__path"
            ):
                paths.setdefault(metro_id, []).append(path)
            self._metro_paths = paths
        return self._metro_paths

    def organisation_ids(self, roles: Iterable[str] | None = STAFF_ROLES) -> set[int]:
        """The organisations the roles are granted on directly (a clerk's service window, a finance
        bureau): what ``kit.access.window_rows_q`` follows."""
        return {g.organisation_id for g in self._grants(roles) if g.organisation_id}

    def metro_ids(self, roles: Iterable[str] | None = STAFF_ROLES) -> set[int]:
        return set(self._answer("metros", roles, self._metro_ids))

    def _metro_ids(self, grants: list[GrantInfo]) -> frozenset[int]:
        ids = {g.metro_id for g in grants if g.metro_id}
        zones = self._zone_ids(grants)
        ids.update(metro_id for zone_id, metro_id, _path, _active in self._load_members() if zone_id in zones)
        return frozenset(ids)

    def jurisdiction_paths(self, roles: Iterable[str] | None = STAFF_ROLES) -> list[str]:
        """Path prefixes of the jurisdiction subtrees the roles reach, sorted, without a prefix that lies
        inside another (it adds no row, only a longer OR to every query)."""
        return list(self._answer("paths", roles, self._jurisdiction_paths))

    def _jurisdiction_paths(self, grants: list[GrantInfo]) -> tuple[str, ...]:
        paths: set[str] = set()
        zone_ids = {g.zone_id for g in grants if g.zone_id}
        for g in grants:
            if g.jurisdiction_path:
                paths.add(g.jurisdiction_path)
            if g.organisation_path:
                paths.add(g.organisation_path)
            if g.metro_id:
                paths.update(self._load_metro_paths().get(g.metro_id, []))
        # A zone grant reaches the territory of its members only once the zone is active: a proposed zone
        # (one that reaches beyond its proposer's territory) widens nobody's sight until it is approved.
        for zone_id, _metro_id, path, active in self._load_members():
            if active and zone_id in zone_ids:
                paths.add(path)
        return minimal_prefixes(paths)

    def zone_ids(self, roles: Iterable[str] | None = STAFF_ROLES) -> set[int]:
        """Zones the roles reach: granted directly, through the metro area, or through a jurisdiction that
        is a member of the zone, lies inside a member, or contains one. Proposed and rejected zones are
        reached only through the metro area (whose office decides on them)."""
        return set(self._answer("zones", roles, self._zone_ids))

    def _zone_ids(self, grants: list[GrantInfo]) -> frozenset[int]:
        ids = {g.zone_id for g in grants if g.zone_id}
        ids |= {g.organisation_zone_id for g in grants if g.organisation_zone_id}
        metros = {g.metro_id for g in grants if g.metro_id}
        anchors = [p for g in grants for p in (g.jurisdiction_path, g.organisation_path) if p]
        for zone_id, metro_id, member_path, active in self._load_members():
            if metro_id in metros or (
                active and any(member_path.startswith(a) or a.startswith(member_path) for a in anchors)
            ):
                ids.add(zone_id)
        # A zone lying wholly inside the territory of a zone one is granted (e.g. a zone its office defined
        # within its own territory) is part of that scope too.
        granted = {g.zone_id for g in grants if g.zone_id}
        territory = sorted(
            {path for zone_id, _m, path, active in self._load_members() if active and zone_id in granted}
        )
        if territory:
            inside: dict[int, bool] = {}
            for zone_id, _m, path, active in self._load_members():
                within = active and any(path.startswith(t) for t in territory)
                inside[zone_id] = inside.get(zone_id, True) and within
            ids.update(zone_id for zone_id, within in inside.items() if within)
        return frozenset(ids)

    def office_territory(self) -> list[str]:
        """Path prefixes of the jurisdictions this user runs as an office (同城办): the member territory of
        the zones and metropolitan areas its office grants are on. Nothing a service grants may reach
        beyond it."""
        return self.jurisdiction_paths(("office",))

    def covers(self, path: str, roles: Iterable[str] | None = ("office",)) -> bool:
        """Whether a jurisdiction (by its path) lies inside the territory the roles reach."""
        return self.superuser or any(path.startswith(p) for p in self.jurisdiction_paths(roles))

    def zone_q(self, roles: Iterable[str] | None = STAFF_ROLES, field_name: str = "zone_id") -> Q:
        if self.superuser:
            return ALL
        ids = self._answer("zones", roles, self._zone_ids)
        return Q(**{f"{field_name}__in": sorted(ids)}) if ids else NONE

    def path_q(self, roles: Iterable[str] | None = STAFF_ROLES, field_name: str = "path") -> Q:
        if self.superuser:
            return ALL
        prefixes = self._answer("paths", roles, self._jurisdiction_paths)
        return any_of(*(Q(**{f"{field_name}__startswith": prefix}) for prefix in prefixes))

    def anchored_q(self, roles: Iterable[str]) -> Q:
        """Rows of an anchored model (fields zone, metro, jurisdiction, organisation — audit entries, jobs,
        any module's records) whose anchor lies in the scope the roles reach: a zone they reach, a
        jurisdiction inside their territory, their metropolitan area, or an organisation they are granted.
        The one generic rule every anchored model uses."""
        if self.superuser:
            return ALL
        wanted = set(roles)
        grants = [g for g in self.grants if g.role in wanted]
        metros = sorted({g.metro_id for g in grants if g.metro_id})
        organisations = sorted({g.organisation_id for g in grants if g.organisation_id})
        return any_of(
            self.zone_q(wanted, "zone_id"),
            self.path_q(wanted, "jurisdiction__path"),
            Q(metro_id__in=metros) if metros else NONE,
            Q(organisation_id__in=organisations) if organisations else NONE,
        )

    def prepare(self, role_sets: Iterable[Iterable[str] | None]) -> Scope:
        """Compute the answers for these role sets now (before the scope is cached)."""
        for roles in role_sets:
            self._answer("zones", roles, self._zone_ids)
            self._answer("paths", roles, self._jurisdiction_paths)
            self._answer("metros", roles, self._metro_ids)
        return self


def minimal_prefixes(paths: Iterable[str]) -> tuple[str, ...]:
    """Sorted path prefixes without those inside another: ('32/', '32/01/', '34/') -> ('32/', '34/')."""
    kept: list[str] = []
    for path in sorted(set(paths)):
        if not kept or not path.startswith(kept[-1]):
            kept.append(path)
    return tuple(kept)


ANONYMOUS = Scope(user_id=None, authenticated=False, superuser=False, grants=())

# The role sets the registry's rules ask about; a module's rule may ask another, answered on first use.
COMMON_ROLE_SETS: tuple[Iterable[str] | None, ...] = (
    None,
    STAFF_ROLES,
    HISTORY_ROLES,
    ("office",),
    ("office", "auditor"),
)


def load_scope(user: Any) -> Scope:
    """The scope loader the kit calls when the user's cached scope is missing or stale (kit.access)."""
    from .models import RoleGrant

    grants = tuple(
        GrantInfo(
            role=role,
            metro_id=metro_id,
            zone_id=zone_id,
            jurisdiction_path=jurisdiction_path,
            organisation_id=organisation_id,
            organisation_path=organisation_path,
            organisation_zone_id=organisation_zone_id,
        )
        for (
            role,
            metro_id,
            zone_id,
            jurisdiction_path,
            organisation_id,
            organisation_path,
            organisation_zone_id,
        ) in RoleGrant.objects.active()
        .filter(user=user)
        .order_by("role", "pk")
        .values_list(
            "role",
            "metro_id",
            "zone_id",
            "jurisdiction__path",
            "organisation_id",
            "organisation__jurisdiction__path",
            "organisation__zone_id",
        )
    )
    scope = Scope(user_id=user.pk, authenticated=True, superuser=user.is_superuser, grants=grants)
    return scope if scope.superuser else scope.prepare(COMMON_ROLE_SETS)


# --- what bumps the scope version --------------------------------------------------------------------------
# The services that change grants, zones and zone members bump it explicitly (some of their writes are
# queryset updates that send no signal). These receivers cover every other writer of the tables a scope is
# built from (the admin, loaders, a shell): a save or delete bumps, once per transaction. An organisation or
# jurisdiction matters only through the zone and path it gives its grants, so a new one (nobody holds a
# grant on it yet) or a save of other fields does not bump.
_BUMP_ON_INSERT = frozenset({"core.RoleGrant", "core.ZoneMember", "core.MetroMember", "core.AdjacentZone"})
# On update: None = any save; otherwise only a save that may touch one of these fields.
_BUMP_ON_UPDATE: dict[str, frozenset[str] | None] = {
    "core.RoleGrant": None,
    "core.ZoneMember": None,
    "core.MetroMember": None,
    "core.AdjacentZone": frozenset({"status", "metro", "metro_id"}),
    "core.Organisation": frozenset({"zone", "zone_id", "jurisdiction", "jurisdiction_id"}),
    "core.Jurisdiction": frozenset({"path"}),
}


def _bump_on_save(sender: Any, created: bool, update_fields: Any, using: str, **kwargs: Any) -> None:
    label = sender._meta.label
    if created:
        if label not in _BUMP_ON_INSERT:
            return
    else:
        fields = _BUMP_ON_UPDATE[label]
        if fields is not None and update_fields is not None and not fields.intersection(update_fields):
            return
    bump_scope_version(using)


def _bump_on_delete(sender: Any, using: str, **kwargs: Any) -> None:
    bump_scope_version(using)


for _label in sorted(_BUMP_ON_UPDATE):
    post_save.connect(_bump_on_save, sender=_label, dispatch_uid=f"scope-version-save-{_label}")
    post_delete.connect(_bump_on_delete, sender=_label, dispatch_uid=f"scope-version-delete-{_label}")
