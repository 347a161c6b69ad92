"""Pages of the jurisdictions (GB/T 2260 registry)."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from tongcheng.kit.access import scope_of
from tongcheng.kit.filters import Choices, Code, Mine
from tongcheng.kit.history import record_history
from tongcheng.kit.listing import Column, DateRange, Filter, ListSpec, boolean, cached_list_page, render_list
from tongcheng.kit.services import ServiceError, get_visible

from .. import selectors
from ..bilingual import text_for
from ..models import (
    AdjacentZone,
    Jurisdiction,
    JurisdictionLevel,
)
from ..scope import STAFF_ROLES

DIVISION_CODE = r"\d{6}(\d{3})?"  # GB/T 2260, or a township's nine digits

# --- jurisdictions ---------------------------------------------------------------------------------------

JURISDICTION_LIST = ListSpec(
    title=gettext_lazy("Jurisdictions"),
    columns=[
        Column("code", gettext_lazy("Code"), sort="code", link=True),
        Column("name", gettext_lazy("Name"), sort="name_sort"),
        Column("name_en", gettext_lazy("English name")),
        Column("level", gettext_lazy("Level"), value=lambda j: j.get_level_display()),
        Column(
            "parent",
            gettext_lazy("Parent"),
            value=lambda j: j.parent.name if j.parent else "",
            display=lambda j: text_for(j.parent, "name") if j.parent else "",
        ),
        # A start no source gives is "unknown", never the 1980 floor lookups use.
        Column(
            "valid_from",
            gettext_lazy("Valid from"),
            sort="valid_from",
            value=lambda j: j.known_valid_from,
            display=lambda j: j.known_valid_from or _("start unknown"),
        ),
        Column("valid_to", gettext_lazy("Valid to"), sort="valid_to"),
    ],
    search_fields=["code__startswith", "name__icontains", "name_en__icontains"],
    filters=[
        Filter("level", gettext_lazy("Level"), "level", Choices(JurisdictionLevel.choices)),
        Filter(
            "status",
            gettext_lazy("Status"),
            "valid_to__isnull",
            Choices([("True", gettext_lazy("Current")), ("False", gettext_lazy("Former"))]),
            parse=boolean,
        ),
        Code("parent", gettext_lazy("Parent code"), "parent__code", pattern=DIVISION_CODE),
        Mine(
            "mine",
            gettext_lazy("Territory"),
            lambda user: scope_of(user).path_q(STAFF_ROLES, "path"),
            choice_label=gettext_lazy("In my territory"),
        ),
    ],
    date_ranges=[DateRange("valid", gettext_lazy("Valid from"), "valid_from")],
    default_sort="code",
    export_name="jurisdictions",
    detail_url=lambda j: reverse("jurisdiction_detail", args=[j.code]) + f"?at={j.valid_from.isoformat()}",
)


@login_required
@cached_list_page
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
