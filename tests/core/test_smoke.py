"""Given the demo, when each main page is opened by the metropolitan-area office, then it answers 200 and shows
what it is for: the record named in its address, or the list with the count of the rows the user sees (every
role's status on every page is the access matrix's, tests/core/test_access_matrix.py)."""

import re

import pytest

from tongcheng.core import selectors
from tongcheng.core.models import AdjacentZone, AuditEntry, Jurisdiction, MetroArea, Organisation, User
from tongcheng.core.services import zones
from tongcheng.kit.testing import list_count

pytestmark = pytest.mark.django_db


def _h1(html: str) -> str:
    return re.sub(r"<[^>]+>", "", html.split("<h1", 1)[1].split(">", 1)[1].split("</h1>", 1)[0]).strip()


def _office() -> User:
    return User.objects.get(username="office_metro")


def _zone_count(html: str) -> int:
    return int(re.search(r'data-testid="zone-count">(\d+)<', html).group(1))


PAGES = {
    "/": lambda html: _zone_count(html) == AdjacentZone.objects.count() == 6,
    "/metro/": lambda html: _h1(html) == MetroArea.objects.get(code="nanjing").name,
    "/zones/": lambda html: list_count(html) == 6,
    "/zones/pukou-nanqiao/": lambda html: (
        _h1(html).startswith("浦口—南谯")
        and {"320111", "341103"} <= set(re.findall(r"/jurisdictions/(\d+)/", html))
    ),
    "/jurisdictions/": lambda html: list_count(html) == selectors.jurisdictions(_office()).count() > 0,
    "/jurisdictions/320111/": lambda html: (
        _h1(html) == f"{Jurisdiction.objects.current().get(code='320111').name} 320111"
    ),
    "/organisations/": lambda html: (
        list_count(html) == Organisation.objects.visible_to(_office()).count() > 0
    ),
    "/organisations/pukou-nanqiao-office/": lambda html: _h1(html).startswith("浦口—南谯同城办"),
    "/me/tokens/": lambda html: 'name="expires_in_days"' in html,
    "/audit/": lambda html: list_count(html) == AuditEntry.objects.visible_to(_office()).count() > 0,
    "/zones/new/": lambda html: (
        'name="members-TOTAL_FORMS"' in html and MetroArea.objects.get().name in _h1(html)
    ),
}


@pytest.mark.parametrize("path", list(PAGES))
def test_pages_show_their_content_to_the_metro_office(client_for, path):
    """Given the demo (and one audited edit, so the audit log has a row), when office_metro opens the page, then
    it answers 200 and shows its record or the number of rows office_metro sees."""
    zone = AdjacentZone.objects.get(code="jiangning-bowang")
    zones.update_zone(
        actor=_office(), zone=zone, changes={"description": "smoke"}, expected_version=zone.version
    )
    response = client_for("office_metro").get(path)
    assert response.status_code == 200, path
    assert PAGES[path](response.content.decode()), path


def test_anonymous_is_sent_to_login(client_for):
    """Given no session, when a page is opened, then the answer sends to the sign-in page with the page to come
    back to."""
    response = client_for(None).get("/zones/")
    assert response.status_code == 302 and response["Location"] == "/login/?next=/zones/"
