"""The service convention: audit in the same transaction, announcement only after commit."""

import pytest
from django.db import transaction

from tongcheng.core.models import AuditEntry, MetroArea
from tongcheng.core.services.zones import MemberSpec, create_zone
from tongcheng.kit.services import audit
from tongcheng.kit.signals import service_committed

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def announcements():
    seen = []

    def receiver(sender, entry, **kwargs):
        seen.append(entry.action)

    service_committed.connect(receiver)
    yield seen
    service_committed.disconnect(receiver)


@pytest.fixture
def loaded():
    from tongcheng.core.demo import load_demo

    load_demo(with_users=True)


def test_a_committed_service_is_announced_once(loaded, announcements, demo_user):
    create_zone(
        actor=demo_user("office_metro"),
        metro=MetroArea.objects.get(code="nanjing"),
        name="测试区",
        name_en="Test zone",
        kind="cross_border_demo_zone",
        established="2027-01-01",
        members=[MemberSpec("320117"), MemberSpec("340506")],
    )
    assert announcements == ["zone.create"]


def test_a_rolled_back_service_is_neither_logged_nor_announced(loaded, announcements, demo_user):
    actor = demo_user("office_metro")
    metro = MetroArea.objects.get(code="nanjing")
    with pytest.raises(RuntimeError), transaction.atomic():
        audit(actor, "zone.create", metro)
        raise RuntimeError("the service failed after writing its audit entry")
    assert announcements == []
    assert not AuditEntry.objects.filter(action="zone.create").exists()


def test_audit_outside_a_transaction_is_a_programming_error(loaded, demo_user):
    with pytest.raises(RuntimeError):
        audit(demo_user("office_metro"), "x", MetroArea.objects.get(code="nanjing"))
