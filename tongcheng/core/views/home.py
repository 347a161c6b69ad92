"""The home page and the health check."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render

from tongcheng.kit.access import scope_of

from ..models import (
    AdjacentZone,
    Jurisdiction,
    Organisation,
)


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
