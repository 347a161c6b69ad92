"""Given the demo, when each main page is opened by a zone office user, then it answers 200."""

import pytest

pytestmark = pytest.mark.django_db

PAGES = [
    "/",
    "/metro/",
    "/zones/",
    "/zones/pukou-nanqiao/",
    "/jurisdictions/",
    "/jurisdictions/320111/",
    "/organisations/",
    "/organisations/pukou-nanqiao-office/",
    "/me/tokens/",
    "/audit/",
    "/zones/new/",
]


@pytest.mark.parametrize("path", PAGES)
def test_pages_answer_for_metro_office(client_for, path):
    response = client_for("office_metro").get(path)
    assert response.status_code == 200, path


def test_anonymous_is_sent_to_login(client_for):
    response = client_for(None).get("/zones/")
    assert response.status_code == 302 and "/login/" in response["Location"]
