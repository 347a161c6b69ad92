"""The filter kinds of kit/filters.py on their own: "overdue" (a due date, or any definition by the day),
"mine", a free code, and the query schema and refusals an API list builds from a ListSpec."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db.models import Q
from django.utils import timezone

from tongcheng.core.models import RoleGrant, User
from tongcheng.kit.filters import Choices, Code, Mine, Overdue, api_list, query_schema
from tongcheng.kit.listing import Column, DateRange, Filter, ListSpec, apply_list_params
from tongcheng.kit.services import ValidationFailed

pytestmark = pytest.mark.django_db

# Grants stand in for any record with a due date: valid_to is the "due" day, and a withdrawn-on-purpose
# grant (here: role "auditor") counts as closed.
ENDED = Overdue("ended", "Ended", due_field="valid_to", open_q=~Q(role="auditor"))
SPEC = ListSpec(
    title="Grants",
    columns=[Column("role", "Role", sort="role"), Column("valid_to", "Ends", sort="valid_to")],
    search_fields=["user__username__icontains"],
    filters=[
        Filter("role", "Role", "role", Choices([("clerk", "Clerk"), ("office", "Office")])),
        ENDED,
        Mine("mine", "Mine", lambda user: Q(user=user)),
        Code("username", "Username", "user__username", pattern=r"[a-z_]{1,30}"),
    ],
    date_ranges=[DateRange("start", "Start", "valid_from")],
    default_sort="role",
)


def _grants() -> list[RoleGrant]:
    today = timezone.localdate()
    rows = list(RoleGrant.objects.filter(user__username__in=["clerk_pukou", "office_pn", "auditor_pn"]))
    due = {
        "clerk_pukou": today - dt.timedelta(days=1),
        "office_pn": today,
        "auditor_pn": today - dt.timedelta(3),
    }
    for row in rows:
        RoleGrant.objects.filter(pk=row.pk).update(valid_to=due[row.user.username])
    return rows


def _names(qs) -> set[str]:
    return set(qs.values_list("user__username", flat=True))


def test_given_due_dates_when_overdue_is_asked_then_only_open_rows_due_before_today_are_overdue():
    """Given a clerk's grant due yesterday, an office's due today and an auditor's (closed) due three days
    ago, when filtered overdue=1 / 0, then only the clerk's is overdue; today is not overdue yet and a
    closed row is never overdue."""
    _grants()
    qs = RoleGrant.objects.filter(user__username__in=["clerk_pukou", "office_pn", "auditor_pn"])
    assert _names(ENDED.apply(qs, "1", None)) == {"clerk_pukou"}
    assert _names(ENDED.apply(qs, "0", None)) == {"office_pn", "auditor_pn"}


def test_given_a_clock_definition_when_overdue_is_built_from_q_then_it_uses_the_site_day():
    seen: list[dt.date] = []

    def state(today: dt.date) -> Q:
        seen.append(today)
        return Q(role="clerk")

    flt = Overdue("late", "Late", q=state)
    qs = RoleGrant.objects.filter(user__username__in=["clerk_pukou", "office_pn"])
    assert _names(flt.apply(qs, "1", None)) == {"clerk_pukou"}
    assert seen == [timezone.localdate()]
    with pytest.raises(ValueError):
        Overdue("late", "Late")
    with pytest.raises(ValueError):
        Overdue("late", "Late", due_field="valid_to", q=state)


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"ended": "yes"}, "ended"),
        ({"mine": "true"}, "mine"),
        ({"username": "Robert'); DROP"}, "username"),
        ({"role": "leader"}, "role"),
        ({"start_from": "2024-1-1"}, "start_from"),
        ({"sort": "user"}, "sort"),
    ],
)
def test_given_a_value_a_filter_does_not_take_when_an_api_list_applies_it_then_it_is_a_422_naming_it(
    params, field
):
    with pytest.raises(ValidationFailed) as caught:
        api_list(RoleGrant.objects.all(), SPEC, params, User.objects.get(username="office_pn"))
    assert caught.value.status == 422
    assert caught.value.field == field
    assert caught.value.errors[0]["field"] == field


def test_given_mine_and_a_code_when_applied_then_they_narrow_to_the_user_and_the_value():
    clerk = User.objects.get(username="clerk_pukou")
    mine = api_list(RoleGrant.objects.all(), SPEC, {"mine": "1"}, clerk)
    assert _names(mine) == {"clerk_pukou"}
    named = api_list(RoleGrant.objects.all(), SPEC, {"username": "office_pn"}, clerk)
    assert _names(named) == {"office_pn"}


def test_given_no_parameter_when_applied_then_the_list_is_the_whole_queryset_in_the_default_order():
    qs, state = apply_list_params(RoleGrant.objects.all(), SPEC, {}, None)
    assert qs.count() == RoleGrant.objects.count()
    assert state["problems"] == [] and state["sort"] == "role"


def test_the_query_schema_holds_every_parameter_of_the_spec_with_its_fixed_values():
    schema = query_schema(SPEC, "GrantFilter").model_json_schema()["properties"]
    assert set(schema) == {"q", "role", "ended", "mine", "username", "start_from", "start_to", "sort"}
    assert schema["role"]["enum"] == ["clerk", "office"]
    assert schema["ended"]["enum"] == ["1", "0"]
    assert schema["mine"]["enum"] == ["1"]
    assert schema["username"]["pattern"] == "^[a-z_]{1,30}$"
    assert schema["start_from"]["format"] == "date"
    assert schema["sort"]["enum"] == ["role", "-role", "valid_to", "-valid_to"]
