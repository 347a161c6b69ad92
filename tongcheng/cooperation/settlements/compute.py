"""The engine run of a settlement: the zone's approved agreements (``canonical.engine_segments``), its stored
receipt sums, apportionment factors and indicators (``sharing.loader``) for the settlement's months, settled
segment by segment; the result folded into lines per agreement × party × tax type and transfers per payer
and payee, integer fen. ``fingerprint`` is the sha256 of the canonical engine input (the agreement
documents, every input column's bytes and vocabularies), so that ``verify_ledger`` can tell whether the
stored inputs still are what a final settlement was computed from.

Fund contributions (cost-linked ratios) are not read: the loader provides none yet (as in the preview)."""

from __future__ import annotations

import hashlib
from dataclasses import astuple, dataclass, field
from typing import Any

import numpy as np

from tongcheng.cooperation.engine import local_shares
from tongcheng.cooperation.engine.settle import settle
from tongcheng.kit.hash_chain import canonical_json

from ..sharing import canonical, loader

__all__ = ["Computed", "compute", "engine_month", "line_key"]


def engine_month(yyyymm: int) -> int:
    return (yyyymm // 100) * 12 + yyyymm % 100 - 1


@dataclass
class Computed:
    # (agreement, jurisdiction, tax_type) -> (base, share); (payer, payee) -> amount
    shares: dict[tuple[str, str, str], list[int]] = field(default_factory=dict)
    transfers: dict[tuple[str, str], int] = field(default_factory=dict)
    fingerprint: str = ""

    @property
    def total_fen(self) -> int:
        return sum(v[1] for v in self.shares.values())


def line_key(kind: str, agreement: str, jurisdiction: str, payee: str, tax_type: str) -> str:
    return "|".join((kind, agreement, jurisdiction, payee, tax_type))


def _digest_array(h: Any, name: str, values: Any) -> None:
    h.update(name.encode() + b"\x00")
    if values is None:
        h.update(b"none")
        return
    h.update(np.ascontiguousarray(np.asarray(values, dtype="<i8")).tobytes())


def compute(zone: Any, first: int, last: int) -> Computed:
    """Settle months first..last (YYYYMM) of the zone's stored records."""
    lo, hi = engine_month(first), engine_month(last)
    out = Computed()
    h = hashlib.sha256()
    shares = local_shares.load_shipped()
    for segment in canonical.engine_segments(zone, lo, hi):
        factors = loader.factors_for_engine(zone, segment.first, segment.last)
        receipts = loader.receipts_for_engine(
            zone,
            segment.first,
            segment.last,
            agreements=segment.agreements,
            keep={f.enterprise for f in factors},
        )
        indicators = loader.indicators_for_engine(zone, segment.first, segment.last)
        h.update(
            canonical_json({"first": segment.first, "last": segment.last, "agreements": segment.document})
        )
        h.update(
            canonical_json(
                {
                    "enterprises": list(receipts.enterprises),
                    "jurisdictions": list(receipts.jurisdictions),
                    "tax_types": list(receipts.tax_types),
                    "projects": list(receipts.projects),
                    "factors": [list(astuple(f)) for f in factors],
                    "indicators": [
                        list(indicators.enterprise),
                        list(indicators.period),
                        list(indicators.indicator),
                        list(indicators.value),
                    ],
                }
            )
        )
        for name in ("enterprise", "jurisdiction", "period", "tax_type", "amount", "project"):
            _digest_array(h, name, getattr(receipts, name))
        result = settle(
            receipts,
            segment.agreements,
            segment.first,
            segment.last,
            local_shares=shares,
            factors=factors,
            indicators=indicators if indicators.enterprise else None,
        )
        for a, t, j, base, share in zip(
            result.alloc_agreement.tolist(),
            result.alloc_tax.tolist(),
            result.alloc_jurisdiction.tolist(),
            result.alloc_base.tolist(),
            result.alloc_share.tolist(),
            strict=True,
        ):
            key = (result.agreement_ids[a], result.jurisdictions[j], result.tax_types[t])
            row = out.shares.setdefault(key, [0, 0])
            row[1] += int(share)
            row[0] += int(base)
        for _period, payer, payee, amount in result.transfers:
            out.transfers[(payer, payee)] = out.transfers.get((payer, payee), 0) + int(amount)
    out.fingerprint = h.hexdigest()
    return out


def as_lines(computed: Computed) -> dict[str, tuple[int, int]]:
    """key -> (base, amount) of every share and transfer line (what a stored run holds)."""
    lines: dict[str, tuple[int, int]] = {}
    for (agreement, jur, tax), (base, share) in computed.shares.items():
        lines[line_key("share", agreement, jur, "", tax)] = (base, share)
    for (payer, payee), amount in computed.transfers.items():
        if amount:
            lines[line_key("transfer", "", payer, payee, "")] = (0, amount)
    return lines
