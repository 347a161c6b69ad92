"""Agreements from their JSON form (docs/settlement-formats.md), validated with a JSON path per error."""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from typing import Any

from .types import (
    BP,
    INDICATORS,
    Agreement,
    AgreementSet,
    BaseRule,
    CappedRatio,
    ContributionRatio,
    EngineInputError,
    FixedRatio,
    IncrementRatio,
    Party,
    RatioRule,
    RatioSpec,
    StatisticsRule,
    Step,
    SteppedRatio,
    Term,
    format_period,
    parse_period,
)

#: amounts in agreements (caps, baselines, consumed) stay below 2^62 fen, so no sum of them overflows int64
MAX_FEN = 2**62


def _short(value: int) -> str:
    text = str(value)
    return text if len(text) <= 24 else f"{text[:10]}…({len(text)} digits)"


class _Ctx:
    def __init__(self, where: str) -> None:
        self.where = where
        self.known_taxes: set[str] | None = None

    def err(self, path: str, message: str) -> EngineInputError:
        return EngineInputError(message, f"{self.where}:{path}")

    def period(self, value: Any, path: str) -> int:
        try:
            return parse_period(str(value))
        except EngineInputError as e:
            raise self.err(path, e.detail) from None

    def integer(self, value: Any, path: str, lo: int | None = 0, hi: int | None = None) -> int:
        if isinstance(value, bool) or not isinstance(value, int):
            raise self.err(path, f"{value!r} is not an integer")
        if abs(value) > MAX_FEN:
            raise self.err(path, f"{_short(value)} is beyond 2^62, the largest amount the engine accepts")
        if (lo is not None and value < lo) or (hi is not None and value > hi):
            raise self.err(path, f"{value} outside {lo}..{hi if hi is not None else ''}")
        return value

    def fields(self, raw: Mapping[str, Any], allowed: Sequence[str], path: str) -> None:
        """Refuse a field the format does not define: a misspelt ``fraction_pb`` must not silently mean
        the default."""
        for key in raw:
            if key not in allowed:
                raise self.err(f"{path}.{key}", f"unknown field (expected one of {', '.join(allowed)})")

    def tax_key(self, key: str, path: str) -> str:
        if key != "*" and self.known_taxes is not None and key not in self.known_taxes:
            raise self.err(path, f"unknown tax type {key!r} (see the local shares table)")
        return key

    def bp_vector(self, value: Any, path: str, n: int, must_sum: bool = True) -> tuple[int, ...]:
        if not isinstance(value, list) or len(value) != n:
            raise self.err(path, f"expected a list of {n} basis-point integers, one per party")
        vec = tuple(self.integer(v, f"{path}[{i}]", 0, BP) for i, v in enumerate(value))
        if must_sum and sum(vec) != BP:
            raise self.err(path, f"ratios sum to {sum(vec)} bp, not 10000")
        return vec

    def ratio_spec(self, value: Any, path: str, n: int) -> RatioSpec:
        if isinstance(value, list):
            return {"*": self.bp_vector(value, path, n)}
        if isinstance(value, dict) and value:
            return {
                self.tax_key(str(k), f"{path}.{k}"): self.bp_vector(v, f"{path}.{k}", n)
                for k, v in value.items()
            }
        raise self.err(path, "expected a list of bp per party, or an object tax type -> list")


def _party_index(ctx: _Ctx, parties: Sequence[Party], value: Any, path: str) -> int:
    for i, p in enumerate(parties):
        if p.jurisdiction == str(value):
            return i
    raise ctx.err(path, f"{value!r} is not a party of the agreement")


_RATIO_FIELDS = {
    "fixed": ("kind", "bp"),
    "stepped": ("kind", "steps"),
    "contribution": ("kind", "floor_bp", "cap_bp", "initial_bp"),
    "increment": ("kind", "bp", "stock_party", "baseline_fen"),
    "capped": ("kind", "bp", "capped_party", "cap_fen", "consumed_fen", "share_end", "extension_end"),
}
_AGREEMENT_FIELDS = (
    "id",
    "name",
    "parties",
    "tie_order",
    "scope",
    "tax_types",
    "term",
    "base",
    "ratio",
    "statistics",
    "note",
)


def _ratio(ctx: _Ctx, raw: Any, path: str, parties: Sequence[Party]) -> RatioRule:
    n = len(parties)
    if not isinstance(raw, dict):
        raise ctx.err(path, "expected an object")
    kind = raw.get("kind")
    allowed = _RATIO_FIELDS.get(str(kind))
    if allowed is not None:
        ctx.fields(raw, allowed, path)
    if kind == "fixed":
        return FixedRatio(ctx.ratio_spec(raw.get("bp"), f"{path}.bp", n))
    if kind == "stepped":
        steps_raw = raw.get("steps")
        if not isinstance(steps_raw, list) or not steps_raw:
            raise ctx.err(f"{path}.steps", "expected a non-empty list of {from, bp}")
        for i, st in enumerate(steps_raw):
            if not isinstance(st, dict):
                raise ctx.err(f"{path}.steps[{i}]", "expected an object {from, bp}")
            ctx.fields(st, ("from", "bp"), f"{path}.steps[{i}]")
        steps = [
            Step(
                ctx.period(s.get("from"), f"{path}.steps[{i}].from"),
                ctx.ratio_spec(s.get("bp"), f"{path}.steps[{i}].bp", n),
            )
            for i, s in enumerate(steps_raw)
        ]
        starts = [s.start for s in steps]
        if starts != sorted(set(starts)):
            raise ctx.err(f"{path}.steps", "steps must be in strictly increasing order of 'from'")
        return SteppedRatio(tuple(steps))
    if kind == "contribution":
        floor = ctx.bp_vector(raw.get("floor_bp", [0] * n), f"{path}.floor_bp", n, must_sum=False)
        cap = ctx.bp_vector(raw.get("cap_bp", [BP] * n), f"{path}.cap_bp", n, must_sum=False)
        initial = ctx.bp_vector(raw.get("initial_bp"), f"{path}.initial_bp", n)
        if sum(floor) > BP or sum(cap) < BP or any(f > c for f, c in zip(floor, cap, strict=True)):
            raise ctx.err(path, "floors and caps admit no ratio (need sum(floor) <= 10000 <= sum(cap))")
        if any(not f <= v <= c for f, v, c in zip(floor, initial, cap, strict=True)):
            raise ctx.err(f"{path}.initial_bp", "initial ratio outside floor..cap")
        return ContributionRatio(floor, cap, initial)
    if kind == "increment":
        base = raw.get("baseline_fen")
        if isinstance(base, int) and not isinstance(base, bool):
            base = {"*": base}
        if not isinstance(base, dict):
            raise ctx.err(f"{path}.baseline_fen", "expected fen per month, or an object tax type -> fen")
        return IncrementRatio(
            ctx.ratio_spec(raw.get("bp"), f"{path}.bp", n),
            _party_index(ctx, parties, raw.get("stock_party"), f"{path}.stock_party"),
            {
                ctx.tax_key(str(k), f"{path}.baseline_fen.{k}"): ctx.integer(v, f"{path}.baseline_fen.{k}")
                for k, v in base.items()
            },
        )
    if kind == "capped":
        ext = raw.get("extension_end")
        share_end = ctx.period(raw.get("share_end"), f"{path}.share_end")
        ext_p = ctx.period(ext, f"{path}.extension_end") if ext else None
        if ext_p is not None and ext_p < share_end:
            raise ctx.err(f"{path}.extension_end", "extension ends before the sharing term")
        return CappedRatio(
            ctx.ratio_spec(raw.get("bp"), f"{path}.bp", n),
            _party_index(ctx, parties, raw.get("capped_party"), f"{path}.capped_party"),
            ctx.integer(raw.get("cap_fen"), f"{path}.cap_fen"),
            ctx.integer(raw.get("consumed_fen", 0), f"{path}.consumed_fen"),
            share_end,
            ext_p,
        )
    raise ctx.err(
        f"{path}.kind", f"unknown ratio kind {kind!r} (fixed, stepped, contribution, increment, capped)"
    )


def _agreement(ctx: _Ctx, raw: Any, path: str, parks: Mapping[str, Sequence[str]]) -> Agreement:
    if not isinstance(raw, dict):
        raise ctx.err(path, "expected an object")
    ctx.fields(raw, _AGREEMENT_FIELDS, path)
    for key, allowed in (
        ("scope", ("parks", "enterprises", "projects", "collected_in")),
        ("term", ("start", "end", "extension_end", "extended")),
        ("base", ("kind", "fraction_bp")),
        ("statistics", ("bp", "double_count")),
    ):
        if isinstance(raw.get(key), dict):
            ctx.fields(raw[key], allowed, f"{path}.{key}")
    aid = raw.get("id")
    if not isinstance(aid, str) or not aid:
        raise ctx.err(f"{path}.id", "missing agreement id")
    praw = raw.get("parties")
    if not isinstance(praw, list) or not praw:
        raise ctx.err(f"{path}.parties", "expected a non-empty list of {jurisdiction, role}")
    parties = []
    for i, p in enumerate(praw):
        if isinstance(p, dict):
            ctx.fields(p, ("jurisdiction", "role"), f"{path}.parties[{i}]")
        j = str(p.get("jurisdiction", "")) if isinstance(p, dict) else ""
        if len(j) != 6 or not j.isdigit():
            raise ctx.err(f"{path}.parties[{i}].jurisdiction", f"{j!r} is not a 6-digit GB/T 2260 code")
        parties.append(Party(j, str(p.get("role", "partner"))))
    codes = [p.jurisdiction for p in parties]
    if len(set(codes)) != len(codes):
        raise ctx.err(f"{path}.parties", "a jurisdiction appears twice")
    tie_raw = raw.get("tie_order", codes)
    if not isinstance(tie_raw, list) or sorted(map(str, tie_raw)) != sorted(codes):
        raise ctx.err(f"{path}.tie_order", "must list every party's jurisdiction once")
    tie = tuple(codes.index(str(c)) for c in tie_raw)
    scope = raw.get("scope") or {}
    if not isinstance(scope, dict):
        raise ctx.err(f"{path}.scope", "expected an object")
    ents = [str(e) for e in scope.get("enterprises", [])]
    for k, park in enumerate(scope.get("parks", [])):
        if park not in parks:
            raise ctx.err(f"{path}.scope.parks[{k}]", f"unknown park {park!r} (define it under 'parks')")
        ents.extend(parks[park])
    projects = tuple(str(p) for p in scope.get("projects", []))
    if not ents and not projects:
        raise ctx.err(f"{path}.scope", "the scope names no enterprise, park or project")
    taxes_raw = raw.get("tax_types", [])
    if not isinstance(taxes_raw, list):
        raise ctx.err(f"{path}.tax_types", "expected a list of tax type codes")
    taxes = tuple(ctx.tax_key(str(t), f"{path}.tax_types[{k}]") for k, t in enumerate(taxes_raw))
    if "*" in taxes or len(set(taxes)) != len(taxes):
        raise ctx.err(f"{path}.tax_types", "each tax type once, and no '*'")
    traw = raw.get("term")
    if not isinstance(traw, dict):
        raise ctx.err(f"{path}.term", "expected {start, end, extension_end, extended}")
    start = ctx.period(traw.get("start"), f"{path}.term.start")
    end = ctx.period(traw["end"], f"{path}.term.end") if traw.get("end") else None
    ext = (
        ctx.period(traw["extension_end"], f"{path}.term.extension_end") if traw.get("extension_end") else None
    )
    if end is not None and end < start:
        raise ctx.err(f"{path}.term.end", "term ends before it starts")
    if ext is not None and (end is None or ext < end):
        raise ctx.err(f"{path}.term.extension_end", "an extension needs a term end and must end after it")
    term = Term(start, end, ext, bool(traw.get("extended", False)))
    braw = raw.get("base", {"kind": "local_share"})
    if not isinstance(braw, dict) or braw.get("kind") not in ("local_share", "total"):
        raise ctx.err(f"{path}.base.kind", "base kind must be 'local_share' or 'total'")
    frac = braw.get("fraction_bp", BP)
    if isinstance(frac, int) and not isinstance(frac, bool):
        frac = {"*": frac}
    if not isinstance(frac, dict):
        raise ctx.err(f"{path}.base.fraction_bp", "expected bp, or an object tax type -> bp")
    fractions = {
        ctx.tax_key(str(k), f"{path}.base.fraction_bp.{k}"): ctx.integer(
            v, f"{path}.base.fraction_bp.{k}", 0, BP
        )
        for k, v in frac.items()
    }
    base = BaseRule(braw["kind"], fractions)
    ratio = _ratio(ctx, raw.get("ratio"), f"{path}.ratio", parties)
    if isinstance(ratio, CappedRatio):
        # the capped party's sharing (and its extension) must lie within the agreement's term, or the
        # term would silently cut it short
        last = term.extension_end if term.extended and term.extension_end is not None else term.end
        for field_name, month in (("share_end", ratio.share_end), ("extension_end", ratio.extension_end)):
            if month is not None and last is not None and month > last:
                raise ctx.err(
                    f"{path}.ratio.{field_name}",
                    f"runs past the agreement's term (ends {format_period(last)}); extend the term first",
                )
    stats = None
    sraw = raw.get("statistics")
    if sraw is not None:
        if not isinstance(sraw, dict):
            raise ctx.err(f"{path}.statistics", "expected an object")
        bp_raw = sraw.get("bp", {})
        for k in bp_raw:
            if k not in INDICATORS:
                raise ctx.err(
                    f"{path}.statistics.bp.{k}", f"unknown indicator (one of {', '.join(INDICATORS)})"
                )
        stats = StatisticsRule(
            {k: ctx.bp_vector(v, f"{path}.statistics.bp.{k}", len(parties)) for k, v in bp_raw.items()},
            bool(sraw.get("double_count", False)),
        )
    collected_in = tuple(str(j) for j in scope.get("collected_in", []))
    for k, j in enumerate(collected_in):
        if len(j) != 6 or not j.isdigit():
            raise ctx.err(f"{path}.scope.collected_in[{k}]", f"{j!r} is not a 6-digit GB/T 2260 code")
    return Agreement(
        aid,
        tuple(parties),
        tie,
        tuple(dict.fromkeys(ents)),
        projects,
        taxes,
        term,
        base,
        ratio,
        stats,
        str(raw.get("name", "")),
        collected_in,
    )


def parse_agreements(
    doc: Any, where: str = "agreements", known_taxes: Collection[str] | None = None
) -> AgreementSet:
    """Parse and validate the agreements document; scopes of different agreements must not overlap.
    With ``known_taxes``, every tax type named (lists and per-tax maps) must be one of them."""
    ctx = _Ctx(where)
    ctx.known_taxes = set(known_taxes) if known_taxes is not None else None
    if not isinstance(doc, dict) or not isinstance(doc.get("agreements"), list):
        raise ctx.err("$", "expected an object with an 'agreements' list")
    ctx.fields(doc, ("parks", "agreements", "note"), "$")
    parks_raw = doc.get("parks", {})
    if not isinstance(parks_raw, dict):
        raise ctx.err("parks", "expected an object park id -> list of credit codes")
    parks = {str(k): [str(e) for e in v] for k, v in parks_raw.items()}
    agreements = [_agreement(ctx, a, f"agreements[{i}]", parks) for i, a in enumerate(doc["agreements"])]
    seen_ids: set[str] = set()
    owner: dict[tuple[str, str], tuple[str, tuple[str, ...]]] = {}
    for i, a in enumerate(agreements):
        if a.id in seen_ids:
            raise ctx.err(f"agreements[{i}].id", f"duplicate agreement id {a.id!r}")
        seen_ids.add(a.id)
        # one receipt must belong to one agreement at most, otherwise shares would be paid twice
        for kind, names in (("enterprise", a.enterprises), ("project", a.projects)):
            for name in names:
                prev = owner.get((kind, name))
                if prev and (not prev[1] or not a.tax_types or set(prev[1]) & set(a.tax_types)):
                    raise ctx.err(
                        f"agreements[{i}].scope",
                        f"{kind} {name} is already in the scope of agreement {prev[0]} for the same tax type",
                    )
                owner[(kind, name)] = (a.id, a.tax_types if not prev else prev[1] + a.tax_types)
    return AgreementSet(tuple(agreements))
