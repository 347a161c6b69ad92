"""The demo's settlements of 浦口—南谯: 2025 final (computed by the engine from the demo's receipts, confirmed
by finance_pukou and finance_nanqiao, on the zone's hash chain) and 2026-01..2026-10 as a computed draft.
Loaded after the agreements and receipts (sharing.demo).

Like the other demo loaders it writes its records directly, not through the services: nobody acted, so
there is no audit entry, transition log or notification (and no record looks changed by a user). The rows
are the ones the services would write: the number from the zone's sequence, the lines of one engine run,
one confirmation per party (who, when, the version confirmed), the ledger entry of the final one. A reload
leaves settlements that exist as they are (a final one cannot change; a draft may have been worked on)."""

from __future__ import annotations

from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.db import transaction
from django.utils import timezone

from tongcheng.core.models import AdjacentZone, Jurisdiction, User
from tongcheng.kit.ledger.models import LedgerEntry
from tongcheng.kit.workflow.models import Confirmation, ConfirmationStatus

from ..models import Settlement, SettlementStatus
from . import compute, services

ZONE = "pukou-nanqiao"
FINAL = ("2025-01", "2025-12")
DRAFT = ("2026-01", "2026-10")
NOTE = "演示结算（合成数据）"


def _month(text: str) -> int:
    return int(text[:4]) * 100 + int(text[5:])


def _confirmed(settlement: Settlement, office: Any, finance: dict[str, Any]) -> None:
    now = timezone.now()
    Confirmation.objects.bulk_create(
        [
            Confirmation(
                content_type=ContentType.objects.get_for_model(Settlement),
                object_id=settlement.pk,
                round=1,
                role="finance",
                jurisdiction=jurisdiction,
                requested_by=office,
                requested_at=now,
                status=ConfirmationStatus.CONFIRMED,
                decided_by=finance[jurisdiction.code],
                decided_by_name=finance[jurisdiction.code].username,
                decided_at=now,
                object_version=settlement.version,
            )
            for jurisdiction in Jurisdiction.objects.filter(
                code__in=settlement.parties.values("jurisdiction")
            ).order_by("code")
        ]
    )


def load_settlement_demo(report: Any) -> None:
    zone = AdjacentZone.objects.filter(code=ZONE).first()
    users = {
        u.username: u
        for u in User.objects.filter(username__in=["office_pn", "finance_pukou", "finance_nanqiao"])
    }
    if zone is None or len(users) < 3:
        return
    finance = {"320111": users["finance_pukou"], "341103": users["finance_nanqiao"]}
    for first, last, final in (FINAL + (True,), DRAFT + (False,)):
        lo, hi = _month(first), _month(last)
        if Settlement.objects.filter(zone=zone, first__lte=hi, last__gte=lo).exists():
            continue
        with transaction.atomic():
            settlement = services.new_settlement(zone, lo, hi, note=NOTE)
            services.append_run(settlement, compute.compute(zone, lo, hi), [])
            if final:
                if set(settlement.parties.values_list("jurisdiction", flat=True)) - set(finance):
                    raise RuntimeError("the demo's 浦口—南谯 settlement has a party without a demo bureau")
                _confirmed(settlement, users["office_pn"], finance)
                chain = services.chain_name(zone)
                entry = LedgerEntry.append(chain, services.ledger_payload(settlement))
                settlement.status = SettlementStatus.FINAL
                settlement.finalised_at = timezone.now()
                settlement.ledger_chain, settlement.ledger_sequence, settlement.ledger_hash = (
                    chain,
                    entry.sequence,
                    entry.hash,
                )
                settlement.version += 1
                settlement.save()
        report.count("created")
