"""The read querysets of the cooperation records and the fund: one function per read, used by the pages, the
API and the exports alike, already restricted by ``visible_to`` and with the joins their readers need. A
linked record that the reader may not see (an enterprise kept by another zone, a managing organisation out
of sight) is named only through ``visible_*`` annotations, which are NULL then."""

from __future__ import annotations

from typing import Any

from django.db.models import OuterRef, Prefetch, QuerySet, Subquery

from tongcheng.core.models import AdjacentZone, Jurisdiction, Organisation

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

__all__ = [
    "commitments",
    "contributions",
    "disbursements",
    "enterprises",
    "establishments",
    "factors",
    "park_years",
    "parks",
    "projects",
    "province_rules",
    "zone_and_descendants",
]

_BY_CODE = Jurisdiction.objects.order_by("code")


def _visible(model: Any, user: Any, field: str, link: str) -> Subquery:
    return Subquery(model.objects.visible_to(user).filter(pk=OuterRef(link)).values(field)[:1])


def parks(user: Any, action: str = "view") -> QuerySet[Park]:
    return (
        Park.objects.visible_to(user, action)
        .select_related("zone", "host")
        .prefetch_related(Prefetch("partners", queryset=_BY_CODE))
        .annotate(
            visible_manager_key=_visible(Organisation, user, "key", "managing_organisation_id"),
            visible_manager_name=_visible(Organisation, user, "name", "managing_organisation_id"),
            visible_manager_name_en=_visible(Organisation, user, "name_en", "managing_organisation_id"),
        )
    )


def park_years(user: Any, action: str = "view") -> QuerySet[ParkYear]:
    return ParkYear.objects.visible_to(user, action).select_related("park", "park__zone")


def enterprises(user: Any, action: str = "view") -> QuerySet[Enterprise]:
    return (
        Enterprise.objects.visible_to(user, action)
        .select_related("jurisdiction")
        .annotate(
            visible_zone_code=_visible(AdjacentZone, user, "code", "zone_id"),
            visible_zone_name=_visible(AdjacentZone, user, "name", "zone_id"),
            visible_zone_name_en=_visible(AdjacentZone, user, "name_en", "zone_id"),
        )
    )


def establishments(user: Any, action: str = "view") -> QuerySet[Establishment]:
    return (
        Establishment.objects.visible_to(user, action)
        .select_related("enterprise", "jurisdiction")
        .annotate(visible_park_code=_visible(Park, user, "code", "park_id"))
    )


def factors(user: Any, action: str = "view") -> QuerySet[ApportionmentFactor]:
    return ApportionmentFactor.objects.visible_to(user, action).select_related(
        "establishment", "establishment__enterprise", "establishment__jurisdiction"
    )


def projects(user: Any, action: str = "view") -> QuerySet[Project]:
    return (
        Project.objects.visible_to(user, action)
        .select_related("zone", "park")
        .prefetch_related(Prefetch("attracted_by", queryset=_BY_CODE))
        .annotate(
            visible_enterprise_code=_visible(Enterprise, user, "credit_code", "enterprise_id"),
            visible_enterprise_name=_visible(Enterprise, user, "name", "enterprise_id"),
            visible_enterprise_name_en=_visible(Enterprise, user, "name_en", "enterprise_id"),
        )
    )


def commitments(user: Any, action: str = "view") -> QuerySet[FundCommitment]:
    return FundCommitment.objects.visible_to(user, action).select_related("zone", "party")


def contributions(user: Any, action: str = "view") -> QuerySet[FundContribution]:
    return FundContribution.objects.visible_to(user, action).select_related("zone", "party")


def disbursements(user: Any, action: str = "view") -> QuerySet[FundDisbursement]:
    return FundDisbursement.objects.visible_to(user, action).select_related("zone")


def province_rules(user: Any, action: str = "view") -> QuerySet[ProvinceRule]:
    return ProvinceRule.objects.visible_to(user, action).select_related("province")


def zone_and_descendants(zone: AdjacentZone) -> list[int]:
    """The zone's id and those of the zones within it (宁淮合作 and its 宁淮特别合作区): an overview of a
    zone adds up the records of its parts."""
    ids = [zone.pk]
    frontier = [zone.pk]
    while frontier:
        frontier = list(AdjacentZone.objects.filter(parent_id__in=frontier).values_list("pk", flat=True))
        frontier = [pk for pk in frontier if pk not in ids]
        ids.extend(frontier)
    return ids
