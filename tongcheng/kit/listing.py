"""The generic list page every module reuses: search, filters, sorting, pagination, and .csv/.xlsx export
that runs over the same scoped queryset as the page (so an export never shows more than the list)."""

from __future__ import annotations

import csv
import datetime as dt
import functools
import io
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.core.paginator import Paginator
from django.db import models
from django.db.models import Q, QuerySet
from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from tongcheng.kit import pagecache
from tongcheng.kit.textsafety import csv_row, write_xlsx_row

__all__ = [
    "Column",
    "DateRange",
    "Filter",
    "ListSpec",
    "apply_list_params",
    "boolean",
    "export_rows",
    "page_of",
    "render_list",
]


@dataclass(frozen=True)
class Column:
    name: str  # the column's stable name (sorting, and accepted as an import header)
    label: Any  # the header of the page and of the export, in the user's language
    # The value in words, as the export writes it: a choice's label rather than its code, a name rather
    # than an id (an importable list's import reads it back, see ImportColumn.choices). Defaults to the
    # attribute ``name``; True/False are written Yes/No.
    value: Callable[[Any], Any] | None = None
    sort: str | None = None  # ORM field to order by, when sortable
    link: bool = False
    # How the page shows the value, when it differs from the export (e.g. one line per change).
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


def boolean(value: str) -> bool:
    """The lookup value of a "True"/"False" choice (e.g. for an ``__isnull`` lookup)."""
    return value == "True"


@dataclass(frozen=True)
class Filter:
    """A filter whose values the page offers (a select). Other kinds — "mine", "overdue", a free code —
    are in ``kit/filters.py``; every kind answers ``choices(user)``, ``refusal(value, user)`` and
    ``apply(qs, value, user)``, so the page and the API (``kit.filters.api_list``) treat them alike."""

    param: str
    label: Any
    lookup: str
    # The values the page offers, with their labels; any other value is refused (a 400 naming it). A
    # ``kit.filters.Choices`` (fixed values) is also published as the API parameter's enum.
    choices: Callable[[Any], list[tuple[str, Any]]]
    # Turns an offered value into the lookup's value; by default the text itself, and True/False for an
    # ``__isnull`` lookup, whose choices are "True"/"False".
    parse: Callable[[str], Any] | None = None

    def lookup_value(self, value: str) -> Any:
        if self.parse is not None:
            return self.parse(value)
        return boolean(value) if self.lookup.endswith("__isnull") else value

    def refusal(self, value: str, user: Any) -> str | None:
        """The message refusing ``value``, or None when the page offers it."""
        if value not in {str(v) for v, _label in self.choices(user)}:
            return _invalid(value, self.label)
        return None

    def apply(self, qs: QuerySet, value: str, user: Any) -> QuerySet:
        return qs.filter(**{self.lookup: self.lookup_value(value)})


@dataclass(frozen=True)
class DateRange:
    """A "from"/"to" pair of days on a date or date-time field (``<param>_from``, ``<param>_to``; either may
    be left empty). Both days are included, in the site's time zone. A value that is not a day
    (YYYY-MM-DD), or a start after the end, is refused like any other parameter the page does not offer."""

    param: str
    label: Any
    field: str  # the model field (may follow relations: "case__received_at")

    @property
    def params(self) -> tuple[str, str]:
        return f"{self.param}_from", f"{self.param}_to"

    def bound_labels(self) -> tuple[str, str]:
        return (
            _("%(label)s from") % {"label": self.label},
            _("%(label)s to") % {"label": self.label},
        )

    def inputs(self, state: dict[str, Any]) -> list[tuple[str, str, str]]:
        """(parameter, label, value) of the two inputs, for the page's filter form."""
        return [
            (name, label, state["dates"].get(name, ""))
            for name, label in zip(self.params, self.bound_labels(), strict=True)
        ]

    def _is_datetime(self, model: type[models.Model]) -> bool:
        current: Any = model
        target: Any = None
        for part in self.field.split("__"):
            target = current._meta.get_field(part)
            current = target.related_model
        return isinstance(target, models.DateTimeField)

    def apply(self, qs: QuerySet, start: dt.date | None, end: dt.date | None) -> QuerySet:
        # A date-time field is compared with the bounds of the days (an index stays usable, which a
        # __date lookup would not allow).
        if self._is_datetime(qs.model):
            zone = timezone.get_current_timezone()
            if start is not None:
                qs = qs.filter(**{f"{self.field}__gte": dt.datetime.combine(start, dt.time.min, zone)})
            if end is not None:
                after = dt.datetime.combine(end + dt.timedelta(days=1), dt.time.min, zone)
                qs = qs.filter(**{f"{self.field}__lt": after})
            return qs
        if start is not None:
            qs = qs.filter(**{f"{self.field}__gte": start})
        if end is not None:
            qs = qs.filter(**{f"{self.field}__lte": end})
        return qs


def _day(text: str) -> dt.date | None:
    """A day written YYYY-MM-DD (what a date input sends); None for anything else."""
    if len(text) != 10 or not text.isascii():
        return None
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        return None


@dataclass
class ListSpec:
    title: Any
    columns: list[Column]
    search_fields: list[str]
    filters: list[Filter] = field(default_factory=list)
    date_ranges: list[DateRange] = field(default_factory=list)
    default_sort: str = ""
    export_name: str = "export"
    detail_url: Callable[[Any], str] | None = None


class _Echo:
    def write(self, value: str) -> str:
        return value


def _invalid(value: str, label: Any) -> str:
    return _("“%(value)s” is not a valid value for %(parameter)s.") % {"value": value, "parameter": label}


def apply_list_params(
    qs: QuerySet, spec: ListSpec, params: Any, user: Any = None
) -> tuple[QuerySet, dict[str, Any]]:
    """Search, filters and sorting from the query string (the page's GET, or the API's query parameters
    through ``kit.filters.api_list``). A filter or sort value the list does not offer is left out and
    reported in ``state["errors"]`` (its message) and ``state["problems"]`` (parameter, code, message):
    the page then answers 400 naming it, the API 422."""
    state: dict[str, Any] = {
        "q": (params.get("q") or "").strip(),
        "sort": params.get("sort") or spec.default_sort,
        "filters": {},
        "dates": {},
        "errors": [],
        "problems": [],
        "ignored": set(),
    }
    if state["q"]:
        q = Q()
        for name in spec.search_fields:
            q |= Q(**{name: state["q"]})
        qs = qs.filter(q)
    for flt in spec.filters:
        value = (params.get(flt.param) or "").strip()
        if not value:
            continue
        refusal = flt.refusal(value, user)
        if refusal is not None:
            _problem(state, flt.param, "invalid_choice", refusal)
            continue
        qs = flt.apply(qs, value, user)
        state["filters"][flt.param] = value
    for span in spec.date_ranges:
        qs = _apply_date_range(qs, span, params, state)
    sortable = {c.name: c.sort for c in spec.columns if c.sort}
    key = state["sort"].lstrip("-")
    if key in sortable and state["sort"] in (key, "-" + key):
        qs = qs.order_by(("-" if state["sort"].startswith("-") else "") + sortable[key], "pk")
    else:
        if state["sort"]:
            _problem(state, "sort", "invalid_choice", _invalid(state["sort"], _("Sort")))
        state["sort"] = ""
    return qs, state


def _problem(state: dict[str, Any], param: str, code: str, message: Any) -> None:
    state["errors"].append(message)
    state["problems"].append({"field": param, "code": code, "message": str(message)})
    state["ignored"].add(param)


def _apply_date_range(qs: QuerySet, span: DateRange, params: Any, state: dict[str, Any]) -> QuerySet:
    days: list[dt.date | None] = []
    for name, label in zip(span.params, span.bound_labels(), strict=True):
        text = (params.get(name) or "").strip()
        day = _day(text) if text else None
        if text and day is None:
            _problem(
                state,
                name,
                "invalid_date",
                _("“%(value)s” is not a valid date for %(parameter)s: write it as YYYY-MM-DD.")
                % {"value": text, "parameter": label},
            )
        elif day is not None:
            state["dates"][name] = text
        days.append(day)
    start, end = days
    if start is not None and end is not None and start > end:
        _problem(
            state,
            span.params[0],
            "date_range_reversed",
            _("The start date %(start)s is after the end date %(end)s.")
            % {"start": start.isoformat(), "end": end.isoformat()},
        )
        state["ignored"].update(span.params)
        for name in span.params:
            state["dates"].pop(name, None)
        return qs
    return span.apply(qs, start, end)


def _page_number(params: Any, state: dict[str, Any]) -> int:
    """The requested page: a positive whole number (past the end means the last page, as an old link
    after filtering); anything else is reported like a bad filter value."""
    text = params.get("page", "")
    if not text:
        return 1
    if text.isascii() and text.isdigit() and int(text) >= 1:
        return int(text)
    _problem(state, "page", "invalid_choice", _invalid(text, _("Page")))
    return 1


def page_of(qs: QuerySet, request: HttpRequest, number: int | None = None) -> Any:
    paginator = Paginator(qs, settings.TONGCHENG_LIST_PAGE_SIZE)
    return paginator.get_page(number if number is not None else request.GET.get("page"))


def _cell(value: Any) -> Any:
    if value is None:
        return ""
    if isinstance(value, bool):
        return str(_("Yes") if value else _("No"))  # as the import reads it back (importing.YES_NO)
    if isinstance(value, (int, float, str)):
        return value
    return str(value)


def export_rows(qs: QuerySet, spec: ListSpec, fmt: str) -> HttpResponseBase:
    """Stream CSV (UTF-8 with BOM so Excel opens Chinese text) or build an .xlsx of the filtered list. The
    headers are the column labels and the values are in words (choice labels, yes/no), in the user's
    language; an importable list's import reads both back. ``response.export_columns`` keeps the
    column names in header order, for programs and tests reading the file in Python."""
    columns = spec.columns
    limit = settings.TONGCHENG_EXPORT_MAX_ROWS
    rows = (tuple(_cell(c.get(obj)) for c in columns) for obj in qs[:limit].iterator(chunk_size=2000))
    header = [str(c.label) for c in columns]
    if fmt == "csv":
        writer = csv.writer(_Echo())

        def stream():
            yield "\ufeff" + writer.writerow(header)
            for row in rows:
                # Text a spreadsheet would run as a formula gets a leading quote (the import removes it).
                yield writer.writerow(csv_row(row))

        response: HttpResponseBase = StreamingHttpResponse(stream(), content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="{spec.export_name}.csv"'
        response.export_columns = [c.name for c in columns]  # type: ignore[attr-defined]
        return response
    import xlsxwriter

    buffer = io.BytesIO()
    # strings_to_formulas off as well, though every cell goes through write_xlsx_row (string cells for
    # text, so that nothing exported can run as a formula).
    book = xlsxwriter.Workbook(
        buffer, {"in_memory": True, "constant_memory": True, "strings_to_formulas": False}
    )
    sheet = book.add_worksheet(str(_("Export"))[:31])
    bold = book.add_format({"bold": True})
    write_xlsx_row(sheet, 0, header, bold)
    for index, row in enumerate(rows, start=1):
        write_xlsx_row(sheet, index, row)
    book.close()
    response = HttpResponse(
        buffer.getvalue(), content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )
    response["Content-Disposition"] = f'attachment; filename="{spec.export_name}.xlsx"'
    response.export_columns = [c.name for c in columns]  # type: ignore[attr-defined]
    return response


def _cache_lookup_or_start(request: HttpRequest) -> HttpResponse | None:
    hit = pagecache.lookup(request, request.user, "page")
    if hit is None:
        pagecache.start(request, request.user, "page", bell=True)
    return hit


def cached_list_page(view: Callable[..., HttpResponseBase]) -> Callable[..., HttpResponseBase]:
    """A list page answered from the cache, before the view builds its queryset, while nothing the page
    read has changed (kit/pagecache.py); exports are never cached. Put it under ``@login_required``; the
    view must end in ``render_list``."""

    @functools.wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        if "export" not in request.GET:
            hit = _cache_lookup_or_start(request)
            if hit is not None:
                return hit
        return view(request, *args, **kwargs)

    return wrapper


def render_list(
    request: HttpRequest,
    qs: QuerySet,
    spec: ListSpec,
    template: str = "core/list.html",
    extra: dict[str, Any] | None = None,
) -> HttpResponseBase:
    """The list page, or its export when ``?export=csv|xlsx``: both from the same (scoped) queryset. With a
    parameter value the page does not offer, the page is shown without it, with a message naming it, as a
    400 (also in place of an export, which would otherwise hold rows the user did not ask for)."""
    fmt = request.GET.get("export")
    if fmt is None and getattr(request, "_tc_pending", None) is None:
        # A view without ``@cached_list_page``: the cache is asked here, after the view's own work.
        hit = _cache_lookup_or_start(request)
        if hit is not None:
            return hit
    cacheable = getattr(request, "_tc_pending", None) is not None
    qs, state = apply_list_params(qs, spec, request.GET, request.user)
    number = _page_number(request.GET, state)
    if fmt in {"csv", "xlsx"} and not state["errors"]:
        return export_rows(qs, spec, fmt)
    page = page_of(qs, request, number)
    rows = [
        {
            "obj": obj,
            "cells": [c.shown(obj) for c in spec.columns],
            "url": spec.detail_url(obj) if spec.detail_url else None,
        }
        for obj in page.object_list
    ]
    query = request.GET.copy()
    for param in {"page", "export", *state["ignored"]}:
        query.pop(param, None)
    context = {
        "spec": spec,
        "page": page,
        "rows": rows,
        "state": state,
        "query": query.urlencode(),
        "filter_choices": [(f, f.choices(request.user)) for f in spec.filters],
        "date_inputs": [item for span in spec.date_ranges for item in span.inputs(state)],
    }
    context.update(extra or {})
    if cacheable:
        context["csrf_token"] = pagecache.CSRF_HOLE  # each answer gets its request's token
    return render(request, template, context, status=400 if state["errors"] else 200)
