"""Query budgets of the cooperation lists and pages (like tests/core/test_query_budget.py): each runs the same
number of queries whatever the number of rows — no query per row — within a declared budget."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import pytest

from tongcheng.cooperation.demo import synthetic_credit_code
from tongcheng.cooperation.testing import make_enterprise, make_park, make_project
from tongcheng.kit.testing import QueryBudget, assert_queries_flat, count_queries, list_count

pytestmark = pytest.mark.django_db


def _add_parks(start: int, stop: int) -> None:
    for i in range(start, stop):
        make_park("office_pn", code=f"perf-park-{i:03d}", name=f"perf-park {i}", area_m2=1000 * i)


def _add_enterprises(start: int, stop: int) -> None:
    for i in range(start, stop):
        make_enterprise(
            "office_pn",
            credit_code=synthetic_credit_code(f"perf-{i}", "341103"),
            name=f"perf-enterprise {i}",
            zone_code="pukou-nanqiao",
        )


def _add_projects(start: int, stop: int) -> None:
    for i in range(start, stop):
        make_project(
            "office_pn",
            code=f"perf-project-{i:03d}",
            name=f"perf-project {i}",
            investment_fen=100 * i,
            attracted_by=("320111", "341103"),
        )


@dataclass(frozen=True)
class ListCase:
    budget: QueryBudget
    add_rows: Callable[[int, int], None]
    users: tuple[str, ...]

    @property
    def api(self) -> bool:
        return self.budget.url.startswith("/api/")


# The session, the user, the scope version, the list (count and rows, the prefetched jurisdictions, the
# filters' choices on a page, the create/import button's question, the bell), the session saved.
CASES = {
    "page parks": ListCase(
        QueryBudget("/cooperation/parks/?q=perf-park", 12), _add_parks, ("office_pn", "office_metro")
    ),
    "api parks": ListCase(
        QueryBudget("/api/v1/cooperation/parks?q=perf-park", 9), _add_parks, ("office_pn", "clerk_nanqiao")
    ),
    "page enterprises": ListCase(
        QueryBudget("/cooperation/enterprises/?q=perf-enterprise&industry=C39", 11),
        _add_enterprises,
        ("office_pn", "finance_nanqiao"),
    ),
    "api enterprises": ListCase(
        QueryBudget("/api/v1/cooperation/enterprises?q=perf-enterprise", 8), _add_enterprises, ("office_pn",)
    ),
    "page projects": ListCase(
        QueryBudget(
            "/cooperation/projects/?q=perf-project&zone=pukou-nanqiao&mode=industrial_park&sort=-investment",
            14,
        ),
        _add_projects,
        ("office_pn", "office_metro", "officer_nanqiao"),
    ),
    "api projects": ListCase(
        QueryBudget("/api/v1/cooperation/projects?q=perf-project&status=signed", 9),
        _add_projects,
        ("office_pn", "office_metro"),
    ),
    "page projects export": ListCase(
        QueryBudget("/cooperation/projects/?q=perf-project&export=csv", 9), _add_projects, ("office_pn",)
    ),
}


def _rows(client, case: ListCase) -> int:
    response = client.get(case.budget.url)
    assert response.status_code == 200
    if case.api:
        return response.json()["count"]
    if "export=" in case.budget.url:
        return len(b"".join(response.streaming_content).decode("utf-8-sig").strip().splitlines()) - 1
    return list_count(response.content.decode())


@pytest.mark.parametrize("name", list(CASES))
def test_a_cooperation_list_runs_a_fixed_number_of_queries_within_its_budget(client_for, name):
    """Given FEW rows the user may see, when the list is fetched, then adding rows up to MANY runs exactly the
    same number of queries, within the budget, and the list did grow; other roles stay within it too."""
    case = CASES[name]
    case.add_rows(0, 3)
    first, *others = case.users
    client = client_for(first)
    assert _rows(client, case) == 3
    assert_queries_flat(client, case.budget, lambda: case.add_rows(3, 15))
    assert _rows(client, case) == 15
    for username in others:
        other = client_for(username)
        other.get(case.budget.url)
        assert count_queries(other, case.budget.url) <= case.budget.max_queries, username


@pytest.mark.parametrize(
    ("url", "budget"),
    [
        ("/cooperation/zones/ninghuai-cooperation/", 21),
        ("/api/v1/cooperation/zones/ninghuai-cooperation/overview", 18),
        ("/cooperation/zones/pukou-nanqiao/fund/", 15),
        ("/cooperation/", 11),
    ],
)
def test_the_overview_fund_and_index_pages_run_a_fixed_number_of_queries(client_for, url, budget):
    """Given the 540 宁淮 projects, when the overview (or the fund page, or the index) is fetched, then it runs
    a small fixed number of queries: aggregates, never a query per park or project; adding projects adds
    none."""
    client = client_for("office_metro")
    client.get(url)
    before = count_queries(client, url)
    _add_projects(0, 5)
    assert count_queries(client, url) == before
    assert before <= budget, before
