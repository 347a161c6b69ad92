"""The demo's settlements of 浦口—南谯: 2025 final (computed by the engine from the demo's receipts, submitted by
office_pn, confirmed by finance_pukou and finance_nanqiao, on the zone's hash chain) and 2026-01..2026-10 as
a computed draft. Loaded after the agreements and receipts (sharing.demo). A reload leaves settlements that
exist as they are (a final one cannot change anyway; a draft may have been worked on), so it is idempotent."""

from __future__ import annotations

from typing import Any

from django.db import transaction

from tongcheng.core.models import AdjacentZone, User

from ..models import Settlement
from . import services

ZONE = "pukou-nanqiao"
FINAL = ("2025-01", "2025-12")
DRAFT = ("2026-01", "2026-10")


def _users(*names: str) -> list[Any] | None:
    found = {u.username: u for u in User.objects.filter(username__in=names)}
    return [found[n] for n in names] if len(found) == len(names) else None


def _month(text: str) -> int:
    return int(text[:4]) * 100 + int(text[5:])


def load_settlement_demo(report: Any) -> None:
    zone = AdjacentZone.objects.filter(code=ZONE).first()
    users = _users("office_pn", "finance_pukou", "finance_nanqiao")
    if zone is None or users is None:
        return
    office, *finance = users
    for first, last, final in (FINAL + (True,), DRAFT + (False,)):
        if Settlement.objects.filter(zone=zone, first__lte=_month(last), last__gte=_month(first)).exists():
            continue
        with transaction.atomic():
            settlement = services.create_settlement(
                actor=office, zone=zone, first=first, last=last, note="演示结算（合成数据）"
            )
            settlement = services.compute_now(office, settlement)
            if final:
                settlement = services.submit_settlement(
                    actor=office, settlement=settlement, expected_version=settlement.version
                )
                for user in finance:
                    settlement = services.confirm_settlement(
                        actor=user, settlement=settlement, expected_version=settlement.version
                    )
        report.count("created")
