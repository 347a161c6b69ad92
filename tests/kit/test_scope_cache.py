"""The scope cache (issue 7, point 11): a request finds the user's scope in the cache instead of re-reading
grants and zone members, and every change to what a scope is built from makes the cached one unusable.

Most tests run inside the test's transaction, like a request inside a service's; the last ones commit for
real (transactional), because only a commit shows what another request or process would see."""

from __future__ import annotations

import datetime as dt
import pickle

import pytest
from django.core.cache import caches
from django.db import connection, transaction
from django.db.models import Q
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from hypothesis import given
from hypothesis import strategies as st

from tongcheng.core.demo import DEMO_USERS
from tongcheng.core.models import AdjacentZone, Organisation, RoleGrant, User
from tongcheng.core.scope import COMMON_ROLE_SETS, load_scope, minimal_prefixes
from tongcheng.core.services import grants
from tongcheng.kit.access import (
    _RULES,
    ALL,
    NONE,
    any_of,
    bump_scope_version,
    forget_scope,
    scope_load_count,
    scope_of,
    scope_version,
)

DEMO_USERNAMES = [u[0] for u in DEMO_USERS]


def _fresh(username: str) -> User:
    """A new user object, as the next request has: nothing kept from an earlier one."""
    return User.objects.get(username=username)


def _zone_codes(username: str) -> set[str]:
    return set(AdjacentZone.objects.visible_to(_fresh(username)).values_list("code", flat=True))


def _sql(queries: CaptureQueriesContext) -> list[str]:
    return [q["sql"] for q in queries.captured_queries]


@pytest.fixture
def cold_cache():
    caches["default"].clear()


# --- the cache is used --------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_a_second_request_by_the_same_user_does_not_reload_grants(client_for, cold_cache):
    """Given office_pn with no cached scope, when the zone list is fetched twice, then the first request
    loads the scope (it reads the grants) and the second does not: it runs fewer queries, none on the
    grants, and the loader did not run again."""
    client = client_for("office_pn")
    loads = scope_load_count()
    with CaptureQueriesContext(connection) as first:
        assert client.get("/api/v1/zones").status_code == 200
    assert scope_load_count() == loads + 1
    with CaptureQueriesContext(connection) as second:
        assert client.get("/api/v1/zones").status_code == 200
    assert scope_load_count() == loads + 1
    assert any("core_rolegrant" in sql for sql in _sql(first))
    assert not any("core_rolegrant" in sql for sql in _sql(second))
    assert len(second) < len(first), (len(first), len(second))


@pytest.mark.django_db
def test_a_page_computes_the_scope_once_however_many_rules_it_asks(client_for, cold_cache):
    """Given the organisation list page (the list, the zone filter and the navigation each ask for the
    scope), when it is fetched, then the scope is loaded once and the version read once."""
    client = client_for("office_metro")
    loads = scope_load_count()
    with CaptureQueriesContext(connection) as queries:
        assert client.get("/organisations/").status_code == 200
    assert scope_load_count() == loads + 1
    assert sum("kit_scope_version" in sql for sql in _sql(queries)) == 1


@pytest.mark.django_db
def test_a_cached_scope_answers_the_rules_without_the_registry():
    """Given a scope as the cache stores it (pickled, without the registry tables), when the rules ask it
    what the common role sets reach, then it answers without a query, the same as a freshly loaded one."""
    for username in ("office_metro", "office_pn", "clerk_pukou", "officer_nanqiao", "auditor_jb"):
        loaded = load_scope(_fresh(username))
        cached = pickle.loads(pickle.dumps(loaded))
        assert cached._zone_members is None
        with CaptureQueriesContext(connection) as queries:
            for roles in COMMON_ROLE_SETS:
                assert cached.zone_ids(roles) == loaded.zone_ids(roles)
                assert cached.jurisdiction_paths(roles) == loaded.jurisdiction_paths(roles)
                assert cached.metro_ids(roles) == loaded.metro_ids(roles)
        assert len(queries) == 0, _sql(queries)


# --- invalidation ---------------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_a_grant_given_through_the_service_is_seen_on_the_next_request(demo_user):
    """Given officer_pukou's cached scope (no 江宁—博望), when office_metro gives them a role on that zone,
    then their next request sees the zone."""
    assert "jiangning-bowang" not in _zone_codes("officer_pukou")
    assert "jiangning-bowang" not in _zone_codes("officer_pukou")  # now served from the cache
    grants.grant_role(
        actor=demo_user("office_metro"),
        user=demo_user("officer_pukou"),
        role="officer",
        zone=AdjacentZone.objects.get(code="jiangning-bowang"),
    )
    assert "jiangning-bowang" in _zone_codes("officer_pukou")


@pytest.mark.django_db
def test_a_withdrawn_grant_is_not_served_from_the_cache(demo_user):
    """Given auditor_pn's cached scope, when their grant is withdrawn, then their next request sees none
    of the zone's rows."""
    assert "pukou-nanqiao" in _zone_codes("auditor_pn")
    grant = RoleGrant.objects.get(user__username="auditor_pn")
    grants.withdraw_grant(actor=demo_user("office_pn"), grant=grant)
    assert _zone_codes("auditor_pn") == set()


@pytest.mark.django_db
def test_a_grant_written_outside_the_services_bumps_the_version_too(demo_user):
    """Given clerk_pukou's cached scope, when a grant is saved without the services (the admin, a shell),
    then the save signal bumps the version and the next request sees it; a delete likewise."""
    before = scope_version()
    assert "jiangning-bowang" not in _zone_codes("clerk_pukou")
    grant = RoleGrant.objects.create(
        user=demo_user("clerk_pukou"), role="clerk", zone=AdjacentZone.objects.get(code="jiangning-bowang")
    )
    assert scope_version() != before
    assert "jiangning-bowang" in _zone_codes("clerk_pukou")
    grant.delete()
    assert "jiangning-bowang" not in _zone_codes("clerk_pukou")


@pytest.mark.django_db
def test_moving_a_granted_organisation_to_another_zone_bumps_the_version(demo_user):
    """Given clerk_pukou, granted on the Pukou window, when that organisation is attached to another zone
    (the admin can), then the clerk's next request reaches that zone; saving other fields does not bump."""
    window = Organisation.objects.get(key="win-pukou")
    before = scope_version()
    window.save(update_fields=["name"])
    assert scope_version() == before
    window.zone = AdjacentZone.objects.get(code="jiangning-bowang")
    window.save()
    assert scope_version() != before
    assert "jiangning-bowang" in _zone_codes("clerk_pukou")


@pytest.mark.django_db
def test_a_new_superuser_is_not_served_the_scope_cached_before(cold_cache):
    """Given clerk_pukou's cached scope, when the account becomes a superuser (no grant changes, so no
    bump), then the next request knows it: the flag is part of the key."""
    assert not scope_of(_fresh("clerk_pukou")).superuser
    User.objects.filter(username="clerk_pukou").update(is_superuser=True)
    assert scope_of(_fresh("clerk_pukou")).superuser


@pytest.mark.django_db
def test_a_bump_rolled_back_leaves_the_cache_usable_and_caches_nothing(cold_cache):
    """Given a change that bumps and then rolls back (a failed service), when requests follow, then the
    version is the one before, nothing was cached under the rolled-back token, and several bumps in one
    transaction write once."""
    before = scope_version()
    with pytest.raises(RuntimeError), transaction.atomic():
        bump_scope_version()
        rolled_back = scope_version()
        bump_scope_version()
        assert scope_version() == rolled_back  # one write per transaction
        scope_of(_fresh("office_pn"))  # loaded inside the bumping transaction: not kept
        raise RuntimeError("the service failed")
    assert scope_version() == before
    assert rolled_back != before
    keys = list(caches["default"]._cache)  # LocMemCache keeps its keys here
    assert not any(rolled_back in key for key in keys)


@pytest.mark.django_db
def test_forget_scope_drops_only_what_the_request_kept(cold_cache):
    user = _fresh("office_pn")
    scope = scope_of(user)
    assert scope_of(user) is scope
    forget_scope(user)
    loads = scope_load_count()
    assert scope_of(user) is not scope
    assert scope_load_count() == loads  # the shared cache still had it


# --- simple SQL -----------------------------------------------------------------------------------------------


@given(
    st.lists(st.lists(st.sampled_from("0123"), min_size=1, max_size=4), max_size=8),
    st.lists(st.sampled_from("0123"), min_size=1, max_size=5),
)
def test_minimal_prefixes_reach_exactly_what_all_prefixes_reach(prefixes, path):
    """Property: dropping a prefix that lies inside another changes no answer."""
    paths = ["/".join(p) + "/" for p in prefixes]
    target = "/".join(path) + "/"
    kept = minimal_prefixes(paths)
    assert any(target.startswith(p) for p in kept) == any(target.startswith(p) for p in paths)
    assert list(kept) == sorted(kept)
    assert not any(a != b and b.startswith(a) for a in kept for b in kept)


def test_any_of_drops_dead_branches_and_lets_all_win():
    q = Q(pk=1)
    assert any_of() is NONE
    assert any_of(NONE, NONE) is NONE
    assert any_of(NONE, q) == q
    assert any_of(q, ALL) is ALL


def _leaves(q: Q):
    for child in q.children:
        if isinstance(child, Q):
            yield from _leaves(child)
        else:
            yield child


@pytest.mark.django_db
@pytest.mark.parametrize("username", DEMO_USERNAMES)
def test_every_rule_gives_simple_sql(username):
    """Given every demo user and every rule of the registry and action, when the rule's condition is built, then it holds
    no empty IN () (a dead branch compiled on every query), every IN list is sorted, and no LIKE prefix
    lies inside another on the same column."""
    scope = scope_of(_fresh(username))
    for model, (rule, actions) in _RULES.items():
        if model._meta.app_label != "core":
            continue  # the registry's rules; a module's rules follow the same convention (docs/kit/performance.md)
        for action in sorted(actions):
            q = rule(scope, action)
            if q is NONE:
                continue
            prefixes: dict[str, list[str]] = {}
            for lookup, value in _leaves(q):
                where = f"{model.__name__}.{action} for {username}: {lookup}"
                if lookup.endswith("__in"):
                    assert list(value), f"{where} is an empty IN ()"
                    assert list(value) == sorted(value), f"{where} is not sorted"
                if lookup.endswith("__startswith"):
                    prefixes.setdefault(lookup, []).append(value)
            for lookup, values in prefixes.items():
                assert not any(a != b and b.startswith(a) for a in values for b in values), (lookup, values)


@pytest.mark.django_db
def test_a_subtree_inside_another_adds_no_like_to_the_sql(demo_user):
    """Given office_pn (Pukou is a member of its zone) also granted a role on a town inside Pukou, when
    the organisation query is built, then it holds one LIKE for Pukou and none for the town: the town's
    rows are already inside, so the longer OR would only cost."""
    from tongcheng.core.models import Jurisdiction

    town = Jurisdiction.objects.current().get(code="320111002")
    grants.grant_role(
        actor=demo_user("office_metro"), user=demo_user("office_pn"), role="officer", jurisdiction=town
    )
    sql, params = Organisation.objects.visible_to(_fresh("office_pn")).query.sql_with_params()
    likes = [p for p in params if isinstance(p, str) and p.endswith("%")]
    assert any(town.path.startswith(p[:-1]) for p in likes), likes
    assert not any(p[:-1] == town.path for p in likes), likes
    assert len(likes) == len(set(likes))


# --- committed for real ---------------------------------------------------------------------------------------


@pytest.fixture
def committed_demo(transactional_db):
    from tongcheng.core.demo import load_demo

    load_demo(with_users=True)
    caches["default"].clear()


def test_a_committed_withdrawal_reaches_every_later_request(committed_demo):
    """Given auditor_pn's scope cached outside any transaction (as by a request in another worker), when
    the grant is withdrawn and committed, then a later request reads the new version and sees nothing."""
    assert "pukou-nanqiao" in _zone_codes("auditor_pn")
    loads = scope_load_count()
    assert "pukou-nanqiao" in _zone_codes("auditor_pn")
    assert scope_load_count() == loads  # served from the cache
    grants.withdraw_grant(
        actor=User.objects.get(username="office_pn"), grant=RoleGrant.objects.get(user__username="auditor_pn")
    )
    assert _zone_codes("auditor_pn") == set()


def test_a_failed_service_leaves_the_committed_cache_in_use(committed_demo):
    """Given a cached scope, when a grant service fails after its write (rolled back), then the version
    did not change and the next request still uses the cache."""
    before = scope_version()
    _zone_codes("office_pn")
    with pytest.raises(RuntimeError), transaction.atomic():
        grants.grant_role(
            actor=User.objects.get(username="office_metro"),
            user=User.objects.get(username="office_pn"),
            role="office",
            zone=AdjacentZone.objects.get(code="jiangning-bowang"),
        )
        raise RuntimeError("a later step of the same service failed")
    assert scope_version() == before
    loads = scope_load_count()
    assert "jiangning-bowang" not in _zone_codes("office_pn")
    assert scope_load_count() == loads


def test_a_flushed_database_gets_a_new_version_when_the_demo_is_loaded_again(committed_demo):
    """Given scopes cached for one database, when the tables are flushed and the demo loaded again (same
    user ids possible), then the version is a new token, so nothing cached before is reused."""
    from django.core.management import call_command

    from tongcheng.core.demo import load_demo

    before = scope_version()
    _zone_codes("office_pn")
    call_command("flush", "--noinput", verbosity=0)
    assert scope_version() is None  # nothing is cached without a version
    load_demo(with_users=True)
    assert scope_version() not in (None, before)


def test_a_grant_that_starts_tomorrow_counts_from_tomorrow(committed_demo, demo_user, monkeypatch):
    """Given a committed grant valid from tomorrow and the scope cached today (nothing bumps at midnight),
    when the date changes, then the scope cached today is not used: the day is part of the key."""
    today = timezone.localdate()
    grants.grant_role(
        actor=demo_user("office_metro"),
        user=demo_user("officer_pukou"),
        role="officer",
        zone=AdjacentZone.objects.get(code="jiangning-bowang"),
        valid_from=today + dt.timedelta(days=1),
    )
    assert "jiangning-bowang" not in _zone_codes("officer_pukou")
    loads = scope_load_count()
    assert "jiangning-bowang" not in _zone_codes("officer_pukou")
    assert scope_load_count() == loads  # cached for today
    real = timezone.localdate

    def tomorrow(value=None, timezone=None):
        return today + dt.timedelta(days=1) if value is None else real(value, timezone)

    monkeypatch.setattr("django.utils.timezone.localdate", tomorrow)
    assert "jiangning-bowang" in _zone_codes("officer_pukou")
