"""The lists of parks, enterprises and projects (kit ``ListSpec``): one declaration serves the page, its
.csv/.xlsx export (which the import reads back, imports.py) and the API list's query parameters.

Exports write values as the import reads them: codes for jurisdictions (names repeat), a park by its code, an
enterprise by its credit code, choices by their label, money in 元 with two decimals (exact), areas in whole
square metres; the page shows names in the reader's language and grouped amounts."""

from __future__ import annotations

from typing import Any

from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from tongcheng.core.bilingual import is_english, text_for
from tongcheng.core.models import AdjacentZone
from tongcheng.core.money import fen_to_yuan_str, format_fen
from tongcheng.core.views.jurisdictions import DIVISION_CODE
from tongcheng.kit.filters import Choices, Code
from tongcheng.kit.listing import Column, DateRange, Filter, ListSpec

from .industries import INDUSTRIES, industry_name
from .models import CooperationMode, Park, ProjectStatus

__all__ = [
    "ENTERPRISE_LIST",
    "PARK_LIST",
    "PROJECT_LIST",
    "codes",
    "names",
    "yuan",
    "yuan_shown",
]

SEPARATORS = ";；,，、"


def yuan(fen: int | None) -> str:
    """An amount as the export writes it (and parse_money reads it back): 元 with two decimals."""
    return "" if fen is None else fen_to_yuan_str(fen)


def yuan_shown(fen: int | None) -> str:
    return "" if fen is None else format_fen(fen, "yuan")


def codes(rows: Any) -> str:
    return ";".join(j.code for j in rows)


def names(rows: Any) -> str:
    return (", " if is_english() else "、").join(text_for(j, "name") for j in rows)


def _zone_choices(user: Any) -> list[tuple[str, Any]]:
    return [
        (z.code, text_for(z, "name"))
        for z in AdjacentZone.objects.visible_to(user).only("code", "name", "name_en").order_by("name_sort")
    ]


def _park_choices(user: Any) -> list[tuple[str, Any]]:
    return [
        (p.code, text_for(p, "name"))
        for p in Park.objects.visible_to(user).only("code", "name", "name_en").order_by("name_sort", "pk")
    ]


def _manager(park: Any) -> str:
    return text_for(
        {"name": park.visible_manager_name or "", "name_en": park.visible_manager_name_en or ""}, "name"
    )


def _area_shown(park: Any) -> str:
    return "" if park.area_m2 is None else f"{park.area_m2:,}"


PARK_LIST = ListSpec(
    title=gettext_lazy("Parks"),
    columns=[
        Column("code", gettext_lazy("Code"), sort="code"),
        Column("name", gettext_lazy("Name"), sort="name_sort", link=True),
        Column("name_en", gettext_lazy("English name")),
        Column(
            "zone",
            gettext_lazy("Zone"),
            value=lambda p: p.zone.code,
            display=lambda p: text_for(p.zone, "name"),
        ),
        Column(
            "host",
            gettext_lazy("Host jurisdiction"),
            value=lambda p: p.host.code,
            display=lambda p: text_for(p.host, "name"),
        ),
        Column(
            "managing_organisation",
            gettext_lazy("Managing organisation"),
            value=lambda p: p.visible_manager_key or "",
            display=_manager,
        ),
        Column(
            "partners",
            gettext_lazy("Partner jurisdictions"),
            value=lambda p: codes(p.partners.all()),
            display=lambda p: names(p.partners.all()),
        ),
        Column("area_m2", gettext_lazy("Area (m²)"), sort="area_m2", display=_area_shown),
        Column("established", gettext_lazy("Established"), sort="established"),
        Column("closed", gettext_lazy("Closed")),
        Column("note", gettext_lazy("Note")),
        Column("note_en", gettext_lazy("English note")),
        Column("synthetic", gettext_lazy("Demo data"), value=lambda o: _("Demo data") if o.synthetic else ""),
        Column("version", gettext_lazy("Version")),
    ],
    search_fields=["name__icontains", "name_en__icontains", "code__icontains", "search_key__icontains"],
    filters=[Filter("zone", gettext_lazy("Zone"), "zone__code", _zone_choices)],
    date_ranges=[DateRange("established", gettext_lazy("Established"), "established")],
    default_sort="name",
    export_name="parks",
    detail_url=lambda p: reverse("coop_park_detail", args=[p.code]),
)


def _industry_shown(e: Any) -> str:
    return f"{e.industry} {industry_name(e.industry, is_english())}"


def _enterprise_zone(e: Any) -> str:
    return text_for({"name": e.visible_zone_name or "", "name_en": e.visible_zone_name_en or ""}, "name")


ENTERPRISE_LIST = ListSpec(
    title=gettext_lazy("Enterprises"),
    columns=[
        Column("credit_code", gettext_lazy("Unified social credit code"), sort="credit_code"),
        Column("name", gettext_lazy("Name"), sort="name_sort", link=True),
        Column("name_en", gettext_lazy("English name")),
        Column("industry", gettext_lazy("Industry (GB/T 4754)"), sort="industry", display=_industry_shown),
        Column(
            "jurisdiction",
            gettext_lazy("Registered jurisdiction"),
            value=lambda e: e.jurisdiction.code,
            display=lambda e: text_for(e.jurisdiction, "name"),
        ),
        Column(
            "zone",
            gettext_lazy("Kept by the zone"),
            value=lambda e: e.visible_zone_code or "",
            display=_enterprise_zone,
        ),
        Column("note", gettext_lazy("Note")),
        Column("note_en", gettext_lazy("English note")),
        Column("synthetic", gettext_lazy("Demo data"), value=lambda o: _("Demo data") if o.synthetic else ""),
        Column("version", gettext_lazy("Version")),
    ],
    search_fields=[
        "name__icontains",
        "name_en__icontains",
        "credit_code__icontains",
        "search_key__icontains",
    ],
    filters=[
        Filter("zone", gettext_lazy("Zone"), "zone__code", _zone_choices),
        Filter(
            "industry",
            gettext_lazy("Industry (GB/T 4754)"),
            "industry",
            Choices((code, f"{code} {zh}") for code, (zh, _en) in INDUSTRIES.items()),
        ),
        Code("jurisdiction", gettext_lazy("Jurisdiction code"), "jurisdiction__code", pattern=DIVISION_CODE),
    ],
    default_sort="name",
    export_name="enterprises",
    detail_url=lambda e: reverse("coop_enterprise_detail", args=[e.credit_code]),
)


def _enterprise_of(p: Any) -> str:
    return text_for(
        {"name": p.visible_enterprise_name or "", "name_en": p.visible_enterprise_name_en or ""}, "name"
    )


PROJECT_LIST = ListSpec(
    title=gettext_lazy("Cooperation projects"),
    columns=[
        Column("code", gettext_lazy("Code"), sort="code"),
        Column("name", gettext_lazy("Name"), sort="name_sort", link=True),
        Column("name_en", gettext_lazy("English name")),
        Column(
            "zone",
            gettext_lazy("Zone"),
            value=lambda p: p.zone.code,
            display=lambda p: text_for(p.zone, "name"),
        ),
        Column(
            "park",
            gettext_lazy("Park"),
            value=lambda p: p.park.code if p.park_id else "",
            display=lambda p: text_for(p.park, "name") if p.park_id else "",
        ),
        Column(
            "enterprise",
            gettext_lazy("Enterprise"),
            value=lambda p: p.visible_enterprise_code or "",
            display=_enterprise_of,
        ),
        Column("mode", gettext_lazy("Cooperation mode"), sort="mode", value=lambda p: p.get_mode_display()),
        Column(
            "investment",
            gettext_lazy("Investment (yuan)"),
            sort="investment_fen",
            value=lambda p: yuan(p.investment_fen),
            display=lambda p: yuan_shown(p.investment_fen),
        ),
        Column("status", gettext_lazy("Status"), sort="status", value=lambda p: p.get_status_display()),
        Column("signed_on", gettext_lazy("Signed on"), sort="signed_on"),
        Column(
            "attracted_by",
            gettext_lazy("Attracted jointly by"),
            value=lambda p: codes(p.attracted_by.all()),
            display=lambda p: names(p.attracted_by.all()),
        ),
        Column("support_measures", gettext_lazy("Support measures")),
        Column("support_measures_en", gettext_lazy("English support measures")),
        Column("note", gettext_lazy("Note")),
        Column("note_en", gettext_lazy("English note")),
        Column("synthetic", gettext_lazy("Demo data"), value=lambda o: _("Demo data") if o.synthetic else ""),
        Column("version", gettext_lazy("Version")),
    ],
    search_fields=["name__icontains", "name_en__icontains", "code__icontains", "search_key__icontains"],
    filters=[
        Filter("zone", gettext_lazy("Zone"), "zone__code", _zone_choices),
        Filter("mode", gettext_lazy("Cooperation mode"), "mode", Choices(CooperationMode.choices)),
        Filter("status", gettext_lazy("Status"), "status", Choices(ProjectStatus.choices)),
        Filter("park", gettext_lazy("Park"), "park__code", _park_choices),
    ],
    date_ranges=[DateRange("signed_on", gettext_lazy("Signed on"), "signed_on")],
    default_sort="name",
    export_name="projects",
    detail_url=lambda p: reverse("coop_project_detail", args=[p.code]),
)
