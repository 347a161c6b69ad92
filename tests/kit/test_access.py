"""The kit's access mechanism: rules declare their actions, and an unknown action is an error."""

from __future__ import annotations

import pytest
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
