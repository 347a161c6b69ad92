"""Pages of the adjacent zones: list, detail with its map, definition, decisions on proposals, metro map."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseNotModified
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.gzip import gzip_page
from django.views.decorators.http import require_POST

from tongcheng.kit.access import can, own_rows_q, scope_of, visible_or_none
from tongcheng.kit.audit_text import entry_lines, format_time
from tongcheng.kit.audit_text import who as audit_who
from tongcheng.kit.filters import Choices, Mine
from tongcheng.kit.history import record_history
from tongcheng.kit.listing import Column, DateRange, Filter, ListSpec, cached_list_page, render_list
from tongcheng.kit.services import ServiceError, get_visible

from .. import geo, pickers, selectors
from ..bilingual import is_english, text_for
from ..forms import (
    MemberEditFormSet,
    MemberFormSet,
    ZoneDecisionForm,
    ZoneEditForm,
    ZoneForm,
)
from ..models import (
    AdjacentZone,
    AuditEntry,
    Jurisdiction,
    MetroArea,
    Organisation,
    ZoneKind,
    ZoneStatus,
)
from ..services import zones
from .forms_support import place_service_error

# --- zones -----------------------------------------------------------------------------------------------


def _members_text(zone: AdjacentZone) -> str:
    return "、".join(m.jurisdiction.name for m in zone.members.all())


def _members_shown(zone: AdjacentZone) -> str:
    separator = ", " if is_english() else "、"
    return separator.join(text_for(m.jurisdiction, "name") for m in zone.members.all())


ZONE_LIST = ListSpec(
    title=gettext_lazy("Adjacent zones"),
    columns=[
        # Names in the reader's language, sorted in pinyin order (NameSorted); the code stays beside them.
        Column(
            "name", gettext_lazy("Name"), sort="name_sort", link=True, display=lambda z: text_for(z, "name")
        ),
        Column("code", gettext_lazy("Code"), sort="code"),
        Column("kind", gettext_lazy("Kind"), value=lambda z: z.get_kind_display()),
        Column("status", gettext_lazy("Status"), value=lambda z: z.get_status_display()),
        Column("members", gettext_lazy("Members"), value=_members_text, display=_members_shown),
        Column("established", gettext_lazy("Established"), sort="established"),
        Column("planning_area_km2", gettext_lazy("Planning area (km²)"), sort="planning_area_km2"),
    ],
    search_fields=["name__icontains", "name_en__icontains", "code__icontains"],
    filters=[
        Filter("kind", gettext_lazy("Kind"), "kind", Choices(ZoneKind.choices)),
        Filter("status", gettext_lazy("Status"), "status", Choices(ZoneStatus.choices)),
        Mine(
            "mine",
            gettext_lazy("Proposer"),
            lambda user: own_rows_q(scope_of(user), "proposed_by_id"),
            choice_label=gettext_lazy("Proposed by me"),
        ),
    ],
    date_ranges=[DateRange("established", gettext_lazy("Established"), "established")],
    default_sort="established",
    export_name="zones",
    detail_url=lambda z: reverse("zone_detail", args=[z.code]),
)


def _may_define_zones(user) -> bool:
    return scope_of(user).has_role("office")


@login_required
@cached_list_page
def zone_list(request: HttpRequest) -> HttpResponse:
    return render_list(
        request,
        selectors.zones(request.user),
        ZONE_LIST,
        extra={"create_url": reverse("zone_create") if _may_define_zones(request.user) else None},
    )


def _map_payload(zones_: list[AdjacentZone], zone_markers: bool = False, extra_cities=()) -> dict:
    """What the map script needs: the cities to draw, the districts to highlight with every zone they
    belong to, towns as points, the districts' names in the reader's language, and (on the metro map) one
    marker per zone so that a zone whose districts all belong to other zones too is still visible.

    A member that is a whole city (宁淮合作's 南京市 and 淮安市) colours each of the city's districts
    that no narrower membership colours, marked ``broad`` so that the script draws it lighter."""
    cities: set[str] = set(extra_cities)
    specific: dict[str, list[str]] = {}
    whole_city: dict[str, list[str]] = {}
    points = []
    for zone in zones_:
        label = text_for(zone, "name")
        lons, lats = [], []
        for m in zone.members.all():
            j = m.jurisdiction
            parts = j.path.strip("/").split("/")
            if j.level == "prefecture":
                cities.add(j.code)
                whole_city.setdefault(j.code, []).append(label)
            else:
                cities.add(parts[1] if len(parts) > 1 else parts[0])
                county = parts[2] if j.level == "township" and len(parts) > 2 else j.code
                if label not in specific.setdefault(county, []):
                    specific[county].append(label)
            if j.lon is not None:
                lons.append(float(j.lon))
                lats.append(float(j.lat))
                if j.level == "township":
                    points.append(
                        {
                            "name": text_for(j, "name"),
                            "value": [float(j.lon), float(j.lat)],
                            "zone": label,
                            "kind": "town",
                        }
                    )
        if zone_markers and lons:
            points.append(
                {
                    "name": label,
                    "value": [sum(lons) / len(lons), sum(lats) / len(lats)],
                    "zone": label,
                    "kind": "zone",
                }
            )
    counties = Jurisdiction.objects.current().filter(level="county", parent__code__in=cities)
    labels: dict[str, str] = {}
    regions = [{"name": code, "zones": list(names), "broad": False} for code, names in specific.items()]
    for county in counties.select_related("parent").only("code", "name", "name_en", "parent__code"):
        labels[county.code] = text_for(county, "name")
        broad = [z for z in whole_city.get(county.parent.code, []) if z not in specific.get(county.code, [])]
        if not broad:
            continue
        if county.code in specific:
            next(r for r in regions if r["name"] == county.code)["zones"].extend(broad)
        else:
            regions.append({"name": county.code, "zones": broad, "broad": True})
    return {
        "cities": sorted(c for c in cities if c in geo.CITY_FILES),
        # Colours go in this order: zones drawn on their own districts first, whole-city ones after.
        "zones": sorted(
            (text_for(zone, "name") for zone in zones_),
            key=lambda name: not any(name in z for z in specific.values()),
        ),
        "regions": regions,
        "points": points,
        "labels": labels,
    }


def _member_changes(request: HttpRequest, zone: AdjacentZone) -> list[dict] | None:
    """The zone's member changes, newest first, in words of the reader's language (members by their names):
    ZoneMember keeps no history of its own, so the audit entries of ``update_zone_members`` are that
    history. Shown to those who may read the zone's history (its rule's ``history`` action), like the
    history panel itself."""
    if not can(request.user, "history", zone):
        return None
    entries = (
        AuditEntry.objects.filter(
            object_type=AdjacentZone._meta.label_lower, object_id=str(zone.pk), action="zone.members"
        )
        .select_related("actor")
        .order_by("-at", "-id")[:50]
    )
    return [{"at": format_time(e.at), "who": audit_who(e), "lines": entry_lines(e)} for e in entries]


@login_required
def zone_detail(request: HttpRequest, code: str) -> HttpResponse:
    try:
        zone = get_visible(selectors.zones(request.user), request.user, code=code)
    except ServiceError as exc:
        raise Http404 from exc
    orgs = Organisation.objects.visible_to(request.user).filter(zone=zone).select_related("jurisdiction")
    members = list(zone.members.all())
    # A side is stored as the party's name (江苏省, 南京市): shown under its English name in the English UI.
    sides = {j.name: j for j in Jurisdiction.objects.current().filter(name__in={m.side for m in members})}
    for m in members:
        m.side_label = text_for(sides[m.side], "name") if m.side in sides else m.side
    context = {
        "zone": zone,
        "members": members,
        "organisations": orgs,
        "parent": visible_or_none(request.user, zone.parent),
        "children": AdjacentZone.objects.visible_to(request.user).filter(parent=zone),
        "map": _map_payload([zone]),
        "history": record_history(request, zone),
        "member_changes": _member_changes(request, zone),
        "can_change": can(request.user, "change", zone),
        "can_decide": zone.status == ZoneStatus.PROPOSED and can(request.user, "approve", zone),
        "decision_form": ZoneDecisionForm(),
    }
    return render(request, "core/zone_detail.html", context)


@login_required
@require_POST
def zone_decide(request: HttpRequest, code: str) -> HttpResponse:
    """The metropolitan-area office approves or rejects a proposed zone."""
    try:
        zone = get_visible(AdjacentZone, request.user, code=code)
    except ServiceError as exc:
        raise Http404 from exc
    form = ZoneDecisionForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Choose to approve or to reject."))
        return redirect("zone_detail", code=zone.code)
    decide = zones.approve_zone if form.cleaned_data["decision"] == "approve" else zones.reject_zone
    try:
        decide(actor=request.user, zone=zone, note=form.cleaned_data["note"])
    except ServiceError as exc:
        if exc.status == 404:
            raise Http404 from exc
        if exc.status == 403:
            raise PermissionDenied from exc
        messages.error(request, str(exc.message))
    else:
        messages.success(request, _("Decision recorded."))
    return redirect("zone_detail", code=zone.code)


def _member_specs(formset) -> tuple[list[zones.MemberSpec], list[int]]:
    """The members the formset names, and for each the index of its row (to show a refusal beside it)."""
    chosen = formset.chosen()
    return [zones.MemberSpec(code=code, role=role) for _i, code, role in chosen], [i for i, *_r in chosen]


def _picker_context() -> dict:
    return {"pick_url": reverse("pick")}


@login_required
def zone_create(request: HttpRequest) -> HttpResponse:
    metro = MetroArea.objects.visible_to(request.user).first()
    if metro is None:
        raise Http404
    if not _may_define_zones(request.user):
        # The user sees the metropolitan area but is no office: the page exists, the action is not theirs.
        raise PermissionDenied
    form = ZoneForm(request.POST or None)
    status = 200
    formset = MemberFormSet(
        request.POST or None, prefix="members", actor=request.user, within=pickers.metro_paths(metro)
    )
    members_errors: list[str] = []
    if request.method == "POST":
        status = 400
    if request.method == "POST" and form.is_valid() and formset.is_valid():
        specs, rows = _member_specs(formset)
        data = form.cleaned_data
        try:
            zone = zones.create_zone(
                actor=request.user,
                metro=metro,
                name=data["name"],
                name_en=data["name_en"],
                code=data["code"],
                kind=data["kind"],
                established=data["established"],
                planning_area_km2=data["planning_area_km2"],
                description=data["description"],
                members=specs,
            )
        except ServiceError as exc:
            members_errors = place_service_error(exc, form, formset, rows)
            # The same status as the API (403 for a refusal, 422 for invalid input), with the form kept.
            status = exc.status
        else:
            if zone.status == ZoneStatus.PROPOSED:
                messages.info(
                    request,
                    _(
                        "Zone %(name)s reaches beyond the territory your office runs, so it is recorded as a "
                        "proposal for the metropolitan-area office to approve."
                    )
                    % {"name": zone.name},
                )
            else:
                messages.success(request, _("Zone %(name)s created.") % {"name": zone.name})
            return redirect("zone_detail", code=zone.code)
    context = {
        "form": form,
        "formset": formset,
        "metro": metro,
        "members_errors": members_errors,
        **_picker_context(),
    }
    return render(request, "core/zone_form.html", context, status=status)


ZONE_FORM_FIELDS = (
    "name",
    "name_en",
    "kind",
    "parent",
    "established",
    "ended",
    "planning_area_km2",
    "start_area_km2",
    "description",
    "description_en",
)


@login_required
def zone_edit(request: HttpRequest, code: str) -> HttpResponse:
    """The zone's office (or the metropolitan-area office) edits the zone and its members: 404 for a zone out
    of sight, 403 for one in sight that the user may not change."""
    try:
        zone = get_visible(AdjacentZone.objects.select_related("metro", "parent"), request.user, code=code)
    except ServiceError as exc:
        raise Http404 from exc
    if not can(request.user, "change", zone):
        raise PermissionDenied
    members = list(zone.members.select_related("jurisdiction").order_by("side", "jurisdiction__code"))
    known = {m.jurisdiction.code: {m.jurisdiction.name, m.jurisdiction.name_en} - {""} for m in members}
    initial = {name: getattr(zone, name) for name in ZONE_FORM_FIELDS}
    form = ZoneEditForm(
        request.POST or None, zone=zone, actor=request.user, initial={**initial, "version": zone.version}
    )
    formset = MemberEditFormSet(
        request.POST or None,
        prefix="members",
        initial=[
            {"member": text_for(m.jurisdiction, "name"), "code": m.jurisdiction.code, "role": m.role}
            for m in members
        ],
        actor=request.user,
        within=pickers.metro_paths(zone.metro),
        known=known,
    )
    status = 200
    members_errors: list[str] = []
    if request.method == "POST":
        status = 400
        if form.is_valid() and formset.is_valid():
            specs, rows = _member_specs(formset)
            data = form.cleaned_data
            try:
                zones.edit_zone(
                    actor=request.user,
                    zone=zone,
                    changes={name: data[name] for name in ZONE_FORM_FIELDS if name in form.fields},
                    members=specs,
                    expected_version=data["version"],
                )
            except ServiceError as exc:
                if exc.status == 404:
                    raise Http404 from exc
                members_errors = place_service_error(exc, form, formset, rows)
                status = exc.status
            else:
                messages.success(request, _("Zone %(name)s saved.") % {"name": text_for(zone, "name")})
                return redirect("zone_detail", code=zone.code)
    context = {
        "zone": zone,
        "form": form,
        "formset": formset,
        "members_errors": members_errors,
        **_picker_context(),
    }
    return render(request, "core/zone_edit.html", context, status=status)


@login_required
def metro_map(request: HttpRequest) -> HttpResponse:
    zones_ = list(selectors.zones(request.user))
    metros = MetroArea.objects.visible_to(request.user).prefetch_related("members__jurisdiction")
    cities = {
        m.jurisdiction.code
        for metro in metros
        for m in metro.members.all()
        if m.jurisdiction.level == "prefecture"
    }
    payload = _map_payload(zones_, zone_markers=True, extra_cities=cities)
    return render(request, "core/metro_map.html", {"zones": zones_, "map": payload, "metros": metros})


@login_required
@gzip_page
def geojson(request: HttpRequest) -> HttpResponse:
    """The district boundaries of the cities asked for: simplified, built once per process, compressed, and
    revalidated by ETag (a page load that has them answers 304 without a body)."""
    cities = [c for c in request.GET.get("cities", "").split(",") if c in geo.CITY_FILES]
    body, etag = geo.collection_document(cities)
    if etag in request.headers.get("If-None-Match", ""):
        response = HttpResponseNotModified()
    else:
        response = HttpResponse(body, content_type="application/json")
    response["ETag"] = etag
    response["Cache-Control"] = "private, max-age=3600"
    return response
