"""The investment development fund of a zone (S-B1): the services that record commitments, contributions
and disbursements, and what is computed from them — each party's arrears and the cumulative cost shares.

Rules stated here once:
- a party is a jurisdiction that is a member of the zone or contains one (江宁区 for its 横溪街道);
- a year's commitment falls due at the end of that year: committed to date, on a day, is the sum of the
  commitments of the years that have ended by then; the arrears are that minus what the party contributed up
  to that day (never below zero — a party that paid ahead has a credit instead);
- a contribution counts at its amount, land and contributions in kind at the value the parties agreed;
- the cost shares are the parties' cumulative contributions as parts of 10,000 basis points, rounded by the
  largest remainder (the settlement engine's ``split_exact``, ties to the party with the lower code), so
  they always add up to exactly 10,000; they feed cost-linked ratios."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from django.db import transaction
from django.db.models import Sum
from django.utils.translation import gettext as _

from tongcheng.core.models import AdjacentZone, Jurisdiction, ZoneMember
from tongcheng.kit.access import scope_of
from tongcheng.kit.services import ForbiddenError, NotFoundError, ValidationFailed

from ..engine.rounding import split_exact
from ..models import (
    ContributionKind,
    DisbursementPurpose,
    FundCommitment,
    FundContribution,
    FundDisbursement,
)
from ..rules import fund_q
from .base import create_record, member_paths, update_record

__all__ = [
    "BP_TOTAL",
    "CONTRIBUTION_EDITABLE_FIELDS",
    "DISBURSEMENT_EDITABLE_FIELDS",
    "FundPosition",
    "PartyPosition",
    "cost_shares_bp",
    "create_contribution",
    "create_disbursement",
    "fund_position",
    "may_read_fund",
    "require_fund",
    "parties_of",
    "save_commitment",
    "update_contribution",
    "update_disbursement",
]

BP_TOTAL = 10_000
CONTRIBUTION_EDITABLE_FIELDS = ("kind", "amount_fen", "date", "reference", "description", "note", "note_en")
DISBURSEMENT_EDITABLE_FIELDS = (
    "purpose",
    "name",
    "name_en",
    "amount_fen",
    "date",
    "resolution",
    "note",
    "note_en",
)


def parties_of(zone: AdjacentZone) -> list[Jurisdiction]:
    """The zone's members' county-level parties: each member, or the county containing a member below the
    county level (a town or street is not a treasury), once each, by code."""
    found: dict[int, Jurisdiction] = {}
    for member in ZoneMember.objects.filter(zone=zone).select_related("jurisdiction__parent"):
        j = member.jurisdiction
        while j.level == "township" and j.parent is not None:
            j = j.parent
        found[j.pk] = j
    return sorted(found.values(), key=lambda j: j.code)


def may_read_fund(actor: Any, zone: AdjacentZone, action: str = "view") -> bool:
    """Whether the actor reaches the zone's fund for the action (the fund rows' own rule, on the zone)."""
    scope = scope_of(actor)
    if not scope.authenticated:
        return False
    if scope.superuser:
        return True
    return AdjacentZone.objects.filter(pk=zone.pk).filter(fund_q(scope, action, zone_field="")).exists()


def require_fund(actor: Any, zone: AdjacentZone, action: str = "change") -> None:
    """404 when the actor does not read the zone's fund, 403 when it reads but may not do ``action``."""
    if not may_read_fund(actor, zone, "view"):
        raise NotFoundError()
    if action != "view" and not may_read_fund(actor, zone, action):
        raise ForbiddenError(_("You may not record this zone's fund."))


def _require_party(zone: AdjacentZone, party: Jurisdiction) -> None:
    paths = member_paths(zone)
    if not any(p.startswith(party.path) for p in paths):
        raise ValidationFailed(
            _("%(name)s is not a party to %(zone)s: it neither is nor contains a member.")
            % {"name": party.name, "zone": zone.name},
            code="not_a_party",
            field="party",
        )


def _require_amount(amount_fen: Any, field_name: str = "amount_fen", minimum: int = 1) -> None:
    if isinstance(amount_fen, bool) or not isinstance(amount_fen, int) or amount_fen < minimum:
        raise ValidationFailed(
            _("Enter an amount of at least %(minimum)s fen.") % {"minimum": minimum},
            code="out_of_range",
            field=field_name,
        )


# --- recording -----------------------------------------------------------------------------------------


@transaction.atomic
def save_commitment(
    *,
    actor: Any,
    zone: AdjacentZone,
    party: Jurisdiction,
    year: int,
    amount_fen: int,
    reference: str = "",
    note: str = "",
    note_en: str = "",
    expected_version: Any = None,
) -> FundCommitment:
    """Record what a party commits for a year: a new year is created, a recorded one updated against the
    version the editor saw."""
    require_fund(actor, zone)
    _require_party(zone, party)
    _require_amount(amount_fen, minimum=0)
    existing = FundCommitment.objects.select_for_update().filter(zone=zone, party=party, year=year).first()
    values = {"amount_fen": amount_fen, "reference": reference, "note": note, "note_en": note_en}
    if existing is None:
        row = FundCommitment(zone=zone, party=party, year=year, **values)
        create_record(
            actor,
            row,
            action="fund.commitment",
            refusal=_("You may not record this zone's fund."),
            data={"party": party.code, "year": year, "amount_fen": amount_fen},
        )
        return row
    return update_record(
        actor, existing, values, expected_version, fields=tuple(values), action="fund.commitment"
    )


@transaction.atomic
def create_contribution(
    *,
    actor: Any,
    zone: AdjacentZone,
    party: Jurisdiction,
    kind: str,
    amount_fen: int,
    date: dt.date,
    reference: str,
    description: str = "",
    note: str = "",
    note_en: str = "",
) -> FundContribution:
    """A party's payment into the fund: cash, land at the agreed value, or in kind at its agreed value."""
    require_fund(actor, zone)
    _require_party(zone, party)
    if kind not in ContributionKind.values:
        raise ValidationFailed(
            _("Unknown kind %(kind)s.") % {"kind": kind}, code="invalid_choice", field="kind"
        )
    _require_amount(amount_fen)
    row = FundContribution(
        zone=zone,
        party=party,
        kind=kind,
        amount_fen=amount_fen,
        date=date,
        reference=reference,
        description=description,
        note=note,
        note_en=note_en,
    )
    create_record(
        actor,
        row,
        action="fund.contribution.create",
        refusal=_("You may not record this zone's fund."),
        data={"party": party.code, "kind": kind, "amount_fen": amount_fen, "date": date.isoformat()},
    )
    return row


@transaction.atomic
def update_contribution(
    *, actor: Any, contribution: FundContribution, changes: dict[str, Any], expected_version: Any
) -> FundContribution:
    if "amount_fen" in changes:
        _require_amount(changes["amount_fen"])
    return update_record(
        actor,
        contribution,
        changes,
        expected_version,
        fields=CONTRIBUTION_EDITABLE_FIELDS,
        action="fund.contribution.update",
    )


@transaction.atomic
def create_disbursement(
    *,
    actor: Any,
    zone: AdjacentZone,
    purpose: str,
    name: str,
    amount_fen: int,
    date: dt.date,
    resolution: str,
    name_en: str = "",
    note: str = "",
    note_en: str = "",
) -> FundDisbursement:
    """A payment out of the fund to an infrastructure or public-service project, with the reference of the
    resolution that approved it (required)."""
    require_fund(actor, zone)
    if purpose not in DisbursementPurpose.values:
        raise ValidationFailed(
            _("Unknown purpose %(purpose)s.") % {"purpose": purpose}, code="invalid_choice", field="purpose"
        )
    _require_amount(amount_fen)
    row = FundDisbursement(
        zone=zone,
        purpose=purpose,
        name=name,
        name_en=name_en,
        amount_fen=amount_fen,
        date=date,
        resolution=resolution,
        note=note,
        note_en=note_en,
    )
    create_record(
        actor,
        row,
        action="fund.disbursement.create",
        refusal=_("You may not record this zone's fund."),
        data={"purpose": purpose, "amount_fen": amount_fen, "resolution": resolution},
    )
    return row


@transaction.atomic
def update_disbursement(
    *, actor: Any, disbursement: FundDisbursement, changes: dict[str, Any], expected_version: Any
) -> FundDisbursement:
    if "amount_fen" in changes:
        _require_amount(changes["amount_fen"])
    return update_record(
        actor,
        disbursement,
        changes,
        expected_version,
        fields=DISBURSEMENT_EDITABLE_FIELDS,
        action="fund.disbursement.update",
    )


# --- what is computed ----------------------------------------------------------------------------------


def cost_shares_bp(contributed: dict[str, int]) -> dict[str, int]:
    """Each party's share of the cumulative contributions in basis points, adding up to exactly 10,000
    (largest remainder; ties to the lower code). Empty when nothing was contributed."""
    codes = sorted(contributed)
    if not codes or sum(contributed.values()) <= 0:
        return {}
    parts = split_exact(BP_TOTAL, [max(contributed[c], 0) for c in codes])
    return dict(zip(codes, parts, strict=True))


@dataclass
class PartyPosition:
    party: Jurisdiction
    committed_by_year: dict[int, int] = field(default_factory=dict)
    committed_total: int = 0
    committed_due: int = 0  # commitments of the years ended by the day
    contributed: int = 0  # up to the day
    contributed_by_kind: dict[str, int] = field(default_factory=dict)
    share_bp: int | None = None

    @property
    def arrears(self) -> int:
        return max(self.committed_due - self.contributed, 0)

    @property
    def credit(self) -> int:
        return max(self.contributed - self.committed_due, 0)


@dataclass
class FundPosition:
    zone: AdjacentZone
    as_of: dt.date
    years: list[int]
    parties: list[PartyPosition]
    disbursed: int = 0
    disbursed_by_purpose: dict[str, int] = field(default_factory=dict)

    @property
    def contributed(self) -> int:
        return sum(p.contributed for p in self.parties)

    @property
    def committed_total(self) -> int:
        return sum(p.committed_total for p in self.parties)

    @property
    def committed_due(self) -> int:
        return sum(p.committed_due for p in self.parties)

    @property
    def arrears(self) -> int:
        return sum(p.arrears for p in self.parties)

    @property
    def balance(self) -> int:
        """What the fund holds: contributed minus disbursed (land and in-kind at their agreed value)."""
        return self.contributed - self.disbursed

    def year_totals(self) -> dict[int, int]:
        totals: dict[int, int] = defaultdict(int)
        for p in self.parties:
            for year, amount in p.committed_by_year.items():
                totals[year] += amount
        return dict(totals)


def fund_position(
    zone: AdjacentZone,
    *,
    commitments: Iterable[FundCommitment],
    contributions: Iterable[FundContribution],
    disbursements: Iterable[FundDisbursement],
    as_of: dt.date,
) -> FundPosition:
    """The fund as of a day, from rows the caller read (through ``visible_to``): commitments per party and
    year, arrears, contributions by kind, cost shares and disbursements. Parties are the zone's (see
    ``parties_of``) and any other party a row names."""
    parties: dict[int, PartyPosition] = {j.pk: PartyPosition(j) for j in parties_of(zone)}
    years: set[int] = set()

    def position(party: Jurisdiction) -> PartyPosition:
        if party.pk not in parties:
            parties[party.pk] = PartyPosition(party)
        return parties[party.pk]

    for c in commitments:
        p = position(c.party)
        years.add(c.year)
        p.committed_by_year[c.year] = p.committed_by_year.get(c.year, 0) + c.amount_fen
        p.committed_total += c.amount_fen
        if dt.date(c.year, 12, 31) <= as_of:
            p.committed_due += c.amount_fen
    for paid in contributions:
        p = position(paid.party)
        if paid.date <= as_of:
            p.contributed += paid.amount_fen
            p.contributed_by_kind[paid.kind] = p.contributed_by_kind.get(paid.kind, 0) + paid.amount_fen
    ordered = sorted(parties.values(), key=lambda p: p.party.code)
    shares = cost_shares_bp({p.party.code: p.contributed for p in ordered})
    for p in ordered:
        p.share_bp = shares.get(p.party.code)
    result = FundPosition(zone=zone, as_of=as_of, years=sorted(years), parties=ordered)
    for d in disbursements:
        if d.date <= as_of:
            result.disbursed += d.amount_fen
            result.disbursed_by_purpose[d.purpose] = (
                result.disbursed_by_purpose.get(d.purpose, 0) + d.amount_fen
            )
    return result


def contributed_by_party(zone: AdjacentZone, until: dt.date | None = None) -> dict[str, int]:
    """Cumulative contributions per party code (for cost-linked ratios), all rows, not scoped: the caller
    decides who may read them."""
    qs = FundContribution.objects.filter(zone=zone)
    if until is not None:
        qs = qs.filter(date__lte=until)
    return {
        code: total
        for code, total in qs.values("party__code")
        .annotate(total=Sum("amount_fen"))
        .values_list("party__code", "total")
    }
