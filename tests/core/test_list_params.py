"""List parameters (issue 6, point 8): the jurisdictions list's own Status filter works, and a filter, sort
or page value the page does not offer is a 400 with a message naming the value and the parameter (the rest
of the list still shown), on the page and on its exports alike, never a 500."""

from __future__ import annotations

import pytest

from tongcheng.core.models import AdjacentZone, AuditEntry, Jurisdiction
from tongcheng.kit.testing import list_count, read_csv_export


def test_status_filter_lists_current_and_former_jurisdictions(client_for):
    """Given the registry with former jurisdictions (e.g. 三山区 340208, merged in 2020), when the list is
    filtered by Status Current / Former (the values its own form sends), then it shows exactly the current /
    former rows, on the page and in the export."""
    client = client_for("office_metro")
    current = Jurisdiction.objects.filter(valid_to__isnull=True).count()
    former = Jurisdiction.objects.filter(valid_to__isnull=False).count()
    assert current and former
    for value, expected in (("True", current), ("False", former)):
        response = client.get(f"/jurisdictions/?status={value}")
        assert response.status_code == 200
        assert list_count(response.content.decode()) == expected
        assert len(read_csv_export(client.get(f"/jurisdictions/?status={value}&export=csv"))) == expected
    html = client.get("/jurisdictions/?status=False").content.decode()
    assert '<option value="False" selected>' in html


BAD = [
    ("/jurisdictions/", "status", "maybe"),
    ("/jurisdictions/", "status", "true"),
    ("/jurisdictions/", "level", "nonsense"),
    ("/jurisdictions/", "sort", "secret_field"),
    ("/jurisdictions/", "page", "abc"),
    ("/zones/", "kind", "nonsense"),
    ("/zones/", "sort", "-members"),
    ("/zones/", "page", "-1"),
    ("/organisations/", "kind", "nonsense"),
    ("/organisations/", "zone", "jiangning-bowang"),  # a zone office_pn cannot see: same as a missing one
    ("/organisations/", "zone", "no-such-zone"),
    ("/organisations/", "sort", "password"),
    ("/audit/", "action", "no.such.action"),
    ("/audit/", "sort", "data"),
    ("/audit/", "page", "1.5"),
]


@pytest.mark.parametrize("export", ["", "csv", "xlsx"])
@pytest.mark.parametrize(("url", "param", "value"), BAD, ids=[f"{u}?{p}={v}" for u, p, v in BAD])
def test_bad_list_parameter_is_a_400_with_a_message(client_for, url, param, value, export):
    """Given office_pn, when a list (or its export) is asked for with a parameter value the page does not
    offer, then the answer is a 400 page that names the value and says it is not valid, not a file."""
    client = client_for("office_pn")
    query = f"?{param}={value}" + (f"&export={export}" if export else "")
    response = client.get(url + query)
    assert response.status_code == 400
    assert response["Content-Type"].startswith("text/html")
    html = response.content.decode()
    assert f"“{value}”" in html
    assert 'role="alert"' in html


def test_invisible_zone_filter_reads_like_a_missing_one(client_for):
    """Given office_pn, when the organisations list is filtered by a zone it cannot see and by one that does
    not exist, then both pages carry the same message shape (nothing tells the zone exists)."""
    client = client_for("office_pn")
    assert AdjacentZone.objects.filter(code="jiangning-bowang").exists()
    a = client.get("/organisations/?zone=jiangning-bowang").content.decode()
    b = client.get("/organisations/?zone=no-such-zone-xx").content.decode()
    message = lambda html, v: html.split('role="alert"', 1)[1].split("</div>", 1)[0].replace(v, "V")  # noqa: E731
    assert message(a, "jiangning-bowang") == message(b, "no-such-zone-xx")


@pytest.mark.parametrize(
    ("url", "query"),
    [
        ("/jurisdictions/", "level=county&sort=-name&page=2"),
        ("/zones/", "kind=cooperation_park&sort=established"),
        ("/organisations/", "zone=pukou-nanqiao&sort=-key"),
        ("/audit/", "sort=-at"),
    ],
)
def test_valid_parameters_still_work(client_for, url, query):
    """Given valid filter, sort and page values, when a list and its exports are fetched, then they answer 200
    (the check refuses only what the page does not offer)."""
    client = client_for("office_metro")
    AuditEntry.objects.create(actor_name="t", action="zone.update", object_type="x", object_id="1")
    assert client.get(f"{url}?{query}").status_code == 200
    assert client.get(f"{url}?{query}&export=csv").status_code == 200
    assert client.get(f"{url}?{query}&export=xlsx").status_code == 200


def test_page_past_the_end_shows_the_last_page(client_for):
    """Given a valid page number past the end (an old link after filtering), when the list is fetched, then
    the last page is shown (200), as before."""
    assert client_for("office_metro").get("/zones/?page=999").status_code == 200
