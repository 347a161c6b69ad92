"""The kit's access mechanism: rules declare their actions, and an unknown action is an error."""

from __future__ import annotations

import pytest
from django.db.models import Q
from django.test import override_settings

from tongcheng.core.models import AdjacentZone, User
from tongcheng.kit.access import UnknownAction, restrict, rule_actions

pytestmark = pytest.mark.django_db


def test_a_rule_declares_its_actions():
    assert rule_actions(AdjacentZone) == {"view", "change", "history", "approve", "reject"}


def test_an_unknown_action_is_an_error_while_developing_and_testing():
    """Given the zone rule, when a page asks for an action it does not declare (a typo), then the kit
    raises instead of quietly answering with no rows (a silent 403)."""
    user = User.objects.get(username="office_pn")
    with pytest.raises(UnknownAction, match="chnage"):
        restrict(AdjacentZone.objects.all(), user, "chnage")


@override_settings(DEBUG=False, TONGCHENG_STRICT_ACTIONS=False)
def test_in_production_an_unknown_action_reaches_no_rows():
    user = User.objects.get(username="office_pn")
    assert not restrict(AdjacentZone.objects.all(), user, "chnage").exists()
    assert restrict(AdjacentZone.objects.all(), user, "view").exists()


def test_a_rule_through_a_to_many_relation_returns_each_row_once(monkeypatch):
    """Given a rule that reaches zones through their members (a to-many join), when an officer of Jiangsu
    lists zones, then each zone comes once: the count, the page and the rows agree."""
    from tongcheng.kit import access

    _rule, actions = access._RULES[AdjacentZone]
    monkeypatch.setitem(
        access._RULES,
        AdjacentZone,
        (
            lambda scope, action: Q(members__jurisdiction__path__startswith="3"),
            actions,
        ),
    )
    user = User.objects.get(username="office_pn")
    qs = restrict(AdjacentZone.objects.all(), user, "view")
    codes = list(qs.values_list("code", flat=True))
    assert len(codes) == len(set(codes)) == qs.count()
    joined = AdjacentZone.objects.filter(members__jurisdiction__path__startswith="3").count()
    assert joined > len(codes)  # the plain join would have repeated zones


def test_a_linked_record_the_user_may_not_see_is_not_named(client_for):
    """Given 浦口—南谯, part of the 宁滁 new functional zone: its office does not reach 宁滁 (a zone grant
    reaches its own zone, not the larger one), so the zone page does not name the parent; 浦口's officer,
    whose district is a member of 宁滁, sees it named and linked."""
    parent = AdjacentZone.objects.get(code="pukou-nanqiao").parent
    assert parent is not None and parent.code == "ning-chu-nfz"
    assert client_for("office_pn").get(f"/zones/{parent.code}/").status_code == 404
    page = client_for("office_pn").get("/zones/pukou-nanqiao/").content.decode()
    assert parent.name not in page and f"/zones/{parent.code}/" not in page
    page = client_for("officer_pukou").get("/zones/pukou-nanqiao/").content.decode()
    assert f"/zones/{parent.code}/" in page


def test_the_api_names_a_linked_record_only_when_the_caller_sees_it(client_for):
    """The API follows the pages: 浦口—南谯's parent code is null for its office and given to 浦口's officer."""
    assert client_for("office_pn").get("/api/v1/zones/pukou-nanqiao").json()["parent"] is None
    assert client_for("officer_pukou").get("/api/v1/zones/pukou-nanqiao").json()["parent"] == "ning-chu-nfz"
