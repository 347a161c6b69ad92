from .access import ApiToken, Role, RoleGrant, User
from .audit import AuditEntry
from .base import TrackedModel
from .calendar import WorkdayOverride
from .jurisdictions import (
    DatePrecision,
    Jurisdiction,
    JurisdictionKind,
    JurisdictionLevel,
    MetroArea,
    MetroMember,
)
from .organisations import Organisation, OrganisationKind, Person
from .zones import AdjacentZone, MemberRole, ZoneKind, ZoneMember, ZoneStatus

__all__ = [
    "AdjacentZone",
    "DatePrecision",
    "ApiToken",
    "AuditEntry",
    "Jurisdiction",
    "JurisdictionKind",
    "JurisdictionLevel",
    "MemberRole",
    "MetroArea",
    "MetroMember",
    "Organisation",
    "OrganisationKind",
    "Person",
    "Role",
    "RoleGrant",
    "TrackedModel",
    "User",
    "WorkdayOverride",
    "ZoneKind",
    "ZoneMember",
    "ZoneStatus",
]
