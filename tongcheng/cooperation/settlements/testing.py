"""Test data for settlements, built through the services (only test code imports this module)."""

from __future__ import annotations

from typing import Any

from django.db import transaction

from tongcheng.core.models import AdjacentZone, User
from tongcheng.kit.testing import built

from ..models import Settlement
from . import services

__all__ = ["computed_settlement", "final_settlement", "user"]


def user(actor: Any) -> Any:
    return User.objects.get(username=actor) if isinstance(actor, str) else actor


def computed_settlement(
    first: str = "2024-11", last: str = "2024-12", *, zone: str = "pukou-nanqiao", actor: str = "office_pn"
) -> Settlement:
    """A draft settlement, created and computed (the computation job run in place)."""
    office = user(actor)

    def make() -> Settlement:
        with transaction.atomic():
            settlement = services.create_settlement(
                actor=office, zone=AdjacentZone.objects.get(code=zone), first=first, last=last
            )
        services.compute_now(office, settlement)
        return Settlement.objects.get(pk=settlement.pk)

    return built(f"computed_settlement({zone}, {first}..{last})", make)


def final_settlement(first: str = "2024-11", last: str = "2024-12", **kw: Any) -> Settlement:
    settlement = computed_settlement(first, last, **kw)
    settlement = services.submit_settlement(
        actor=user("office_pn"), settlement=settlement, expected_version=settlement.version
    )
    for finance in ("finance_pukou", "finance_nanqiao"):
        settlement = services.confirm_settlement(
            actor=user(finance), settlement=settlement, expected_version=settlement.version
        )
    return settlement
