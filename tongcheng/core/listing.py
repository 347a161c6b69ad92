"""The generic list page every module reuses: search, filters, sorting, pagination, and .csv/.xlsx export
that runs over the same scoped queryset as the page (so an export never shows more than the list)."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.core.paginator import Paginator
from django.db.models import Q, QuerySet
from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import render
from django.utils.translation import gettext_lazy as _

__all__ = ["Column", "Filter", "ListSpec", "apply_list_params", "export_rows", "page_of", "render_list"]


@dataclass(frozen=True)
class Column:
    name: str  # also the export header and the key of an import
    label: Any
    value: Callable[[Any], Any] | None = None  # defaults to the attribute `name`
    sort: str | None = None  # ORM field to order by, when sortable
    link: bool = False
    # How the page shows the value, when it differs from the exported one (e.g. a choice's label on the
    # page, its code in the export so that an edited export imports again).
    display: Callable[[Any], Any] | None = None

    def get(self, obj: Any) -> Any:
        if self.value is not None:
            return self.value(obj)
        value = obj
        for part in self.name.split("__"):
            value = getattr(value, part, None) if value is not None else None
        return value

    def shown(self, obj: Any) -> Any:
        return self.display(obj) if self.display is not None else self.get(obj)


@dataclass(frozen=True)
class Filter:
    param: str
    label: Any
    lookup: str
    choices: Callable[[Any], list[tuple[str, Any]]]


@dataclass
class ListSpec:
    title: Any
    columns: list[Column]
    search_fields: list[str]
    filters: list[Filter] = field(default_factory=list)
    default_sort: str = ""
    export_name: str = "export"
    detail_url: Callable[[Any], str] | None = None


class _Echo:
    def write(self, value: str) -> str:
        return value


def apply_list_params(qs: QuerySet, spec: ListSpec, params: Any) -> tuple[QuerySet, dict[str, Any]]:
    state: dict[str, Any] = {
        "q": params.get("q", "").strip(),
        "sort": params.get("sort", spec.default_sort),
        "filters": {},
    }
    if state["q"]:
        q = Q()
        for name in spec.search_fields:
            q |= Q(**{name: state["q"]})
        qs = qs.filter(q)
    for flt in spec.filters:
        value = params.get(flt.param, "")
        if value:
            qs = qs.filter(**{flt.lookup: value})
            state["filters"][flt.param] = value
    sortable = {c.name: c.sort for c in spec.columns if c.sort}
    key = state["sort"].lstrip("-")
    if key in sortable:
        qs = qs.order_by(("-" if state["sort"].startswith("-") else "") + sortable[key], "pk")
    else:
        state["sort"] = ""
    return qs, state


def page_of(qs: QuerySet, request: HttpRequest) -> Any:
    paginator = Paginator(qs, settings.TONGCHENG_LIST_PAGE_SIZE)
    return paginator.get_page(request.GET.get("page"))


def _cell(value: Any) -> Any:
    if value is None:
        return ""
    if isinstance(value, (int, float, str)):
        return value
    return str(value)


def export_rows(qs: QuerySet, spec: ListSpec, fmt: str) -> HttpResponse:
    """Stream CSV (UTF-8 with BOM so Excel opens Chinese text) or build an .xlsx of the filtered list."""
    columns = spec.columns
    limit = settings.TONGCHENG_EXPORT_MAX_ROWS
    rows = (tuple(_cell(c.get(obj)) for c in columns) for obj in qs[:limit].iterator(chunk_size=2000))
    header = [c.name for c in columns]
    if fmt == "csv":
        writer = csv.writer(_Echo())

        def stream():
            yield "\ufeff" + writer.writerow(header)
            for row in rows:
                yield writer.writerow(row)

        response = StreamingHttpResponse(stream(), content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="{spec.export_name}.csv"'
        return response
    import xlsxwriter

    buffer = io.BytesIO()
    book = xlsxwriter.Workbook(buffer, {"in_memory": True, "constant_memory": True})
    sheet = book.add_worksheet(str(_("Export"))[:31])
    bold = book.add_format({"bold": True})
    sheet.write_row(0, 0, header, bold)
    for index, row in enumerate(rows, start=1):
        sheet.write_row(index, 0, row)
    book.close()
    response = HttpResponse(
        buffer.getvalue(), content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )
    response["Content-Disposition"] = f'attachment; filename="{spec.export_name}.xlsx"'
    return response


def render_list(
    request: HttpRequest,
    qs: QuerySet,
    spec: ListSpec,
    template: str = "core/list.html",
    extra: dict[str, Any] | None = None,
) -> HttpResponse:
    """The list page, or its export when ``?export=csv|xlsx``: both from the same (scoped) queryset."""
    qs, state = apply_list_params(qs, spec, request.GET)
    fmt = request.GET.get("export")
    if fmt in {"csv", "xlsx"}:
        return export_rows(qs, spec, fmt)
    page = page_of(qs, request)
    rows = [
        {
            "obj": obj,
            "cells": [c.shown(obj) for c in spec.columns],
            "url": spec.detail_url(obj) if spec.detail_url else None,
        }
        for obj in page.object_list
    ]
    query = request.GET.copy()
    query.pop("page", None)
    context = {
        "spec": spec,
        "page": page,
        "rows": rows,
        "state": state,
        "query": query.urlencode(),
        "filter_choices": [(f, f.choices(request.user)) for f in spec.filters],
    }
    context.update(extra or {})
    return render(request, template, context)
