"""Pages of organisations and people: list, import of an edited export, detail, unmasking an ID number."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.http.multipartparser import MultiPartParserError
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.csrf import csrf_exempt, csrf_protect
from django.views.decorators.http import require_POST

from tongcheng.kit.access import visible_or_none
from tongcheng.kit.history import record_history
from tongcheng.kit.importing import ImportSpec, TableError, read_table, run_import
from tongcheng.kit.jobs.imports import start_import_job
from tongcheng.kit.listing import Column, Filter, ListSpec, render_list
from tongcheng.kit.services import ServiceError, get_visible
from tongcheng.kit.uploads import declared_too_large, limit_uploads, too_large_message, upload_limit

from .. import selectors
from ..forms import (
    ImportForm,
    UnmaskForm,
)
from ..models import (
    AdjacentZone,
    Organisation,
    OrganisationKind,
    Person,
)
from ..services import organisations
from ..validators import mask_id_number

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
        rows = list(read_table(upload.name, upload.file))
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
