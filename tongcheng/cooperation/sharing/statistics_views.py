"""The statistical split page of a zone (sharing/statistics.py) and its .xlsx/.csv export, in the user's
language."""

from __future__ import annotations

import csv
import io
from typing import Any

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _

from tongcheng.kit.documents import XLSX_MEDIA_TYPE, Column, Sheet, document_response, xlsx_workbook
from tongcheng.kit.services import NotFoundError, ValidationFailed
from tongcheng.kit.textsafety import csv_row

from .statistics import StatisticalSplit, default_months, find_zone, statistical_split


def _yes(flag: bool) -> str:
    return _("Yes") if flag else _("No")


def _method(method: str) -> str:
    return {"ratio": _("agreed ratio"), "in_place": _("where the activity is")}.get(method, method)


def export_table(split: StatisticalSplit) -> tuple[list[str], list[list[Any]]]:
    """The monthly lines as the export writes them: headers and values in the user's language."""
    header = [
        _("Indicator"),
        _("Month"),
        _("Agreement"),
        _("Party"),
        _("Jurisdiction code"),
        _("Role"),
        _("Total"),
        _("Attributed"),
        _("Appraisal figure"),
        _("Appraisal only"),
        _("Method"),
    ]
    rows = [
        [
            line.indicator_label,
            line.period,
            line.agreement_title or line.agreement,
            line.party,
            line.jurisdiction,
            line.role_label,
            line.total,
            line.attributed,
            line.appraisal,
            _yes(line.appraisal_only),
            _method(line.method),
        ]
        for line in split.lines
    ]
    return header, rows


def _export(split: StatisticalSplit, fmt: str) -> HttpResponse:
    header, rows = export_table(split)
    name = f"statistics-{split.zone.code}-{split.first}-{split.last}"
    if fmt == "csv":
        out = io.StringIO()
        writer = csv.writer(out)
        writer.writerow(csv_row(header))
        for row in rows:
            writer.writerow(csv_row(row))
        response = HttpResponse(
            ("\ufeff" + out.getvalue()).encode("utf-8"), content_type="text/csv; charset=utf-8"
        )
        response["Content-Disposition"] = f'attachment; filename="{name}.csv"'
        return response
    columns = [Column(h, "integer" if 6 <= i <= 8 else "text") for i, h in enumerate(header)]
    sheet = Sheet(_("Statistical split"), columns, rows)
    return document_response(xlsx_workbook([sheet]), f"{name}.xlsx", XLSX_MEDIA_TYPE)


@login_required
def zone_statistics(request: HttpRequest, code: str) -> HttpResponse:
    try:
        zone = find_zone(request.user, code)
    except NotFoundError:
        raise Http404 from None
    first_default, last_default = default_months(timezone.localdate())
    first = request.GET.get("from") or first_default
    last = request.GET.get("to") or last_default
    split, error, status = None, None, 200
    try:
        split = statistical_split(request.user, zone, first, last)
    except ValidationFailed as exc:
        error, status = exc, 422
    fmt = request.GET.get("export")
    if split is not None and fmt in ("csv", "xlsx"):
        return _export(split, fmt)
    context = {
        "zone": zone,
        "first": first,
        "last": last,
        "split": split,
        "groups": split.by_indicator() if split else [],
        "error": error,
    }
    return render(request, "cooperation/statistics.html", context, status=status)
