"""A database snapshot (tongcheng/kit/dbsnapshot.py) puts back exactly the rows it copied — append-only
tables and sequences included — on SQLite and PostgreSQL alike; it refuses to run inside a transaction.
And the way tests/conftest.py uses it: each test gets the demo it asks for, whatever the test before it
committed (the tests of this file run on one worker, in this order after pytest-django's sorting)."""

from __future__ import annotations

import pytest
from django.db import connection, transaction

from tongcheng.core.data import reader
from tongcheng.core.demo import DEMO_USERS
from tongcheng.core.models import AdjacentZone, Jurisdiction, Organisation, RoleGrant, User
from tongcheng.core.testing import SMALL_DEMO_USERS
from tongcheng.kit.dbsnapshot import DatabaseSnapshot
from tongcheng.kit.ledger.models import LedgerEntry

pytestmark = pytest.mark.xdist_group("demo-switch")
COMMITTED = "committed by an earlier test"


def _dump() -> dict[str, list[tuple]]:
    """Every row of every table, in a stable order (the comparison behind "exactly")."""
    rows = {}
    with connection.cursor() as cursor:
        for table in connection.introspection.table_names(cursor):
            cursor.execute(f"SELECT * FROM {connection.ops.quote_name(table)}")
            rows[table] = sorted(cursor.fetchall(), key=repr)
    return rows


def _sequences() -> list[tuple]:
    if connection.vendor != "postgresql":
        return []
    with connection.cursor() as cursor:
        cursor.execute("SELECT sequencename, last_value FROM pg_sequences ORDER BY 1")
        return cursor.fetchall()


@pytest.mark.django_db(transaction=True)
def test_given_a_snapshot_when_rows_are_added_changed_and_deleted_then_restore_puts_back_exactly_them():
    """Given a snapshot of the demo, when a test commits an update, a delete, a new organisation and a row
    of the append-only ledger, then restoring gives back every table row for row and (PostgreSQL) every
    sequence's position; a second restore does the same."""
    before, sequences = _dump(), _sequences()
    snapshot = DatabaseSnapshot.take()
    try:
        for _round in range(2):
            Organisation.objects.filter(key="win-pukou").update(name="改过的名字")
            RoleGrant.objects.filter(user__username="clerk_pukou").delete()
            Organisation.objects.create(
                key="snapshot-test",
                name="新机构",
                kind="service_window",
                jurisdiction=Jurisdiction.objects.first(),
            )
            LedgerEntry.append("snapshot-test", {"amount_fen": 1})
            assert _dump() != before
            snapshot.restore()
            assert _dump() == before
            assert _sequences() == sequences
    finally:
        snapshot.close()


@pytest.mark.django_db
def test_inside_a_transaction_a_snapshot_is_refused():
    """A snapshot copies committed rows: inside the test's transaction it would copy uncommitted ones."""
    assert transaction.get_connection().in_atomic_block
    with pytest.raises(RuntimeError, match="outside any transaction"):
        DatabaseSnapshot.take()


def _holds_the_full_demo() -> bool:
    return (
        AdjacentZone.objects.count() == len(reader.load_zones())
        and User.objects.count() == len(DEMO_USERS) + 1  # and admin
        and not Organisation.objects.filter(name=COMMITTED).exists()
    )


def _holds_the_small_demo() -> bool:
    return (
        list(AdjacentZone.objects.values_list("code", flat=True)) == ["pukou-nanqiao"]
        and User.objects.count() == len(SMALL_DEMO_USERS) + 1
        and not Organisation.objects.filter(name=COMMITTED).exists()
    )


@pytest.mark.django_db
@pytest.mark.small_demo
def test_a_test_marked_small_demo_gets_the_small_demo():
    assert _holds_the_small_demo()


@pytest.mark.django_db
def test_a_test_without_the_mark_gets_the_full_demo():
    assert _holds_the_full_demo()


@pytest.mark.django_db(transaction=True)
def test_a_transactional_test_commits_a_change():
    """Given the full demo, when a transactional test commits a rename (no rollback undoes it), then
    the next test still starts from the demo (the two tests below)."""
    assert _holds_the_full_demo()
    Organisation.objects.filter(key="win-pukou").update(name=COMMITTED)
    assert Organisation.objects.filter(name=COMMITTED).exists()


@pytest.mark.django_db(transaction=True)
@pytest.mark.small_demo
def test_after_a_committed_change_a_small_demo_test_gets_the_small_demo():
    assert _holds_the_small_demo()
    Organisation.objects.filter(key="win-pukou").update(name=COMMITTED)


@pytest.mark.django_db(transaction=True)
def test_after_a_committed_change_the_next_test_gets_the_full_demo_back():
    assert _holds_the_full_demo()
