"""Test data for agreements and their versions, built through the services as the actor given (like
``tongcheng.core.testing``): a refusal fails the test at once with the service's answer. Only test code
imports this module."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from tongcheng.core.models import AdjacentZone, User
from tongcheng.kit.testing import built

from ..models import Agreement, AgreementVersion
from . import services

__all__ = ["approve", "make_agreement", "make_version", "user"]


def user(actor: Any) -> Any:
    return User.objects.get(username=actor) if isinstance(actor, str) else actor


def make_agreement(
    actor: Any,
    *,
    zone: str | AdjacentZone = "pukou-nanqiao",
    code: str = "test-agreement",
    title: str = "测试协议",
    parties: Sequence[Mapping[str, str]] = (
        {"jurisdiction": "341103", "role": "host"},
        {"jurisdiction": "320111", "role": "partner"},
    ),
    **extra: Any,
) -> Agreement:
    zone_obj = AdjacentZone.objects.get(code=zone) if isinstance(zone, str) else zone
    return built(
        f"make_agreement({actor}, {code})",
        lambda: services.create_agreement(
            actor=user(actor), zone=zone_obj, code=code, title=title, parties=list(parties), **extra
        ),
    )


def make_version(
    actor: Any,
    agreement: Agreement,
    *,
    effective_from: str = "2024-01",
    effective_to: str = "",
    rules: Mapping[str, Any],
    resolution: str = "测试决议〔2024〕1号",
    **extra: Any,
) -> AgreementVersion:
    return built(
        f"make_version({actor}, {agreement.code}, {effective_from})",
        lambda: services.create_version(
            actor=user(actor),
            agreement=agreement,
            effective_from=effective_from,
            effective_to=effective_to,
            rules=dict(rules),
            resolution=resolution,
            **extra,
        ),
    )


def approve(actor: Any, version: AgreementVersion) -> AgreementVersion:
    version.refresh_from_db()
    return built(
        f"approve({actor}, {version})",
        lambda: services.approve_version(
            actor=user(actor), version=version, expected_version=version.version
        ),
    )
