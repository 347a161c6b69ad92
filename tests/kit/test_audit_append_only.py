"""Audit entries are append-only (core.AuditEntry derives from tongcheng.kit.models.AppendOnlyModel and its
migration installs the triggers): the ORM and raw SQL cannot change or remove an entry, and deleting a user
that entries name leaves the entries as they were.

Until the coordinator changes core (AuditEntry's base class, foreign keys and a core migration with
AppendOnlyTriggers — see docs/kit/model-bases.md), these tests fail, so they are marked as expected to fail,
strictly: the day the change lands they pass, the strict marker turns that into a failure, and the marker
must be removed."""

from __future__ import annotations

import pytest
from django.db import IntegrityError, transaction

from tongcheng.core.models import AdjacentZone, AuditEntry, User
from tongcheng.kit.append_only import AppendOnlyError

from .conftest import raw

pytestmark = pytest.mark.django_db


@pytest.fixture
def entry():
    return AuditEntry.objects.create(actor_name="t", action="zone.update", object_type="x", object_id="1")


def test_an_audit_entry_cannot_be_changed_or_removed_by_the_orm(entry):
    """Given an audit entry, when the ORM saves it again, deletes it, or updates/deletes it by queryset (the
    scoped queryset included), then AppendOnlyError, and the entry is as it was."""
    for attempt in (
        entry.save,
        entry.delete,
        lambda: AuditEntry.objects.filter(pk=entry.pk).update(action="x"),
        lambda: AuditEntry.objects.filter(pk=entry.pk).delete(),
        lambda: AuditEntry.objects.filter(pk=entry.pk).visible_to(None).delete(),
    ):
        with pytest.raises(AppendOnlyError):
            attempt()
    assert AuditEntry.objects.filter(pk=entry.pk, action="zone.update").exists()


@pytest.mark.parametrize(
    "sql",
    ["UPDATE core_auditentry SET action = 'x' WHERE id = %s", "DELETE FROM core_auditentry WHERE id = %s"],
)
def test_an_audit_entry_cannot_be_changed_or_removed_by_raw_sql(entry, sql):
    """Given an audit entry, when raw SQL updates or deletes it, then the database refuses."""
    with pytest.raises(IntegrityError, match="append-only table core_auditentry"):
        raw(sql, [entry.pk])
    assert AuditEntry.objects.filter(pk=entry.pk, action="zone.update").exists()


def test_deleting_a_user_named_by_entries_keeps_the_entries(demo_user):
    """Given an entry naming a user and a zone, when the user is deleted, then the deletion succeeds and the
    entry keeps the ids and the name it recorded (no SET_NULL update of an append-only row)."""
    user = User.objects.create_user("leaving", password="x" * 12)
    zone = AdjacentZone.objects.get(code="pukou-nanqiao")
    kept = AuditEntry.objects.create(
        actor=user, actor_name="leaving", action="zone.update", object_type="x", object_id="1", zone=zone
    )
    user_id, zone_id = user.pk, zone.pk
    with transaction.atomic():
        user.delete()
    kept = AuditEntry.objects.get(pk=kept.pk)
    assert (kept.actor_id, kept.zone_id, kept.actor_name) == (user_id, zone_id, "leaving")
