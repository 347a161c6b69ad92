"""How agreements are shown: party names, the ratio schedule (the chart's data and its table), the rules in
words. Shared by the pages and the API."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.core.cache import cache
from django.utils.translation import gettext as _

from tongcheng.cooperation.engine.types import format_period, parse_period
from tongcheng.core.bilingual import is_english

from ..models import Agreement, AgreementVersion, VersionStatus

__all__ = ["division_names", "party_label", "percent", "ratio_schedule", "rules_in_words"]

_NAMES_KEY = "tongcheng:coop:division-names:v1"


def division_names() -> dict[str, tuple[str, str]]:
    """6-digit code -> (Chinese name, English name) of the registry's current jurisdictions, cached for five
    minutes (one query, then none): lists name parties without a query per row."""
    names = cache.get(_NAMES_KEY)
    if names is None:
        from tongcheng.core.models import Jurisdiction

        names = {
            code: (name, name_en)
            for code, name, name_en in Jurisdiction.objects.current()
            .filter(code__regex=r"^[0-9]{6}$")
            .order_by()
            .values_list("code", "name", "name_en")
        }
        cache.set(_NAMES_KEY, names, 300)
    return names


def party_label(code: str, names: dict[str, tuple[str, str]] | None = None) -> str:
    names = names if names is not None else division_names()
    found = names.get(code)
    if not found:
        return code
    name = found[1] if is_english() and found[1] else found[0]
    return name


def parties_shown(parties: Sequence[dict[str, Any]]) -> str:
    names = division_names()
    roles = {"host": _("host"), "partner": _("partner"), "origin": _("origin")}
    return "; ".join(
        f"{party_label(p['jurisdiction'], names)} ({roles.get(p.get('role', ''), p.get('role', ''))})"
        for p in parties
    )


def percent(bp: int) -> str:
    return f"{bp / 100:g}%"


def _uniform(spec: Any) -> tuple[list[int] | None, str]:
    """The ratio every tax type follows ("*" or a plain vector) and words for per-tax exceptions."""
    if isinstance(spec, list):
        return spec, ""
    if isinstance(spec, dict) and spec:
        default = spec.get("*")
        others = "; ".join(
            f"{tax}: {' : '.join(percent(v) for v in vec)}" for tax, vec in spec.items() if tax != "*"
        )
        if default is None:
            first = next(iter(spec))
            return spec[first], _("per tax type: %(taxes)s") % {"taxes": others}
        return default, (_("except %(taxes)s") % {"taxes": others}) if others else ""
    return None, ""


def _steps_of(version: AgreementVersion) -> list[tuple[int, list[int] | None, str]]:
    """(month, ratio in bp per party, note) from the version's start: the steps of its schedule."""
    rules = version.rules or {}
    ratio = rules.get("ratio", {})
    start = parse_period(version.effective_from)
    kind = ratio.get("kind")
    if kind == "stepped":
        out: list[tuple[int, list[int] | None, str]] = []
        for step in ratio.get("steps", []):
            month = max(parse_period(step["from"]), start)
            vec, note = _uniform(step.get("bp"))
            if out and out[-1][0] == month:
                out[-1] = (month, vec, note)
            else:
                out.append((month, vec, note))
        return out
    if kind == "contribution":
        return [
            (
                start,
                ratio.get("initial_bp"),
                _(
                    "follows the cumulative fund contributions, between floors %(floor)s and caps %(cap)s; initial ratio shown"
                )
                % {
                    "floor": " : ".join(percent(v) for v in ratio.get("floor_bp", []) or []) or "0",
                    "cap": " : ".join(percent(v) for v in ratio.get("cap_bp", []) or []) or "100%",
                },
            )
        ]
    vec, note = _uniform(ratio.get("bp"))
    if kind == "increment":
        note = " ".join(
            filter(
                None,
                [
                    _("the stock of %(baseline)s fen a month stays with %(party)s; the increment is shared")
                    % {
                        "baseline": ratio.get("baseline_fen"),
                        "party": party_label(str(ratio.get("stock_party"))),
                    },
                    note,
                ],
            )
        )
    if kind == "capped":
        note = " ".join(
            filter(
                None,
                [
                    _("%(party)s receives at most %(cap)s fen in all, until %(end)s")
                    % {
                        "party": party_label(str(ratio.get("capped_party"))),
                        "cap": f"{ratio.get('cap_fen', 0):,}",
                        "end": ratio.get("extension_end") or ratio.get("share_end"),
                    },
                    note,
                ],
            )
        )
    return [(start, vec, note)]


def ratio_schedule(agreement: Agreement, versions: Sequence[AgreementVersion]) -> dict[str, Any]:
    """The ratio schedule of an agreement: one row per step of each version (table), and per party a series
    over the months (chart): the approved versions as they are in force, each draft as it would be."""
    names = division_names()
    parties = [party_label(p["jurisdiction"], names) for p in agreement.parties]
    rows: list[dict[str, Any]] = []
    labels = dict(VersionStatus.choices)
    for version in versions:
        steps = _steps_of(version)
        end = parse_period(version.effective_to) if version.effective_to else None
        for i, (month, vec, note) in enumerate(steps):
            until = steps[i + 1][0] - 1 if i + 1 < len(steps) else end
            rows.append(
                {
                    "number": version.number,
                    "status": version.status,
                    "status_label": str(labels.get(version.status, version.status)),
                    "from": format_period(month),
                    "until": format_period(until) if until is not None else "",
                    "start": month,
                    "end": until,
                    "values": [percent(v) for v in vec] if vec else [],
                    "bp": list(vec) if vec else [],
                    "note": note,
                }
            )
    months: list[str] = []
    series: list[dict[str, Any]] = []
    if rows:
        lo = min(r["start"] for r in rows)
        hi = max([max(r["start"] for r in rows) + 12, *[r["end"] for r in rows if r["end"] is not None]])
        months = [format_period(m) for m in range(lo, hi + 1)]

        def line(kind_rows: list[dict[str, Any]], k: int) -> list[float | None]:
            data: list[float | None] = [None] * len(months)
            for r in kind_rows:
                if not r["bp"]:
                    continue
                last = r["end"] if r["end"] is not None else hi
                for m in range(r["start"], last + 1):
                    data[m - lo] = r["bp"][k] / 100
            return data

        approved = [r for r in rows if r["status"] == VersionStatus.APPROVED]
        for k, party in enumerate(parties):
            series.append({"name": party, "draft": False, "data": line(approved, k)})
        for version in versions:
            if version.status != VersionStatus.DRAFT:
                continue
            draft_rows = [r for r in rows if r["number"] == version.number]
            for k, party in enumerate(parties):
                series.append(
                    {
                        "name": _("%(party)s (draft v%(number)d)")
                        % {"party": party, "number": version.number},
                        "draft": True,
                        "data": line(draft_rows, k),
                    }
                )
    return {
        "parties": parties,
        "rows": rows,
        "chart": {"months": months, "series": series, "unit": "%", "title": _("Share of each party (%)")},
    }


def rules_in_words(version: AgreementVersion) -> list[tuple[str, str]]:
    """(label, text) lines describing a version's rules."""
    rules = version.rules or {}
    names = division_names()
    scope = rules.get("scope", {})
    base = rules.get("base", {"kind": "local_share", "fraction_bp": 10000})
    fraction = base.get("fraction_bp", 10000)
    fraction_text = (
        "; ".join(f"{k}: {percent(v)}" for k, v in fraction.items())
        if isinstance(fraction, dict)
        else percent(fraction)
    )
    lines = [
        (_("Tax types shared"), ", ".join(rules.get("tax_types", [])) or _("every tax type")),
        (_("Enterprises"), str(len(scope.get("enterprises", [])))),
        (
            _("Base of the sharing"),
            (
                _("local retained share × %(fraction)s")
                if base.get("kind") == "local_share"
                else _("total receipts × %(fraction)s")
            )
            % {"fraction": fraction_text},
        ),
    ]
    if scope.get("projects"):
        lines.append((_("Projects"), ", ".join(scope["projects"])))
    if scope.get("collected_in"):
        lines.append(
            (_("Only receipts collected by"), ", ".join(party_label(c, names) for c in scope["collected_in"]))
        )
    if rules.get("tie_order"):
        lines.append((_("Tie order"), " > ".join(party_label(c, names) for c in rules["tie_order"])))
    stats = rules.get("statistics")
    if stats:
        text = "; ".join(
            f"{k}: {' : '.join(percent(v) for v in vec)}" for k, vec in stats.get("bp", {}).items()
        )
        if stats.get("double_count"):
            text += " — " + _(
                "appraisal only: every party counts the whole figure (not published, not summed)"
            )
        lines.append((_("Statistical attribution"), text or "—"))
    term = rules.get("term") or {}
    if term.get("extension_end"):
        lines.append(
            (
                _("Term extension"),
                _("until %(end)s (%(agreed)s)")
                % {
                    "end": term["extension_end"],
                    "agreed": _("agreed") if term.get("extended") else _("not agreed yet"),
                },
            )
        )
    return lines
