"""Locks in a fixed order (tongcheng.kit.locking.lock_in_order): rows are locked sorted by (table, primary
key) whatever order the caller names them in, so two services locking the same rows never deadlock."""

from __future__ import annotations

import time

import pytest
from django.db import OperationalError, connection, transaction
from django.test.utils import CaptureQueriesContext

from tongcheng.core.models import AdjacentZone, Organisation
from tongcheng.kit.locking import lock_in_order


def _locked_tables(queries: list[dict]) -> list[str]:
    tables = []
    for query in queries:
        sql = query["sql"]
        for table in ("core_adjacentzone", "core_organisation"):
            if f'FROM "{table}"' in sql:
                tables.append(table)
    return tables


@pytest.mark.django_db
def test_rows_are_locked_by_table_then_key_whatever_the_argument_order():
    """Given two zones and two organisations named in a mixed order (an organisation queryset first), the
    rows come back sorted by (table, pk), each table locked in one query, zones before organisations, and
    ``fresh`` finds each object's locked copy."""
    jb, pn = AdjacentZone.objects.get(code="jiangning-bowang"), AdjacentZone.objects.get(code="pukou-nanqiao")
    bureaus = Organisation.objects.filter(key__in=["fin-pukou", "fin-nanqiao"])
    with transaction.atomic(), CaptureQueriesContext(connection) as captured:
        locked = lock_in_order(bureaus, pn, jb, pn)
    keys = [(type(row)._meta.db_table, row.pk) for row in locked]
    assert keys == sorted(keys) and len(keys) == 4
    assert locked.fresh(jb).code == "jiangning-bowang" and len(locked.of(Organisation)) == 2
    lock_queries = captured.captured_queries[1:]  # the first lists the queryset's keys
    assert _locked_tables(lock_queries) == ["core_adjacentzone", "core_organisation"]
    if connection.features.has_select_for_update:
        assert all("FOR UPDATE" in q["sql"] for q in lock_queries)


@pytest.mark.django_db
def test_an_unsaved_object_cannot_be_locked():
    with pytest.raises(ValueError), transaction.atomic():
        lock_in_order(AdjacentZone(code="unsaved"))


@pytest.mark.django_db(transaction=True)
def test_locking_needs_the_callers_transaction():
    """A lock taken outside a transaction would be released at once."""
    with pytest.raises(RuntimeError, match="inside the service's transaction"):
        lock_in_order(AdjacentZone(pk=1))


def _pause_after_each_lock(execute, sql, params, many, context):
    # Widens the window between two lock queries of one transaction, where a deadlock forms.
    result = execute(sql, params, many, context)
    time.sleep(0.3)
    return result


def _lock_both(zone_first: bool, lock) -> str:
    """In one transaction, lock the zone 浦口—南谯 and the bureau fin-pukou, named zone first or bureau first,
    pausing after each lock query."""
    try:
        with transaction.atomic():
            zone = AdjacentZone.objects.get(code="pukou-nanqiao")
            bureau = Organisation.objects.get(key="fin-pukou")
            rows = (zone, bureau) if zone_first else (bureau, zone)
            with connection.execute_wrapper(_pause_after_each_lock):
                lock(*rows)
            return "ok"
    except OperationalError as exc:
        return f"{type(exc).__name__}: {str(exc).splitlines()[0]}"


def _one_by_one(*rows):
    for row in rows:
        type(row).objects.select_for_update().filter(pk=row.pk).get()


@pytest.mark.demo
def test_two_services_locking_the_same_rows_in_opposite_orders_do_not_deadlock(threads):
    """Given two transactions at the same moment, one naming (zone, bureau) and the other (bureau, zone),
    when both lock through lock_in_order, both complete: both lock the zone first."""
    results = threads.at_once(
        [lambda: _lock_both(True, lock_in_order), lambda: _lock_both(False, lock_in_order)]
    )
    assert results == ["ok", "ok"]


@pytest.mark.demo
def test_without_the_fixed_order_the_same_two_transactions_deadlock(threads):
    """The counter-test that shows the scenario above is real: locking the rows one by one in the order each
    caller named them, PostgreSQL detects the deadlock and kills one transaction."""
    if connection.vendor != "postgresql":
        pytest.skip("SQLite takes one write lock for the whole database (BEGIN IMMEDIATE): no row locks")
    results = threads.at_once([lambda: _lock_both(True, _one_by_one), lambda: _lock_both(False, _one_by_one)])
    assert sorted(r.split(":")[0] for r in results) == ["OperationalError", "ok"], results
    assert any("deadlock" in r for r in results), results
