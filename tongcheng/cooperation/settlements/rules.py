"""Who reaches settlements (docs/access-matrix.md, "Settlements").

- **view**: the zone's office (or the metropolitan-area office) and auditor; a finance bureau of the zone whose
  treasury is a party of the settlement. A finance bureau of a non-party gets a 404.
- **change** (create, compute, submit): the zone's office.
- **confirm** (confirm, reject): a finance bureau of a party (the kit's confirmation checks the party itself).
- **finalise**: the office, or a party's finance bureau (the last confirmation finalises on its own).
Lines: a finance bureau reads only the lines that concern its own treasury (``lines_for``)."""

from __future__ import annotations

from typing import Any

from django.db.models import Q, QuerySet

from tongcheng.core.scope import Scope
from tongcheng.kit.access import NONE, any_of, register_rule, scope_of

from ..models import Settlement, SettlementLine, SettlementParty
from ..sharing.rules import READERS, office_q, treasury_codes_q


def party_q(scope: Scope) -> Q:
    zones = scope.zone_q(("finance",), "zone_id")
    codes = treasury_codes_q(scope, ("finance",), "jurisdiction")
    if zones is NONE or codes is NONE:
        return NONE
    return zones & Q(pk__in=SettlementParty.objects.filter(codes).values("settlement_id"))


@register_rule(Settlement, actions=("view", "change", "confirm", "finalise", "history"))
def settlement_rule(scope: Scope, action: str) -> Q:
    office = office_q(scope, "zone_id", "zone__metro_id")
    if action in ("view", "history"):
        return any_of(scope.zone_q(READERS, "zone_id"), office, party_q(scope))
    if action == "change":
        return office
    if action == "confirm":
        return party_q(scope)
    if action == "finalise":
        return any_of(office, party_q(scope))
    return NONE


def whole_view(user: Any, settlement: Settlement) -> bool:
    """Whether the user reads every line (the zone's office and auditor), not only its own treasury's."""
    scope = scope_of(user)
    q = any_of(scope.zone_q(READERS, "zone_id"), office_q(scope, "zone_id", "zone__metro_id"))
    return q is not NONE and Settlement.objects.filter(q, pk=settlement.pk).exists()


def lines_for(user: Any, settlement: Settlement, run: int | None = None) -> QuerySet[SettlementLine]:
    """The settlement's lines of its current run (or ``run``) the user reads: all for the office and
    auditor; for a party's finance bureau, the lines of its own treasury (as party, payer or payee)."""
    qs = SettlementLine.objects.filter(settlement=settlement, run=settlement.run if run is None else run)
    if whole_view(user, settlement):
        return qs
    scope = scope_of(user)
    mine = any_of(
        treasury_codes_q(scope, ("finance",), "jurisdiction"), treasury_codes_q(scope, ("finance",), "payee")
    )
    return qs.filter(mine) if mine is not NONE else qs.none()
