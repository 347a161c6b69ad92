"""The access helpers of issue 7, point 2: the deliberate ``public`` action (an anonymous visitor gets only
what a rule publishes, and a row behind a query code only with that code), "my own rows" and "rows that
passed through my window" as Q builders, and per-row allowed actions for queues in one query per action.

The public pages of the modules do not exist yet, so two small models made for these tests stand in for a
case with a tracking page (number + 查询码) and for a published accountability item."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from django.contrib.auth.models import AnonymousUser
from django.db import connection, models
from django.db.models import Q
from django.test.utils import CaptureQueriesContext, isolate_apps

from tongcheng.core.models import AdjacentZone, Organisation, RoleGrant, User
from tongcheng.kit import access
from tongcheng.kit.access import (
    NONE,
    PUBLIC,
    UnknownAction,
    allowed_actions,
    any_of,
    can,
    own_rows_q,
    published,
    register_rule,
    restrict,
    scope_of,
    window_rows_q,
)

pytestmark = pytest.mark.django_db


def _create_table(model: type[models.Model]) -> None:
    # Inside the test's transaction (rolled back after it); SQLite's schema editor refuses to run there,
    # so the table's CREATE statement is taken from it and run directly.
    sql, params = connection.SchemaEditorClass(connection).table_sql(model)
    with connection.cursor() as cursor:
        cursor.execute(sql, params)


@pytest.fixture
def cases() -> Iterator[tuple[type[models.Model], type[models.Model]]]:
    with isolate_apps("tongcheng.kit.scopecache"):

        class TrackedCase(models.Model):
            number = models.CharField(max_length=20, unique=True)
            query_code = models.CharField(max_length=12)
            trackable = models.BooleanField(default=True)
            applicant_id = models.IntegerField(null=True)
            window_id = models.IntegerField(null=True)

            class Meta:
                app_label = "scopecache"

            def __str__(self) -> str:
                return self.number

        class AccountabilityItem(models.Model):
            title = models.CharField(max_length=50)
            published = models.BooleanField(default=False)

            class Meta:
                app_label = "scopecache"

            def __str__(self) -> str:
                return self.title

        for model in (TrackedCase, AccountabilityItem):
            _create_table(model)

        @register_rule(TrackedCase, actions=("view", PUBLIC), query_code="query_code")
        def case_rule(scope, action):
            if action == PUBLIC:
                return Q(trackable=True)
            # The applicant follows what they filed; a clerk what passed through their window.
            return any_of(own_rows_q(scope, "applicant_id"), window_rows_q(scope, "window_id", ("clerk",)))

        @register_rule(AccountabilityItem, actions=("view", PUBLIC))
        def item_rule(scope, action):
            return Q(published=True) if action == PUBLIC else NONE

        try:
            yield TrackedCase, AccountabilityItem
        finally:
            for model in (TrackedCase, AccountabilityItem):
                access._RULES.pop(model, None)
                access._QUERY_CODES.pop(model, None)


def test_given_a_published_page_when_anyone_asks_for_public_rows_then_only_published_rows_come_back(cases):
    """Given two items, one published, when an anonymous visitor, a signed-in user and the superuser ask
    for the public rows, then each gets exactly the published one (public is the same for everybody; the
    superuser's shortcut does not widen it), and anonymous gets nothing for any other action."""
    _case, Item = cases
    shown = Item.objects.create(title="公开", published=True)
    Item.objects.create(title="内部", published=False)
    for user in (AnonymousUser(), None, User.objects.get(username="clerk_pukou"), User(is_superuser=True)):
        assert list(restrict(Item.objects.all(), user, PUBLIC)) == [shown]
    assert not restrict(Item.objects.all(), AnonymousUser(), "view").exists()
    assert published(Item, pk=shown.pk) == shown


def test_given_a_case_behind_a_query_code_when_tracked_then_only_the_right_code_shows_it(cases):
    """Given a trackable case with its query code, when an anonymous visitor looks it up by number, then
    the right code shows it, and a wrong, empty or missing code, another case's code, an unknown number
    or a case that is not trackable all read the same: nothing."""
    Case, _item = cases
    case = Case.objects.create(number="NJ-2027-000123", query_code="7Q4K9M")
    other = Case.objects.create(number="NJ-2027-000124", query_code="X2P8D3")
    hidden = Case.objects.create(number="NJ-2027-000125", query_code="H1H1H1", trackable=False)
    assert published(Case, number=case.number, query_code="7Q4K9M") == case
    for code in ("7Q4K9N", "7q4k9m", "", None, other.query_code, "7Q4K9M "):
        assert published(Case, number=case.number, query_code=code) is None, code
    assert published(Case, number="NJ-2027-999999", query_code="7Q4K9M") is None
    assert published(Case, number=hidden.number, query_code=hidden.query_code) is None


def test_given_a_model_behind_a_query_code_when_its_public_rows_are_listed_then_none_are(cases):
    """A code-protected model is never listed publicly: a list would hand out the numbers."""
    Case, _item = cases
    Case.objects.create(number="NJ-2027-000123", query_code="7Q4K9M")
    for user in (AnonymousUser(), User(is_superuser=True)):
        assert not restrict(Case.objects.all(), user, PUBLIC).exists()


def test_given_a_rule_without_public_when_public_is_asked_then_it_is_an_error_or_nothing(settings):
    """Zones publish nothing: asking them for public rows is an unknown action (an error in development and
    tests), and published() finds nothing."""
    with pytest.raises(UnknownAction):
        restrict(AdjacentZone.objects.all(), AnonymousUser(), PUBLIC)
    assert published(AdjacentZone, code="pukou-nanqiao") is None
    settings.DEBUG = settings.TONGCHENG_STRICT_ACTIONS = False
    assert not restrict(AdjacentZone.objects.all(), AnonymousUser(), PUBLIC).exists()


def test_a_query_code_without_the_public_action_is_refused_when_the_rule_is_registered():
    before = access._RULES[Organisation]
    with pytest.raises(ValueError, match="public"):
        register_rule(Organisation, actions=("view",), query_code="key")
    assert access._RULES[Organisation] == before


def test_given_cases_when_applicant_and_clerks_read_them_then_each_sees_own_and_window_rows(cases):
    """Given a case filed by the demo applicant and received at 浦口's window, and another received at
    南谯's, when each reads through the rule (own_rows_q + window_rows_q), then the applicant sees what
    they filed, each clerk what passed through their window, and a finance user of 浦口 nothing."""
    Case, _item = cases
    applicant = User.objects.get(username="applicant_demo")
    win_pukou = Organisation.objects.get(key="win-pukou")
    win_nanqiao = Organisation.objects.get(key="win-nanqiao")
    filed = Case.objects.create(
        number="A1", query_code="1", applicant_id=applicant.pk, window_id=win_pukou.pk
    )
    walked_in = Case.objects.create(number="A2", query_code="2", window_id=win_nanqiao.pk)
    expected = {
        "applicant_demo": {filed},
        "clerk_pukou": {filed},
        "clerk_nanqiao": {walked_in},
        "finance_pukou": set(),
    }
    for username, rows in expected.items():
        assert set(restrict(Case.objects.all(), User.objects.get(username=username))) == rows, username


def test_own_rows_q_and_window_rows_q_follow_the_scope_and_give_nothing_to_an_anonymous_scope():
    clerk = User.objects.get(username="clerk_pukou")
    scope = scope_of(clerk)
    mine = RoleGrant.objects.filter(own_rows_q(scope, "user_id"))
    assert set(mine.values_list("user__username", flat=True)) == {"clerk_pukou"}
    window = RoleGrant.objects.filter(window_rows_q(scope, "organisation_id"))
    assert set(window.values_list("organisation__key", flat=True)) == {"win-pukou"}
    assert window_rows_q(scope, "organisation_id", roles=("finance",)) is NONE
    anonymous = scope_of(AnonymousUser())
    assert own_rows_q(anonymous, "user_id") is NONE
    assert window_rows_q(anonymous, "organisation_id") is NONE


ACTIONS = ("view", "change", "approve", "history")


@pytest.mark.parametrize("username", ["office_pn", "office_metro", "clerk_pukou", "applicant_demo"])
def test_given_a_queue_when_allowed_actions_is_asked_then_it_matches_can_with_one_query_per_action(username):
    """Given every zone as a queue, when allowed_actions is asked for four actions, then each row's set is
    exactly what can() answers row by row, and it took at most one query per action (plus one for the keys;
    an action the rule grants no row takes none), whatever the number of rows."""
    user = User.objects.get(username=username)
    scope_of(user)  # the scope is loaded once per request anyway; count the queue's own queries
    queue = AdjacentZone.objects.all()
    with CaptureQueriesContext(connection) as queries:
        allowed = allowed_actions(user, queue, ACTIONS)
    assert len(queries) <= len(ACTIONS) + 1
    rows = list(queue)
    assert set(allowed) == {z.pk for z in rows}
    for zone in rows:
        assert allowed[zone.pk] == {a for a in ACTIONS if can(user, a, zone)}, (username, zone.code)
    with CaptureQueriesContext(connection) as queries:
        assert allowed_actions(user, rows, ACTIONS) == allowed
    assert len(queries) <= len(ACTIONS)
    assert any(allowed.values()) is (username != "applicant_demo")  # the applicant sees no zone


def test_given_office_pn_when_its_queue_is_asked_then_it_may_change_its_zone_and_only_view_its_neighbours():
    user = User.objects.get(username="office_pn")
    allowed = allowed_actions(user, AdjacentZone.objects.all(), ACTIONS)
    by_code = {z.code: allowed[z.pk] for z in AdjacentZone.objects.all()}
    assert by_code["pukou-nanqiao"] == {"view", "change", "history"}
    assert by_code["jiangning-bowang"] == set()


def test_allowed_actions_of_an_empty_queue_is_empty_without_a_query():
    user = User.objects.get(username="office_pn")
    with CaptureQueriesContext(connection) as queries:
        assert allowed_actions(user, [], ACTIONS) == {}
    assert len(queries) == 0
