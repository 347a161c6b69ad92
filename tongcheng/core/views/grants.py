"""Role grants: offices give and withdraw roles within the scope they run."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import Case, CharField, Value, When
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.text import capfirst
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from tongcheng.kit.access import can, own_rows_q, scope_of
from tongcheng.kit.audit_text import entry_lines, format_time
from tongcheng.kit.audit_text import who as audit_who
from tongcheng.kit.auditing import action_label
from tongcheng.kit.filters import Choices, Mine
from tongcheng.kit.listing import Column, DateRange, Filter, ListSpec, cached_list_page, render_list
from tongcheng.kit.services import ServiceError, get_visible

from .. import selectors
from ..forms import (
    ConfirmForm,
    GrantForm,
    grant_candidates,
)
from ..models import (
    Role,
    RoleGrant,
)
from ..services import grants

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
        Filter("role", gettext_lazy("Role"), "role", Choices(Role.choices)),
        Filter("user", gettext_lazy("User"), "user__username", _grant_holder_choices),
        Filter("state", gettext_lazy("Status"), "state", Choices(GRANT_STATES.items())),
        Mine(
            "mine",
            gettext_lazy("Granted by"),
            lambda user: own_rows_q(scope_of(user), "granted_by_id"),
            choice_label=gettext_lazy("Given by me"),
        ),
    ],
    date_ranges=[DateRange("start", gettext_lazy("Valid from"), "valid_from")],
    default_sort="username",
    export_name="grants",
    detail_url=lambda g: reverse("grant_detail", args=[g.pk]),
)


@login_required
@cached_list_page
def grant_list(request: HttpRequest) -> HttpResponse:
    _require_office(request.user)
    return render_list(
        request,
        _managed_grants(request.user),
        GRANT_LIST,
        template="core/grant_list.html",
        extra={"create_url": reverse("grant_create")},
    )


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
                field = {"scope": "scope_name"}.get(exc.field or "", exc.field)
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
        "pick_url": reverse("pick"),
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
