"""Pages of parks, enterprises and projects: list (search, filters, export), detail with history, create,
edit, import of an edited export, and a project's workflow steps. Thin: read through the selectors, write
through the services."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import Sum
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from tongcheng.core.bilingual import text_for
from tongcheng.core.money import fen_to_yuan_str
from tongcheng.kit.access import can, visible_or_none
from tongcheng.kit.history import record_history
from tongcheng.kit.listing import cached_list_page, render_list
from tongcheng.kit.services import ServiceError
from tongcheng.kit.workflow.transitions import allowed_transitions

from .. import selectors
from ..forms import (
    EnterpriseEditForm,
    EnterpriseForm,
    ParkEditForm,
    ParkForm,
    ProjectEditForm,
    ProjectForm,
    StepForm,
)
from ..imports import enterprise_import_spec, park_import_spec, project_import_spec
from ..lists import ENTERPRISE_LIST, PARK_LIST, PROJECT_LIST
from ..models import Enterprise, Park, Project
from ..services import projects, records
from .common import ImportPage, changeable, may_create, record_form, refused, require_creator, visible


def _list_extra(request: HttpRequest, create: str, import_: str) -> dict[str, Any]:
    creator = may_create(request.user)
    return {
        "create_url": reverse(create) if creator else None,
        "import_url": reverse(import_) if creator else None,
    }


# --- parks -----------------------------------------------------------------------------------------------


@login_required
@cached_list_page
def park_list(request: HttpRequest) -> HttpResponse:
    return render_list(
        request,
        selectors.parks(request.user),
        PARK_LIST,
        extra=_list_extra(request, "coop_park_create", "coop_park_import"),
    )


@login_required
def park_detail(request: HttpRequest, code: str) -> HttpResponse:
    park = visible(request, selectors.parks(request.user), code=code)
    projects_qs = selectors.projects(request.user).filter(park=park)
    context = {
        "obj": park,
        "years": selectors.park_years(request.user).filter(park=park).order_by("year"),
        "project_count": projects_qs.count(),
        "investment_fen": projects_qs.aggregate(total=Sum("investment_fen"))["total"] or 0,
        "manager": {"name": park.visible_manager_name or "", "name_en": park.visible_manager_name_en or ""},
        "manager_key": park.visible_manager_key,
        "history": record_history(request, park),
        "can_change": can(request.user, "change", park),
    }
    return render(request, "cooperation/park_detail.html", context)


PARK_FIELDS = (
    "name",
    "name_en",
    "managing_organisation",
    "area_m2",
    "established",
    "closed",
    "note",
    "note_en",
)


@login_required
def park_create(request: HttpRequest) -> HttpResponse:
    require_creator(request.user, Park)
    form = ParkForm(request.POST or None, actor=request.user)
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            data = form.cleaned_data
            try:
                park = records.create_park(
                    actor=request.user,
                    code=data["code"],
                    zone=data["zone"],
                    host=data["host_place"],
                    partners=data["partners"],
                    **{name: data[name] for name in PARK_FIELDS},
                )
            except ServiceError as exc:
                status = refused(exc, form)
            else:
                messages.success(request, _("Park %(name)s created.") % {"name": text_for(park, "name")})
                return redirect("coop_park_detail", code=park.code)
    return record_form(request, form, _("New park"), reverse("coop_park_list"), status)


@login_required
def park_edit(request: HttpRequest, code: str) -> HttpResponse:
    park = changeable(request, Park.objects.select_related("host", "zone"), code=code)
    initial = {name: getattr(park, name) for name in PARK_FIELDS}
    initial.update(
        host=park.host.name,
        host_code=park.host.code,
        partners=";".join(j.code for j in park.partners.order_by("code")),
        version=park.version,
    )
    form = ParkEditForm(request.POST or None, initial=initial, actor=request.user)
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            data = form.cleaned_data
            changes = {name: data[name] for name in PARK_FIELDS}
            changes.update(host=data["host_place"], partners=data["partners"])
            try:
                records.update_park(
                    actor=request.user, park=park, changes=changes, expected_version=data["version"]
                )
            except ServiceError as exc:
                status = refused(exc, form)
            else:
                messages.success(request, _("Park %(name)s saved.") % {"name": text_for(park, "name")})
                return redirect("coop_park_detail", code=park.code)
    title = _("Edit %(name)s") % {"name": text_for(park, "name")}
    return record_form(request, form, title, reverse("coop_park_detail", args=[park.code]), status)


PARK_IMPORT = ImportPage(
    model=Park,
    spec=park_import_spec,
    list_url="coop_park_list",
    template_url="coop_park_import_template",
    template_name=gettext_lazy("parks-template"),
    job_kind="cooperation.park_import",
    job_title=gettext_lazy("Import of parks from %(name)s"),
)


@csrf_exempt
@login_required
def park_import(request: HttpRequest) -> HttpResponse:
    return PARK_IMPORT.view(request)


@login_required
def park_import_template(request: HttpRequest, fmt: str) -> HttpResponse:
    return PARK_IMPORT.template(request, fmt)


# --- enterprises -----------------------------------------------------------------------------------------


@login_required
@cached_list_page
def enterprise_list(request: HttpRequest) -> HttpResponse:
    return render_list(
        request,
        selectors.enterprises(request.user),
        ENTERPRISE_LIST,
        extra=_list_extra(request, "coop_enterprise_create", "coop_enterprise_import"),
    )


@login_required
def enterprise_detail(request: HttpRequest, credit_code: str) -> HttpResponse:
    enterprise = visible(request, selectors.enterprises(request.user), credit_code=credit_code.upper())
    places = selectors.establishments(request.user).filter(enterprise=enterprise).order_by("kind", "pk")
    context = {
        "obj": enterprise,
        "zone": visible_or_none(request.user, enterprise.zone),
        "establishments": places,
        "factors": selectors.factors(request.user)
        .filter(establishment__enterprise=enterprise)
        .order_by("year", "establishment__kind", "establishment_id"),
        "projects": selectors.projects(request.user).filter(enterprise=enterprise),
        "regime": records.apportionment_regime(enterprise),
        "history": record_history(request, enterprise),
        "can_change": can(request.user, "change", enterprise),
    }
    return render(request, "cooperation/enterprise_detail.html", context)


ENTERPRISE_FIELDS = ("name", "name_en", "industry", "note", "note_en")


@login_required
def enterprise_create(request: HttpRequest) -> HttpResponse:
    require_creator(request.user, Enterprise)
    form = EnterpriseForm(request.POST or None, actor=request.user)
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            data = form.cleaned_data
            try:
                enterprise = records.create_enterprise(
                    actor=request.user,
                    credit_code=data["credit_code"],
                    jurisdiction=data["jurisdiction_place"],
                    zone=data["zone"],
                    **{name: data[name] for name in ENTERPRISE_FIELDS},
                )
            except ServiceError as exc:
                status = refused(exc, form)
            else:
                messages.success(
                    request, _("Enterprise %(name)s created.") % {"name": text_for(enterprise, "name")}
                )
                return redirect("coop_enterprise_detail", credit_code=enterprise.credit_code)
    return record_form(request, form, _("New enterprise"), reverse("coop_enterprise_list"), status)


@login_required
def enterprise_edit(request: HttpRequest, credit_code: str) -> HttpResponse:
    enterprise = changeable(request, Enterprise, credit_code=credit_code.upper())
    initial = {name: getattr(enterprise, name) for name in ENTERPRISE_FIELDS}
    form = EnterpriseEditForm(request.POST or None, initial={**initial, "version": enterprise.version})
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            data = form.cleaned_data
            try:
                records.update_enterprise(
                    actor=request.user,
                    enterprise=enterprise,
                    changes={name: data[name] for name in ENTERPRISE_FIELDS},
                    expected_version=data["version"],
                )
            except ServiceError as exc:
                status = refused(exc, form)
            else:
                messages.success(
                    request, _("Enterprise %(name)s saved.") % {"name": text_for(enterprise, "name")}
                )
                return redirect("coop_enterprise_detail", credit_code=enterprise.credit_code)
    title = _("Edit %(name)s") % {"name": text_for(enterprise, "name")}
    return record_form(
        request, form, title, reverse("coop_enterprise_detail", args=[enterprise.credit_code]), status
    )


ENTERPRISE_IMPORT = ImportPage(
    model=Enterprise,
    spec=enterprise_import_spec,
    list_url="coop_enterprise_list",
    template_url="coop_enterprise_import_template",
    template_name=gettext_lazy("enterprises-template"),
    job_kind="cooperation.enterprise_import",
    job_title=gettext_lazy("Import of enterprises from %(name)s"),
)


@csrf_exempt
@login_required
def enterprise_import(request: HttpRequest) -> HttpResponse:
    return ENTERPRISE_IMPORT.view(request)


@login_required
def enterprise_import_template(request: HttpRequest, fmt: str) -> HttpResponse:
    return ENTERPRISE_IMPORT.template(request, fmt)


# --- projects --------------------------------------------------------------------------------------------


@login_required
@cached_list_page
def project_list(request: HttpRequest) -> HttpResponse:
    return render_list(
        request,
        selectors.projects(request.user),
        PROJECT_LIST,
        extra=_list_extra(request, "coop_project_create", "coop_project_import"),
    )


@login_required
def project_detail(request: HttpRequest, code: str) -> HttpResponse:
    project = visible(request, selectors.projects(request.user), code=code)
    steps = allowed_transitions(request.user, [project]).get(project.pk, [])
    context = {
        "obj": project,
        "enterprise": {
            "name": project.visible_enterprise_name or "",
            "name_en": project.visible_enterprise_name_en or "",
        },
        "enterprise_code": project.visible_enterprise_code,
        "steps": steps,
        "history": record_history(request, project),
        "can_change": can(request.user, "change", project),
    }
    return render(request, "cooperation/project_detail.html", context)


PROJECT_FIELDS = (
    "name",
    "name_en",
    "park",
    "enterprise",
    "mode",
    "signed_on",
    "attracted_by",
    "support_measures",
    "support_measures_en",
    "note",
    "note_en",
)
PROJECT_ALIASES = {"investment_fen": "investment"}


@login_required
def project_create(request: HttpRequest) -> HttpResponse:
    require_creator(request.user, Project)
    form = ProjectForm(request.POST or None, actor=request.user)
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            data = form.cleaned_data
            try:
                project = projects.create_project(
                    actor=request.user,
                    code=data["code"],
                    zone=data["zone"],
                    investment_fen=data["investment"] or 0,
                    **{name: data[name] for name in PROJECT_FIELDS},
                )
            except ServiceError as exc:
                status = refused(exc, form, PROJECT_ALIASES)
            else:
                messages.success(
                    request, _("Project %(name)s created.") % {"name": text_for(project, "name")}
                )
                return redirect("coop_project_detail", code=project.code)
    return record_form(request, form, _("New project"), reverse("coop_project_list"), status)


@login_required
def project_edit(request: HttpRequest, code: str) -> HttpResponse:
    project = changeable(request, Project.objects.select_related("enterprise"), code=code)
    initial = {
        name: getattr(project, name) for name in PROJECT_FIELDS if name not in {"enterprise", "attracted_by"}
    }
    initial.update(
        enterprise=project.enterprise.credit_code if project.enterprise_id else "",
        attracted_by=";".join(j.code for j in project.attracted_by.order_by("code")),
        investment=fen_to_yuan_str(project.investment_fen),
        version=project.version,
    )
    form = ProjectEditForm(request.POST or None, initial=initial, actor=request.user)
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            data = form.cleaned_data
            changes = {name: data[name] for name in PROJECT_FIELDS}
            changes["investment_fen"] = data["investment"] or 0
            try:
                projects.update_project(
                    actor=request.user, project=project, changes=changes, expected_version=data["version"]
                )
            except ServiceError as exc:
                status = refused(exc, form, PROJECT_ALIASES)
            else:
                messages.success(request, _("Project %(name)s saved.") % {"name": text_for(project, "name")})
                return redirect("coop_project_detail", code=project.code)
    title = _("Edit %(name)s") % {"name": text_for(project, "name")}
    return record_form(request, form, title, reverse("coop_project_detail", args=[project.code]), status)


@login_required
@require_POST
def project_step(request: HttpRequest, code: str) -> HttpResponse:
    """Take a workflow step (start construction, start production) from the project's page."""
    project = visible(request, Project.objects.all(), code=code)
    form = StepForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("The step could not be read; reload the page and try again."))
        return redirect("coop_project_detail", code=code)
    try:
        projects.step_project(
            actor=request.user,
            project=project,
            step=form.cleaned_data["step"],
            expected_version=form.cleaned_data["version"],
        )
    except ServiceError as exc:
        if exc.status == 403:
            raise PermissionDenied from exc
        if exc.status == 404:
            raise Http404 from exc
        messages.error(request, str(exc.message))
    else:
        messages.success(request, _("Project %(name)s: step taken.") % {"name": text_for(project, "name")})
    return redirect("coop_project_detail", code=code)


PROJECT_IMPORT = ImportPage(
    model=Project,
    spec=project_import_spec,
    list_url="coop_project_list",
    template_url="coop_project_import_template",
    template_name=gettext_lazy("projects-template"),
    job_kind="cooperation.project_import",
    job_title=gettext_lazy("Import of projects from %(name)s"),
)


@csrf_exempt
@login_required
def project_import(request: HttpRequest) -> HttpResponse:
    return PROJECT_IMPORT.view(request)


@login_required
def project_import_template(request: HttpRequest, fmt: str) -> HttpResponse:
    return PROJECT_IMPORT.template(request, fmt)
