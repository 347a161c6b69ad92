"""The read querysets of agreements and receipts, each built once for the pages, the API and the exports
(always through ``visible_to``)."""

from __future__ import annotations

from typing import Any

from django.db.models import Count, Q, QuerySet

from ..models import Agreement, AgreementVersion, Receipt, VersionStatus

__all__ = ["agreements", "receipts", "versions"]


def agreements(user: Any, action: str = "view") -> QuerySet[Agreement]:
    return (
        Agreement.objects.visible_to(user, action)
        .select_related("zone")
        .annotate(
            versions_count=Count("versions", distinct=True),
            approved_count=Count(
                "versions", filter=Q(versions__status=VersionStatus.APPROVED), distinct=True
            ),
            drafts_count=Count("versions", filter=Q(versions__status=VersionStatus.DRAFT), distinct=True),
        )
    )


def versions(user: Any, action: str = "view") -> QuerySet[AgreementVersion]:
    return AgreementVersion.objects.visible_to(user, action).select_related("agreement", "agreement__zone")


def receipts(user: Any) -> QuerySet[Receipt]:
    return Receipt.objects.visible_to(user).select_related("zone")
