"""No escalation through zones and grants (issue: privilege escalation through zone definition).

Property: after any sequence of zone definitions, decisions on proposals and role grants, made by any demo
user with random member sets and scopes, no user can see an organisation, a person or an existing zone that
they could not see before, unless somebody whose scope already contained that row granted them a role.

Given every demo user and random operations (each one allowed or refused by the services), when the sequence
has run, then for each user: rows visible now ⊆ rows visible at the start ∪ rows visible, at the time of
granting, to each user who gave them a grant during the sequence."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tongcheng.core.demo import DEMO_USERS
from tongcheng.core.models import (
    AdjacentZone,
    Jurisdiction,
    MetroArea,
    Organisation,
    Person,
    RoleGrant,
    User,
)
from tongcheng.core.services import grants, zones
from tongcheng.kit.services import ServiceError

pytestmark = pytest.mark.django_db

USERNAMES = [u[0] for u in DEMO_USERS]
# Provinces, cities, districts and towns on both sides, inside and outside every office's territory.
MEMBER_CODES = [
    "320000",
    "340000",
    "320100",
    "341100",
    "340500",
    "320800",
    "320111",
    "320115",
    "320117",
    "341103",
    "341122",
    "340506",
    "320830",
    "320111002",
    "320115009",
    "341122103",
]
ROLES = ["office", "officer", "finance", "clerk", "leader", "auditor"]
ZONE_CODES = ["pukou-nanqiao", "jiangning-bowang", "ninghuai", "ning-chu-nfz", "dingshan-chahe"]
ORG_KEYS = ["ning-ma-nfz-committee", "ninghuai-joint-meeting", "fin-pukou", "win-bowang", "nanpu-co"]

Snapshot = dict[str, frozenset]


def snapshot(username: str, zone_ids: frozenset[int]) -> Snapshot:
    user = User.objects.get(username=username)  # a fresh object: no cached scope
    return {
        "organisations": frozenset(Organisation.objects.visible_to(user).values_list("pk", flat=True)),
        "people": frozenset(Person.objects.visible_to(user).values_list("pk", flat=True)),
        "zones": frozenset(
            AdjacentZone.objects.visible_to(user).filter(pk__in=zone_ids).values_list("pk", flat=True)
        ),
    }


zone_op = st.tuples(
    st.just("zone"),
    st.sampled_from(USERNAMES),
    st.lists(st.sampled_from(MEMBER_CODES), min_size=2, max_size=3, unique=True),
)
decide_op = st.tuples(st.just("approve"), st.sampled_from(USERNAMES), st.integers(0, 5))
grant_op = st.tuples(
    st.just("grant"),
    st.sampled_from(USERNAMES),
    st.tuples(
        st.sampled_from(USERNAMES),
        st.sampled_from(ROLES),
        st.one_of(
            st.tuples(st.just("metro"), st.just("nanjing")),
            st.tuples(st.just("zone"), st.sampled_from(ZONE_CODES + ["new-0", "new-1", "new-2"])),
            st.tuples(st.just("jurisdiction"), st.sampled_from(MEMBER_CODES)),
            st.tuples(st.just("organisation"), st.sampled_from(ORG_KEYS)),
        ),
    ),
)
operations = st.lists(st.one_of(zone_op, decide_op, grant_op), min_size=1, max_size=6)


def _scope_kwargs(kind: str, key: str) -> dict | None:
    if kind == "metro":
        return {"metro": MetroArea.objects.get(code=key)}
    if kind == "zone":
        zone = AdjacentZone.objects.filter(code=key).first()
        return {"zone": zone} if zone else None
    if kind == "jurisdiction":
        return {"jurisdiction": Jurisdiction.objects.current().get(code=key)}
    return {"organisation": Organisation.objects.get(key=key)}


def run(op, created: list[str]) -> str:
    """Run one operation as its actor; return the actor (whose sight any grant made now may pass on)."""
    kind, actor_name, arg = op
    actor = User.objects.get(username=actor_name)
    if kind == "zone":
        code = f"new-{len(created)}"
        zone = zones.create_zone(
            actor=actor,
            metro=MetroArea.objects.get(code="nanjing"),
            code=code,
            name=f"测试区{len(created)}",
            kind="cross_border_demo_zone",
            established=dt.date(2026, 1, 1),
            members=[zones.MemberSpec(code=c) for c in arg],
        )
        created.append(zone.code)
    elif kind == "approve":
        if not created:
            return actor_name
        zone = AdjacentZone.objects.get(code=created[arg % len(created)])
        zones.approve_zone(actor=actor, zone=zone)
    else:
        grantee, role, (scope_kind, key) = arg
        scope = _scope_kwargs(scope_kind, key)
        if scope is None:
            return actor_name
        grants.grant_role(actor=actor, user=User.objects.get(username=grantee), role=role, **scope)
    return actor_name


@settings(
    max_examples=40,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(ops=operations)
def test_no_user_sees_more_than_what_a_grantor_already_saw(ops):
    with transaction.atomic():
        zone_ids = frozenset(AdjacentZone.objects.values_list("pk", flat=True))
        start = {u: snapshot(u, zone_ids) for u in USERNAMES}
        allowed = {u: {k: set(v) for k, v in start[u].items()} for u in USERNAMES}
        created: list[str] = []
        for op in ops:
            actor_name = op[1]
            actor_sight = snapshot(actor_name, zone_ids)
            grants_before = set(RoleGrant.objects.values_list("pk", flat=True))
            try:
                with transaction.atomic():
                    run(op, created)
            except ServiceError:
                pass
            for grant in RoleGrant.objects.exclude(pk__in=grants_before).select_related("user", "granted_by"):
                # Every grant names who gave it, and that is the actor of this operation.
                assert grant.granted_by is not None and grant.granted_by.username == actor_name, op
                for key, rows in actor_sight.items():
                    allowed[grant.user.username][key] |= rows
        for username in USERNAMES:
            now = snapshot(username, zone_ids)
            for key, rows in now.items():
                extra = rows - allowed[username][key]
                assert not extra, f"{username} now sees {key} {sorted(extra)} after {ops}"
        transaction.set_rollback(True)


def test_the_property_test_would_catch_a_grant_beyond_the_grantor(monkeypatch):
    """Given a grant service that ignored the grantor's territory, the property above fails: office_pn
    granting itself office on 马鞍山市 would let it see 马鞍山's organisations."""
    monkeypatch.setattr(grants, "may_grant_on", lambda *args, **kwargs: True)
    with transaction.atomic():
        zone_ids = frozenset(AdjacentZone.objects.values_list("pk", flat=True))
        before = snapshot("office_pn", zone_ids)
        office_pn = User.objects.get(username="office_pn")
        grants.grant_role(
            actor=office_pn,
            user=office_pn,
            role="office",
            jurisdiction=Jurisdiction.objects.current().get(code="340500"),
        )
        after = snapshot("office_pn", zone_ids)
        assert after["organisations"] - before["organisations"]
        transaction.set_rollback(True)
