"""The shared tools over the API: working days with 调休, and identifier checks that agree with forms."""

import pytest

pytestmark = pytest.mark.django_db


def test_adding_a_working_day_before_spring_festival_2026_lands_on_the_adjusted_saturday(client_for):
    """Given Friday 2026-02-13, when one working day is added, then it is Saturday 02-14 (调休 workday)."""
    body = (
        client_for("officer_pukou")
        .get("/api/v1/tools/workdays/add", {"start": "2026-02-13T10:00:00+08:00", "n": 1})
        .json()
    )
    assert body["result"] == "2026-02-14T10:00:00+08:00"


def test_counting_across_national_day_2025_skips_the_eight_days_off(client_for):
    body = (
        client_for("officer_pukou")
        .get("/api/v1/tools/workdays/between", {"start": "2025-09-30", "end": "2025-10-10"})
        .json()
    )
    assert body["workdays"] == 2  # 10-09 and 10-10; 10-01..10-08 are the holiday


def test_an_override_in_the_database_wins(client_for):
    from tongcheng.core.models import WorkdayOverride

    WorkdayOverride.objects.create(day="2026-02-14", is_workday=False, note="test")
    body = (
        client_for("officer_pukou")
        .get("/api/v1/tools/workdays/add", {"start": "2026-02-13T10:00:00+08:00", "n": 1})
        .json()
    )
    assert body["result"] == "2026-02-24T10:00:00+08:00"


def test_an_absurd_span_is_refused_with_the_field_named(client_for):
    response = client_for("officer_pukou").get(
        "/api/v1/tools/workdays/add", {"start": "2026-01-01T00:00:00", "n": 99999}
    )
    assert response.status_code == 422 and response.json()["field"] == "n"


@pytest.mark.parametrize(
    ("value", "at", "valid"),
    [
        ("340221", "2019-01-01", True),  # 芜湖县 before the 2020 change
        ("340221", None, False),  # abolished since
        ("340210", None, True),  # 湾沚区 today
        ("320111002", None, True),  # 顶山街道
        ("320413", "2014-01-01", False),  # 金坛区 did not exist yet
    ],
)
def test_a_division_code_is_checked_at_a_date(client_for, value, at, valid):
    params = {"value": value, **({"at": at} if at else {})}
    body = client_for("officer_pukou").get("/api/v1/tools/check/division", params).json()
    assert body["valid"] is valid
    if not valid:
        assert body["code"] in {"division_unknown_at_date"}


def test_an_id_number_is_echoed_masked_even_when_valid(client_for):
    body = (
        client_for("officer_pukou")
        .get("/api/v1/tools/check/id_number", {"value": "11010519491231002X"})
        .json()
    )
    assert body == {
        "kind": "id_number",
        "valid": True,
        "value": "1101**********002X",
        "code": None,
        "message": None,
    }


def test_tools_need_authentication(client_for):
    assert client_for(None).get("/api/v1/tools/check/uscc", {"value": "x"}).status_code == 401
