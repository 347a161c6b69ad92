"""The read querysets of the core registry, each built once for the pages, the API and the exports.

Every function takes the user (and the action) and returns a queryset already restricted by
``visible_to``, with the joins its readers need, so a page and the API can never disagree on what a user
sees or on how a row is loaded."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db.models import OuterRef, Prefetch, QuerySet, Subquery

from .models import AdjacentZone, AuditEntry, Jurisdiction, Organisation, Person, ZoneMember

__all__ = ["audit_entries", "jurisdictions", "organisations", "people", "zones"]


def _visible(model: Any, user: Any, field: str, link: str) -> Subquery:
    """The ``field`` of the linked row if the user sees it, else NULL: a page or the API names a linked
    record (a zone's parent, an organisation's zone) only when the user may see it."""
    return Subquery(model.objects.visible_to(user).filter(pk=OuterRef(link)).values(field)[:1])


def zones(user: Any, action: str = "view") -> QuerySet[AdjacentZone]:
    members = ZoneMember.objects.select_related("jurisdiction", "party").order_by(
        "side", "jurisdiction__code"
    )
    return (
        AdjacentZone.objects.visible_to(user, action)
        .select_related("metro")
        .prefetch_related(Prefetch("members", queryset=members))
        .annotate(visible_parent_code=_visible(AdjacentZone, user, "code", "parent_id"))
    )


def jurisdictions(user: Any, at: dt.date | None = None) -> QuerySet[Jurisdiction]:
    """Jurisdictions valid on ``at``; every one, former codes included, when ``at`` is None."""
    qs = Jurisdiction.objects.visible_to(user).select_related("parent", "successor")
    return qs.valid_on(at) if at is not None else qs


def organisations(user: Any, action: str = "view") -> QuerySet[Organisation]:
    return (
        Organisation.objects.visible_to(user, action)
        .select_related("jurisdiction")
        .annotate(
            visible_zone_code=_visible(AdjacentZone, user, "code", "zone_id"),
            visible_zone_name=_visible(AdjacentZone, user, "name", "zone_id"),
            visible_zone_name_en=_visible(AdjacentZone, user, "name_en", "zone_id"),
            visible_parent_key=_visible(Organisation, user, "key", "parent_id"),
        )
    )


def people(user: Any, action: str = "view") -> QuerySet[Person]:
    return Person.objects.visible_to(user, action).select_related("organisation")


def audit_entries(user: Any) -> QuerySet[AuditEntry]:
    return AuditEntry.objects.visible_to(user)
