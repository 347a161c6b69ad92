"""The access matrix (issue 7, point 10): every page route of the URL configuration and every operation of the
OpenAPI schema, for every demo role, admin and an anonymous visitor, gets the outcome written in
docs/access-matrix.md.

The routes are discovered (django.urls, recursively, without the admin) and the operations read from
``tongcheng.api.api.get_openapi_schema()``, so a route or operation added without a row fails here the
day it is added. Reads are fetched (GET); writes are the write-permission matrix's
(tests/core/test_write_matrix.py), whose tables the document must mirror. Path parameters get the sample
values below (the document lists them too).
"""

from __future__ import annotations

import sys
import types
from pathlib import Path

import pytest
from django.http import HttpResponse
from django.test import Client, override_settings
from django.urls import include, path

from tests.conftest import DEMO_USERNAMES
from tests.cooperation.settlements import test_write_matrix as settlement_writes
from tests.cooperation.sharing import test_write_matrix as coop_writes
from tests.core import test_write_matrix as writes
from tongcheng.api import api
from tongcheng.cooperation.demo import synthetic_credit_code
from tongcheng.core.models import Person, User
from tongcheng.kit.testing import (
    AccessRow,
    api_operations,
    fill_path,
    observe,
    page_routes,
    read_access_matrix,
    uncovered,
)
from tongcheng.kit.write_matrix import LOGIN

pytestmark = pytest.mark.django_db

MATRIX = Path(__file__).resolve().parents[2] / "docs" / "access-matrix.md"
ROLES = [*DEMO_USERNAMES, "admin", "anonymous"]

# Sample value per path parameter name: a zone, an organisation and a person that some roles see and others
# do not (浦口—南谯, its office, leader_pn), so one row shows both the 200s and the 404s.
SAMPLES = {
    "code": "pukou-nanqiao",
    "key": "pukou-nanqiao-office",
    "kind": "uscc",
    "year": 2027,
    "fmt": "xlsx",
    # Cooperation: 浦口—南谯's demo agreement and its draft version 2.
    "agreement": "pn-park-district-share",
    "number": 2,
    "dataset": "receipts",
}
# Where a parameter name means something else on one route.
ROUTE_SAMPLES = {
    "/jurisdictions/{code}/": {"code": "320111"},
    "/api/v1/jurisdictions/{code}": {"code": "320111"},
    # Records that do not exist in the demo (no job, attachment or notification yet): every role that
    # reaches the page gets the answer of a missing record.
    "/api/v1/jobs/{job_id}": {"job_id": 999999},
    "/api/v1/jobs/{job_id}/result": {"job_id": 999999},
    "/attachments/{pk}/": {"pk": 999999},
    "/attachments/{pk}/remove/": {"pk": 999999},
    "/jobs/{pk}/": {"pk": 999999},
    "/jobs/{pk}/result/": {"pk": 999999},
    "/jobs/{pk}/status/": {"pk": 999999},
    "/notifications/{pk}/read/": {"pk": 999999},
    # The cooperation records of 浦口—南谯 (tests/cooperation/records_write_cases.py names the same).
    **{
        path: {"code": "pn-cobuilt-park"}
        for path in (
            "/cooperation/parks/{code}/",
            "/cooperation/parks/{code}/edit/",
            "/api/v1/cooperation/parks/{code}",
            "/api/v1/cooperation/parks/{code}/years",
        )
    },
    **{
        path: {"code": "pn-huanuo"}
        for path in (
            "/cooperation/projects/{code}/",
            "/cooperation/projects/{code}/edit/",
            "/cooperation/projects/{code}/step/",
            "/api/v1/cooperation/projects/{code}",
        )
    },
    **{
        path: {"credit_code": synthetic_credit_code("huanuo", "341103")}
        for path in (
            "/cooperation/enterprises/{credit_code}/",
            "/cooperation/enterprises/{credit_code}/edit/",
            "/api/v1/cooperation/enterprises/{credit_code}",
            "/api/v1/cooperation/enterprises/{credit_code}/establishments",
        )
    },
    # Settlements: the demo's final 浦口—南谯 settlement of 2025.
    **{
        path: {"number": "SJ-PUKOUNANQIAO-2025-000001"}
        for path in (
            "/cooperation/settlements/{number}/",
            "/cooperation/settlements/{number}/compute/",
            "/cooperation/settlements/{number}/submit/",
            "/cooperation/settlements/{number}/confirm/",
            "/cooperation/settlements/{number}/reject/",
            "/cooperation/settlements/{number}/finalise/",
            "/cooperation/settlements/{number}/statement.{fmt}",
            "/api/v1/cooperation/settlements/{number}",
            "/api/v1/cooperation/settlements/{number}/lines",
            "/api/v1/cooperation/settlements/{number}/statement.xlsx",
            "/api/v1/cooperation/settlements/{number}/statement.pdf",
        )
    },
    "/api/v1/cooperation/establishments/{establishment_id}/factors": {
        "establishment_id": lambda: _establishment_pk()
    },
}
# Query strings a read needs to answer 200 rather than 422.
QUERIES = {
    "/geo.json": "cities=320100",
    "/api/v1/tools/workdays/add": "start=2025-03-03T09:00:00%2B08:00&n=3",
    "/api/v1/tools/workdays/between": "start=2025-03-03&end=2025-03-10",
    "/api/v1/tools/check/{kind}": "value=91320111MA1XXXXXX1",
    "/pick/": "kind=jurisdiction&q=pk",
    "/api/v1/cooperation/zones/{code}/engine-agreements": "periods=2025-01..2025-12",
    "/api/v1/cooperation/zones/{code}/statistics": "from=2025-01&to=2025-12",
}
# The write-permission matrices whose cases the document's write rows mirror (core's and each module's).
WRITE_EXPECTED = {**writes.EXPECTED, **coop_writes.EXPECTED, **settlement_writes.EXPECTED}


def _write_cases() -> list:
    return [*writes.cases(0, 0, b""), *coop_writes.cases(), *settlement_writes.cases()]


def _rows() -> list[AccessRow]:
    return read_access_matrix(MATRIX)


def _operations() -> list[tuple[str, str]]:
    return api_operations(api.get_openapi_schema())


def _sample_url(route_path: str) -> str:
    samples = {**SAMPLES, "pk": _person_pk(), **ROUTE_SAMPLES.get(route_path, {})}
    samples = {name: value() if callable(value) else value for name, value in samples.items()}
    url = fill_path(route_path, samples)
    query = QUERIES.get(route_path)
    return f"{url}?{query}" if query else url


def _establishment_pk() -> int:
    """The production base in 南谯 of the demo's transport enterprise (浦口—南谯's records)."""
    from tongcheng.cooperation.models import Establishment

    return Establishment.objects.get(enterprise__name="浦南交通工业化制造有限公司", kind="production_base").pk


def _person_pk() -> int:
    return Person.objects.get(user__username="leader_pn").pk


def _client(role: str) -> Client:
    client = Client()
    if role != "anonymous":
        client.force_login(User.objects.get(username=role))
    return client


# --- coverage: every route and operation has its row ------------------------------------------------------


def test_every_route_and_operation_has_a_row():
    """Given the URL configuration and the OpenAPI schema, when they are compared with docs/access-matrix.md,
    then every operation has a row with its method, every other route (admin aside) a GET row, and no row
    names a path that does not exist."""
    rows = _rows()
    assert rows, f"no access table found in {MATRIX}"
    problems = uncovered(page_routes(), _operations(), rows)
    assert not problems, "\n".join(problems)


def test_every_row_names_every_role_once():
    """Given the document, when its rows are read, then each names every role (no more), each cell is an
    outcome of the vocabulary, and no (method, path, case) appears twice."""
    rows = _rows()
    vocabulary = {"200", "201", "202", "204", "302", "400", "401", "403", "404", "405", "422", "login"}
    keys = [(r.method, r.path, r.case) for r in rows]
    assert len(keys) == len(set(keys)), sorted(k for k in keys if keys.count(k) > 1)
    for row in rows:
        assert list(row.cells) == ROLES, (row.line, list(row.cells))
        for role in ROLES:
            assert row.intended(role) in vocabulary, (row.line, role, row.cells[role])
            assert row.today(role) in vocabulary, (row.line, role, row.cells[role])


# --- reads: each GET row, fetched as each role ------------------------------------------------------------


@pytest.mark.parametrize("role", ROLES)
def test_reads_answer_as_the_matrix_says(role):
    """Given the demo and one role, when every GET row of the matrix is fetched with the sample values, then
    each answers the row's outcome for that role (today's, where the document notes a deviation)."""
    client = _client(role)
    wrong = []
    for row in _rows():
        if row.method != "GET":
            continue
        url = _sample_url(row.path)
        got = observe(client, url)
        if got != row.today(role):
            wrong.append(f"line {row.line} {url}: expected {row.cells[role]}, got {got}")
    assert not wrong, f"{role}:\n" + "\n".join(wrong)


# --- writes: the document mirrors the write-permission matrix ---------------------------------------------


def _cell(outcome, *, api_case: bool) -> str:
    if outcome == LOGIN:
        return "401" if api_case else "login"
    return str(outcome)


def test_write_rows_mirror_the_write_matrix():
    """Given the write rows of the document and the tables of tests/core/test_write_matrix.py, when they are
    compared, then each write operation of the API has a row, each row names a case of the write matrix,
    every case has exactly one row, and each cell holds the case's outcome (and today's, for a deviation)."""
    rows = [r for r in _rows() if r.method != "GET"]
    by_case = {r.case: r for r in rows}
    assert all(r.case for r in rows), [r.line for r in rows if not r.case]
    assert sorted(by_case) == sorted(WRITE_EXPECTED), set(by_case) ^ set(WRITE_EXPECTED)
    api_writes = {(m, p) for m, p in _operations() if m != "GET"}
    assert api_writes <= {(r.method, r.path) for r in rows}
    cases = {c.name: c for c in _write_cases()}
    wrong = []
    for name, row in by_case.items():
        case = cases[name]
        if (row.method, row.path) != (case.method, case.route):
            wrong.append(
                f"line {row.line}: {row.method} {row.path}, the case sends {case.method} {case.route}"
            )
        for role in ROLES:
            intended = _cell(case.expected[role], api_case=case.api)
            today = _cell(case.deviations.get(role, case.expected[role]), api_case=case.api)
            if (row.intended(role), row.today(role)) != (intended, today):
                wrong.append(
                    f"line {row.line} {name} {role}: document {row.cells[role]!r}, test {intended}/{today}"
                )
    assert not wrong, "\n".join(wrong)


# --- the check fails when a route is added without a row --------------------------------------------------


def _dummy_view(request):
    return HttpResponse("dummy")


def test_a_new_route_without_a_row_fails():
    """Given a URL configuration with one route more than the project's (as a module adding a page would
    make), when the matrix's coverage is checked against the document, then exactly that route is reported;
    an API operation added to the schema without a row is reported the same way."""
    module = types.ModuleType("tongcheng_matrix_dummy_urls")
    module.urlpatterns = [path("reports/<int:pk>/", _dummy_view), path("", include("tongcheng.urls"))]
    sys.modules[module.__name__] = module
    try:
        with override_settings(ROOT_URLCONF=module.__name__):
            routes = page_routes()
    finally:
        del sys.modules[module.__name__]
    assert "/reports/{pk}/" in {r.path for r in routes}
    operations = [*_operations(), ("POST", "/api/v1/reports")]
    assert uncovered(routes, operations, _rows()) == [
        "no row for the operation POST /api/v1/reports",
        "no GET row for the route /reports/{pk}/",
    ]


def test_the_admin_is_left_out_and_the_api_paths_match_the_schema():
    """Given the project's URL configuration, when its routes are discovered, then the admin's are not among
    them, every API operation's path is one of them (the resolver and the schema agree), and a route with a
    parameter is written with {name}."""
    paths = {r.path for r in page_routes()}
    assert not any(p.startswith("/admin/") for p in paths)
    assert {p for _m, p in _operations()} <= paths
    assert "/zones/{code}/" in paths and "/people/{pk}/unmask/" in paths


def test_a_parameter_without_a_sample_is_named():
    """Given a route whose parameter has no sample value, when its URL is filled, then the error names it."""
    with pytest.raises(KeyError, match="report_id"):
        fill_path("/reports/{report_id}/", SAMPLES)
