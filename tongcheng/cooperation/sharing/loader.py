"""The engine's input arrays from stored rows: receipts, factors, indicators of a zone and a range of months.

No model instance is made: one aggregate query per input (receipts are summed per settlement group —
enterprise, treasury, month, tax type, project — by the database, which gives the engine the same result to
the fen as the single rows, docs/settlement-formats.md "Receipts are summed while they are read") — the
sums are kept in ``ReceiptSum``, refreshed by every writer of receipts for the months it wrote —, its rows
fetched in chunks into columns, and the text columns coded into sorted vocabularies with numpy, so the
engine's results do not depend on the order the database returns rows in. Receipts of enterprises no
agreement of the set names are summed under one code (they only count in the totals), as the command line
does."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from typing import Any

import numpy as np
from django.db import connection
from django.db.models import Q

from tongcheng.cooperation.engine.types import (
    AgreementSet,
    BranchFactors,
    IndicatorRows,
    Receipts,
    format_period,
)

from ..models import (
    ApportionmentFactor,
    Establishment,
    EstablishmentKind,
    IndicatorValue,
    Receipt,
    ReceiptSum,
)

__all__ = [
    "OTHERS",
    "factors_for_engine",
    "indicators_for_engine",
    "receipts_for_engine",
    "refresh_receipt_sums",
    "yyyymm",
]

#: the code of every enterprise no agreement names (not a credit code, so it matches no scope)
OTHERS = "(other enterprises)"
CHUNK = 50_000


def yyyymm(month: int) -> int:
    """Engine month number -> stored YYYYMM."""
    return (month // 12) * 100 + month % 12 + 1


def _engine_months(stored: np.ndarray) -> np.ndarray:
    return (stored // 100) * 12 + stored % 100 - 1


def _code(values: Sequence[str]) -> tuple[np.ndarray, tuple[str, ...]]:
    """Codes into the sorted vocabulary of a text column."""
    arr = np.asarray(values, dtype=object)
    if arr.size == 0:
        return np.zeros(0, dtype=np.int64), ()
    vocab, codes = np.unique(arr.astype(str), return_inverse=True)
    return codes.astype(np.int64).reshape(-1), tuple(str(v) for v in vocab)


def _named(agreements: AgreementSet | None) -> tuple[set[str] | None, set[str]]:
    if agreements is None:
        return None, set()
    enterprises = {e for a in agreements.agreements for e in a.enterprises}
    projects = {p for a in agreements.agreements for p in a.projects}
    return enterprises, projects


def receipts_for_engine(
    zone: Any,
    first: int,
    last: int,
    *,
    agreements: AgreementSet | None = None,
    keep: Iterable[str] = (),
) -> Receipts:
    """The zone's receipts of months first..last (engine month numbers) as the engine's columnar
    ``Receipts``, summed per settlement group. With ``agreements``, enterprises they do not name (and that
    are not in ``keep``, e.g. head offices with factors) are summed as one, projects they do not name are
    dropped (as ``tongcheng settle`` reads a file)."""
    table = connection.ops.quote_name(ReceiptSum._meta.db_table)
    sql = (
        "SELECT enterprise, jurisdiction, period, tax_type, project, amount_fen "
        f"FROM {table} WHERE zone_id = %s AND period >= %s AND period <= %s"
    )
    ent: list[str] = []
    jur: list[str] = []
    tax: list[str] = []
    proj: list[str] = []
    periods: list[np.ndarray] = []
    amounts: list[np.ndarray] = []
    with connection.cursor() as cursor:
        cursor.execute(sql, [zone.pk, yyyymm(first), yyyymm(last)])
        while rows := cursor.fetchmany(CHUNK):
            e, j, p, t, pr, a = zip(*rows, strict=True)
            ent.extend(e)
            jur.extend(j)
            tax.extend(t)
            proj.extend(pr)
            periods.append(np.fromiter(p, dtype=np.int64, count=len(rows)))
            amounts.append(np.fromiter((int(x) for x in a), dtype=np.int64, count=len(rows)))
    named, named_projects = _named(agreements)
    if named is not None:
        kept = named | set(keep)
        ent = [e if e in kept else OTHERS for e in ent]
        proj = [p if p in named_projects else "" for p in proj]
    enterprise, enterprises = _code(ent)
    jurisdiction, jurisdictions = _code(jur)
    tax_type, tax_types = _code(tax)
    period = _engine_months(np.concatenate(periods)) if periods else np.zeros(0, dtype=np.int64)
    amount = np.concatenate(amounts) if amounts else np.zeros(0, dtype=np.int64)
    project = None
    projects: tuple[str, ...] = ()
    if any(proj):
        names = sorted({p for p in proj if p})
        index = {p: i for i, p in enumerate(names)}
        project = np.fromiter((index.get(p, -1) for p in proj), dtype=np.int64, count=len(proj))
        projects = tuple(names)
    return Receipts(
        enterprise=enterprise,
        jurisdiction=jurisdiction,
        period=period,
        tax_type=tax_type,
        amount=amount,
        enterprises=enterprises,
        jurisdictions=jurisdictions,
        tax_types=tax_types,
        project=project,
        projects=projects,
    )


def refresh_receipt_sums(zone: Any, periods: Iterable[int]) -> None:
    """Sum the zone's receipts of these months (YYYYMM) again into ``ReceiptSum``: every writer of receipts
    calls it for the months it wrote (an update that moved a receipt names both months), inside its own
    transaction."""
    months = sorted({int(p) for p in periods})
    if not months:
        return
    sums = connection.ops.quote_name(ReceiptSum._meta.db_table)
    rows = connection.ops.quote_name(Receipt._meta.db_table)
    with connection.cursor() as cursor:
        for start in range(0, len(months), 200):
            chunk = months[start : start + 200]
            marks = ", ".join(["%s"] * len(chunk))
            cursor.execute(
                f"DELETE FROM {sums} WHERE zone_id = %s AND period IN ({marks})", [zone.pk, *chunk]
            )
            cursor.execute(
                f"INSERT INTO {sums} (zone_id, period, enterprise, jurisdiction, tax_type, project, amount_fen, rows) "
                f"SELECT zone_id, period, enterprise, jurisdiction, tax_type, project, SUM(amount_fen), COUNT(*) "
                f"FROM {rows} WHERE zone_id = %s AND period IN ({marks}) "
                "GROUP BY zone_id, period, enterprise, jurisdiction, tax_type, project",
                [zone.pk, *chunk],
            )


def _month_of(day: Any) -> int | None:
    return None if day is None else day.year * 12 + day.month - 1


def _province(path: str) -> str:
    return path.split("/", 1)[0]


def factors_for_engine(
    zone: Any, first: int, last: int, *, enterprises: Iterable[str] = ()
) -> list[BranchFactors]:
    """The 57号 factors (records' ``ApportionmentFactor``) of the enterprises the zone's office keeps, and of
    ``enterprises`` (credit codes, e.g. those the agreements name), for the years first..last touch (engine
    month numbers), as the engine's ``BranchFactors``: a year applied Y takes the figures of Y-1 (57号 art.
    15); the head office is the unit ``HQ`` (no money factors), a branch or production base the unit
    ``E<id>``; the dates and the support flag are the establishment's.

    57号 applies only across provinces (records' ``ProvinceRule``, services.records.apportionment_regime):
    an enterprise whose establishments open in the year all lie in one province gets no factors that year —
    the engine then leaves its income tax where the head office pays it — nor does one without a head
    office. Three queries, whatever the number of rows."""
    first_year, last_year = first // 12, last // 12
    codes = set(enterprises)
    owners = Q(establishment__enterprise__zone=zone)
    if codes:
        owners |= Q(establishment__enterprise__credit_code__in=sorted(codes))
    rows = list(
        ApportionmentFactor.objects.filter(owners, year__gte=first_year - 1, year__lte=last_year - 1)
        .order_by("establishment_id", "year")
        .values_list(
            "establishment_id",
            "establishment__enterprise_id",
            "year",
            "revenue_fen",
            "payroll_fen",
            "assets_fen",
            "small_low_profit",
        )
    )
    if not rows:
        return []
    places: dict[int, list[tuple[Any, ...]]] = {}
    for place in Establishment.objects.filter(enterprise_id__in={r[1] for r in rows}).values_list(
        "pk",
        "enterprise_id",
        "enterprise__credit_code",
        "kind",
        "jurisdiction__code",
        "jurisdiction__path",
        "opened",
        "closed",
        "support_unit",
    ):
        places.setdefault(place[1], []).append(place)
    by_pk = {p[0]: p for group in places.values() for p in group}
    small: set[tuple[int, int]] = {(r[1], r[2]) for r in rows if r[6]}
    out: list[BranchFactors] = []
    emitted_hq: set[tuple[int, int]] = set()
    for est, ent, year, revenue, payroll, assets, _slp in rows:
        applied = year + 1
        if not first_year <= applied <= last_year:
            continue
        group = places.get(ent, [])
        start, end = dt.date(applied, 1, 1), dt.date(applied, 12, 31)
        open_in_year = [p for p in group if (p[6] is None or p[6] <= end) and (p[7] is None or p[7] > start)]
        head = next((p for p in group if p[3] == EstablishmentKind.HEAD_OFFICE), None)
        if head is None or len({_province(p[5]) for p in open_in_year}) < 2:
            continue  # not a cross-province enterprise this year: never 57号
        low = (ent, year) in small
        if (ent, applied) not in emitted_hq:
            emitted_hq.add((ent, applied))
            out.append(BranchFactors(head[2], "HQ", head[4], applied, small_low_profit=low))
        place = by_pk[est]
        if place[3] == EstablishmentKind.HEAD_OFFICE:
            continue
        out.append(
            BranchFactors(
                place[2],
                f"E{place[0]}",
                place[4],
                applied,
                int(revenue),
                int(payroll),
                int(assets),
                _month_of(place[6]),
                _month_of(place[7]),
                bool(place[8]),
                low,
            )
        )
    out.sort(key=lambda f: (f.enterprise, f.year, f.unit != "HQ", f.unit))
    return out


def indicators_for_engine(zone: Any, first: int, last: int) -> IndicatorRows:
    rows = list(
        IndicatorValue.objects.filter(zone=zone, period__gte=yyyymm(first), period__lte=yyyymm(last))
        .order_by("enterprise", "period", "indicator")
        .values_list("enterprise", "period", "indicator", "value")
    )
    if not rows:
        return IndicatorRows((), (), (), ())
    ent, per, ind, val = zip(*rows, strict=True)
    months = tuple(int(m) for m in _engine_months(np.asarray(per, dtype=np.int64)))
    return IndicatorRows(tuple(ent), months, tuple(ind), tuple(int(v) for v in val))


def describe(first: int, last: int) -> str:
    return f"{format_period(first)}..{format_period(last)}"
