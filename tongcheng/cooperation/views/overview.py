"""The cooperation overview of a zone (issue 10, "Pages"): cards computed from the records — parks, area,
projects, investment, business revenue, budget revenue — and charts by park, by year and by mode, each with
its table. A zone's overview adds up the records of the zones within it (宁淮合作 holds the 宁淮特别合作区),
and only those the reader may see. Also the index of the cooperation pages."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.contrib.auth.decorators import login_required
from django.db.models import Count, Sum
from django.db.models.functions import ExtractYear
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _

from tongcheng.core.bilingual import text_for
from tongcheng.core.models import AdjacentZone
from tongcheng.core.money import format_fen
from tongcheng.kit.access import scope_of

from .. import selectors
from ..models import CooperationMode, Park, ParkYear, Project
from ..models.records import area_km2
from ..rules import fund_q
from .common import visible

__all__ = ["Overview", "cooperation_index", "overview_of", "zone_overview"]


def yi(fen: int) -> str:
    """Exact 亿元 (at least two decimals, as many as exactness needs): 512.02, 550.00."""
    return format_fen(fen, "yi")


def yi_number(fen: int) -> str:
    """亿元 rounded to two decimals, for a chart's axis (the tables keep the exact figure)."""
    return format_fen(fen, "yi", grouping=False, places=2)


@dataclass
class Row:
    label: str
    parks: int = 0
    area_m2: int = 0
    projects: int = 0
    investment_fen: int = 0
    business_revenue_fen: int = 0
    budget_revenue_fen: int = 0
    url: str = ""

    @property
    def area_km2(self) -> Decimal | None:
        return area_km2(self.area_m2)


@dataclass
class Overview:
    zone: AdjacentZone
    parks: int = 0
    area_m2: int = 0
    projects: int = 0
    investment_fen: int = 0
    business_revenue_fen: int = 0
    budget_revenue_fen: int = 0
    by_park: list[Row] = field(default_factory=list)
    by_year: list[Row] = field(default_factory=list)
    by_mode: list[Row] = field(default_factory=list)

    @property
    def area_km2(self) -> Decimal | None:
        return area_km2(self.area_m2)

    def cards(self) -> list[tuple[str, str, str, str]]:
        """(key, label, value, unit) of each card."""
        return [
            ("parks", _("Co-built parks"), str(self.parks), _("parks")),
            ("area", _("Area"), f"{self.area_km2:.2f}" if self.area_m2 else "0.00", "km²"),
            ("projects", _("Projects"), str(self.projects), _("projects")),
            ("investment", _("Investment"), yi(self.investment_fen), _("100 million yuan")),
            ("business_revenue", _("Business revenue"), yi(self.business_revenue_fen), _("100 million yuan")),
            ("budget_revenue", _("Budget revenue"), yi(self.budget_revenue_fen), _("100 million yuan")),
        ]


def overview_of(user: Any, zone: AdjacentZone) -> Overview:
    """The overview's figures from the records the user sees in the zone and the zones within it: a fixed
    number of aggregate queries, whatever the number of records."""
    ids = selectors.zone_and_descendants(zone)
    parks = list(Park.objects.visible_to(user).filter(zone_id__in=ids).order_by("name_sort", "pk"))
    projects = Project.objects.visible_to(user).filter(zone_id__in=ids).order_by()
    years = ParkYear.objects.visible_to(user).filter(park__zone_id__in=ids).order_by()
    result = Overview(zone=zone, parks=len(parks), area_m2=sum(p.area_m2 or 0 for p in parks))
    totals = projects.aggregate(n=Count("pk"), i=Sum("investment_fen"))
    result.projects, result.investment_fen = totals["n"] or 0, totals["i"] or 0
    money = years.aggregate(b=Sum("business_revenue_fen"), g=Sum("budget_revenue_fen"))
    result.business_revenue_fen, result.budget_revenue_fen = money["b"] or 0, money["g"] or 0

    per_park = {
        row["park"]: row for row in projects.values("park").annotate(n=Count("pk"), i=Sum("investment_fen"))
    }
    per_park_years = {
        row["park"]: row
        for row in years.values("park").annotate(b=Sum("business_revenue_fen"), g=Sum("budget_revenue_fen"))
    }
    for park in parks:
        p, y = per_park.get(park.pk, {}), per_park_years.get(park.pk, {})
        result.by_park.append(
            Row(
                label=text_for(park, "name"),
                parks=1,
                area_m2=park.area_m2 or 0,
                projects=p.get("n") or 0,
                investment_fen=p.get("i") or 0,
                business_revenue_fen=y.get("b") or 0,
                budget_revenue_fen=y.get("g") or 0,
                url=reverse("coop_park_detail", args=[park.code]),
            )
        )
    if None in per_park:
        outside = per_park[None]
        result.by_park.append(
            Row(label=_("Outside a park"), projects=outside["n"] or 0, investment_fen=outside["i"] or 0)
        )

    rows: dict[int, Row] = defaultdict(lambda: Row(label=""))
    signed = (
        projects.exclude(signed_on=None)
        .annotate(y=ExtractYear("signed_on"))
        .values("y")
        .annotate(n=Count("pk"), i=Sum("investment_fen"))
    )
    for row in signed:
        rows[row["y"]].projects, rows[row["y"]].investment_fen = row["n"], row["i"] or 0
    for row in years.values("year").annotate(b=Sum("business_revenue_fen"), g=Sum("budget_revenue_fen")):
        rows[row["year"]].business_revenue_fen = row["b"] or 0
        rows[row["year"]].budget_revenue_fen = row["g"] or 0
    for year in sorted(rows):
        rows[year].label = str(year)
        result.by_year.append(rows[year])
    undated = projects.filter(signed_on=None).aggregate(n=Count("pk"), i=Sum("investment_fen"))
    if undated["n"]:
        result.by_year.append(
            Row(label=_("Not dated"), projects=undated["n"], investment_fen=undated["i"] or 0)
        )

    per_mode = {
        row["mode"]: row for row in projects.values("mode").annotate(n=Count("pk"), i=Sum("investment_fen"))
    }
    for mode, label in CooperationMode.choices:
        row = per_mode.get(mode, {})
        result.by_mode.append(
            Row(label=str(label), projects=row.get("n") or 0, investment_fen=row.get("i") or 0)
        )
    return result


def _chart(rows: list[Row], series: list[tuple[str, str]], title: str) -> dict[str, Any]:
    """The chart's payload for static/js/coop_charts.js: categories and one series per measure."""
    mixed = any(a.endswith("_fen") for a, _n in series) and any(not a.endswith("_fen") for a, _n in series)
    return {
        "title": title,
        "labels": [r.label for r in rows],
        "series": [
            {
                "name": name,
                # A count beside amounts is drawn against a second axis.
                "axis": 1 if mixed and not attr.endswith("_fen") else 0,
                "data": [
                    yi_number(getattr(r, attr)) if attr.endswith("_fen") else str(getattr(r, attr))
                    for r in rows
                ],
            }
            for attr, name in series
        ],
    }


@login_required
def zone_overview(request: HttpRequest, code: str) -> HttpResponse:
    zone = visible(request, AdjacentZone.objects.all(), code=code)
    overview = overview_of(request.user, zone)
    money = _("%(measure)s (100 million yuan)")
    charts = {
        "park": _chart(
            overview.by_park,
            [
                ("investment_fen", money % {"measure": _("Investment")}),
                ("business_revenue_fen", money % {"measure": _("Business revenue")}),
                ("budget_revenue_fen", money % {"measure": _("Budget revenue")}),
            ],
            _("By park"),
        ),
        "year": _chart(
            overview.by_year,
            [
                ("investment_fen", money % {"measure": _("Investment signed")}),
                ("business_revenue_fen", money % {"measure": _("Business revenue")}),
                ("budget_revenue_fen", money % {"measure": _("Budget revenue")}),
            ],
            _("By year"),
        ),
        "mode": _chart(
            overview.by_mode,
            [("projects", _("Projects")), ("investment_fen", money % {"measure": _("Investment")})],
            _("By cooperation mode"),
        ),
    }
    context = {
        "zone": zone,
        "overview": overview,
        "cards": overview.cards(),
        "charts": charts,
        "fund_readable": _fund_zone_ids(request.user, [zone.pk]) != set(),
    }
    return render(request, "cooperation/overview.html", context)


def _fund_zone_ids(user: Any, ids: list[int] | None = None) -> set[int]:
    """The zones whose fund the user reads (one query)."""
    scope = scope_of(user)
    if not scope.authenticated:
        return set()
    qs = AdjacentZone.objects.all() if ids is None else AdjacentZone.objects.filter(pk__in=ids)
    if not scope.superuser:
        qs = qs.filter(fund_q(scope, "view", zone_field=""))
    return set(qs.values_list("pk", flat=True))


@login_required
def cooperation_index(request: HttpRequest) -> HttpResponse:
    """The zones the user sees, each with its overview and, where the user reads it, its fund; and the
    provinces' rules for head offices whose branches stay inside the province."""
    zones = list(AdjacentZone.objects.visible_to(request.user).order_by("name_sort"))
    funds = _fund_zone_ids(request.user, [z.pk for z in zones])
    return render(
        request,
        "cooperation/index.html",
        {
            "zones": [(z, z.pk in funds) for z in zones],
            "province_rules": selectors.province_rules(request.user).order_by("province__code"),
        },
    )
