"""What a user's role grants reach in the registry (DESIGN.md "Access").

A user holds role grants on scopes (metropolitan area, zone, jurisdiction with its subtree, organisation).
``load_scope(user)`` turns them, with two queries, into the sets of zones and jurisdiction subtrees each
role reaches; the kit (``tongcheng.kit.access``) caches it per request and hands it to every rule."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Q

from tongcheng.kit.access import ALL, NONE

__all__ = ["ANONYMOUS", "HISTORY_ROLES", "STAFF_ROLES", "GrantInfo", "Scope", "load_scope"]

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
    """What one user's active grants reach. Built once per request and cached on the user object."""

    user_id: int | None
    authenticated: bool
    superuser: bool
    grants: tuple[GrantInfo, ...]
    # (zone id, metro id, member path, zone is active) for every zone member of the registry.
    _zone_members: list[tuple[int, int, str, bool]] | None = field(default=None, repr=False)
    _metro_paths: dict[int, list[str]] | None = field(default=None, repr=False)

    @property
    def roles(self) -> set[str]:
        return {g.role for g in self.grants}

    def has_role(self, *roles: str) -> bool:
        return self.superuser or any(g.role in roles for g in self.grants)

    def _grants(self, roles: Iterable[str] | None) -> list[GrantInfo]:
        wanted = set(roles) if roles is not None else None
        return [g for g in self.grants if wanted is None or g.role in wanted]

    def _load_members(self) -> list[tuple[int, int, str, bool]]:
        if self._zone_members is None:
            from .models import ZoneMember, ZoneStatus

            self._zone_members = [
                (zone_id, metro_id, path, status == ZoneStatus.ACTIVE)
                for zone_id, metro_id, path, status in ZoneMember.objects.values_list(
                    "zone_id", "zone__metro_id", "jurisdiction__path", "zone__status"
                )
            ]
        return self._zone_members

    def _load_metro_paths(self) -> dict[int, list[str]]:
        if self._metro_paths is None:
            from .models import MetroMember

            paths: dict[int, list[str]] = {}
            for metro_id, path in MetroMember.objects.values_list("metro_id", "jurisdiction__path"):
                paths.setdefault(metro_id, []).append(path)
            self._metro_paths = paths
        return self._metro_paths

    def metro_ids(self, roles: Iterable[str] | None = STAFF_ROLES) -> set[int]:
        ids = {g.metro_id for g in self._grants(roles) if g.metro_id}
        zones = self.zone_ids(roles)
        ids.update(metro_id for zone_id, metro_id, _path, _active in self._load_members() if zone_id in zones)
        return ids

    def jurisdiction_paths(self, roles: Iterable[str] | None = STAFF_ROLES) -> list[str]:
        """Path prefixes of the jurisdiction subtrees the roles reach."""
        paths: set[str] = set()
        zone_ids = {g.zone_id for g in self._grants(roles) if g.zone_id}
        for g in self._grants(roles):
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
        return sorted(paths)

    def zone_ids(self, roles: Iterable[str] | None = STAFF_ROLES) -> set[int]:
        """Zones the roles reach: granted directly, through the metro area, or through a jurisdiction that
        is a member of the zone, lies inside a member, or contains one. Proposed and rejected zones are
        reached only through the metro area (whose office decides on them)."""
        grants = self._grants(roles)
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
        return ids

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
        ids = self.zone_ids(roles)
        return Q(**{f"{field_name}__in": sorted(ids)}) if ids else NONE

    def path_q(self, roles: Iterable[str] | None = STAFF_ROLES, field_name: str = "path") -> Q:
        if self.superuser:
            return ALL
        q = NONE
        for prefix in self.jurisdiction_paths(roles):
            q |= Q(**{f"{field_name}__startswith": prefix})
        return q

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
        q = self.zone_q(wanted, "zone_id") | self.path_q(wanted, "jurisdiction__path")
        if metros:
            q |= Q(metro_id__in=metros)
        if organisations:
            q |= Q(organisation_id__in=organisations)
        return q


ANONYMOUS = Scope(user_id=None, authenticated=False, superuser=False, grants=())


def load_scope(user: Any) -> Scope:
    """The scope loader the kit calls once per user and request (see kit.access.scope_of)."""
    from .models import RoleGrant

    grants = tuple(
        GrantInfo(
            role=g.role,
            metro_id=g.metro_id,
            zone_id=g.zone_id,
            jurisdiction_path=g.jurisdiction.path if g.jurisdiction_id else None,
            organisation_id=g.organisation_id,
            organisation_path=g.organisation.jurisdiction.path if g.organisation_id else None,
            organisation_zone_id=g.organisation.zone_id if g.organisation_id else None,
        )
        for g in RoleGrant.objects.active()
        .filter(user=user)
        .select_related("jurisdiction", "organisation__jurisdiction")
    )
    return Scope(user_id=user.pk, authenticated=True, superuser=user.is_superuser, grants=grants)
