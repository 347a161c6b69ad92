"""The what-if preview page of a version (sharing/preview.py)."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from tongcheng.core.bilingual import text_for

from . import present
from .preview import preview_version
from .views import _version, preview_allowed, yuan_shown


@login_required
def version_preview(request: HttpRequest, agreement: str, number: int) -> HttpResponse:
    version = _version(request, agreement, number)
    if not preview_allowed(request.user, version.agreement.zone):
        raise PermissionDenied
    result = preview_version(version)
    rows = [
        {
            "name": p.name,
            "code": p.jurisdiction,
            "role": p.role,
            "approved": yuan_shown(p.approved_fen),
            "draft": yuan_shown(p.draft_fen),
            "difference": ("+" if p.difference_fen > 0 else "") + yuan_shown(p.difference_fen),
            "sign": (p.difference_fen > 0) - (p.difference_fen < 0),
        }
        for p in result.parties
    ]
    months = [
        {
            "period": m["period"],
            "cells": [("+" if d > 0 else "") + yuan_shown(d) for d in m["difference"]],
        }
        for m in result.months
    ]
    context = {
        "agreement": version.agreement,
        "title": text_for(version.agreement, "title"),
        "version": version,
        "preview": result,
        "rows": rows,
        "months": months,
        "parties": [present.party_label(p["jurisdiction"]) for p in version.agreement.parties],
        "approved_total": yuan_shown(result.approved_total),
        "draft_total": yuan_shown(result.draft_total),
    }
    return render(request, "cooperation/version_preview.html", context)
