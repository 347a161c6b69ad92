"""Pages of agreements, their versions, receipts and imports (docs/access-matrix.md, "Cooperation").

A record out of sight is a 404; a record in sight that the user may not change is a 403. Every page reads
through the selectors (``visible_to``) and writes through the services, as the API does."""

from __future__ import annotations

import json
import re
from itertools import islice
from typing import Any

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

from tongcheng.core.bilingual import text_for
from tongcheng.core.models import AdjacentZone
from tongcheng.kit.access import can, scope_of
from tongcheng.kit.filters import Choices, Code
from tongcheng.kit.history import record_history
from tongcheng.kit.listing import Column, Filter, ListSpec, cached_list_page, render_list
from tongcheng.kit.services import ServiceError, get_visible
from tongcheng.kit.uploads import declared_too_large, limit_uploads, too_large_message
from tongcheng.kit.workflow.transitions import transition_log

from ..models import Agreement, AgreementVersion, VersionStatus, format_yyyymm
from . import canonical, forms, present, selectors, services
from .imports import DATASETS, import_table, template
from .rules import importable_zones

# --- lists -------------------------------------------------------------------------------------------------


def _zone_choices(user: Any) -> list[tuple[str, str]]:
    return [
        (z.code, text_for(z, "name"))
        for z in AdjacentZone.objects.visible_to(user).only("code", "name", "name_en").order_by("name_sort")
    ]


def _versions_summary(agreement: Agreement) -> str:
    return _("%(approved)d approved, %(drafts)d drafts") % {
        "approved": getattr(agreement, "approved_count", 0),
        "drafts": getattr(agreement, "drafts_count", 0),
    }


AGREEMENT_LIST = ListSpec(
    title=gettext_lazy("Cooperation agreements"),
    columns=[
        Column("code", gettext_lazy("Code"), sort="code"),
        Column("title", gettext_lazy("Title"), value=lambda a: text_for(a, "title"), sort="title", link=True),
        Column("zone", gettext_lazy("Zone"), value=lambda a: text_for(a.zone, "name")),
        Column("parties", gettext_lazy("Parties"), value=lambda a: present.parties_shown(a.parties)),
        Column("versions", gettext_lazy("Versions"), value=_versions_summary),
        Column("synthetic", gettext_lazy("Demo data"), value=lambda a: _("Demo data") if a.synthetic else ""),
    ],
    search_fields=["title__icontains", "title_en__icontains", "code__icontains"],
    filters=[Filter("zone", gettext_lazy("Zone"), "zone__code", _zone_choices)],
    default_sort="code",
    export_name="agreements",
    detail_url=lambda a: reverse("agreement_detail", args=[a.code]),
)


class Month:
    """A month bound of a list (``period_from``, ``period_to``): YYYY-MM, compared with the stored YYYYMM."""

    def __init__(self, param: str, label: Any, lookup: str) -> None:
        self.param, self.label, self.lookup = param, label, lookup
        self.pattern = r"[0-9]{4}-(0[1-9]|1[0-2])"

    @property
    def static_values(self) -> None:
        return None

    def choices(self, user: Any) -> None:
        return None

    def refusal(self, value: str, user: Any) -> str | None:
        if re.fullmatch(self.pattern, value):
            return None
        return _("“%(value)s” is not a valid value for %(parameter)s.") % {
            "value": value,
            "parameter": self.label,
        }

    def apply(self, qs: Any, value: str, user: Any) -> Any:
        return qs.filter(**{self.lookup: int(value[:4]) * 100 + int(value[5:])})


def yuan(fen: int) -> str:
    """Fen as 元 with two decimals (an export column the import reads back)."""
    sign = "-" if fen < 0 else ""
    whole, cents = divmod(abs(fen), 100)
    return f"{sign}{whole}.{cents:02d}"


def yuan_shown(fen: int) -> str:
    sign = "-" if fen < 0 else ""
    whole, cents = divmod(abs(fen), 100)
    return f"{sign}{whole:,}.{cents:02d}"


RECEIPT_LIST = ListSpec(
    title=gettext_lazy("Tax receipts"),
    columns=[
        Column("receipt_id", gettext_lazy("Receipt number"), sort="receipt_id"),
        Column("zone", gettext_lazy("Zone"), value=lambda r: text_for(r.zone, "name")),
        Column("enterprise", gettext_lazy("Unified social credit code"), sort="enterprise"),
        Column(
            "jurisdiction",
            gettext_lazy("Collecting jurisdiction code"),
            sort="jurisdiction",
            display=lambda r: f"{r.jurisdiction} {present.party_label(r.jurisdiction)}",
        ),
        Column(
            "period", gettext_lazy("Month collected"), value=lambda r: format_yyyymm(r.period), sort="period"
        ),
        Column("tax_type", gettext_lazy("Tax type"), sort="tax_type"),
        Column(
            "amount_yuan",
            gettext_lazy("Amount (yuan)"),
            value=lambda r: yuan(r.amount_fen),
            sort="amount_fen",
            display=lambda r: yuan_shown(r.amount_fen),
        ),
        Column("project", gettext_lazy("Project")),
    ],
    search_fields=["receipt_id__startswith", "enterprise__startswith", "project__startswith"],
    filters=[
        Filter("zone", gettext_lazy("Zone"), "zone__code", _zone_choices),
        Code("jurisdiction", gettext_lazy("Jurisdiction code"), "jurisdiction", pattern=r"[0-9]{6}"),
        Filter(
            "tax_type",
            gettext_lazy("Tax type"),
            "tax_type",
            Choices((c, f"{c} {zh}") for c, zh, _en in canonical.tax_type_names()),
        ),
        Code("enterprise", gettext_lazy("Credit code"), "enterprise", pattern=r"[0-9A-Z]{18}"),
        Month("period_from", gettext_lazy("From month (YYYY-MM)"), "period__gte"),
        Month("period_to", gettext_lazy("Until month (YYYY-MM)"), "period__lte"),
    ],
    default_sort="-period",
    export_name="receipts",
)


@login_required
@cached_list_page
def agreement_list(request: HttpRequest) -> HttpResponse:
    may_create = AdjacentZone.objects.visible_to(request.user, "change").exists()
    return render_list(
        request,
        selectors.agreements(request.user),
        AGREEMENT_LIST,
        extra={"create_url": reverse("agreement_create") if may_create else None},
    )


@login_required
@cached_list_page
def receipt_list(request: HttpRequest) -> HttpResponse:
    may_import = bool(importable_zones(request.user))
    return render_list(
        request,
        selectors.receipts(request.user),
        RECEIPT_LIST,
        extra={"import_url": reverse("coop_import") if may_import else None},
    )


# --- helpers -----------------------------------------------------------------------------------------------


def _visible(request: HttpRequest, qs: Any, **lookup: Any) -> Any:
    try:
        return get_visible(qs, request.user, **lookup)
    except ServiceError as exc:
        raise Http404 from exc


def _changeable(request: HttpRequest, qs: Any, action: str = "change", **lookup: Any) -> Any:
    obj = _visible(request, qs, **lookup)
    if not can(request.user, action, obj):
        raise PermissionDenied
    return obj


def _version(request: HttpRequest, agreement: str, number: int, action: str = "view") -> AgreementVersion:
    qs = AgreementVersion.objects.select_related("agreement", "agreement__zone")
    if action == "view":
        return _visible(request, qs, agreement__code=agreement, number=number)
    return _changeable(request, qs, action, agreement__code=agreement, number=number)


def _refused_status(exc: ServiceError) -> int:
    if exc.status == 404:
        raise Http404 from exc
    if exc.status == 403:
        raise PermissionDenied from exc
    return exc.status


# --- agreements ----------------------------------------------------------------------------------------------


@login_required
def agreement_detail(request: HttpRequest, agreement: str) -> HttpResponse:
    obj = _visible(request, Agreement.objects.select_related("zone"), code=agreement)
    versions = list(obj.versions.order_by("number"))
    schedule = present.ratio_schedule(obj, versions)
    names = present.division_names()
    context = {
        "agreement": obj,
        "versions": versions,
        "parties": [
            {
                "code": p["jurisdiction"],
                "name": present.party_label(p["jurisdiction"], names),
                "role": p.get("role", ""),
            }
            for p in obj.parties
        ],
        "schedule": schedule,
        "can_change": can(request.user, "change", obj),
        "history": record_history(request, obj),
    }
    return render(request, "cooperation/agreement_detail.html", context)


def _office_zones(user: Any) -> Any:
    return AdjacentZone.objects.visible_to(user, "change").order_by("name_sort")


@login_required
def agreement_create(request: HttpRequest) -> HttpResponse:
    zones = _office_zones(request.user)
    if not zones.exists():
        if AdjacentZone.objects.visible_to(request.user).exists():
            raise PermissionDenied
        raise Http404
    form = forms.AgreementForm(request.POST or None, zones=zones)
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            data = form.cleaned_data
            try:
                agreement = services.create_agreement(
                    actor=request.user,
                    zone=data["zone"],
                    code=data["code"],
                    title=data["title"],
                    title_en=data["title_en"],
                    parties=data["parties"],
                    note=data["note"],
                    note_en=data["note_en"],
                )
            except ServiceError as exc:
                status = _refused_status(exc)
                forms.place_problems(exc, form)
            else:
                messages.success(
                    request,
                    _("Agreement %(title)s created; draft its first version.") % {"title": agreement.title},
                )
                return redirect("agreement_detail", agreement=agreement.code)
    return _form_page(request, form, _("New cooperation agreement"), reverse("agreement_list"), status)


@login_required
def agreement_edit(request: HttpRequest, agreement: str) -> HttpResponse:
    obj = _changeable(request, Agreement.objects.select_related("zone"), code=agreement)
    fixed = obj.versions.exclude(status=VersionStatus.DRAFT).exists()
    initial = {
        "title": obj.title,
        "title_en": obj.title_en,
        "parties": forms.parties_text(obj.parties),
        "note": obj.note,
        "note_en": obj.note_en,
        "version": obj.version,
    }
    form = forms.AgreementEditForm(request.POST or None, initial=initial, parties_fixed=fixed)
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            data = form.cleaned_data
            changes = {k: data[k] for k in ("title", "title_en", "note", "note_en")}
            if not fixed:
                changes["parties"] = data["parties"]
            try:
                services.update_agreement(
                    actor=request.user, agreement=obj, changes=changes, expected_version=data["version"]
                )
            except ServiceError as exc:
                status = _refused_status(exc)
                forms.place_problems(exc, form)
            else:
                messages.success(request, _("Agreement %(title)s saved.") % {"title": obj.title})
                return redirect("agreement_detail", agreement=obj.code)
    return _form_page(
        request, form, _("Edit %(title)s") % {"title": text_for(obj, "title")}, obj.get_absolute_url(), status
    )


def _form_page(
    request: HttpRequest, form: Any, title: Any, back_url: str, status: int, **extra: Any
) -> HttpResponse:
    return render(
        request,
        "cooperation/version_form.html",
        {"form": form, "title": title, "back_url": back_url, **extra},
        status=status,
    )


# --- versions ------------------------------------------------------------------------------------------


def _default_rules(agreement: Agreement) -> dict[str, Any]:
    n = len(agreement.parties) or 1
    share = [10000 // n] * n
    share[0] += 10000 - sum(share)
    return {
        "scope": {"enterprises": []},
        "base": {"kind": "local_share", "fraction_bp": 10000},
        "ratio": {"kind": "fixed", "bp": share},
    }


@login_required
def version_create(request: HttpRequest, agreement: str) -> HttpResponse:
    obj = _changeable(request, Agreement.objects.select_related("zone"), code=agreement)
    source = None
    copy_of = request.GET.get("from", "")
    if copy_of.isdigit():
        source = obj.versions.filter(number=int(copy_of)).first()
    if source is None:
        source = obj.versions.order_by("-number").first()
    initial = forms.initial_from(rules=source.rules if source is not None else _default_rules(obj))
    form = forms.VersionForm(request.POST or None, initial=initial, parties=obj.parties)
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            rules = form.rules()
            if rules is not None:
                data = form.cleaned_data
                try:
                    version = services.create_version(
                        actor=request.user,
                        agreement=obj,
                        effective_from=data["effective_from"],
                        effective_to=data["effective_to"],
                        resolution=data["resolution"],
                        rules=rules,
                        note=data["note"],
                        note_en=data["note_en"],
                    )
                except ServiceError as exc:
                    status = _refused_status(exc)
                    forms.place_problems(exc, form)
                else:
                    messages.success(request, _("Version %(number)d drafted.") % {"number": version.number})
                    return redirect("agreement_version_detail", agreement=obj.code, number=version.number)
    return _form_page(
        request,
        form,
        _("New version of %(title)s") % {"title": text_for(obj, "title")},
        obj.get_absolute_url(),
        status,
        parties=obj.parties,
    )


@login_required
def version_edit(request: HttpRequest, agreement: str, number: int) -> HttpResponse:
    version = _version(request, agreement, number, "change")
    if not version.is_draft:
        messages.info(
            request,
            _("Version %(number)d is no longer a draft: draft a new version instead.")
            % {"number": version.number},
        )
        return redirect(version.get_absolute_url())
    form = forms.VersionForm(
        request.POST or None, initial=forms.initial_from(version), parties=version.agreement.parties
    )
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            rules = form.rules()
            if rules is not None:
                data = form.cleaned_data
                changes = {
                    "effective_from": data["effective_from"],
                    "effective_to": data["effective_to"],
                    "resolution": data["resolution"],
                    "rules": rules,
                    "note": data["note"],
                    "note_en": data["note_en"],
                }
                try:
                    services.update_version(
                        actor=request.user, version=version, changes=changes, expected_version=data["version"]
                    )
                except ServiceError as exc:
                    status = _refused_status(exc)
                    forms.place_problems(exc, form)
                else:
                    messages.success(request, _("Version %(number)d saved.") % {"number": version.number})
                    return redirect(version.get_absolute_url())
    return _form_page(
        request,
        form,
        _("Edit version %(number)d of %(title)s")
        % {"number": version.number, "title": text_for(version.agreement, "title")},
        version.get_absolute_url(),
        status,
        parties=version.agreement.parties,
    )


def _version_page(
    request: HttpRequest, version: AgreementVersion, status: int = 200, problems: Any = None
) -> HttpResponse:
    agreement = version.agreement
    document = canonical.version_document(
        agreement.code,
        agreement.title,
        agreement.parties,
        version.effective_from,
        version.effective_to,
        version.rules,
    )
    approval = services.version_problems(agreement, version) if version.is_draft else []
    context = {
        "agreement": agreement,
        "version": version,
        "schedule": present.ratio_schedule(agreement, [version]),
        "words": present.rules_in_words(version),
        "document": json.dumps({"agreements": [document]}, ensure_ascii=False, indent=2),
        "approval_problems": problems or approval,
        "can_change": version.is_draft and can(request.user, "change", version),
        "can_approve": version.is_draft and can(request.user, "approve", version),
        "can_preview": preview_allowed(request.user, agreement.zone),
        "log": transition_log(request.user, version),
        "history": record_history(request, version),
        "decision_form": forms.DecisionForm(initial={"version": version.version}),
    }
    return render(request, "cooperation/version_detail.html", context, status=status)


@login_required
def version_detail(request: HttpRequest, agreement: str, number: int) -> HttpResponse:
    return _version_page(request, _version(request, agreement, number))


@login_required
@require_POST
def version_approve(request: HttpRequest, agreement: str, number: int) -> HttpResponse:
    version = _version(request, agreement, number, "approve")
    form = forms.DecisionForm(request.POST)
    if not form.is_valid():
        return _version_page(
            request,
            version,
            status=400,
            problems=[canonical.Problem("version", _("Reload the page and try again."))],
        )
    try:
        services.approve_version(
            actor=request.user,
            version=version,
            expected_version=form.cleaned_data["version"],
            note=form.cleaned_data["note"],
        )
    except ServiceError as exc:
        status = _refused_status(exc)
        items = exc.errors or [{"field": exc.field or "", "message": str(exc.message)}]
        version.refresh_from_db()
        return _version_page(
            request,
            version,
            status=status,
            problems=[canonical.Problem(i.get("field") or "", str(i.get("message"))) for i in items],
        )
    messages.success(request, _("Version %(number)d approved.") % {"number": version.number})
    return redirect(version.get_absolute_url())


def preview_allowed(user: Any, zone: AdjacentZone) -> bool:
    """Who may see a what-if preview (amounts per party from the zone's receipts): the zone's office, leader
    and auditor, and the finance bureaus of the zone."""
    scope = scope_of(user)
    return scope.superuser or zone.pk in scope.zone_ids(("office", "leader", "auditor", "finance"))


# --- imports -------------------------------------------------------------------------------------------------


def upload_limit() -> int:
    """Receipts come by the million: their uploads may be larger than other imports' (streamed to disk)."""
    return int(getattr(settings, "TONGCHENG_COOP_UPLOAD_MAX_BYTES", 512 * 1024 * 1024))


def _datasets(user: Any) -> list[tuple[str, Any]]:
    return [(name, d.title) for name, d in DATASETS.items() if importable_zones(user, name)]


def _may_import(request: HttpRequest) -> None:
    if not _datasets(request.user):
        if AdjacentZone.objects.visible_to(request.user).exists():
            raise PermissionDenied
        raise Http404


def _import_form(request: HttpRequest, data: Any = None, files: Any = None) -> forms.ImportForm:
    zones = AdjacentZone.objects.filter(pk__in=[z.pk for z in importable_zones(request.user)]).order_by(
        "name_sort"
    )
    return forms.ImportForm(data, files, zones=zones, datasets=_datasets(request.user))


def _import_page(request: HttpRequest, form: Any, outcome: Any = None, status: int = 200) -> HttpResponse:
    context = {
        "form": form,
        "result": outcome,
        "back_url": reverse("receipt_list"),
        "templates": [
            (
                d.title,
                [(fmt.upper(), reverse("coop_import_template", args=[name, fmt])) for fmt in ("xlsx", "csv")],
            )
            for name, d in DATASETS.items()
        ],
    }
    return render(request, "cooperation/import.html", context, status=status)


@login_required
def import_template_view(request: HttpRequest, dataset: str, fmt: str) -> HttpResponse:
    _may_import(request)
    if dataset not in DATASETS or fmt not in ("csv", "xlsx"):
        raise Http404
    return template(dataset, fmt)


def _refused_upload(request: HttpRequest, message: str, status: int) -> HttpResponse:
    form = _import_form(request)
    form.cleaned_data = {}
    form.add_error("file", message)
    return _import_page(request, form, status=status)


# CSRF is checked once the user is known to be allowed and the body's size acceptable (as core's import).
@csrf_exempt
@login_required
def coop_import(request: HttpRequest) -> HttpResponse:
    if not _datasets(request.user):
        request.csrf_processing_done = True  # type: ignore[attr-defined]
        _may_import(request)
    limit = upload_limit()
    if request.method == "POST":
        if declared_too_large(request, limit):
            return _refused_upload(request, too_large_message(limit), 413)
        limit_uploads(request, limit)
        try:
            request.POST  # noqa: B018 - parsed here, with the limit in place
        except MultiPartParserError:
            return _refused_upload(request, _("The upload could not be read; send the file again."), 400)
        if request.upload_too_large:  # type: ignore[attr-defined]
            return _refused_upload(request, too_large_message(limit), 413)
    return _coop_import_checked(request)


@csrf_protect
def _coop_import_checked(request: HttpRequest) -> HttpResponse:
    if request.method != "POST":
        return _import_page(request, _import_form(request))
    form = _import_form(request, request.POST, request.FILES)
    if not form.is_valid():
        return _import_page(request, form, status=400)
    data = form.cleaned_data
    upload = data["file"]
    from .jobs import start_import

    if data["apply_good_rows"] or _longer_than_inline(upload):
        job = start_import(
            request.user, data["zone"], data["dataset"], upload, apply_good_rows=data["apply_good_rows"]
        )
        messages.info(
            request,
            _(
                "The file is imported in the background; this page shows how far it got and offers the rejected rows."
            ),
        )
        return redirect(job.get_absolute_url())
    try:
        outcome = import_table(request.user, data["zone"], data["dataset"], upload.name, upload.file)
    except ServiceError as exc:
        _refused_status(exc)
        raise
    if outcome.applied:
        messages.success(
            request,
            _("%(created)d created, %(updated)d updated, %(unchanged)d unchanged.")
            % {"created": outcome.created, "updated": outcome.updated, "unchanged": outcome.unchanged},
        )
    return _import_page(request, form, outcome, status=200 if outcome.applied else 400)


def _longer_than_inline(upload: Any) -> bool:
    """Whether the upload has more rows than an import answers within its request (counted, not kept)."""
    from tongcheng.kit import tables

    inline = int(settings.TONGCHENG_IMPORT_INLINE_MAX_ROWS)
    try:
        upload.file.seek(0)
        rows = tables.read_rows(upload.name, upload.file, kinds=("csv", "xlsx"))
        long = sum(1 for _row in islice(rows, inline + 1)) > inline
    except tables.TableError:
        long = False  # the import reports it
    upload.file.seek(0)
    return long
