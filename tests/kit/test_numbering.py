"""Gapless numbering (tongcheng.kit.workflow.numbering): numbers of committed records are consecutive, with
no gap and no duplicate, however many transactions take them at once; a rolled-back transaction gives its
number back."""

from __future__ import annotations

import threading
import time

import pytest
from django.db import transaction

from tongcheng.kit.workflow.models import NumberSequence
from tongcheng.kit.workflow.numbering import format_number, next_number, sequence_key

KEY = sequence_key("case", "pukou-nanqiao", 2026)


def test_the_number_format():
    assert KEY == "case:pukou-nanqiao:2026"
    assert format_number("TB", "pn", 2026, 123) == "TB-PN-2026-000123"
    assert format_number("JS", "JB", 2027, 1234567) == "JS-JB-2027-1234567"  # wider, never cut
    with pytest.raises(ValueError):
        format_number("TB", "PN", 2026, 0)


@pytest.mark.django_db
def test_numbers_count_from_one_per_key():
    with transaction.atomic():
        assert [next_number(KEY) for _ in range(3)] == [1, 2, 3]
        assert next_number(sequence_key("case", "jiangning-bowang", 2026)) == 1
        assert next_number(KEY) == 4


@pytest.mark.django_db
def test_a_rolled_back_transaction_gives_its_number_back():
    """Given number 1 committed, when a transaction takes number 2 and then fails, the next transaction gets
    2 again: the failed one consumed nothing."""
    with transaction.atomic():
        assert next_number(KEY) == 1
    with pytest.raises(RuntimeError), transaction.atomic():
        assert next_number(KEY) == 2
        raise RuntimeError("the case could not be stored")
    with transaction.atomic():
        assert next_number(KEY) == 2
    assert NumberSequence.objects.get(key=KEY).next_value == 3


@pytest.mark.django_db
def test_a_rolled_back_first_use_leaves_no_sequence():
    with pytest.raises(RuntimeError), transaction.atomic():
        next_number(KEY)
        raise RuntimeError("failed")
    assert not NumberSequence.objects.filter(key=KEY).exists()


@pytest.mark.django_db(transaction=True)
def test_a_number_outside_a_transaction_is_a_programming_error():
    """Outside a transaction a number would be committed at once, before the record that carries it."""
    with pytest.raises(RuntimeError, match="inside the transaction"):
        next_number(KEY)


def _take(key: str, fail: bool, hold: float = 0.02) -> int | None:
    """One caller: takes a number in its own transaction, keeps it a moment (the work of storing a record),
    and commits, or fails and rolls back."""
    try:
        with transaction.atomic():
            number = next_number(key)
            time.sleep(hold)
            if fail:
                raise RuntimeError("rolled back")
            return number
    except RuntimeError:
        return None


@pytest.mark.parametrize("existing", [False, True], ids=["first-use-race", "existing-sequence"])
def test_concurrent_callers_get_consecutive_numbers_without_gaps(threads, existing):
    """Given 12 callers at the same moment, each on its own connection and transaction, every third of which
    fails after taking its number, then the committed callers hold exactly 1..8: distinct, consecutive, no
    gap, and the sequence stands at 9. Without an existing row the callers also race to create it (one
    insert wins; the others lock the winner's row)."""
    key = sequence_key("case", "race", 2026)
    if existing:
        threads.one(lambda: NumberSequence.objects.create(key=key))
    results = threads.at_once([lambda i=i: _take(key, fail=i % 3 == 2) for i in range(12)])
    assert not [r for r in results if isinstance(r, BaseException)], results
    committed = sorted(r for r in results if r is not None)
    print(f"committed numbers {committed}")
    assert committed == list(range(1, 9))
    assert threads.one(lambda: NumberSequence.objects.get(key=key).next_value) == 9


def test_the_first_use_race_is_retried_not_failed(threads, monkeypatch):
    """Given two callers that both find no row for a new key (the lookup is made to miss once for each),
    both insert; the loser's insert fails on the unique key inside a savepoint and it takes the next number
    from the winner's row instead of failing."""
    key = sequence_key("settlement", "race", 2026)
    seen = threading.local()
    real = NumberSequence.objects.select_for_update

    class FirstLookupMisses:
        def filter(self, **kwargs):
            qs = real().filter(**kwargs)
            if not getattr(seen, "looked", False):
                seen.looked = True
                return qs.none()
            return qs

    monkeypatch.setattr(NumberSequence.objects, "select_for_update", FirstLookupMisses)
    results = threads.at_once([lambda: _take(key, fail=False, hold=0.2) for _ in range(2)])
    assert not [r for r in results if isinstance(r, BaseException)], results
    assert sorted(results) == [1, 2]
    assert threads.one(lambda: NumberSequence.objects.filter(key=key).count()) == 1
