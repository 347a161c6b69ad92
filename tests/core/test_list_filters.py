"""Filters declared once serve the page and the API (issue 7, point 8): the same parameters, the same
refusals (a 400 page, a 422 JSON naming the parameter, both with one message) and the same rows; "mine"
and date ranges on the core lists; the OpenAPI schema documents every parameter."""

from __future__ import annotations

import datetime as dt
import html

import pytest

from tongcheng.api import api
from tongcheng.core.models import (
    AdjacentZone,
    Jurisdiction,
    MetroArea,
    Organisation,
    OrganisationKind,
    Person,
    RoleGrant,
    User,
    ZoneKind,
)
from tongcheng.core.services import grants, zones
from tongcheng.core.validators import mask_id_number
from tongcheng.kit.testing import list_count, read_csv_export

pytestmark = pytest.mark.django_db

API = "/api/v1"


def _api_rows(client, path: str) -> list[dict]:
    response = client.get(f"{API}{path}{'&' if '?' in path else '?'}limit=500")
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["count"] == len(body["items"])
    return body["items"]


@pytest.fixture
def proposal(db) -> AdjacentZone:
    """溧水—博望, proposed by office_jb (溧水 lies beyond its territory)."""
    return zones.create_zone(
        actor=User.objects.get(username="office_jb"),
        metro=MetroArea.objects.get(code="nanjing"),
        code="lishui-bowang",
        name="溧水—博望",
        kind="cross_border_demo_zone",
        established=dt.date(2024, 6, 1),
        members=[zones.MemberSpec(code="320117"), zones.MemberSpec(code="340506")],
    )


BAD = [
    ("jurisdictions", "status", "maybe"),
    ("jurisdictions", "level", "nonsense"),
    ("jurisdictions", "parent", "32011x"),
    ("jurisdictions", "mine", "yes"),
    ("jurisdictions", "valid_from", "2024-13-01"),
    ("jurisdictions", "valid_to", "2024/01/01"),
    ("jurisdictions", "sort", "secret_field"),
    ("zones", "kind", "nonsense"),
    ("zones", "status", "approved"),
    ("zones", "mine", "0"),
    ("zones", "established_from", "yesterday"),
    ("zones", "sort", "-members"),
    ("organisations", "kind", "nonsense"),
    ("organisations", "zone", "jiangning-bowang"),  # exists, but office_pn cannot see it
    ("organisations", "zone", "no-such-zone"),
    ("organisations", "jurisdiction", "12"),
    ("organisations", "established_to", "２０２４-01-01"),  # full-width digits
    ("organisations", "sort", "password"),
    ("people", "organisation", "a b"),
    ("people", "mine", "me"),
    ("people", "sort", "id_number"),
]


@pytest.mark.parametrize(("path", "param", "value"), BAD, ids=[f"{p}?{k}={v}" for p, k, v in BAD])
def test_given_a_value_the_list_does_not_offer_when_page_and_api_are_asked_then_both_refuse_it_naming_it(
    client_for, path, param, value
):
    """Given office_pn, when a list page and its API list get a parameter value the list does not offer,
    then the page is a 400 showing the message and the API a 422 ``validation_failed`` whose field is the
    parameter, with the same message; never a 500."""
    client = client_for("office_pn")
    page = client.get(f"/{path}/", {param: value})
    assert page.status_code == 400
    response = client.get(f"{API}/{path}", {param: value})
    assert response.status_code == 422, response.content
    body = response.json()
    assert body["code"] == "validation_failed"
    assert body["field"] == param
    assert body["errors"][0]["field"] == param
    assert f"“{value}”" in body["message"]
    assert html.escape(body["message"], quote=False) in page.content.decode()


def test_given_a_reversed_date_range_when_page_and_api_are_asked_then_both_refuse_it(client_for):
    client = client_for("office_metro")
    query = {"established_from": "2024-02-01", "established_to": "2024-01-01"}
    assert client.get("/zones/", query).status_code == 400
    response = client.get(f"{API}/zones", query)
    assert response.status_code == 422
    assert response.json()["field"] == "established_from"
    assert response.json()["errors"][0]["code"] == "date_range_reversed"


SAME = [
    ("office_metro", "zones", "kind=cross_border_demo_zone"),
    ("office_metro", "zones", "established_from=2020-01-01&established_to=2023-12-31"),
    ("office_metro", "zones", "status=active&sort=-established"),
    ("office_jb", "zones", "mine=1"),
    ("office_metro", "organisations", "jurisdiction=340506"),
    ("office_metro", "organisations", "kind=finance_bureau&zone=pukou-nanqiao"),
    ("clerk_pukou", "organisations", "mine=1"),
    ("finance_nanqiao", "organisations", "mine=1&kind=finance_bureau"),
    ("office_metro", "jurisdictions", "parent=320100&status=True"),  # the API lists today's codes
    ("officer_pukou", "jurisdictions", "mine=1&level=township"),
    ("office_pn", "jurisdictions", "valid_from=2020-01-01&sort=-code"),
    ("office_metro", "people", "organisation=pukou-nanqiao-office"),
    ("finance_pukou", "people", "mine=1&sort=-name"),
]
KEY = {"zones": "code", "organisations": "key", "jurisdictions": "code", "people": "name"}


@pytest.mark.parametrize(("user", "path", "query"), SAME, ids=[f"{u}:{p}?{q}" for u, p, q in SAME])
def test_given_the_same_parameters_when_page_export_and_api_list_then_they_show_the_same_rows(
    client_for, proposal, user, path, query
):
    """Given valid parameters, when the page, its CSV export and the API list are fetched, then all three
    hold the same rows (in the same order), and the filter did narrow the list."""
    client = client_for(user)
    page = client.get(f"/{path}/?{query}")
    assert page.status_code == 200
    exported = [row[KEY[path]] for row in read_csv_export(client.get(f"/{path}/?{query}&export=csv"))]
    listed = [row[KEY[path]] for row in _api_rows(client, f"/{path}?{query}")]
    assert exported == listed
    assert list_count(page.content.decode()) == len(listed)
    everything = _api_rows(client, f"/{path}")
    assert 0 < len(listed) < len(everything)


def test_given_a_proposal_when_its_proposer_asks_for_mine_then_only_their_proposal_is_listed(
    client_for, proposal
):
    """Given 溧水—博望 proposed by office_jb, when office_jb lists its zones with mine=1, then only the
    proposal is listed (not 江宁—博望, which it runs but did not propose); the metro office, which sees
    the proposal too, gets none as "mine"."""
    assert [z["code"] for z in _api_rows(client_for("office_jb"), "/zones?mine=1")] == ["lishui-bowang"]
    assert "lishui-bowang" in [z["code"] for z in _api_rows(client_for("office_metro"), "/zones")]
    assert _api_rows(client_for("office_metro"), "/zones?mine=1") == []


def test_given_a_clerk_when_organisations_mine_then_its_window_alone_is_listed(client_for):
    rows = _api_rows(client_for("clerk_pukou"), "/organisations?mine=1")
    assert [o["key"] for o in rows] == ["win-pukou"]


def test_given_an_officer_when_jurisdictions_mine_then_only_its_territory_is_listed(client_for):
    pukou = Jurisdiction.objects.current().get(code="320111")
    rows = _api_rows(client_for("officer_pukou"), "/jurisdictions?mine=1")
    assert rows and all(r["code"] == "320111" or r["parent_code"] == "320111" for r in rows)
    assert len(rows) == Jurisdiction.objects.current().filter(path__startswith=pukou.path).count()


def test_given_grants_i_gave_when_the_grant_list_is_filtered_by_mine_then_only_those_are_listed(client_for):
    """Given office_pn giving 浦口's clerk a second role, when office_pn lists grants with mine=1, then
    only that grant is listed (the demo's grants were given by nobody), and office_metro's mine is empty."""
    actor = User.objects.get(username="office_pn")
    given = grants.grant_role(
        actor=actor,
        user=User.objects.get(username="clerk_nanqiao"),
        role="leader",
        valid_from=dt.date(2024, 1, 1),
        valid_to=None,
        zone=AdjacentZone.objects.get(code="pukou-nanqiao"),
    )
    client = client_for("office_pn")
    mine = read_csv_export(client.get("/grants/?mine=1&export=csv"))
    assert [(r["username"], r["scope"]) for r in mine] == [("clerk_nanqiao", str(given.scope))]
    everything = read_csv_export(client.get("/grants/?export=csv"))
    assert len(everything) > 1
    assert read_csv_export(client_for("office_metro").get("/grants/?mine=1&export=csv")) == []
    assert RoleGrant.objects.filter(granted_by=actor).count() == 1


def test_given_people_with_id_numbers_when_listed_then_page_export_and_api_show_them_masked(client_for):
    """Given office_pn, whose scope holds people with ID numbers, when the people list, its export and the
    API list are read, then every ID number is masked and none is shown whole."""
    people = list(Person.objects.visible_to(User.objects.get(username="office_pn")).exclude(id_number=""))
    assert people
    client = client_for("office_pn")
    page = client.get("/people/").content.decode()
    exported = str(read_csv_export(client.get("/people/?export=csv")))
    listed = _api_rows(client, "/people")
    for person in people:
        for shown in (page, exported, str(listed)):
            assert person.id_number not in shown
        assert mask_id_number(person.id_number) in page
    assert {p["id_number"] for p in listed} >= {mask_id_number(p.id_number) for p in people}


def test_given_a_date_range_when_organisations_are_listed_then_both_days_are_included(client_for):
    org = Organisation.objects.get(key="win-pukou")
    Organisation.objects.filter(pk=org.pk).update(established=dt.date(2023, 5, 4))
    client = client_for("office_metro")
    for query, present in (
        ("established_from=2023-05-04&established_to=2023-05-04", True),
        ("established_from=2023-05-05", False),
        ("established_to=2023-05-03", False),
    ):
        keys = [o["key"] for o in _api_rows(client, f"/organisations?{query}")]
        assert ("win-pukou" in keys) is present, query


def _parameters(path: str) -> dict[str, dict]:
    operation = api.get_openapi_schema()["paths"][f"{API}{path}"]["get"]
    return {p["name"]: p["schema"] for p in operation["parameters"]}


def test_the_openapi_schema_documents_each_list_parameter_with_its_values():
    """Given the API schema, then each list names its filters, with the enum of fixed values (the kinds,
    mine's 1), day formats for the date ranges, the sortable columns, and 422 among its answers."""
    zones_ = _parameters("/zones")
    assert zones_["kind"]["enum"] == list(ZoneKind.values)
    assert zones_["mine"]["enum"] == ["1"]
    assert zones_["established_from"]["format"] == "date"
    assert "-established" in zones_["sort"]["enum"] and "members" not in zones_["sort"]["enum"]
    organisations = _parameters("/organisations")
    assert organisations["kind"]["enum"] == list(OrganisationKind.values)
    assert "enum" not in organisations["zone"]  # the zones a caller sees differ: no fixed enum
    assert organisations["jurisdiction"]["pattern"]
    jurisdictions = _parameters("/jurisdictions")
    assert {
        "q",
        "level",
        "status",
        "parent",
        "mine",
        "valid_from",
        "valid_to",
        "at",
        "include_former",
    } <= set(jurisdictions)
    responses = api.get_openapi_schema()["paths"][f"{API}/zones"]["get"]["responses"]
    assert 422 in responses
