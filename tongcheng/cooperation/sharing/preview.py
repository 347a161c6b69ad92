"""The what-if preview of a version (S-B2): the engine applied to the last 12 months of the zone's stored
receipts twice — with the approved versions as they are in force, and with the version in place of all of
its agreement's versions over those months — and the difference per party of what the agreement gives each.

The months are the 12 ending with the latest month of stored receipts in the zone. Both runs read the same
stored rows (``loader.receipts_for_engine``: sums, not single rows), the same apportionment factors and the
shipped local shares; only the agreement differs. Where the approved versions change more than their ratio
within the window, each segment is settled with its own agreement set (``canonical.engine_segments``) and
the shares added up."""

from __future__ import annotations

import time
from dataclasses import dataclass, field, replace
from typing import Any

from django.db.models import Max
from django.utils.translation import gettext as _

from tongcheng.cooperation.engine import local_shares
from tongcheng.cooperation.engine.settle import settle
from tongcheng.cooperation.engine.types import EngineInputError, Settlement, format_period, parse_period

from ..models import AgreementVersion, ReceiptSum
from . import canonical, loader, present

__all__ = ["Preview", "preview_version"]


@dataclass
class PartyLine:
    jurisdiction: str
    name: str
    role: str
    approved_fen: int
    draft_fen: int

    @property
    def difference_fen(self) -> int:
        return self.draft_fen - self.approved_fen


@dataclass
class Preview:
    agreement: str
    number: int
    first: str = ""
    last: str = ""
    parties: list[PartyLine] = field(default_factory=list)
    months: list[dict[str, Any]] = field(
        default_factory=list
    )  # per month: {"period", "approved": [...], "draft": [...]}
    notes: list[str] = field(default_factory=list)
    error: str = ""
    load_seconds: float = 0.0
    engine_seconds: float = 0.0

    @property
    def approved_total(self) -> int:
        return sum(p.approved_fen for p in self.parties)

    @property
    def draft_total(self) -> int:
        return sum(p.draft_fen for p in self.parties)


def _shares(result: Settlement, agreement_id: str, parties: list[str], months: dict[int, list[int]]) -> None:
    """Add the agreement's shares per party and month of one settlement into ``months``."""
    if agreement_id not in result.agreement_ids:
        return
    a = result.agreement_ids.index(agreement_id)
    mask = result.alloc_agreement == a
    index = {code: k for k, code in enumerate(parties)}
    for period, jur, share in zip(
        result.alloc_period[mask].tolist(),
        result.alloc_jurisdiction[mask].tolist(),
        result.alloc_share[mask].tolist(),
        strict=True,
    ):
        k = index.get(result.jurisdictions[jur])
        if k is not None:
            months.setdefault(period, [0] * len(parties))[k] += share


def _run(
    zone: Any,
    first: int,
    last: int,
    agreement_id: str,
    parties: list[str],
    instead: canonical.Span | None,
    clock: dict[str, float],
) -> dict[int, list[int]]:
    months: dict[int, list[int]] = {}
    shares = local_shares.load_shipped()
    for segment in canonical.engine_segments(zone, first, last, instead=instead):
        started = time.perf_counter()
        factors = loader.factors_for_engine(
            zone,
            segment.first,
            segment.last,
            enterprises={e for a in segment.agreements.agreements for e in a.enterprises},
        )
        receipts = loader.receipts_for_engine(
            zone,
            segment.first,
            segment.last,
            agreements=segment.agreements,
            keep={f.enterprise for f in factors},
        )
        loaded = time.perf_counter()
        result = settle(
            receipts, segment.agreements, segment.first, segment.last, local_shares=shares, factors=factors
        )
        clock["load"] += loaded - started
        clock["engine"] += time.perf_counter() - loaded
        _shares(result, agreement_id, parties, months)
    return months


def preview_version(version: AgreementVersion, window: int = 12) -> Preview:
    agreement = version.agreement
    zone = agreement.zone
    out = Preview(agreement=agreement.code, number=version.number)
    latest = ReceiptSum.objects.filter(zone=zone).aggregate(m=Max("period"))["m"]
    if latest is None:
        out.error = _("The zone has no stored receipts yet: import some first.")
        return out
    last = (latest // 100) * 12 + latest % 100 - 1
    first = last - window + 1
    out.first, out.last = format_period(first), format_period(last)
    codes = agreement.party_codes
    span = canonical.span_of(agreement, version)
    instead = replace(span, start=min(span.start, first), end=None)
    clock = {"load": 0.0, "engine": 0.0}
    try:
        approved = _run(zone, first, last, agreement.code, codes, None, clock)
        draft = _run(zone, first, last, agreement.code, codes, instead, clock)
    except EngineInputError as exc:
        out.error = _("The settlement engine refuses the zone's agreements with this version: %(detail)s") % {
            "detail": str(exc)
        }
        return out
    out.load_seconds, out.engine_seconds = clock["load"], clock["engine"]
    names = present.division_names()
    for k, party in enumerate(agreement.parties):
        out.parties.append(
            PartyLine(
                jurisdiction=party["jurisdiction"],
                name=present.party_label(party["jurisdiction"], names),
                role=party.get("role", ""),
                approved_fen=sum(v[k] for v in approved.values()),
                draft_fen=sum(v[k] for v in draft.values()),
            )
        )
    zero = [0] * len(codes)
    for month in range(first, last + 1):
        a, d = approved.get(month, zero), draft.get(month, zero)
        out.months.append(
            {
                "period": format_period(month),
                "approved": a,
                "draft": d,
                "difference": [y - x for x, y in zip(a, d, strict=True)],
            }
        )
    ratio = (version.rules or {}).get("ratio", {})
    if ratio.get("kind") == "contribution":
        out.notes.append(
            _(
                "Fund contributions are not part of the preview: a cost-linked ratio is shown with its initial ratios."
            )
        )
    if span.start > first:
        out.notes.append(
            _("The version is applied to the whole window, though it comes into force only in %(start)s.")
            % {"start": version.effective_from}
        )
    if parse_period(version.effective_from) > last:
        out.notes.append(_("The window ends before the version comes into force."))
    return out
