"""Agreements in the engine's format (docs/settlement-formats.md), made from the database and checked by the
engine's own reader, so that the database and ``tongcheng settle`` can never disagree.

- ``version_document`` makes the engine's JSON object of one version: the agreement's code, title and parties,
  the version's effective months as the term, and its stored rules.
- ``check_version`` checks a version before it is saved: first in the user's words, field by field (ratios
  add up to 10,000 bp, months, parties of the zone, credit codes …), then by running the engine's reader
  (``engine.parse_agreements``) on the very document the version produces. Whatever the engine refuses is
  refused here, at the same JSON path.
- ``engine_segments`` / ``agreements_for_engine`` give the engine its agreement set for a zone and a range of
  months from the approved versions. Successive approved versions of one agreement whose rules differ only in
  their ratio become one engine agreement with a stepped ratio (the engine's own way of expressing a
  renegotiated schedule); where they differ otherwise, the range is cut into segments, each settled with its
  own agreement set.
"""

from __future__ import annotations

import copy
import csv
import datetime as dt
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from functools import cache
from typing import Any

from django.utils.translation import gettext as _

from tongcheng.cooperation.engine import divisions
from tongcheng.cooperation.engine.agreements import parse_agreements
from tongcheng.cooperation.engine.io import uscc_valid
from tongcheng.cooperation.engine.local_shares import SHIPPED
from tongcheng.cooperation.engine.types import (
    BP,
    INDICATORS,
    AgreementSet,
    EngineInputError,
    format_period,
    parse_period,
    parse_period_range,
)

__all__ = [
    "EngineSegment",
    "Problem",
    "RULE_KEYS",
    "Span",
    "agreements_for_engine",
    "check_parties",
    "check_version",
    "engine_document",
    "engine_segments",
    "known_tax_types",
    "month",
    "tax_type_names",
    "version_document",
]

#: the keys of a version's stored rules: the engine's agreement fields other than id, name and parties; of
#: ``term`` only the extension (its start and end are the version's effective months)
RULE_KEYS = ("tie_order", "scope", "tax_types", "term", "base", "ratio", "statistics")
PARTY_ROLES = ("host", "partner", "origin")
_MONTH = re.compile(r"^[0-9]{4}-(0[1-9]|1[0-2])$")
_CODE = re.compile(r"^[0-9]{6}$")
MAX_PARTIES = 10


@dataclass(frozen=True)
class Problem:
    """A refusal located by the field of the request it concerns (``rules.ratio.bp``, ``effective_from``,
    ``parties[1].jurisdiction`` …); ``code`` is a registered error code."""

    field: str
    message: str
    code: str = "invalid_rules"

    def as_item(self) -> dict[str, str]:
        return {"field": self.field, "code": self.code, "message": self.message}


# --- reference data ---------------------------------------------------------------------------------------


@cache
def _tax_rows() -> tuple[tuple[str, str, str], ...]:
    rows: dict[str, tuple[str, str, str]] = {}
    with SHIPPED.open(encoding="utf-8", newline="") as f:
        for rec in csv.DictReader(f):
            code = rec["tax_type"].strip()
            rows.setdefault(code, (code, rec.get("name_zh", "").strip(), rec.get("name_en", "").strip()))
    return tuple(rows.values())


def known_tax_types() -> set[str]:
    """The tax type codes of the engine's local shares table (the only ones an agreement may name)."""
    return {code for code, _zh, _en in _tax_rows()}


def tax_type_names() -> list[tuple[str, str, str]]:
    """(code, Chinese name, English name) of every tax type, in the table's order."""
    return list(_tax_rows())


def month(text: str) -> int:
    """'YYYY-MM' -> the engine's month number."""
    return parse_period(text)


# --- one version -------------------------------------------------------------------------------------------


def version_document(
    code: str,
    title: str,
    parties: Sequence[Mapping[str, Any]],
    effective_from: str,
    effective_to: str,
    rules: Mapping[str, Any],
) -> dict[str, Any]:
    """The engine's JSON object of one version (one agreement of the engine's file)."""
    doc: dict[str, Any] = {
        "id": code,
        "name": title,
        "parties": [
            {"jurisdiction": str(p.get("jurisdiction", "")), "role": str(p.get("role", ""))} for p in parties
        ],
    }
    for key in RULE_KEYS:
        if key in rules and key != "term":
            doc[key] = copy.deepcopy(rules[key])
    term: dict[str, Any] = {"start": effective_from, "end": effective_to or None}
    extension = rules.get("term") if isinstance(rules.get("term"), dict) else {}
    if extension:
        term["extension_end"] = extension.get("extension_end") or None
        term["extended"] = bool(extension.get("extended", False))
    doc["term"] = term
    return doc


def _engine_path(where: str) -> str:
    """The engine's location ``…:agreements[0].ratio.bp`` as a field of the request."""
    path = where.rsplit(":", 1)[-1]
    path = re.sub(r"^agreements\[\d+\]\.?", "", path)
    if path in ("term.start", "term"):
        return "effective_from"
    if path == "term.end":
        return "effective_to"
    if path.startswith("parties"):
        return path
    if path in ("id", "$", ""):
        return "rules"
    return f"rules.{path}"


def check_parties(parties: Any, zone: Any) -> list[Problem]:
    """Two or more distinct parties, each a 6-digit code the zone takes part with, with a known role."""
    problems: list[Problem] = []
    if not isinstance(parties, list) or not 2 <= len(parties) <= MAX_PARTIES:
        return [
            Problem(
                "parties",
                _("An agreement has between 2 and %(max)d parties.") % {"max": MAX_PARTIES},
                "invalid_parties",
            )
        ]
    allowed = zone_party_codes(zone) if zone is not None else None
    seen: set[str] = set()
    for i, party in enumerate(parties):
        where = f"parties[{i}]"
        if not isinstance(party, dict) or set(party) - {"jurisdiction", "role"}:
            problems.append(
                Problem(where, _("A party is a jurisdiction code and a role."), "invalid_parties")
            )
            continue
        code = str(party.get("jurisdiction", "")).strip()
        role = str(party.get("role", "")).strip()
        if not _CODE.match(code):
            problems.append(
                Problem(
                    f"{where}.jurisdiction",
                    _("%(code)s is not a 6-digit GB/T 2260 code.") % {"code": code or "—"},
                    "invalid_parties",
                )
            )
            continue
        if code in seen:
            problems.append(
                Problem(
                    f"{where}.jurisdiction",
                    _("%(code)s is a party twice.") % {"code": code},
                    "duplicate_party",
                )
            )
        seen.add(code)
        if allowed is not None and code not in allowed:
            problems.append(
                Problem(
                    f"{where}.jurisdiction",
                    _("%(code)s does not take part in the zone %(zone)s; its parties are %(allowed)s.")
                    % {"code": code, "zone": zone.code, "allowed": ", ".join(sorted(allowed)) or "—"},
                    "party_outside_zone",
                )
            )
        if role not in PARTY_ROLES:
            problems.append(
                Problem(
                    f"{where}.role",
                    _("The role must be one of %(roles)s.") % {"roles": ", ".join(PARTY_ROLES)},
                    "invalid_parties",
                )
            )
    return problems


def zone_party_codes(zone: Any) -> set[str]:
    """The treasuries that may be parties of a zone's agreements: its members at county level or above
    (a township member's county), and the cities its members act for."""
    from tongcheng.core.models import ZoneMember

    codes: set[str] = set()
    for member, party in ZoneMember.objects.filter(zone=zone).values_list(
        "jurisdiction__code", "party__code"
    ):
        codes.add(member[:6])
        codes.add(party[:6])
    return codes


class _Checker:
    """The field-by-field checks of a version's rules, in the user's words. The engine's reader runs after
    them on the same document, so anything they miss is still refused (in the engine's words)."""

    def __init__(self, parties: list[str], taxes: set[str]) -> None:
        self.parties = parties
        self.n = len(parties)
        self.taxes = taxes
        self.problems: list[Problem] = []

    def add(self, path: str, message: str, code: str = "invalid_rules") -> None:
        self.problems.append(Problem(f"rules.{path}" if path else "rules", message, code))

    def month(self, value: Any, path: str, optional: bool = False) -> int | None:
        if optional and value in (None, ""):
            return None
        if not isinstance(value, str) or not _MONTH.match(value):
            self.add(path, _("Enter a month as YYYY-MM."), "invalid_month")
            return None
        return parse_period(value)

    def integer(self, value: Any, path: str, lo: int = 0, hi: int | None = None) -> int | None:
        if isinstance(value, bool) or not isinstance(value, int):
            self.add(path, _("Enter a whole number."), "not_an_integer")
            return None
        if value < lo or (hi is not None and value > hi) or abs(value) > 2**62:
            self.add(
                path,
                _("The value must lie between %(lo)s and %(hi)s.")
                % {"lo": lo, "hi": hi if hi is not None else "2^62"},
                "out_of_range",
            )
            return None
        return value

    def vector(self, value: Any, path: str, must_sum: bool = True) -> None:
        if not isinstance(value, list) or len(value) != self.n:
            self.add(
                path,
                _("Give %(n)d values in basis points, one per party in the parties' order.") % {"n": self.n},
                "ratio_length",
            )
            return
        numbers = [self.integer(v, f"{path}[{i}]", 0, BP) for i, v in enumerate(value)]
        if None in numbers:
            return
        total = sum(n for n in numbers if n is not None)
        if must_sum and total != BP:
            self.add(
                path,
                _("The ratios add up to %(sum)s bp, not 10,000 bp (100%%).") % {"sum": f"{total:,}"},
                "ratios_not_whole",
            )

    def tax_key(self, key: Any, path: str) -> None:
        if key != "*" and key not in self.taxes:
            self.add(path, _("Unknown tax type %(tax)s.") % {"tax": key}, "unknown_tax_type")

    def spec(self, value: Any, path: str) -> None:
        """A ratio: a vector over the parties, or an object tax type -> vector ("*" for the others)."""
        if isinstance(value, dict) and value:
            for key, vec in value.items():
                self.tax_key(key, f"{path}.{key}")
                self.vector(vec, f"{path}.{key}")
        else:
            self.vector(value, path)

    def party(self, value: Any, path: str) -> None:
        if str(value) not in self.parties:
            self.add(
                path, _("%(code)s is not a party of the agreement.") % {"code": value}, "invalid_parties"
            )

    def known_keys(self, raw: Mapping[str, Any], allowed: Sequence[str], path: str) -> None:
        for key in raw:
            if key not in allowed:
                where = f"{path}.{key}" if path else str(key)
                self.add(
                    where,
                    _("Unknown field %(field)s (expected one of %(allowed)s).")
                    % {"field": key, "allowed": ", ".join(allowed)},
                    "unknown_field",
                )

    def rules(self, rules: Mapping[str, Any], start: int | None) -> None:
        self.known_keys(rules, RULE_KEYS, "")
        tie = rules.get("tie_order")
        if tie is not None and (not isinstance(tie, list) or sorted(map(str, tie)) != sorted(self.parties)):
            self.add(
                "tie_order",
                _("List every party's code once, in the order that wins a tie."),
                "invalid_parties",
            )
        self.scope(rules.get("scope"))
        taxes = rules.get("tax_types", [])
        if not isinstance(taxes, list):
            self.add("tax_types", _("Give a list of tax types."), "unknown_tax_type")
        else:
            for i, tax in enumerate(taxes):
                self.tax_key(tax, f"tax_types[{i}]")
            if len(set(map(str, taxes))) != len(taxes) or "*" in taxes:
                self.add("tax_types", _("Name each tax type once."), "unknown_tax_type")
        term = rules.get("term")
        if term is not None:
            if not isinstance(term, dict):
                self.add("term", _("Expected the extension of the term."), "invalid_rules")
            else:
                self.known_keys(term, ("extension_end", "extended"), "term")
                self.month(term.get("extension_end"), "term.extension_end", optional=True)
        self.base(rules.get("base"))
        self.ratio(rules.get("ratio"), start)
        self.statistics(rules.get("statistics"))

    def scope(self, scope: Any) -> None:
        if not isinstance(scope, dict):
            self.add("scope", _("Name the enterprises or projects the agreement covers."), "empty_scope")
            return
        self.known_keys(scope, ("parks", "enterprises", "projects", "collected_in"), "scope")
        for key in ("parks", "enterprises", "projects", "collected_in"):
            if not isinstance(scope.get(key, []), list):
                self.add(f"scope.{key}", _("Give a list."), "invalid_rules")
                return
        enterprises = scope.get("enterprises", [])
        for i, code in enumerate(enterprises):
            if not isinstance(code, str) or not uscc_valid(code):
                self.add(
                    f"scope.enterprises[{i}]",
                    _("%(code)s is not a valid unified social credit code (check character).")
                    % {"code": code},
                    "invalid_uscc",
                )
        if len(set(enterprises)) != len(enterprises):
            self.add("scope.enterprises", _("An enterprise is listed twice."), "invalid_rules")
        for i, project in enumerate(scope.get("projects", [])):
            if not isinstance(project, str) or not project.strip() or len(project) > 100:
                self.add(
                    f"scope.projects[{i}]", _("A project is named by 1 to 100 characters."), "invalid_rules"
                )
        for i, code in enumerate(scope.get("collected_in", [])):
            if not isinstance(code, str) or not _CODE.match(code):
                self.add(
                    f"scope.collected_in[{i}]",
                    _("%(code)s is not a 6-digit GB/T 2260 code.") % {"code": code},
                    "invalid_rules",
                )
        if scope.get("parks"):
            # Parks are kept by the records of the cooperation system; a version names its enterprises.
            self.add("scope.parks", _("Name the park's enterprises in the scope."), "invalid_rules")
        if not enterprises and not scope.get("projects"):
            self.add("scope", _("Name the enterprises or projects the agreement covers."), "empty_scope")

    def base(self, base: Any) -> None:
        if base is None:
            return
        if not isinstance(base, dict) or base.get("kind") not in ("local_share", "total"):
            self.add("base.kind", _("The base is the local retained share or the total."), "invalid_rules")
            return
        self.known_keys(base, ("kind", "fraction_bp"), "base")
        fraction = base.get("fraction_bp", BP)
        if isinstance(fraction, dict):
            for key, value in fraction.items():
                self.tax_key(key, f"base.fraction_bp.{key}")
                self.integer(value, f"base.fraction_bp.{key}", 0, BP)
        else:
            self.integer(fraction, "base.fraction_bp", 0, BP)

    def ratio(self, ratio: Any, start: int | None) -> None:
        kinds = {
            "fixed": ("kind", "bp"),
            "stepped": ("kind", "steps"),
            "contribution": ("kind", "floor_bp", "cap_bp", "initial_bp"),
            "increment": ("kind", "bp", "stock_party", "baseline_fen"),
            "capped": ("kind", "bp", "capped_party", "cap_fen", "consumed_fen", "share_end", "extension_end"),
        }
        if not isinstance(ratio, dict) or ratio.get("kind") not in kinds:
            self.add(
                "ratio.kind",
                _("Choose how the parties share (fixed, stepped, contribution, increment, capped)."),
                "invalid_rules",
            )
            return
        kind = ratio["kind"]
        self.known_keys(ratio, kinds[kind], "ratio")
        if kind in ("fixed", "increment", "capped"):
            self.spec(ratio.get("bp"), "ratio.bp")
        if kind == "stepped":
            steps = ratio.get("steps")
            if not isinstance(steps, list) or not steps:
                self.add(
                    "ratio.steps",
                    _("Give at least one step: a month and the ratios from it."),
                    "invalid_rules",
                )
                return
            previous = None
            for i, step in enumerate(steps):
                if not isinstance(step, dict):
                    self.add(
                        f"ratio.steps[{i}]", _("A step is a month and the ratios from it."), "invalid_rules"
                    )
                    continue
                self.known_keys(step, ("from", "bp"), f"ratio.steps[{i}]")
                begins = self.month(step.get("from"), f"ratio.steps[{i}].from")
                self.spec(step.get("bp"), f"ratio.steps[{i}].bp")
                if begins is not None and previous is not None and begins <= previous:
                    self.add(
                        f"ratio.steps[{i}].from", _("Steps must follow each other in time."), "steps_order"
                    )
                if i == 0 and begins is not None and start is not None and begins > start:
                    self.add(
                        "ratio.steps[0].from",
                        _("The first step must start when the version does (%(start)s) or before.")
                        % {"start": format_period(start)},
                        "steps_order",
                    )
                previous = begins if begins is not None else previous
        if kind == "contribution":
            for key in ("floor_bp", "cap_bp"):
                if key in ratio:
                    self.vector(ratio[key], f"ratio.{key}", must_sum=False)
            self.vector(ratio.get("initial_bp"), "ratio.initial_bp")
        if kind == "increment":
            self.party(ratio.get("stock_party"), "ratio.stock_party")
            baseline = ratio.get("baseline_fen")
            if isinstance(baseline, dict):
                for key, value in baseline.items():
                    self.tax_key(key, f"ratio.baseline_fen.{key}")
                    self.integer(value, f"ratio.baseline_fen.{key}")
            else:
                self.integer(baseline, "ratio.baseline_fen")
        if kind == "capped":
            self.party(ratio.get("capped_party"), "ratio.capped_party")
            self.integer(ratio.get("cap_fen"), "ratio.cap_fen")
            self.integer(ratio.get("consumed_fen", 0), "ratio.consumed_fen")
            share_end = self.month(ratio.get("share_end"), "ratio.share_end")
            extension = self.month(ratio.get("extension_end"), "ratio.extension_end", optional=True)
            if share_end is not None and extension is not None and extension < share_end:
                self.add(
                    "ratio.extension_end", _("The extension ends before the sharing term."), "invalid_rules"
                )

    def statistics(self, stats: Any) -> None:
        if stats is None:
            return
        if not isinstance(stats, dict):
            self.add("statistics", _("Expected the statistical attribution."), "invalid_rules")
            return
        self.known_keys(stats, ("bp", "double_count"), "statistics")
        bp = stats.get("bp", {})
        if not isinstance(bp, dict):
            self.add("statistics.bp", _("Give ratios per indicator."), "invalid_rules")
            return
        for key, vec in bp.items():
            if key not in INDICATORS:
                self.add(
                    f"statistics.bp.{key}",
                    _("Unknown indicator %(indicator)s.") % {"indicator": key},
                    "invalid_rules",
                )
                continue
            self.vector(vec, f"statistics.bp.{key}")
        if not isinstance(stats.get("double_count", False), bool):
            self.add("statistics.double_count", _("Expected yes or no."), "invalid_rules")


def _years(first: int, last: int) -> range:
    return range(first // 12, last // 12 + 1)


def division_problems(codes: Iterable[tuple[str, str]], first: int, last: int) -> list[Problem]:
    """Codes (field, code) that are not GB/T 2260 codes in use in every year of first..last (as the engine's
    command line checks them for the settled years, engine/io.py)."""
    problems = []
    for where, code in codes:
        for year in _years(first, last):
            if not divisions.in_use(code, year):
                problems.append(
                    Problem(
                        where,
                        (
                            _("%(code)s is not in use in %(year)d.")
                            if divisions.known(code)
                            else _("%(code)s is not a GB/T 2260 code.")
                        )
                        % {"code": code, "year": year},
                        "division_not_in_use",
                    )
                )
                break
    return problems


def check_version(
    *,
    code: str,
    title: str,
    parties: Sequence[Mapping[str, Any]],
    effective_from: str,
    effective_to: str,
    rules: Any,
    zone: Any = None,
) -> list[Problem]:
    """Every problem of a version as it would be saved (empty: the version is valid). The engine's reader
    runs last on the document itself."""
    problems: list[Problem] = []
    start = end = None
    if not isinstance(effective_from, str) or not _MONTH.match(effective_from):
        problems.append(Problem("effective_from", _("Enter a month as YYYY-MM."), "invalid_month"))
    else:
        start = parse_period(effective_from)
    if effective_to:
        if not isinstance(effective_to, str) or not _MONTH.match(effective_to):
            problems.append(Problem("effective_to", _("Enter a month as YYYY-MM."), "invalid_month"))
        else:
            end = parse_period(effective_to)
            if start is not None and end < start:
                problems.append(
                    Problem("effective_to", _("The version ends before it starts."), "ends_before_start")
                )
    party_problems = check_parties(list(parties), zone)
    problems.extend(party_problems)
    if not isinstance(rules, dict):
        problems.append(
            Problem("rules", _("The rules are an object of the engine's agreement format."), "invalid_rules")
        )
        return problems
    codes = [str(p.get("jurisdiction", "")) for p in parties]
    checker = _Checker(codes, known_tax_types())
    checker.rules(rules, start)
    problems.extend(checker.problems)
    if problems:
        return problems
    doc = version_document(code, title, parties, effective_from, effective_to, rules)
    try:
        parse_agreements({"agreements": [doc]}, "version", known_taxes=known_tax_types())
    except EngineInputError as exc:
        return [Problem(_engine_path(exc.where), exc.detail, "engine_refused")]
    assert start is not None
    last = end if end is not None else max(start, dt.date.today().year * 12 + 11)
    named = [(f"parties[{i}].jurisdiction", c) for i, c in enumerate(codes)]
    scope = rules.get("scope") or {}
    named += [(f"rules.scope.collected_in[{i}]", c) for i, c in enumerate(scope.get("collected_in", []))]
    return division_problems(named, start, last)


# --- the engine's agreement set of a zone ----------------------------------------------------------------


@dataclass(frozen=True)
class Span:
    """A version as it is (or would be) in force: months start..end (inclusive; None open)."""

    agreement_id: int
    code: str
    title: str
    parties: tuple[tuple[str, str], ...]
    number: int
    start: int
    end: int | None
    rules: Mapping[str, Any]

    def covers(self, first: int, last: int) -> bool:
        return self.start <= last and (self.end is None or self.end >= first)


def span_of(agreement: Any, version: Any) -> Span:
    return Span(
        agreement.pk,
        agreement.code,
        agreement.title,
        tuple((str(p["jurisdiction"]), str(p.get("role", ""))) for p in agreement.parties),
        version.number,
        parse_period(version.effective_from),
        parse_period(version.effective_to) if version.effective_to else None,
        version.rules,
    )


def apply_approval(spans: list[Span], new: Span) -> list[Span]:
    """The spans of one agreement once ``new`` is approved: an approved version starting earlier is cut to end
    the month before it, one starting at or after it (within its range) is superseded. ``approval_problems``
    refuses the cases this cannot express."""
    out = []
    for span in spans:
        before = span.end is not None and span.end < new.start
        after = new.end is not None and span.start > new.end
        if before or after:
            out.append(span)
        elif span.start < new.start:
            out.append(replace(span, end=new.start - 1))
        # else: superseded
    out.append(new)
    return sorted(out, key=lambda s: s.start)


def approval_problems(spans: Sequence[Span], new: Span) -> list[Problem]:
    """Why ``new`` cannot join the approved ``spans`` of its agreement: it may replace the rest of an earlier
    version from its own start, and whole later versions, but not end before a version it overlaps does (that
    would leave the months after it without the rules that were approved for them)."""
    problems = []
    for span in spans:
        overlaps = (new.end is None or span.start <= new.end) and (span.end is None or new.start <= span.end)
        if not overlaps:
            continue
        if new.end is not None and (span.end is None or span.end > new.end):
            problems.append(
                Problem(
                    "effective_to",
                    _(
                        "Version %(number)d is approved until %(end)s; this version overlaps it and ends "
                        "before it (%(this)s). Leave the end open or end it when version %(number)d does."
                    )
                    % {
                        "number": span.number,
                        "end": format_period(span.end) if span.end is not None else _("open end"),
                        "this": format_period(new.end),
                    },
                    "version_overlap",
                )
            )
    return problems


def _core(rules: Mapping[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in rules.items() if k not in ("ratio", "term")}


def _steps(ratio: Mapping[str, Any], start: int, stop: int | None) -> list[dict[str, Any]] | None:
    """The steps of a fixed or stepped ratio in force from ``start`` up to before ``stop``."""
    if ratio.get("kind") == "fixed":
        return [{"from": format_period(start), "bp": copy.deepcopy(ratio["bp"])}]
    if ratio.get("kind") != "stepped":
        return None
    out: list[dict[str, Any]] = []
    for step in ratio["steps"]:
        begins = parse_period(step["from"])
        if stop is not None and begins >= stop:
            break
        item = {"from": format_period(max(begins, start)), "bp": copy.deepcopy(step["bp"])}
        if begins <= start and out:
            out[-1] = item
        else:
            out.append(item)
    return out


def _mergeable(a: Span, b: Span) -> bool:
    if a.end is None or a.end + 1 != b.start or _core(a.rules) != _core(b.rules):
        return False
    if a.rules.get("ratio") == b.rules.get("ratio"):
        return True
    kinds = {a.rules.get("ratio", {}).get("kind"), b.rules.get("ratio", {}).get("kind")}
    return kinds <= {"fixed", "stepped"}


def _run_document(run: Sequence[Span]) -> dict[str, Any]:
    """One engine agreement of a run of successive mergeable versions."""
    first, last = run[0], run[-1]
    rules = dict(last.rules)
    ratios = [s.rules.get("ratio") for s in run]
    if any(r != ratios[0] for r in ratios):
        steps: list[dict[str, Any]] = []
        for i, span in enumerate(run):
            stop = run[i + 1].start if i + 1 < len(run) else None
            part = _steps(span.rules["ratio"], span.start, stop) or []
            steps.extend(part)
        rules["ratio"] = {"kind": "stepped", "steps": steps}
    else:
        rules["ratio"] = copy.deepcopy(ratios[0])
    parties = [{"jurisdiction": c, "role": r} for c, r in last.parties]
    return version_document(
        last.code,
        last.title,
        parties,
        format_period(first.start),
        format_period(last.end) if last.end is not None else "",
        rules,
    )


@dataclass
class EngineSegment:
    """Months first..last (engine month numbers) settled with one agreement set."""

    first: int
    last: int
    document: dict[str, Any]
    agreements: AgreementSet
    runs: list[tuple[Span, ...]] = field(default_factory=list)

    @property
    def periods(self) -> str:
        return f"{format_period(self.first)}..{format_period(self.last)}"


def _zone_spans(zone: Any) -> dict[int, list[Span]]:
    from tongcheng.cooperation.models import AgreementVersion, VersionStatus

    spans: dict[int, list[Span]] = {}
    versions = (
        AgreementVersion.objects.filter(agreement__zone=zone, status=VersionStatus.APPROVED)
        .select_related("agreement")
        .order_by("agreement__code", "effective_from", "number")
    )
    for version in versions:
        spans.setdefault(version.agreement_id, []).append(span_of(version.agreement, version))
    return spans


def engine_segments(
    zone: Any,
    first: int,
    last: int,
    *,
    instead: Span | None = None,
    approve: Span | None = None,
    check_divisions: bool = True,
) -> list[EngineSegment]:
    """The engine's agreement sets for months first..last of a zone, from its approved versions: the fewest
    segments in which each agreement's versions in force make one engine agreement. ``approve`` computes the
    sets as they would be once that version is approved; ``instead`` puts that version in place of all of its
    agreement's versions (the what-if preview). Each set is read by the engine's own reader, so an overlap of
    two agreements' scopes, or any other input the engine refuses, raises ``EngineInputError``."""
    by_agreement = _zone_spans(zone)
    if approve is not None:
        by_agreement[approve.agreement_id] = apply_approval(
            by_agreement.get(approve.agreement_id, []), approve
        )
    if instead is not None:
        by_agreement[instead.agreement_id] = [instead]
    runs: list[tuple[Span, ...]] = []
    for spans in by_agreement.values():
        current: list[Span] = []
        for span in sorted(spans, key=lambda s: s.start):
            if not span.covers(first, last):
                continue
            if current and _mergeable(current[-1], span):
                current.append(span)
            else:
                if current:
                    runs.append(tuple(current))
                current = [span]
        if current:
            runs.append(tuple(current))
    cuts = {first, last + 1}
    for run in runs:
        if first < run[0].start <= last:
            cuts.add(run[0].start)
        end = run[-1].end
        if end is not None and first <= end < last:
            cuts.add(end + 1)
    bounds = sorted(cuts)
    segments: list[EngineSegment] = []
    for lo, hi in zip(bounds, bounds[1:], strict=False):
        active = [
            run for run in runs if run[0].start <= lo and (run[-1].end is None or run[-1].end >= hi - 1)
        ]
        active.sort(key=lambda run: run[0].code)
        doc = {"agreements": [_run_document(run) for run in active]}
        where = f"{zone.code} {format_period(lo)}..{format_period(hi - 1)}"
        agreements = parse_agreements(doc, where, known_taxes=known_tax_types())
        if check_divisions:
            problems = []
            for i, ag in enumerate(agreements.agreements):
                named = [(f"agreements[{i}].parties[{k}]", p.jurisdiction) for k, p in enumerate(ag.parties)]
                named += [
                    (f"agreements[{i}].scope.collected_in[{k}]", j) for k, j in enumerate(ag.collected_in)
                ]
                problems.extend(division_problems(named, lo, hi - 1))
            if problems:
                raise EngineInputError(problems[0].message, f"{where}:{problems[0].field}")
        segments.append(EngineSegment(lo, hi - 1, doc, agreements, active))
    return segments


def _range(period: Any) -> tuple[int, int]:
    if isinstance(period, tuple):
        return int(period[0]), int(period[1])
    return parse_period_range(str(period))


def agreements_for_engine(zone: Any, period: Any) -> AgreementSet:
    """The engine's input for a zone and a month (``"2026-03"``), a range (``"2026-01..2026-12"``) or engine
    month numbers ``(first, last)``: exactly the agreement set ``tongcheng settle`` reads from the file
    ``engine_document`` gives. A range over which a version changes more than its ratio needs one set per
    segment (``engine_segments``); asked as one set, it is refused naming the months to cut at."""
    first, last = _range(period)
    segments = engine_segments(zone, first, last)
    if len(segments) != 1:
        cuts = ", ".join(format_period(s.first) for s in segments[1:])
        raise EngineInputError(
            f"the agreements of {zone.code} change more than their ratios within {format_period(first)}.."
            f"{format_period(last)}; settle the months before and from {cuts} separately (engine_segments)"
        )
    return segments[0].agreements


def engine_document(zone: Any, period: Any) -> dict[str, Any]:
    """The agreements file (JSON) of ``agreements_for_engine``, for ``tongcheng settle --agreements``."""
    first, last = _range(period)
    segments = engine_segments(zone, first, last)
    if len(segments) != 1:
        agreements_for_engine(zone, period)  # raises with the cuts
    return segments[0].document
