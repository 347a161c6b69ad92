"""Pages of settlements (docs/access-matrix.md, "Settlements"): the list (list cache), a new settlement (its
computation runs as a job: the page goes to the job's page), the detail with each party's confirmation, the
steps (compute, submit, confirm, reject, finalise) and the statements. A settlement out of sight is a 404, a
step the user may not take a 403; a refused step shows the page again with the reason."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from tongcheng.core.bilingual import text_for
from tongcheng.core.models import AdjacentZone
from tongcheng.kit import documents as d
from tongcheng.kit.access import can
from tongcheng.kit.filters import Choices
from tongcheng.kit.listing import Column, Filter, ListSpec, cached_list_page, render_list
from tongcheng.kit.services import ServiceError, get_visible
from tongcheng.kit.workflow import confirmations
from tongcheng.kit.workflow.transitions import transition_log

from ..models import LineKind, Settlement, SettlementStatus
from ..sharing import present
from ..sharing.rules import office_q
from ..sharing.views import yuan_shown
from . import services
from .rules import lines_for
from .statements import statement_pdf, statement_xlsx

MAX_LINES_SHOWN = 500


def _zone_choices(user: Any) -> list[tuple[str, str]]:
    return [
        (z.code, text_for(z, "name"))
        for z in AdjacentZone.objects.visible_to(user).only("code", "name", "name_en").order_by("name_sort")
    ]


SETTLEMENT_LIST = ListSpec(
    title=gettext_lazy("Settlements"),
    columns=[
        Column("number", gettext_lazy("Number"), sort="number", link=True),
        Column("zone", gettext_lazy("Zone"), value=lambda s: text_for(s.zone, "name")),
        Column("period", gettext_lazy("Period"), value=lambda s: s.period_label, sort="first"),
        Column("status", gettext_lazy("Status"), value=lambda s: s.get_status_display(), sort="status"),
        Column(
            "total_yuan",
            gettext_lazy("Total shared (yuan)"),
            value=lambda s: yuan_shown(s.total_fen),
            sort="total_fen",
        ),
    ],
    search_fields=["number__icontains"],
    filters=[
        Filter("zone", gettext_lazy("Zone"), "zone__code", _zone_choices),
        Filter("status", gettext_lazy("Status"), "status", Choices(SettlementStatus.choices)),
    ],
    default_sort="-number",
    export_name="settlements",
    detail_url=lambda s: reverse("settlement_detail", args=[s.number]),
)


def settlements(user: Any, action: str = "view") -> Any:
    return Settlement.objects.visible_to(user, action).select_related("zone")


def office_zones(user: Any) -> list[AdjacentZone]:
    """The zones whose settlements the user may create (their office)."""
    from tongcheng.kit.access import NONE, scope_of

    scope = scope_of(user)
    qs = AdjacentZone.objects.visible_to(user)
    if scope.superuser:
        return list(qs.order_by("name_sort"))
    q = office_q(scope, "pk", "metro_id")
    return [] if q is NONE else list(qs.filter(q).order_by("name_sort"))


@login_required
@cached_list_page
def settlement_list(request: HttpRequest) -> HttpResponse:
    may_create = bool(office_zones(request.user))
    return render_list(
        request,
        settlements(request.user),
        SETTLEMENT_LIST,
        extra={"create_url": reverse("settlement_create") if may_create else None},
    )


class SettlementForm(forms.Form):
    zone = forms.ModelChoiceField(
        label=gettext_lazy("Zone"), queryset=AdjacentZone.objects.none(), to_field_name="code"
    )
    first = forms.RegexField(label=gettext_lazy("First month (YYYY-MM)"), regex=r"^[0-9]{4}-(0[1-9]|1[0-2])$")
    last = forms.RegexField(label=gettext_lazy("Last month (YYYY-MM)"), regex=r"^[0-9]{4}-(0[1-9]|1[0-2])$")
    note = forms.CharField(
        label=gettext_lazy("Note"), required=False, max_length=5000, widget=forms.Textarea(attrs={"rows": 2})
    )

    def __init__(self, *args: Any, zones: list[AdjacentZone], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["zone"].queryset = AdjacentZone.objects.filter(pk__in=[z.pk for z in zones]).order_by(
            "name_sort"
        )
        for field in self.fields.values():
            field.widget.attrs.setdefault("class", "form-control")


def _raise_for(exc: ServiceError) -> int:
    if exc.status == 404:
        raise Http404 from exc
    if exc.status == 403:
        raise PermissionDenied from exc
    return exc.status or 400


@login_required
def settlement_create(request: HttpRequest) -> HttpResponse:
    zones = office_zones(request.user)
    if not zones:
        raise PermissionDenied
    form = SettlementForm(request.POST or None, zones=zones)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                with transaction.atomic():
                    settlement = services.create_settlement(
                        actor=request.user,
                        zone=form.cleaned_data["zone"],
                        first=form.cleaned_data["first"],
                        last=form.cleaned_data["last"],
                        note=form.cleaned_data["note"],
                    )
                    job = services.start_computation(request.user, settlement)
            except ServiceError as exc:
                status = _raise_for(exc)
                form.add_error(exc.field if exc.field in form.fields else None, str(exc.message))
            else:
                messages.success(
                    request,
                    _("Settlement %(number)s created; it is being computed.") % {"number": settlement.number},
                )
                return redirect(job.get_absolute_url())
        else:
            status = 400
    return render(request, "cooperation/settlement_form.html", {"form": form}, status=status)


def _settlement(request: HttpRequest, number: str, action: str = "view") -> Settlement:
    try:
        return get_visible(settlements(request.user), request.user, action, number=number)
    except ServiceError as exc:
        raise Http404 from exc


def detail_context(user: Any, settlement: Settlement) -> dict[str, Any]:
    names = present.division_names()
    answers = {
        r.jurisdiction.code: r for r in confirmations._current_round(settlement) if r.jurisdiction is not None
    }
    parties = []
    for code in settlement.parties.values_list("jurisdiction", flat=True):
        row = answers.get(code)
        parties.append(
            {
                "code": code,
                "name": present.party_label(code, names),
                "status": row.get_status_display() if row else _("Not asked yet"),
                "state": row.status if row else "",
                "by": row.decided_by_name if row and row.decided_at else "",
                "at": row.decided_at if row else None,
                "reason": row.reason if row else "",
            }
        )
    lines = list(
        lines_for(user, settlement).order_by("kind", "agreement", "jurisdiction", "tax_type", "payee", "id")[
            : MAX_LINES_SHOWN + 1
        ]
    )
    shown = [
        {
            "kind": line.get_kind_display(),
            "agreement": line.agreement,
            "party": present.party_label(line.jurisdiction, names),
            "payee": present.party_label(line.payee, names) if line.payee else "",
            "tax_type": line.tax_type,
            "base": yuan_shown(line.base_fen) if line.kind == LineKind.SHARE else "",
            "amount": yuan_shown(line.amount_fen),
            "corrects": f"{line.corrects} {line.corrects_period}".strip(),
        }
        for line in lines[:MAX_LINES_SHOWN]
    ]
    state = confirmations.confirmation_state(settlement)
    may = {
        "change": can(user, "change", settlement),
        "confirm": can(user, "confirm", settlement),
        "finalise": can(user, "finalise", settlement),
    }
    status = settlement.status
    return {
        "settlement": settlement,
        "parties": parties,
        "lines": shown,
        "more_lines": len(lines) > MAX_LINES_SHOWN,
        "total": yuan_shown(settlement.total_fen),
        "state": state,
        "can_compute": may["change"] and status == "draft",  # also restarts a computation that died
        "can_submit": may["change"] and status == "draft" and settlement.run > 0 and not settlement.computing,
        "can_confirm": may["confirm"] and status == "submitted" and state == confirmations.PENDING,
        "can_finalise": may["finalise"] and status == "submitted" and state == confirmations.COMPLETE,
        "log": transition_log(user, settlement),
    }


def _page(request: HttpRequest, settlement: Settlement, status: int = 200, problem: str = "") -> HttpResponse:
    context = detail_context(request.user, settlement)
    context["problem"] = problem
    return render(request, "cooperation/settlement_detail.html", context, status=status)


@login_required
def settlement_detail(request: HttpRequest, number: str) -> HttpResponse:
    return _page(request, _settlement(request, number))


class StepForm(forms.Form):
    version = forms.IntegerField(min_value=1)
    reason = forms.CharField(required=False, max_length=5000)


def _step(request: HttpRequest, number: str, action: str, run: Any, done: str) -> HttpResponse:
    settlement = _settlement(request, number)
    form = StepForm(request.POST)
    if not form.is_valid():
        return _page(request, settlement, status=400, problem=_("Reload the page and try again."))
    try:
        result = run(settlement, form.cleaned_data)
    except ServiceError as exc:
        status = _raise_for(exc)
        settlement.refresh_from_db()
        return _page(request, settlement, status=status, problem=str(exc.message))
    messages.success(request, done % {"number": settlement.number})
    if hasattr(result, "get_absolute_url") and not isinstance(result, Settlement):
        return redirect(result.get_absolute_url())
    return redirect(settlement.get_absolute_url())


@login_required
@require_POST
def settlement_compute(request: HttpRequest, number: str) -> HttpResponse:
    def run(s: Settlement, data: dict[str, Any]) -> Any:
        with transaction.atomic():
            fresh = services.recompute_settlement(
                actor=request.user, settlement=s, expected_version=data["version"]
            )
            return services.start_computation(request.user, fresh)

    return _step(request, number, "change", run, _("Settlement %(number)s is being computed again."))


@login_required
@require_POST
def settlement_submit(request: HttpRequest, number: str) -> HttpResponse:
    return _step(
        request,
        number,
        "change",
        lambda s, data: services.submit_settlement(
            actor=request.user, settlement=s, expected_version=data["version"]
        ),
        _("Settlement %(number)s submitted for confirmation."),
    )


@login_required
@require_POST
def settlement_confirm(request: HttpRequest, number: str) -> HttpResponse:
    return _step(
        request,
        number,
        "confirm",
        lambda s, data: services.confirm_settlement(
            actor=request.user, settlement=s, expected_version=data["version"]
        ),
        _("Settlement %(number)s confirmed."),
    )


@login_required
@require_POST
def settlement_reject(request: HttpRequest, number: str) -> HttpResponse:
    return _step(
        request,
        number,
        "confirm",
        lambda s, data: services.reject_settlement(actor=request.user, settlement=s, reason=data["reason"]),
        _("Settlement %(number)s returned to draft."),
    )


@login_required
@require_POST
def settlement_finalise(request: HttpRequest, number: str) -> HttpResponse:
    return _step(
        request,
        number,
        "finalise",
        lambda s, data: services.finalise_settlement(
            actor=request.user, settlement=s, expected_version=data["version"]
        ),
        _("Settlement %(number)s is final."),
    )


def statement_name(settlement: Settlement, ext: str) -> str:
    return f"{settlement.number}.{ext}"


@login_required
def settlement_statement(request: HttpRequest, number: str, fmt: str) -> HttpResponse:
    settlement = _settlement(request, number)
    lines = lines_for(request.user, settlement)
    if fmt == "xlsx":
        return d.document_response(
            statement_xlsx(settlement, lines), statement_name(settlement, "xlsx"), d.XLSX_MEDIA_TYPE
        )
    if fmt == "pdf":
        return d.document_response(statement_pdf(settlement, lines), statement_name(settlement, "pdf"))
    raise Http404
