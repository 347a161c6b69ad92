"""Query budgets of the main lists (issue 7, point 11): every list page and API list runs the same number
of queries whatever the number of rows (no query per row), within a declared budget, with the scope read
from the cache (one query for the scope version, none for grants or zone members).

Counts, not timings: the time per request is measured by bench/web.py under gunicorn, never in a test."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from tongcheng.core.models import AdjacentZone, Jurisdiction, Organisation, Person, User
from tongcheng.core.testing import make_organisation, make_zone
from tongcheng.kit.access import bump_scope_version
from tongcheng.kit.services import audit
from tongcheng.kit.testing import QueryBudget, assert_queries_flat, list_count

pytestmark = pytest.mark.django_db

FEW, MANY = 5, 20  # rows before and after: a page of 25 shows all of them


def _add_organisations(start: int, stop: int) -> None:
    """Through the organisation service, as the metropolitan-area office: rows as production writes them
    (with their history), every other one in the zone."""
    for i in range(start, stop):
        make_organisation(
            "office_metro",
            key=f"perf-org-{i:03d}",
            name=f"perf-org {i}",
            jurisdiction="320111",
            zone="pukou-nanqiao" if i % 2 else None,
        )


def _add_jurisdictions(start: int, stop: int) -> None:
    pukou = Jurisdiction.objects.current().get(code="320111")
    for i in range(start, stop):
        code = f"3201119{i:02d}"
        Jurisdiction.objects.create(
            code=code,
            name=f"perf-town {i}",
            level="township",
            kind="town",
            parent=pukou,
            path=f"{pukou.path}{code}/",
            valid_from=dt.date(2020, 1, 1),
        )


# Pairs of members across the provincial border, each pair a distinct zone.
_JIANGSU = ["320111", "320115", "320117", "320116", "320113"]
_ANHUI = ["341103", "341122", "340506", "341124", "341182"]


def _add_zones(start: int, stop: int) -> None:
    for i in range(start, stop):
        make_zone(
            "office_metro",
            code=f"perf-zone-{i:02d}",
            name=f"perf-zone {i}",
            kind="cooperation_park",
            members=[_JIANGSU[i % len(_JIANGSU)], _ANHUI[(i // len(_JIANGSU)) % len(_ANHUI)]],
        )


def _add_people(start: int, stop: int) -> None:
    office = Organisation.objects.get(key="pukou-nanqiao-office")
    Person.objects.bulk_create(
        Person(name=f"perf-person {i}", organisation=office, position="科员", id_number="")
        for i in range(start, stop)
    )


def _add_audit_entries(start: int, stop: int) -> None:
    actor = User.objects.get(username="office_pn")
    zone = AdjacentZone.objects.get(code="pukou-nanqiao")
    with transaction.atomic():
        for i in range(start, stop):
            audit(actor, "zone.update", zone, {"description": [f"perf {i}", f"perf {i + 1}"]})


@dataclass(frozen=True)
class ListCase:
    budget: QueryBudget
    add_rows: Callable[[int, int], None]
    users: tuple[str, ...]
    # Adding zones changes what scopes reach (it bumps the version); such a list is counted with the scope
    # loaded on both requests, the worst case.
    cold_scope: bool = False

    @property
    def api(self) -> bool:
        return self.budget.url.startswith("/api/")


# Budgets: the queries each list runs today, and no more. A signed-in request with its scope cached: the
# session, the user, the scope version, the list (count and rows; pages also ask whether any row exists,
# count the unread notifications of the bell; the organisation page reads the zones of its filter, the audit
# page the people, actions and kinds of its filters), and
# the session saved (begin, update, commit on SQLite). The zone lists are counted cold: the scope is loaded
# (grants, zone members, metro members).
CASES = {
    "page zones": ListCase(QueryBudget("/zones/?q=perf-zone", 13), _add_zones, ("office_metro",), True),
    "api zones": ListCase(QueryBudget("/api/v1/zones?q=perf-zone", 12), _add_zones, ("office_metro",), True),
    "page organisations": ListCase(
        QueryBudget("/organisations/?q=perf-org", 11),
        _add_organisations,
        ("office_metro", "office_pn", "clerk_pukou"),
    ),
    "api organisations": ListCase(
        QueryBudget("/api/v1/organisations?q=perf-org", 8),
        _add_organisations,
        ("office_metro", "office_pn", "clerk_pukou"),
    ),
    "page jurisdictions": ListCase(
        QueryBudget("/jurisdictions/?q=perf-town", 9), _add_jurisdictions, ("office_pn", "clerk_pukou")
    ),
    "api jurisdictions": ListCase(
        QueryBudget("/api/v1/jurisdictions?q=perf-town", 8), _add_jurisdictions, ("office_pn", "clerk_pukou")
    ),
    # The same lists with their filters (kit/filters.py): a filter adds conditions, never a query per row.
    "page organisations filtered": ListCase(
        QueryBudget("/organisations/?q=perf-org&kind=service_window&jurisdiction=320111&sort=-key", 11),
        _add_organisations,
        ("office_metro", "office_pn", "clerk_pukou"),
    ),
    "api organisations filtered": ListCase(
        QueryBudget("/api/v1/organisations?q=perf-org&kind=service_window&jurisdiction=320111&sort=-key", 8),
        _add_organisations,
        ("office_metro", "office_pn", "clerk_pukou"),
    ),
    "page jurisdictions filtered": ListCase(
        QueryBudget("/jurisdictions/?q=perf-town&parent=320111&valid_from=2020-01-01&mine=1", 9),
        _add_jurisdictions,
        ("office_pn", "clerk_pukou"),
    ),
    "api jurisdictions filtered": ListCase(
        QueryBudget("/api/v1/jurisdictions?q=perf-town&parent=320111&valid_from=2020-01-01&mine=1", 8),
        _add_jurisdictions,
        ("office_pn", "clerk_pukou"),
    ),
    "page people": ListCase(
        QueryBudget("/people/?q=perf-person&organisation=pukou-nanqiao-office&sort=-name", 9),
        _add_people,
        ("office_metro", "office_pn", "clerk_pukou"),
    ),
    "api people": ListCase(
        QueryBudget("/api/v1/people?q=perf-person&organisation=pukou-nanqiao-office&sort=-name", 8),
        _add_people,
        ("office_metro", "office_pn", "clerk_pukou"),
    ),
    "page audit": ListCase(
        QueryBudget("/audit/", 12), _add_audit_entries, ("office_metro", "office_pn", "auditor_pn")
    ),
}


def _rows(client, case: ListCase) -> int:
    response = client.get(case.budget.url)
    assert response.status_code == 200
    return response.json()["count"] if case.api else list_count(response.content.decode())


@pytest.mark.parametrize("name", list(CASES))
def test_a_list_runs_a_fixed_number_of_queries_within_its_budget(client_for, name):
    """Given FEW rows the user may see, when the list is fetched, then adding rows up to MANY runs exactly
    the same number of queries, within the list's budget, and the list did grow."""
    case = CASES[name]
    if case.cold_scope:
        bump_scope_version()
    case.add_rows(0, FEW)
    for username in case.users:
        client = client_for(username)
        grown = username == case.users[0]
        if grown:
            assert _rows(client, case) == FEW, username
            before, after = assert_queries_flat(client, case.budget, lambda: case.add_rows(FEW, MANY))
            assert _rows(client, case) == MANY, username
        else:
            # The rows are in place; another user's count must be within the budget too.
            client.get(case.budget.url)
            with CaptureQueriesContext(connection) as queries:
                assert client.get(case.budget.url).status_code == 200
            assert len(queries) <= case.budget.max_queries, (username, len(queries))
            assert _rows(client, case) > 0, username


@pytest.mark.parametrize("name", [n for n, c in CASES.items() if not c.cold_scope])
def test_a_list_reads_no_grant_and_no_zone_member_for_the_scope_once_cached(client_for, name):
    """Given a user whose scope is cached, when a list is fetched, then the request reads the scope
    version and nothing of the grants or the zone membership table."""
    case = CASES[name]
    client = client_for(case.users[0])
    client.get(case.budget.url)
    with CaptureQueriesContext(connection) as queries:
        assert client.get(case.budget.url).status_code == 200
    sql = [q["sql"] for q in queries.captured_queries]
    assert sum("kit_scope_version" in s for s in sql) == 1
    assert not any("core_rolegrant" in s or "core_zonemember" in s or "core_metromember" in s for s in sql), (
        sql
    )
