"""Pages of the core app. Thin: read through ``visible_to`` selectors, change through services."""

from __future__ import annotations

import dataclasses

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import Case, CharField, Value, When
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.http.multipartparser import MultiPartParserError
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.text import capfirst
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.csrf import csrf_exempt, csrf_protect
from django.views.decorators.http import require_POST

from tongcheng.kit import documents
from tongcheng.kit.access import can, scope_of, visible_or_none
from tongcheng.kit.attachments import views as attachment_views
from tongcheng.kit.audit_text import entry_lines, format_time, object_type_label
from tongcheng.kit.audit_text import who as audit_who
from tongcheng.kit.auditing import action_label
from tongcheng.kit.history import record_history
from tongcheng.kit.importing import ImportSpec, TableError, read_table, run_import
from tongcheng.kit.jobs.imports import start_import_job
from tongcheng.kit.listing import Column, DateRange, Filter, ListSpec, boolean, render_list
from tongcheng.kit.services import ServiceError, get_visible
from tongcheng.kit.uploads import declared_too_large, limit_uploads, too_large_message, upload_limit

from . import geo, selectors
from .attachment_uses import ORGANISATION_DOCUMENT
from .forms import (
    ConfirmForm,
    GrantForm,
    ImportForm,
    MemberFormSet,
    TokenForm,
    UnmaskForm,
    ZoneDecisionForm,
    ZoneForm,
    grant_candidates,
)
from .models import (
    AdjacentZone,
    ApiToken,
    Jurisdiction,
    JurisdictionLevel,
    MetroArea,
    Organisation,
    OrganisationKind,
    Person,
    Role,
    RoleGrant,
    ZoneKind,
    ZoneStatus,
)
from .services import accounts, grants, organisations, zones
from .validators import mask_id_number


@login_required
def home(request: HttpRequest) -> HttpResponse:
    scope = scope_of(request.user)
    zone_qs = AdjacentZone.objects.visible_to(request.user)
    context = {
        "zone_count": zone_qs.count(),
        "organisation_count": Organisation.objects.visible_to(request.user).count(),
        "grants": request.user.grants.active().select_related(
            "metro", "zone", "jurisdiction", "organisation"
        ),
        "roles": sorted(scope.roles),
    }
    return render(request, "core/home.html", context)


# --- jurisdictions ---------------------------------------------------------------------------------------

JURISDICTION_LIST = ListSpec(
    title=gettext_lazy("Jurisdictions"),
    columns=[
        Column("code", gettext_lazy("Code"), sort="code", link=True),
        Column("name", gettext_lazy("Name"), sort="name"),
        Column("name_en", gettext_lazy("English name")),
        Column("level", gettext_lazy("Level"), value=lambda j: j.get_level_display()),
        Column("parent", gettext_lazy("Parent"), value=lambda j: j.parent.name if j.parent else ""),
        Column("valid_from", gettext_lazy("Valid from"), sort="valid_from"),
        Column("valid_to", gettext_lazy("Valid to"), sort="valid_to"),
    ],
    search_fields=["code__startswith", "name__icontains", "name_en__icontains"],
    filters=[
        Filter("level", gettext_lazy("Level"), "level", lambda user: list(JurisdictionLevel.choices)),
        Filter(
            "status",
            gettext_lazy("Status"),
            "valid_to__isnull",
            lambda user: [("True", _("Current")), ("False", _("Former"))],
            parse=boolean,
        ),
    ],
    default_sort="code",
    export_name="jurisdictions",
    detail_url=lambda j: reverse("jurisdiction_detail", args=[j.code]) + f"?at={j.valid_from.isoformat()}",
)


@login_required
def jurisdiction_list(request: HttpRequest) -> HttpResponse:
    qs = selectors.jurisdictions(request.user)
    return render_list(request, qs, JURISDICTION_LIST)


@login_required
def jurisdiction_detail(request: HttpRequest, code: str) -> HttpResponse:
    at_text = request.GET.get("at")
    try:
        at = timezone.datetime.fromisoformat(at_text).date() if at_text else timezone.localdate()
    except ValueError:
        at = timezone.localdate()
    qs = Jurisdiction.objects.select_related("parent", "successor").valid_on(at)
    try:
        obj = get_visible(qs, request.user, code=code)
    except ServiceError as exc:
        raise Http404 from exc
    context = {
        "obj": obj,
        "at": at,
        "children": Jurisdiction.objects.visible_to(request.user).valid_on(at).filter(parent=obj),
        "zones": AdjacentZone.objects.visible_to(request.user).filter(members__jurisdiction=obj).distinct(),
        "history": record_history(request, obj),
    }
    return render(request, "core/jurisdiction_detail.html", context)


# --- zones -----------------------------------------------------------------------------------------------


def _members_text(zone: AdjacentZone) -> str:
    return "、".join(m.jurisdiction.name for m in zone.members.all())


ZONE_LIST = ListSpec(
    title=gettext_lazy("Adjacent zones"),
    columns=[
        Column("name", gettext_lazy("Name"), sort="name", link=True),
        Column("code", gettext_lazy("Code"), sort="code"),
        Column("kind", gettext_lazy("Kind"), value=lambda z: z.get_kind_display()),
        Column("status", gettext_lazy("Status"), value=lambda z: z.get_status_display()),
        Column("members", gettext_lazy("Members"), value=_members_text),
        Column("established", gettext_lazy("Established"), sort="established"),
        Column("planning_area_km2", gettext_lazy("Planning area (km²)"), sort="planning_area_km2"),
    ],
    search_fields=["name__icontains", "name_en__icontains", "code__icontains"],
    filters=[Filter("kind", gettext_lazy("Kind"), "kind", lambda user: list(ZoneKind.choices))],
    default_sort="established",
    export_name="zones",
    detail_url=lambda z: reverse("zone_detail", args=[z.code]),
)


def _may_define_zones(user) -> bool:
    return scope_of(user).has_role("office")


@login_required
def zone_list(request: HttpRequest) -> HttpResponse:
    return render_list(
        request,
        selectors.zones(request.user),
        ZONE_LIST,
        extra={"create_url": reverse("zone_create") if _may_define_zones(request.user) else None},
    )


def _map_payload(zones_: list[AdjacentZone], zone_markers: bool = False) -> dict:
    """What the map script needs: the cities to draw, the districts to highlight with every zone they
    belong to, towns as points, and (on the metro map) one marker per zone so that a zone whose districts
    all belong to other zones too is still visible."""
    cities: set[str] = set()
    regions: dict[str, list[str]] = {}
    points = []
    for zone in zones_:
        lons, lats = [], []
        for m in zone.members.all():
            j = m.jurisdiction
            parts = j.path.strip("/").split("/")
            cities.add(parts[1] if len(parts) > 1 else parts[0])
            county = parts[2] if j.level == "township" and len(parts) > 2 else j.code
            regions.setdefault(county, [])
            if zone.name not in regions[county]:
                regions[county].append(zone.name)
            if j.lon is not None:
                lons.append(float(j.lon))
                lats.append(float(j.lat))
                if j.level == "township":
                    points.append(
                        {
                            "name": j.name,
                            "value": [float(j.lon), float(j.lat)],
                            "zone": zone.name,
                            "kind": "town",
                        }
                    )
        if zone_markers and lons:
            points.append(
                {
                    "name": zone.name,
                    "value": [sum(lons) / len(lons), sum(lats) / len(lats)],
                    "zone": zone.name,
                    "kind": "zone",
                }
            )
    return {
        "cities": sorted(cities),
        "regions": [{"name": k, "zones": v} for k, v in regions.items()],
        "points": points,
    }


@login_required
def zone_detail(request: HttpRequest, code: str) -> HttpResponse:
    try:
        zone = get_visible(selectors.zones(request.user), request.user, code=code)
    except ServiceError as exc:
        raise Http404 from exc
    orgs = Organisation.objects.visible_to(request.user).filter(zone=zone).select_related("jurisdiction")
    context = {
        "zone": zone,
        "members": list(zone.members.all()),
        "organisations": orgs,
        "parent": visible_or_none(request.user, zone.parent),
        "children": AdjacentZone.objects.visible_to(request.user).filter(parent=zone),
        "map": _map_payload([zone]),
        "history": record_history(request, zone),
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
    formset = MemberFormSet(request.POST or None, prefix="members")
    if request.method == "POST" and form.is_valid() and formset.is_valid():
        specs = [
            zones.MemberSpec(
                code=f.cleaned_data["code"],
                side=f.cleaned_data.get("side") or None,
                role=f.cleaned_data["role"],
            )
            for f in formset.forms
            if f.cleaned_data.get("code")
        ]
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
            for item in exc.errors or [{"field": exc.field, "message": str(exc.message)}]:
                form.add_error(None, item["message"])
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
    return render(
        request, "core/zone_form.html", {"form": form, "formset": formset, "metro": metro}, status=status
    )


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
    payload = _map_payload(zones_, zone_markers=True)
    payload["cities"] = sorted(set(payload["cities"]) | {c for c in cities if c in geo.CITY_FILES})
    return render(request, "core/metro_map.html", {"zones": zones_, "map": payload, "metros": metros})


@login_required
def geojson(request: HttpRequest) -> JsonResponse:
    cities = [c for c in request.GET.get("cities", "").split(",") if c in geo.CITY_FILES]
    response = JsonResponse(geo.feature_collection(cities))
    response["Cache-Control"] = "private, max-age=3600"
    return response


# --- organisations ---------------------------------------------------------------------------------------

ORGANISATION_LIST = ListSpec(
    title=gettext_lazy("Organisations"),
    columns=[
        Column("key", gettext_lazy("Key"), sort="key"),
        Column("name", gettext_lazy("Name"), sort="name", link=True),
        Column("name_en", gettext_lazy("English name")),
        Column("kind", gettext_lazy("Kind"), sort="kind", display=lambda o: o.get_kind_display()),
        Column("jurisdiction", gettext_lazy("Jurisdiction"), value=lambda o: o.jurisdiction.code),
        Column("zone", gettext_lazy("Zone"), value=lambda o: o.visible_zone_code or ""),
        Column("established", gettext_lazy("Established"), sort="established"),
        Column("description", gettext_lazy("Description")),
        Column("version", gettext_lazy("Version")),
    ],
    search_fields=["name__icontains", "name_en__icontains", "key__icontains"],
    filters=[
        Filter("kind", gettext_lazy("Kind"), "kind", lambda user: list(OrganisationKind.choices)),
        Filter(
            "zone",
            gettext_lazy("Zone"),
            "zone__code",
            lambda user: list(AdjacentZone.objects.visible_to(user).values_list("code", "name")),
        ),
    ],
    default_sort="name",
    export_name="organisations",
    detail_url=lambda o: reverse("organisation_detail", args=[o.key]),
)


def _organisation_import_spec() -> ImportSpec:
    def find(user, keys):
        return organisations.changeable_by_key(actor=user, keys=keys)

    def update(user, items, apply_valid):
        return organisations.update_organisations(
            actor=user,
            updates=[
                organisations.OrganisationUpdate(obj, changes, version) for obj, changes, version in items
            ],
            apply_valid=apply_valid,
        )

    def parse_date(text):
        return timezone.datetime.fromisoformat(text).date() if text else None

    def required(text):
        if not text:
            raise ValueError(_("This field is required."))
        return text

    def kind(text):
        if text not in OrganisationKind.values:
            raise ValueError(_("Unknown organisation kind %(kind)s.") % {"kind": text})
        return text

    return ImportSpec(
        key_column="key",
        find=find,
        update=update,
        columns={
            "name": required,
            "name_en": str,
            "kind": kind,
            "established": parse_date,
            "description": str,
        },
    )


@login_required
def organisation_list(request: HttpRequest) -> HttpResponse:
    qs = selectors.organisations(request.user)
    can_import = Organisation.objects.visible_to(request.user, "change").exists()
    return render_list(
        request,
        qs,
        ORGANISATION_LIST,
        extra={"import_url": reverse("organisation_import") if can_import else None},
    )


def _import_page(request: HttpRequest, form: ImportForm, result=None, status: int = 200) -> HttpResponse:
    context = {"form": form, "result": result, "back_url": reverse("organisation_list")}
    return render(request, "core/import.html", context, status=status)


def _refused_upload(request: HttpRequest, limit: int, message: str, status: int) -> HttpResponse:
    form = ImportForm(max_bytes=limit)
    form.cleaned_data = {}  # an unbound form has none, and add_error needs it
    form.add_error("file", message)
    return _import_page(request, form, status=status)


# CSRF is checked inside, once the user is known to be allowed and the body's size to be acceptable: the
# check reads the token from the multipart body, and nothing of the body may be read before those checks.
@csrf_exempt
@login_required
def organisation_import(request: HttpRequest) -> HttpResponse:
    if not Organisation.objects.visible_to(request.user, "change").exists():
        # Django's error pages run a CSRF step that would parse the body for the token; this request is
        # refused whatever it holds, so the CSRF decision is taken here and the body stays unread.
        request.csrf_processing_done = True
        if Organisation.objects.visible_to(request.user).exists():
            raise PermissionDenied
        raise Http404
    limit = upload_limit()
    if request.method == "POST":
        if declared_too_large(request, limit):
            return _refused_upload(request, limit, too_large_message(limit), 413)
        limit_uploads(request, limit)
        try:
            request.POST  # noqa: B018 - parsed here, with the limit in place, rather than by the CSRF check
        except MultiPartParserError:
            return _refused_upload(
                request, limit, _("The upload could not be read; send the file again."), 400
            )
        if request.upload_too_large:
            return _refused_upload(request, limit, too_large_message(limit), 413)
    return _organisation_import_checked(request, limit)


@csrf_protect
def _organisation_import_checked(request: HttpRequest, limit: int) -> HttpResponse:
    if request.method != "POST":
        return _import_page(request, ImportForm(max_bytes=limit))
    form = ImportForm(request.POST, request.FILES, max_bytes=limit)
    if not form.is_valid():
        return _import_page(request, form, status=413 if form.has_error("file", "too_large") else 400)
    upload = form.cleaned_data["file"]
    try:
        rows = read_table(upload.name, upload.file)
    except TableError as exc:
        form.add_error("file", exc.message)
        return _import_page(request, form, status=400)
    if len(rows) > settings.TONGCHENG_IMPORT_INLINE_MAX_ROWS:
        # Too long for one request: the worker applies it through the same spec and services.
        job = start_import_job(
            request.user,
            _organisation_import_spec,
            upload,
            kind="core.organisation_import",
            title=_("Import of organisations from %(name)s") % {"name": upload.name},
            apply_good_rows=form.cleaned_data["apply_good_rows"],
        )
        messages.info(
            request,
            _(
                "The file has %(count)d rows: it is imported in the background. This page shows how far it got."
            )
            % {"count": len(rows)},
        )
        return redirect(job.get_absolute_url())
    result = run_import(
        request.user, _organisation_import_spec(), rows, apply_good_rows=form.cleaned_data["apply_good_rows"]
    )
    if result.applied:
        messages.success(
            request,
            _("%(updated)d updated, %(unchanged)d unchanged.")
            % {"updated": result.updated, "unchanged": result.unchanged},
        )
    # Rows were refused and nothing was written: the upload is bad input.
    return _import_page(request, form, result, status=400 if result.errors and not result.applied else 200)


@login_required
def organisation_detail(request: HttpRequest, key: str) -> HttpResponse:
    qs = Organisation.objects.select_related("jurisdiction", "zone", "parent")
    try:
        org = get_visible(qs, request.user, key=key)
    except ServiceError as exc:
        raise Http404 from exc
    people = Person.objects.visible_to(request.user).filter(organisation=org)
    context = {
        "obj": org,
        "zone": visible_or_none(request.user, org.zone),
        "parent": visible_or_none(request.user, org.parent),
        "people": [
            {"person": p, "masked": mask_id_number(p.id_number) if p.id_number else ""} for p in people
        ],
        "children": Organisation.objects.visible_to(request.user).filter(parent=org),
        "history": record_history(request, org),
        "can_unmask": Person.objects.visible_to(request.user, "unmask").filter(organisation=org).exists(),
    }
    return render(request, "core/organisation_detail.html", context)


@login_required
@require_POST
def person_unmask(request: HttpRequest, pk: int) -> HttpResponse:
    try:
        person = get_visible(Person.objects.select_related("organisation"), request.user, pk=pk)
    except ServiceError as exc:
        raise Http404 from exc
    form = UnmaskForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Give the reason for showing the full ID number."))
        return redirect("organisation_detail", key=person.organisation.key)
    try:
        number = organisations.unmask_id_number(
            actor=request.user, person=person, reason=form.cleaned_data["reason"]
        )
    except ServiceError as exc:
        if exc.status == 403:
            raise PermissionDenied from exc
        messages.error(request, str(exc.message))
        return redirect("organisation_detail", key=person.organisation.key)
    return render(request, "core/unmasked.html", {"person": person, "number": number})


# --- history and audit -----------------------------------------------------------------------------------


def _audit_actor_choices(user) -> list[tuple[str, str]]:
    rows = (
        selectors.audit_entries(user)
        .order_by("actor_name")
        .values_list("actor_name", "actor__display_name")
        .distinct()
    )
    choices: dict[str, str] = {}
    for name, display_name in rows:
        if name in {"", "system"}:
            choices.setdefault(name, _("system"))
        else:
            choices[name] = f"{display_name} ({name})" if display_name else name
    return list(choices.items())


def _audit_type_choices(user) -> list[tuple[str, str]]:
    types = selectors.audit_entries(user).order_by("object_type").values_list("object_type", flat=True)
    return sorted(((t, object_type_label(t)) for t in types.distinct()), key=lambda choice: choice[1])


AUDIT_LIST = ListSpec(
    title=gettext_lazy("Audit log"),
    columns=[
        Column("at", gettext_lazy("Time"), sort="at", value=lambda e: format_time(e.at)),
        Column("actor_name", gettext_lazy("Who"), sort="actor_name", value=audit_who),
        Column("action", gettext_lazy("Action"), sort="action", value=lambda e: action_label(e.action)),
        Column("object_type", gettext_lazy("Object type"), value=lambda e: object_type_label(e.object_type)),
        Column("object_repr", gettext_lazy("Object")),
        # One line per change on the page; the export holds the same lines in one cell.
        Column(
            "changes",
            gettext_lazy("What changed"),
            value=lambda e: "\n".join(entry_lines(e)),
            display=entry_lines,
        ),
    ],
    search_fields=[
        "object_repr__icontains",
        "actor_name__icontains",
        "actor__display_name__icontains",
        "request_id",
    ],
    filters=[
        Filter("actor", gettext_lazy("Who"), "actor_name", _audit_actor_choices),
        Filter(
            "action",
            gettext_lazy("Action"),
            "action",
            lambda user: [
                (a, action_label(a))
                for a in selectors.audit_entries(user)
                .order_by("action")
                .values_list("action", flat=True)
                .distinct()
            ],
        ),
        Filter("type", gettext_lazy("Object type"), "object_type", _audit_type_choices),
    ],
    date_ranges=[DateRange("date", gettext_lazy("Date"), "at")],
    default_sort="-at",
    export_name="audit",
)
# The request id joins an entry to the server's logs (the 500 page shows it): support staff need it in the
# export, a reader of the page does not. The search box finds the entries of one request by its id.
AUDIT_EXPORT = dataclasses.replace(
    AUDIT_LIST, columns=[*AUDIT_LIST.columns, Column("request_id", gettext_lazy("Request id"))]
)


@login_required
def audit_list(request: HttpRequest) -> HttpResponse:
    spec = AUDIT_EXPORT if request.GET.get("export") else AUDIT_LIST
    qs = selectors.audit_entries(request.user).select_related("actor")
    return render_list(request, qs, spec, template="core/audit_list.html")


# --- account ---------------------------------------------------------------------------------------------


@require_POST
def set_language(request: HttpRequest) -> HttpResponse:
    language = request.POST.get("language", "")
    next_url = request.POST.get("next") or "/"
    if not url_has_allowed_host_and_scheme(next_url, {request.get_host()}, request.is_secure()):
        next_url = "/"
    response = redirect(next_url)
    if language not in dict(translation.trans_real.settings.LANGUAGES):
        return response
    if request.user.is_authenticated:
        accounts.set_language(actor=request.user, language=language)
    translation.activate(language)
    from django.conf import settings

    response.set_cookie(settings.LANGUAGE_COOKIE_NAME, language, max_age=365 * 24 * 3600, samesite="Lax")
    return response


@login_required
def tokens(request: HttpRequest) -> HttpResponse:
    form = TokenForm(request.POST or None)
    new_key = None
    if request.method == "POST":
        if "revoke" in request.POST:
            try:
                accounts.revoke_api_token(actor=request.user, token_id=int(request.POST["revoke"]))
            except (ServiceError, ValueError) as exc:
                # Someone else's token and a missing one get the same answer: not found.
                raise Http404(_("No such token.")) from exc
            messages.success(request, _("Token revoked."))
            return redirect("tokens")
        if form.is_valid():
            try:
                _token, new_key = accounts.create_api_token(
                    actor=request.user,
                    name=form.cleaned_data["name"],
                    expires_in_days=form.cleaned_data["expires_in_days"],
                )
            except ServiceError as exc:
                form.add_error(exc.field if exc.field in form.fields else None, str(exc.message))
            else:
                form = TokenForm()
    return render(
        request,
        "core/tokens.html",
        {
            "form": form,
            "new_key": new_key,
            "tokens": ApiToken.objects.filter(user=request.user),
            "now": timezone.now(),
        },
    )


def healthz(request: HttpRequest) -> JsonResponse:
    """Liveness for the load balancer: says only whether the database answers (no counts: nothing leaks).
    503 when it does not, so the balancer takes this server out of rotation; the cause stays in the logs."""
    import logging

    from django.db import InterfaceError, OperationalError

    try:
        Jurisdiction.objects.exists()
    except (OperationalError, InterfaceError):
        logging.getLogger(__name__).exception("Health check: the database does not answer")
        return JsonResponse({"status": "unavailable"}, status=503)
    return JsonResponse({"status": "ok"})


# --- documents and attachments (worked examples of tongcheng.kit) ----------------------------------------


def _established_text(zone: AdjacentZone) -> str:
    if zone.established is None:
        return ""
    shown = {"month": "%Y-%m", "year": "%Y"}.get(zone.established_precision or "", "%Y-%m-%d")
    return zone.established.strftime(shown)


@login_required
def zone_sheet(request: HttpRequest, code: str) -> HttpResponse:
    """A printable fact sheet (PDF) of a zone: what the zone page shows, for the user who may see it."""
    try:
        zone = get_visible(selectors.zones(request.user), request.user, code=code)
    except ServiceError as exc:
        raise Http404 from exc
    parent = AdjacentZone.objects.visible_to(request.user).filter(pk=zone.parent_id).first()
    orgs = Organisation.objects.visible_to(request.user).filter(zone=zone).select_related("jurisdiction")
    facts = [
        (_("Code"), zone.code),
        (_("Kind"), zone.get_kind_display()),
        (_("Status"), zone.get_status_display()),
        (_("Metropolitan area"), str(zone.metro)),
        (_("Established"), _established_text(zone)),
        (_("Planning area (km²)"), zone.planning_area_km2 if zone.planning_area_km2 is not None else "—"),
        (_("Start area (km²)"), zone.start_area_km2 if zone.start_area_km2 is not None else "—"),
    ]
    if parent is not None:
        facts.insert(3, (_("Part of"), parent.name))
    members = documents.Table(
        [_("Side"), _("Member"), _("Code"), _("Party"), _("Role")],
        [
            [m.side, m.jurisdiction.name, m.jurisdiction.code, m.party.name, m.get_role_display()]
            for m in zone.members.all()
        ],
    )
    institutions = documents.Table(
        [_("Name"), _("Kind"), _("Jurisdiction")],
        [[o.name, o.get_kind_display(), o.jurisdiction.name] for o in orgs],
    )
    blocks: list[documents.Block] = [documents.Facts(facts)]
    if zone.description:
        blocks.append(zone.description)
    printed = _("Printed by %(user)s on %(time)s") % {
        "user": str(request.user),
        "time": timezone.localtime().strftime("%Y-%m-%d %H:%M"),
    }
    pdf = documents.pdf_document(
        zone.name,
        [("", blocks), (_("Members"), [members]), (_("Institutions"), [institutions])],
        subtitle=zone.name_en,
        header=_("Zone fact sheet") + " · " + zone.name,
        footer=printed,
        author=str(request.user),
    )
    return documents.document_response(pdf, f"{zone.code}.pdf")


# CSRF is checked by the kit's upload page once permission and size are known (see organisation_import).
@csrf_exempt
@login_required
def organisation_documents(request: HttpRequest, key: str) -> HttpResponse:
    """Upload page of an organisation's documents (tongcheng.kit.attachments, use organisation.document)."""
    try:
        org = get_visible(Organisation, request.user, key=key)
    except ServiceError as exc:
        request.csrf_processing_done = True  # refused whatever the body holds: it stays unread
        raise Http404 from exc
    back_url = reverse("organisation_detail", args=[org.key])
    return attachment_views.upload_page(request, org, ORGANISATION_DOCUMENT.code, back_url)


# --- role grants -----------------------------------------------------------------------------------------
# Offices give and withdraw roles within the scope their own office grants cover (services.grants); the
# pages are theirs alone: any other signed-in user sees that the page exists but may not use it (403).

GRANT_STATES = {
    "current": gettext_lazy("Current"),
    "future": gettext_lazy("Not yet started"),
    "ended": gettext_lazy("Ended"),
}


def _require_office(user) -> None:
    if not scope_of(user).has_role("office"):
        raise PermissionDenied


def _managed_grants(user):
    today = timezone.localdate()
    return (
        RoleGrant.objects.visible_to(user, "manage")
        .select_related("user", "granted_by", "metro", "zone", "jurisdiction", "organisation")
        .annotate(
            state=Case(
                When(valid_to__isnull=False, valid_to__lte=today, then=Value("ended")),
                When(valid_from__gt=today, then=Value("future")),
                default=Value("current"),
                output_field=CharField(),
            )
        )
    )


def _scope_type(grant: RoleGrant) -> str:
    scope = grant.scope
    return capfirst(scope._meta.verbose_name) if scope is not None else ""


def _grant_holder_choices(user) -> list[tuple[str, str]]:
    rows = (
        RoleGrant.objects.visible_to(user, "manage")
        .order_by("user__username")
        .values_list("user__username", "user__display_name")
        .distinct()
    )
    return [(name, f"{display} ({name})" if display else name) for name, display in rows]


GRANT_LIST = ListSpec(
    title=gettext_lazy("Role grants"),
    columns=[
        Column("user", gettext_lazy("User"), sort="user__display_name", value=lambda g: str(g.user)),
        Column("username", gettext_lazy("Username"), sort="user__username", value=lambda g: g.user.username),
        Column("role", gettext_lazy("Role"), sort="role", value=lambda g: g.get_role_display()),
        Column("scope_type", gettext_lazy("Scope"), value=_scope_type),
        Column("scope", gettext_lazy("Scope name"), value=lambda g: str(g.scope)),
        Column("valid_from", gettext_lazy("Valid from"), sort="valid_from"),
        Column("valid_to", gettext_lazy("Ends on"), sort="valid_to"),
        Column("granted_by", gettext_lazy("Granted by"), value=lambda g: str(g.granted_by or "")),
        Column("state", gettext_lazy("Status"), value=lambda g: GRANT_STATES[g.state]),
    ],
    search_fields=["user__username__icontains", "user__display_name__icontains"],
    filters=[
        Filter("role", gettext_lazy("Role"), "role", lambda user: list(Role.choices)),
        Filter("user", gettext_lazy("User"), "user__username", _grant_holder_choices),
        Filter("state", gettext_lazy("Status"), "state", lambda user: list(GRANT_STATES.items())),
    ],
    date_ranges=[DateRange("start", gettext_lazy("Valid from"), "valid_from")],
    default_sort="username",
    export_name="grants",
    detail_url=lambda g: reverse("grant_detail", args=[g.pk]),
)


@login_required
def grant_list(request: HttpRequest) -> HttpResponse:
    _require_office(request.user)
    return render_list(
        request,
        _managed_grants(request.user),
        GRANT_LIST,
        template="core/grant_list.html",
        extra={"create_url": reverse("grant_create")},
    )


def _grantable_codes(user) -> list[tuple[str, str]]:
    """Suggestions for the scope field: the metropolitan areas and zones the office runs."""
    metros = MetroArea.objects.visible_to(user, "change").values_list("code", "name")
    zones_ = (
        AdjacentZone.objects.visible_to(user, "change")
        .filter(status=ZoneStatus.ACTIVE)
        .values_list("code", "name")
    )
    return [*metros, *zones_]


@login_required
def grant_create(request: HttpRequest) -> HttpResponse:
    _require_office(request.user)
    find = request.GET.get("find", "").strip()
    form = GrantForm(request.POST or None, actor=request.user, initial={"user": request.GET.get("user", "")})
    status = 200
    if request.method == "POST":
        if form.is_valid():
            data = form.cleaned_data
            try:
                grant = grants.grant_role(
                    actor=request.user,
                    user=data["user"],
                    role=data["role"],
                    valid_from=data["valid_from"],
                    valid_to=data["valid_to"],
                    **data["scope"],
                )
            except ServiceError as exc:
                field = {"scope": "scope_code"}.get(exc.field or "", exc.field)
                form.add_error(field if field in form.fields else None, str(exc.message))
                status = exc.status if exc.status in {403, 409} else 400
            else:
                messages.success(
                    request,
                    _("%(user)s now holds the role %(role)s on %(scope)s.")
                    % {"user": grant.user, "role": grant.get_role_display(), "scope": grant.scope},
                )
                return redirect("grant_detail", pk=grant.pk)
        else:
            status = 400
    context = {
        "form": form,
        "find": find,
        "candidates": grant_candidates(request.user, find) if find else None,
        "scope_codes": _grantable_codes(request.user),
    }
    return render(request, "core/grant_form.html", context, status=status)


def _grant_history(user, grant: RoleGrant) -> list[dict]:
    entries = (
        selectors.audit_entries(user)
        .filter(object_type=RoleGrant._meta.label_lower, object_id=str(grant.pk))
        .select_related("actor")
        .order_by("at", "id")
    )
    return [
        {
            "at": format_time(e.at),
            "who": audit_who(e),
            "action": action_label(e.action),
            "lines": entry_lines(e),
        }
        for e in entries
    ]


def _visible_grant(request: HttpRequest, pk: int) -> RoleGrant:
    _require_office(request.user)
    try:
        qs = RoleGrant.objects.select_related(
            "user", "granted_by", "metro", "zone", "jurisdiction", "organisation"
        )
        return get_visible(qs, request.user, pk=pk)
    except ServiceError as exc:
        raise Http404 from exc


@login_required
def grant_detail(request: HttpRequest, pk: int) -> HttpResponse:
    grant = _visible_grant(request, pk)
    managed = _managed_grants(request.user).filter(pk=grant.pk).first()
    context = {
        "grant": grant,
        "scope_type": _scope_type(grant),
        "state": GRANT_STATES[managed.state] if managed else None,
        "can_withdraw": managed is not None and managed.state != "ended",
        "history": _grant_history(request.user, grant),
    }
    return render(request, "core/grant_detail.html", context)


@login_required
@require_POST
def grant_withdraw(request: HttpRequest, pk: int) -> HttpResponse:
    """Withdraw a role in two steps: the button asks for a confirmation page, whose button withdraws."""
    grant = _visible_grant(request, pk)
    if not can(request.user, "manage", grant):
        raise PermissionDenied
    if not ConfirmForm(request.POST).is_valid():
        return render(request, "core/grant_withdraw.html", {"grant": grant, "scope_type": _scope_type(grant)})
    try:
        grants.withdraw_grant(actor=request.user, grant=grant)
    except ServiceError as exc:
        if exc.status == 404:
            raise Http404 from exc
        raise PermissionDenied from exc
    messages.success(
        request,
        _("The role %(role)s of %(user)s on %(scope)s is withdrawn.")
        % {"role": grant.get_role_display(), "user": grant.user, "scope": grant.scope},
    )
    return redirect("grant_list")
