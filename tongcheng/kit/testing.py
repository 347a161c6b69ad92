"""Test helpers every Tongcheng module reuses (issue 2, point 11).

* ``ScopingCase`` + ``check_scoping`` — the scoping matrix. A module declares, per model, where its rows
  show up (list page, CSV export, API list, page and API details) and an independent expectation of which
  rows each user should reach; ``check_scoping`` then verifies that every one of those surfaces, and
  ``Model.objects.visible_to(user)``, shows exactly that set, and that an invisible detail is a 404 (never
  a 403, which would confirm that the row exists).
* ``QueryBudget`` / ``assert_queries_flat`` — query-count assertions for list pages: a module declares a
  budget per URL and the test shows that the count stays within it *and does not grow with the number of
  rows* (the N+1 guard).
* ``page_routes`` / ``api_operations`` / ``read_access_matrix`` / ``uncovered`` — the access matrix: every
  page route of the URL configuration and every operation of the OpenAPI schema must have a row in a
  markdown table (docs/access-matrix.md) giving each role's outcome, so a module's new route is covered
  the day it is added (``observe`` fetches one route as one role and names the outcome in the table's
  words). Writes are the write-permission matrix's (``tongcheng.kit.write_matrix``).
* ``built`` / ``BuildRefused`` — test data made through the services: ``built("make_zone(…)", call)`` runs
  the service call and turns a refusal into a failure naming the builder and the service's code, field and
  message (core's builders are in ``tongcheng.core.testing``).

Only test code imports this module; it depends on Django's test client, not on pytest.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar, cast

from django.conf import settings
from django.contrib.auth.models import AnonymousUser
from django.db import connection
from django.db.models import Model, QuerySet
from django.shortcuts import resolve_url
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import URLPattern, URLResolver, get_resolver

from .querysets import ScopedQuerySet
from .services import ServiceError

__all__ = [
    "BuildRefused",
    "built",
    "ScopingCase",
    "ScopingReport",
    "check_scoping",
    "read_csv_export",
    "list_count",
    "api_collect",
    "QueryBudget",
    "count_queries",
    "assert_queries_flat",
    "Route",
    "AccessRow",
    "page_routes",
    "api_operations",
    "read_access_matrix",
    "uncovered",
    "fill_path",
    "observe",
]

Key = Callable[[Any], str]
T = TypeVar("T")


class BuildRefused(AssertionError):
    """A test-data builder's service call was refused: the test's setup is wrong, not the code under test
    (an AssertionError, so pytest shows it as a failure with the service's answer)."""


def built(what: str, call: Callable[[], T]) -> T:
    """Run a service call that makes test data; a ServiceError becomes a BuildRefused naming ``what``."""
    try:
        return call()
    except ServiceError as exc:
        field = f" (field {exc.field})" if exc.field else ""
        raise BuildRefused(f"{what} was refused: {exc.code}{field}: {exc.message}") from exc


@dataclass
class ScopingCase:
    """Where one model's rows are shown, and how a row is recognised on each surface.

    ``key`` turns a row into the identity used everywhere (default: ``str(pk)``); ``export_column`` and
    ``api_key`` name the CSV column / API field that carries that identity. Any surface left ``None`` is
    not checked (e.g. a model without an API). ``detail_sample`` caps how many *visible* details are
    fetched per user (every invisible one is always fetched) so large reference tables stay fast.
    """

    model: type[Model]
    key: Key = lambda obj: str(obj.pk)  # noqa: E731
    list_url: str | None = None
    export_url: str | None = None
    export_column: str | None = None
    detail_url: Callable[[Any], str] | None = None
    api_list: str | None = None
    api_key: str | None = None
    api_detail: Callable[[Any], str] | None = None
    queryset: Callable[[], QuerySet] | None = None
    detail_sample: int | None = None
    visible_action: str = "view"

    def all_rows(self) -> QuerySet:
        return self.queryset() if self.queryset else self.model._default_manager.all()

    @property
    def name(self) -> str:
        return self.model.__name__


@dataclass
class ScopingReport:
    """Mismatches found for one (case, user); empty means the surfaces agree with the expectation."""

    case: str
    user: str
    problems: list[str] = field(default_factory=list)

    def add(self, text: str) -> None:
        self.problems.append(text)

    def __bool__(self) -> bool:  # truthy when something is wrong
        return bool(self.problems)

    def __str__(self) -> str:
        return f"{self.case} as {self.user}:\n  " + "\n  ".join(self.problems)


# --- surface readers --------------------------------------------------------------------------------------

_COUNT_RE = re.compile(r'<p class="small text-body-secondary" aria-live="polite">\D*(\d+)')


def list_count(html: str) -> int | None:
    """The total a generic list page announces ("37 records" / "共 37 条"), or None when absent."""
    match = _COUNT_RE.search(html)
    return int(match.group(1)) if match else None


def _body(response) -> bytes:
    if getattr(response, "streaming", False):
        return b"".join(response.streaming_content)
    return response.content


def read_csv_export(response, by: str = "name") -> list[dict[str, str]]:
    """Rows of a CSV export (UTF-8 with BOM), as dicts keyed by the column names (``by="name"``, so that a
    test reads the same keys in either language) or by the header as written (``by="header"``: the labels in
    the user's language)."""
    text = _body(response).decode("utf-8-sig")
    reader = csv.reader(io.StringIO(text))
    header = next(reader, [])
    names = getattr(response, "export_columns", None)
    if by == "name" and names is not None:
        assert len(names) == len(header), (names, header)
        header = list(names)
    return [dict(zip(header, row, strict=True)) for row in reader]


def api_collect(
    client: Client, url: str, page_size: int = 100, headers: dict[str, str] | None = None
) -> tuple[list[dict], int]:
    """Every item of a paginated (limit/offset) API list, following the pages; returns (items, count).
    Fails when ``count`` changes between pages or disagrees with the number of items."""
    items: list[dict] = []
    count: int | None = None
    offset = 0
    sep = "&" if "?" in url else "?"
    while True:
        response = client.get(f"{url}{sep}limit={page_size}&offset={offset}", headers=headers or None)
        assert response.status_code == 200, (url, response.status_code, response.content[:300])
        body = response.json()
        assert count is None or body["count"] == count, f"count changed while paging {url}"
        count = body["count"]
        items.extend(body["items"])
        offset += page_size
        if offset >= count or not body["items"]:
            break
    assert count == len(items), f"{url}: count {count} but {len(items)} items"
    return items, count


def _diff(label: str, got: Iterable[str], expected: set[str]) -> str | None:
    got_set = set(got)
    if got_set == expected:
        return None
    extra = sorted(got_set - expected)[:10]
    missing = sorted(expected - got_set)[:10]
    return f"{label}: extra {extra} missing {missing}"


def _to_login(response: Any) -> bool:
    target = response.get("Location", "").split("?", 1)[0] if response.status_code in (301, 302) else None
    return target == resolve_url(settings.LOGIN_URL)


def _user_of(client: Client) -> Any:
    from django.contrib.auth import get_user_model

    user_id = client.session.get("_auth_user_id")
    if user_id is None:
        return AnonymousUser()
    return get_user_model().objects.get(pk=user_id)


def check_scoping(
    case: ScopingCase,
    client: Client,
    expected: set[str],
    *,
    label: str = "",
    api_headers: dict[str, str] | None = None,
) -> ScopingReport:
    """Check every surface of ``case`` for the user the client is signed in as.

    ``expected`` is the set of keys the user should reach. For an anonymous client the pages must send
    to the login page, the API must answer 401, and ``visible_to`` must be empty.
    Returns a report; ``assert not report, report`` gives a readable failure.
    """
    user = _user_of(client)
    report = ScopingReport(case.name, label or getattr(user, "username", "") or "anonymous")
    anonymous = not user.is_authenticated
    headers = api_headers or {}
    rows = list(case.all_rows())
    by_key = {case.key(obj): obj for obj in rows}
    unknown = expected - set(by_key)
    if unknown:
        report.add(f"expectation names rows that do not exist: {sorted(unknown)[:10]}")

    # visible_to and its count: the source every other surface must agree with.
    # Every model of a module uses ScopedQuerySet; an AttributeError here says this one does not.
    scoped = cast(ScopedQuerySet, case.model._default_manager.all())
    visible_qs = scoped.visible_to(user, case.visible_action)
    problem = _diff("visible_to", (case.key(o) for o in visible_qs), expected)
    if problem:
        report.add(problem)
    if visible_qs.count() != len(expected):
        report.add(f"visible_to().count() = {visible_qs.count()}, expected {len(expected)}")

    if case.list_url:
        response = client.get(case.list_url)
        if anonymous:
            if not _to_login(response):
                report.add(
                    f"list {case.list_url}: anonymous got {response.status_code}, not a login redirect"
                )
        elif response.status_code != 200:
            report.add(f"list {case.list_url}: status {response.status_code}")
        else:
            shown = list_count(response.content.decode())
            if shown != len(expected):
                report.add(f"list {case.list_url}: count text {shown}, expected {len(expected)}")

    if case.export_url and anonymous:
        response = client.get(case.export_url)
        if not _to_login(response):
            report.add(
                f"export {case.export_url}: anonymous got {response.status_code}, not a login redirect"
            )
    elif case.export_url:
        response = client.get(case.export_url)
        if response.status_code != 200:
            report.add(f"export {case.export_url}: status {response.status_code}")
        else:
            exported = [r[case.export_column or "key"] for r in read_csv_export(response)]
            if len(exported) != len(set(exported)):
                report.add(f"export {case.export_url}: duplicate rows")
            problem = _diff(f"export {case.export_url}", exported, expected)
            if problem:
                report.add(problem)

    if case.api_list:
        if anonymous:
            response = client.get(case.api_list)
            if response.status_code != 401:
                report.add(f"api {case.api_list}: anonymous got {response.status_code}, expected 401")
        else:
            items, _count = api_collect(client, case.api_list, headers=headers)
            problem = _diff(f"api {case.api_list}", (str(i[case.api_key or "id"]) for i in items), expected)
            if problem:
                report.add(problem)

    visible_keys = sorted(expected)
    if case.detail_sample is not None:
        visible_keys = visible_keys[: case.detail_sample]
    invisible_keys = sorted(set(by_key) - expected)
    for keys, wanted in ((visible_keys, 200), (invisible_keys, 404)):
        for key in keys:
            obj = by_key.get(key)
            if obj is None:
                continue
            if case.detail_url:
                url = case.detail_url(obj)
                response = client.get(url)
                if anonymous:
                    if not _to_login(response):
                        report.add(f"page {url}: anonymous got {response.status_code}, not a login redirect")
                elif response.status_code != wanted:
                    report.add(f"page {url}: status {response.status_code}, expected {wanted}")
            if case.api_detail:
                url = case.api_detail(obj)
                status = client.get(url, headers=headers or None).status_code
                want = 401 if anonymous else wanted
                if status != want:
                    report.add(f"api {url}: status {status}, expected {want}")
    return report


# --- query counts -----------------------------------------------------------------------------------------


def count_queries(client: Client, url: str) -> int:
    """Number of SQL queries one GET of ``url`` runs (streamed bodies are consumed inside the count)."""
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
        assert response.status_code == 200, (url, response.status_code)
        _body(response)
    return len(ctx.captured_queries)


@dataclass(frozen=True)
class QueryBudget:
    """A list URL and the most queries it may run, whatever the number of rows."""

    url: str
    max_queries: int


def assert_queries_flat(client: Client, budget: QueryBudget, add_rows: Callable[[], Any]) -> tuple[int, int]:
    """Count the queries of ``budget.url``, call ``add_rows()`` (which should multiply the rows the URL
    lists, e.g. from 5 to 50), count again: both counts must be equal and within the budget.
    Returns (before, after) for the test's own messages. A first, uncounted request warms the per-user
    caches (the scope), so both counts are of a steady request."""
    count_queries(client, budget.url)
    before = count_queries(client, budget.url)
    add_rows()
    after = count_queries(client, budget.url)
    assert after == before, f"{budget.url}: {before} queries before adding rows, {after} after (N+1?)"
    assert after <= budget.max_queries, f"{budget.url}: {after} queries, budget {budget.max_queries}"
    return before, after


# --- the access matrix ------------------------------------------------------------------------------------

_CONVERTER = re.compile(r"<(?:[^<>:]+:)?([^<>]+)>")


@dataclass(frozen=True)
class Route:
    """A route of the URL configuration, its path written as OpenAPI writes paths (``/zones/{code}/``)."""

    path: str
    name: str | None
    namespace: str


def _walk(patterns: Iterable[Any], prefix: str, namespace: str) -> Iterable[Route]:
    for entry in patterns:
        if isinstance(entry, URLResolver):
            inner = ":".join(n for n in (namespace, entry.namespace or "") if n)
            yield from _walk(entry.url_patterns, prefix + str(entry.pattern), inner)
        elif isinstance(entry, URLPattern):
            raw = prefix + str(entry.pattern)
            yield Route("/" + _CONVERTER.sub(r"{\1}", raw).lstrip("^").rstrip("$"), entry.name, namespace)


def page_routes(urlconf: str | None = None, exclude_namespaces: Iterable[str] = ("admin",)) -> list[Route]:
    """Every route of the URL configuration (recursively, once per path), minus the excluded namespaces
    (Django's admin, which has its own permissions). API operations appear here too; ``uncovered`` sets
    apart those the OpenAPI schema describes."""
    excluded = tuple(exclude_namespaces)
    seen: dict[str, Route] = {}
    for route in _walk(get_resolver(urlconf).url_patterns, "", ""):
        if route.namespace.split(":")[0] in excluded:
            continue
        seen.setdefault(route.path, route)
    return sorted(seen.values(), key=lambda r: r.path)


HTTP_METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")


def api_operations(schema: Mapping[str, Any]) -> list[tuple[str, str]]:
    """(METHOD, path) of every operation of an OpenAPI document."""
    return sorted(
        (method.upper(), path)
        for path, item in schema.get("paths", {}).items()
        for method in item
        if method in HTTP_METHODS
    )


@dataclass(frozen=True)
class AccessRow:
    """One row of the access matrix: a path and method, the write case that tries it (writes only), and
    the outcome each role gets. A cell reads ``403``, ``login``, or ``403 (today 404)`` where today's code
    answers otherwise than the rules call for."""

    path: str
    method: str
    case: str
    cells: dict[str, str]
    line: int

    def intended(self, role: str) -> str:
        return self.cells[role].split("(", 1)[0].strip()

    def today(self, role: str) -> str:
        match = re.search(r"\(today\s+([^)]+)\)", self.cells[role])
        return match.group(1).strip() if match else self.intended(role)


def _cells(line: str) -> list[str]:
    return [c.strip().strip("`").strip() for c in line.strip().strip("|").split("|")]


def read_access_matrix(
    path: Path | str, first_columns: tuple[str, ...] = ("path", "method", "case")
) -> list[AccessRow]:
    """The rows of every markdown table of the file whose header starts with ``first_columns``; the other
    header cells are the roles. An empty case cell, or "—", is read as no case."""
    rows: list[AccessRow] = []
    header: list[str] | None = None
    for number, line in enumerate(Path(path).read_text(encoding="utf-8").splitlines(), start=1):
        if not line.startswith("|"):
            header = None
            continue
        cells = _cells(line)
        if header is None:
            if tuple(cells[: len(first_columns)]) == first_columns:
                header = cells
            continue
        if set("".join(cells)) <= set("-: "):
            continue  # the separator line
        if len(cells) != len(header):
            raise ValueError(f"{path}:{number}: {len(cells)} cells, the header has {len(header)}")
        values = dict(zip(header, cells, strict=True))
        case = values["case"] if values["case"] not in ("", "—", "-") else ""
        roles = {k: v for k, v in values.items() if k not in first_columns}
        rows.append(AccessRow(values["path"], values["method"].upper(), case, roles, number))
    return rows


def uncovered(
    routes: Iterable[Route], operations: Iterable[tuple[str, str]], rows: Iterable[AccessRow]
) -> list[str]:
    """What the matrix misses or holds in vain: every API operation needs a row with its method and path,
    every other route a GET row; a row whose path is neither a route nor an operation is stale."""
    rows = list(rows)
    keyed = {(r.method, r.path) for r in rows}
    ops = set(operations)
    op_paths = {p for _m, p in ops}
    pages = {r.path for r in routes} - op_paths
    problems = [f"no row for the operation {m} {p}" for m, p in sorted(ops - keyed)]
    problems += [f"no GET row for the route {p}" for p in sorted(pages) if ("GET", p) not in keyed]
    for row in rows:
        known = (row.method, row.path) in ops or (row.path in pages)
        if not known:
            problems.append(f"line {row.line}: {row.method} {row.path} is neither a route nor an operation")
    return problems


def fill_path(path: str, samples: Mapping[str, Any]) -> str:
    """``/zones/{code}/`` with each parameter replaced by its sample value; a parameter without a sample is
    an error naming it, so a new route gets its sample the day it is added."""

    def value(match: re.Match[str]) -> str:
        name = match.group(1)
        if name not in samples:
            raise KeyError(f"no sample value for the parameter {name!r} of {path}")
        return str(samples[name])

    return re.sub(r"\{([^{}]+)\}", value, path)


def observe(client: Client, url: str) -> str:
    """GET the URL and name the outcome as the matrix does: the status, or ``login`` for a redirect to the
    sign-in page (the API answers an anonymous caller 401 instead)."""
    client.raise_request_exception = False  # a server error is an outcome to report, not a crash
    response = client.get(url)
    return "login" if _to_login(response) else str(response.status_code)
