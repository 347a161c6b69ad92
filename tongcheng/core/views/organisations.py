"""Pages of organisations and people: list, import of an edited export, detail, unmasking an ID number."""

from __future__ import annotations

from itertools import islice

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.http.multipartparser import MultiPartParserError
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.csrf import csrf_exempt, csrf_protect
from django.views.decorators.http import require_POST

from tongcheng.kit.access import can, scope_of, visible_or_none, window_rows_q
from tongcheng.kit.filters import Choices, Code, Mine
from tongcheng.kit.history import record_history
from tongcheng.kit.importing import TableError, TableRows, import_summary, import_template, run_import
from tongcheng.kit.jobs.imports import start_import_job
from tongcheng.kit.listing import Column, DateRange, Filter, ListSpec, cached_list_page, render_list
from tongcheng.kit.services import ForbiddenError, NotFoundError, ServiceError, ValidationFailed, get_visible
from tongcheng.kit.uploads import declared_too_large, limit_uploads, too_large_message, upload_limit

from .. import selectors
from ..bilingual import text_for
from ..forms import (
    ImportForm,
    OrganisationEditForm,
    OrganisationForm,
    PersonForm,
    UnmaskForm,
)
from ..imports import check_may_import, organisation_import_spec
from ..models import (
    AdjacentZone,
    Jurisdiction,
    Organisation,
    OrganisationKind,
    Person,
)
from ..scope import STAFF_ROLES
from ..services import organisations, people
from ..validators import mask_id_number
from .forms_support import place_service_error
from .jurisdictions import DIVISION_CODE

# --- organisations ---------------------------------------------------------------------------------------


def _zone_name(org: Organisation) -> str:
    """The organisation's zone by name, only when the reader may see the zone (selectors.organisations)."""
    names = {"name": org.visible_zone_name or "", "name_en": org.visible_zone_name_en or ""}
    return text_for(names, "name")


ORGANISATION_LIST = ListSpec(
    title=gettext_lazy("Organisations"),
    columns=[
        Column("key", gettext_lazy("Key"), sort="key"),
        Column("name", gettext_lazy("Name"), sort="name_sort", link=True),
        Column("name_en", gettext_lazy("English name")),
        Column("kind", gettext_lazy("Kind"), sort="kind", value=lambda o: o.get_kind_display()),
        # The page names the jurisdiction; the export keeps its code (names like 鼓楼区 repeat), which the
        # import reads, as it reads the zone's name.
        Column(
            "jurisdiction",
            gettext_lazy("Jurisdiction"),
            value=lambda o: o.jurisdiction.code,
            display=lambda o: text_for(o.jurisdiction, "name"),
        ),
        Column(
            "zone",
            gettext_lazy("Zone"),
            value=lambda o: o.visible_zone_name or "",
            display=lambda o: _zone_name(o),
        ),
        Column("established", gettext_lazy("Established"), sort="established"),
        Column("description", gettext_lazy("Description")),
        Column("description_en", gettext_lazy("English description")),
        # Synthetic records are marked on the page and in the export; real ones leave it empty.
        Column("synthetic", gettext_lazy("Demo data"), value=lambda o: _("Demo data") if o.synthetic else ""),
        Column("version", gettext_lazy("Version")),
    ],
    search_fields=["name__icontains", "name_en__icontains", "key__icontains"],
    filters=[
        Filter("kind", gettext_lazy("Kind"), "kind", Choices(OrganisationKind.choices)),
        Filter(
            "zone",
            gettext_lazy("Zone"),
            "zone__code",
            lambda user: [
                (z.code, text_for(z, "name"))
                for z in AdjacentZone.objects.visible_to(user)
                .only("code", "name", "name_en")
                .order_by("name_sort")
            ],
        ),
        Code("jurisdiction", gettext_lazy("Jurisdiction code"), "jurisdiction__code", pattern=DIVISION_CODE),
        Mine(
            "mine",
            gettext_lazy("My role"),
            lambda user: window_rows_q(scope_of(user), "pk", roles=STAFF_ROLES),
            choice_label=gettext_lazy("Where I hold a role"),
        ),
    ],
    date_ranges=[DateRange("established", gettext_lazy("Established"), "established")],
    default_sort="name",
    export_name="organisations",
    detail_url=lambda o: reverse("organisation_detail", args=[o.key]),
)


@login_required
@cached_list_page
def organisation_list(request: HttpRequest) -> HttpResponse:
    qs = selectors.organisations(request.user)
    can_import = Organisation.objects.visible_to(request.user, "change").exists()
    return render_list(
        request,
        qs,
        ORGANISATION_LIST,
        extra={
            "import_url": reverse("organisation_import") if can_import else None,
            "create_url": reverse("organisation_create")
            if scope_of(request.user).has_role("office")
            else None,
        },
    )


def _import_page(request: HttpRequest, form: ImportForm, result=None, status: int = 200) -> HttpResponse:
    context = {
        "form": form,
        "result": result,
        "back_url": reverse("organisation_list"),
        "template_urls": [
            (fmt.upper(), reverse("organisation_import_template", args=[fmt])) for fmt in ("xlsx", "csv")
        ],
    }
    return render(request, "core/import.html", context, status=status)


def _may_import(request: HttpRequest) -> None:
    """An office that may change organisations imports them; one that only sees them gets 403, others 404
    (core/imports.py, as for the API)."""
    try:
        check_may_import(request.user)
    except NotFoundError:
        raise Http404 from None
    except ForbiddenError:
        raise PermissionDenied from None


@login_required
def organisation_import_template(request: HttpRequest, fmt: str) -> HttpResponse:
    """The empty file to fill in, with its header in the user's language."""
    _may_import(request)
    if fmt not in {"csv", "xlsx"}:
        raise Http404
    return import_template(organisation_import_spec(), fmt, str(_("organisations-template")))


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
        _may_import(request)
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
    rows = TableRows(upload.name, upload.file)
    inline = settings.TONGCHENG_IMPORT_INLINE_MAX_ROWS
    try:
        # Counted without being kept, and only up to the threshold.
        large = sum(1 for _row in islice(rows, inline + 1)) > inline
        if not large:
            result = run_import(
                request.user, organisation_import_spec(), rows, form.cleaned_data["apply_good_rows"]
            )
    except TableError as exc:
        form.add_error("file", exc.message)
        return _import_page(request, form, status=400)
    if large:
        # Too long for one request: the worker applies it through the same spec and services.
        job = start_import_job(
            request.user,
            organisation_import_spec,
            upload,
            kind="core.organisation_import",
            title=_("Import of organisations from %(name)s") % {"name": upload.name},
            apply_good_rows=form.cleaned_data["apply_good_rows"],
        )
        messages.info(
            request,
            _(
                "The file has more than %(count)d rows: it is imported in the background. This page shows how far it got."
            )
            % {"count": inline},
        )
        return redirect(job.get_absolute_url())
    if result.applied:
        messages.success(request, import_summary(result))
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
        "can_change": can(request.user, "change", org),
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


# --- creating and editing organisations and people ------------------------------------------------------
# Offices only (the ``change`` action of core/rules.py): another user who sees the organisations gets 403,
# one who sees none of them 404, as for any record out of sight.


def _require_organisation_editor(user) -> None:
    if scope_of(user).has_role("office"):
        return
    if Organisation.objects.visible_to(user).exists():
        raise PermissionDenied
    raise Http404


def _changeable(request: HttpRequest, model, **lookup):
    """The record if the user may change it; 404 out of sight, 403 in sight only."""
    try:
        obj = get_visible(model, request.user, **lookup)
    except ServiceError as exc:
        raise Http404 from exc
    if not can(request.user, "change", obj):
        raise PermissionDenied
    return obj


def _refused(exc: ServiceError, form, aliases: dict[str, str] | None = None) -> int:
    if exc.status == 404:
        raise Http404 from exc
    place_service_error(exc, form, aliases=aliases)
    return exc.status


@login_required
def organisation_create(request: HttpRequest) -> HttpResponse:
    _require_organisation_editor(request.user)
    form = OrganisationForm(request.POST or None, actor=request.user)
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            data = form.cleaned_data
            jurisdiction = Jurisdiction.objects.current().filter(code=data["jurisdiction_code"]).first()
            try:
                if jurisdiction is None:
                    raise ValidationFailed(_("Choose a jurisdiction."), code="required", field="jurisdiction")
                org = organisations.create_organisation(
                    actor=request.user,
                    key=data["key"],
                    name=data["name"],
                    name_en=data["name_en"],
                    kind=data["kind"],
                    jurisdiction=jurisdiction,
                    zone=data["zone"],
                    established=data["established"],
                    description=data["description"],
                    description_en=data["description_en"],
                )
            except ServiceError as exc:
                status = _refused(exc, form)
            else:
                messages.success(
                    request, _("Organisation %(name)s created.") % {"name": text_for(org, "name")}
                )
                return redirect("organisation_detail", key=org.key)
    return _record_form(
        request, form, _("New organisation"), reverse("organisation_list"), status, pick_url=reverse("pick")
    )


ORGANISATION_FORM_FIELDS = ("name", "name_en", "kind", "established", "description", "description_en")


@login_required
def organisation_edit(request: HttpRequest, key: str) -> HttpResponse:
    org = _changeable(request, Organisation, key=key)
    initial = {name: getattr(org, name) for name in ORGANISATION_FORM_FIELDS}
    form = OrganisationEditForm(request.POST or None, initial={**initial, "version": org.version})
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            data = form.cleaned_data
            try:
                organisations.update_organisation(
                    actor=request.user,
                    organisation=org,
                    changes={name: data[name] for name in ORGANISATION_FORM_FIELDS},
                    expected_version=data["version"],
                )
            except ServiceError as exc:
                status = _refused(exc, form)
            else:
                messages.success(request, _("Organisation %(name)s saved.") % {"name": text_for(org, "name")})
                return redirect("organisation_detail", key=org.key)
    return _record_form(
        request,
        form,
        _("Edit %(name)s") % {"name": text_for(org, "name")},
        reverse("organisation_detail", args=[org.key]),
        status,
    )


@login_required
def person_create(request: HttpRequest, key: str) -> HttpResponse:
    org = _changeable(request, Organisation, key=key)
    form = PersonForm(request.POST or None)
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            data = form.cleaned_data
            try:
                people.create_person(
                    actor=request.user,
                    organisation=org,
                    name=data["name"],
                    position=data["position"],
                    phone=data["phone"],
                    id_number=data["id_number"],
                )
            except ServiceError as exc:
                status = _refused(exc, form)
            else:
                messages.success(request, _("%(name)s added.") % {"name": data["name"]})
                return redirect("organisation_detail", key=org.key)
    return _record_form(
        request,
        form,
        _("New person in %(organisation)s") % {"organisation": text_for(org, "name")},
        reverse("organisation_detail", args=[org.key]),
        status,
    )


@login_required
def person_edit(request: HttpRequest, pk: int) -> HttpResponse:
    person = _changeable(request, Person.objects.select_related("organisation"), pk=pk)
    masked = organisations.masked_id_number(person)
    initial = {"name": person.name, "position": person.position, "phone": person.phone}
    form = PersonForm(request.POST or None, initial={**initial, "version": person.version}, masked_id=masked)
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            data = form.cleaned_data
            changes = {name: data[name] for name in ("name", "position", "phone")}
            if data["id_number"]:  # empty keeps the stored number, which the page never holds
                changes["id_number"] = data["id_number"]
            try:
                people.update_person(
                    actor=request.user, person=person, changes=changes, expected_version=data["version"]
                )
            except ServiceError as exc:
                status = _refused(exc, form)
            else:
                messages.success(request, _("%(name)s saved.") % {"name": data["name"]})
                return redirect("organisation_detail", key=person.organisation.key)
    return _record_form(
        request,
        form,
        _("Edit %(name)s") % {"name": person.name},
        reverse("organisation_detail", args=[person.organisation.key]),
        status,
    )


def _record_form(request: HttpRequest, form, title, back_url: str, status: int, **extra) -> HttpResponse:
    """The create and edit pages of organisations and people: one form, a title and the way back."""
    context = {"form": form, "title": title, "back_url": back_url, **extra}
    return render(request, "core/record_form.html", context, status=status)
