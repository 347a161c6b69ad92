"""Hash-chained records (tongcheng.kit.models.HashChainedModel, the kit's LedgerEntry): canonical JSON, a chain
that verifies when intact, every kind of break found by verify_chain (a payload altered behind the triggers'
back, a record deleted, a forged record), several independent chains, and no fork under concurrent appends.
Runs on SQLite and on PostgreSQL (DATABASE_URL)."""

from __future__ import annotations

import hashlib
import json
import threading
import time
from decimal import Decimal

import pytest
from django.db import IntegrityError, OperationalError, connection, transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tongcheng.kit.append_only import installed_triggers, maintenance, trigger_names
from tongcheng.kit.hash_chain import (
    CanonicalError,
    ChainLink,
    canonical_json,
    chain_hash,
    first_broken_link,
    genesis_hash,
)
from tongcheng.kit.ledger.models import LedgerEntry

from .conftest import TABLE, raw

pytestmark = pytest.mark.django_db

SETTLEMENT = "settlement:pukou-nanqiao:2027"
OTHER = "settlement:jiangning-bowang:2027"


def lines(chain: str, n: int) -> list[LedgerEntry]:
    return [
        LedgerEntry.append(chain, {"line": i, "amount_fen": 1000 * i, "payer": "浦口区"})
        for i in range(1, n + 1)
    ]


def set_columns(pk: int, **values) -> None:
    """Raw UPDATE of the ledger row, with JSON values serialised as the database column expects."""
    assignments = ", ".join(f"{name} = %s" for name in values)
    params = [json.dumps(v, ensure_ascii=False) if isinstance(v, dict) else v for v in values.values()]
    raw(f"UPDATE {TABLE} SET {assignments} WHERE id = %s", [*params, pk])


# --- canonical JSON -------------------------------------------------------------------------------------------


def test_canonical_json_sorts_keys_drops_spaces_and_keeps_chinese_as_utf8():
    """Given a payload with unsorted keys, Chinese text, nesting, booleans and null, then its canonical form is
    sorted, without spaces, and UTF-8 (not \\u escapes)."""
    value = {"payer": "浦口区", "amount_fen": 120_000, "lines": [{"b": True, "a": None}]}
    assert (
        canonical_json(value)
        == '{"amount_fen":120000,"lines":[{"a":null,"b":true}],"payer":"浦口区"}'.encode()
    )


@pytest.mark.parametrize(
    ("value", "path"),
    [
        ({"amount": 12.5}, "$.amount"),
        ({"lines": [{"amount": Decimal("1.00")}]}, "$.lines[0].amount"),
        ({1: "x"}, "$"),
        ({"note": "a\x00b"}, "$.note"),
        ({"note": "\ud800"}, "$.note"),
        ({"when": object()}, "$.when"),
    ],
    ids=["float", "decimal", "integer key", "NUL", "lone surrogate", "object"],
)
def test_canonical_json_refuses_what_would_not_read_back_the_same(value, path):
    """Given a value that is not canonical JSON (money as float or decimal, a non-text key, text PostgreSQL
    cannot store), then CanonicalError locates it."""
    with pytest.raises(CanonicalError) as refused:
        canonical_json(value)
    assert refused.value.path == path


def test_append_refuses_a_float_amount_and_writes_nothing():
    """Given a payload with money as a float, when it is appended, then it is refused and the chain is empty."""
    with pytest.raises(CanonicalError, match="integer fen"):
        LedgerEntry.append(SETTLEMENT, {"amount": 10.5})
    assert not LedgerEntry.objects.filter(chain=SETTLEMENT).exists()


@pytest.mark.parametrize("chain", ["", "x" * 101])
def test_append_refuses_an_empty_or_overlong_chain_name(chain):
    """Given a chain name that is empty or longer than the column, when a record is appended, then ValueError
    and nothing is written (PostgreSQL would refuse the long name, SQLite would store it whole)."""
    with pytest.raises(ValueError, match="chain is named by 1 to 100 characters"):
        LedgerEntry.append(chain, {"amount_fen": 1})
    assert not LedgerEntry.objects.filter(chain=chain).exists()  # the demo's settlements have their own


# --- intact chains ----------------------------------------------------------------------------------------------


def test_an_intact_chain_verifies_and_each_hash_is_sha256_of_previous_hash_and_payload():
    """Given two ledgers appended in turn, then each is its own chain numbered from 1, starting from a hash of
    its name, each hash is sha256(previous hash + canonical payload) computed here independently, both verify,
    and the head names the last record."""
    for i in range(1, 4):
        LedgerEntry.append(SETTLEMENT, {"line": i, "amount_fen": 100 * i})
        LedgerEntry.append(OTHER, {"line": i, "amount_fen": 7 * i})
    for chain in (SETTLEMENT, OTHER):
        records = list(LedgerEntry.objects.filter(chain=chain).order_by("sequence"))
        assert [r.sequence for r in records] == [1, 2, 3]
        previous = hashlib.sha256(b"tongcheng-chain-genesis\x00" + chain.encode()).hexdigest()
        for record in records:
            assert record.previous_hash == previous
            body = json.dumps(record.payload, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
            assert record.hash == hashlib.sha256((previous + body).encode()).hexdigest()
            previous = record.hash
        assert LedgerEntry.verify_chain(chain) is None
        assert LedgerEntry.chain_head(chain) == (3, records[-1].hash)
    assert LedgerEntry.verify_chain("never-written") is None
    assert LedgerEntry.chain_head("never-written") == (0, genesis_hash("never-written"))


# --- broken chains ----------------------------------------------------------------------------------------------


def test_a_payload_altered_with_the_triggers_dropped_is_detected(triggers_dropped):
    """Given a ledger of five lines and the triggers dropped (as someone with DDL rights could), when line 3's
    amount is changed by raw SQL and the triggers re-created, then verify_chain returns line 3 and the other
    ledger still verifies."""
    records = lines(SETTLEMENT, 5)
    lines(OTHER, 2)
    set_columns(records[2].pk, payload={**records[2].payload, "amount_fen": 1})
    triggers_dropped()  # re-create them now: the forgery is in place
    assert installed_triggers(connection, TABLE) == trigger_names(connection, TABLE)

    broken = LedgerEntry.verify_chain(SETTLEMENT)
    assert (broken.sequence, broken.payload["amount_fen"]) == (3, 1)
    assert LedgerEntry.verify_chain(OTHER) is None


def test_a_payload_altered_with_its_hash_recomputed_breaks_the_next_link(triggers_dropped):
    """Given a ledger and the triggers dropped, when line 2's payload is changed and its own hash recomputed to
    match, then verify_chain returns line 3, whose previous hash no longer matches."""
    records = lines(SETTLEMENT, 4)
    forged = {**records[1].payload, "amount_fen": 5}
    set_columns(
        records[1].pk, payload=forged, hash=chain_hash(records[1].previous_hash, canonical_json(forged))
    )
    assert LedgerEntry.verify_chain(SETTLEMENT).sequence == 3


@pytest.mark.parametrize(
    ("deleted", "reported"), [(0, 2), (2, 4), (4, None)], ids=["first", "middle", "last"]
)
def test_a_deleted_record_is_detected_except_at_the_head(deleted, reported):
    """Given a ledger of five lines, when one is deleted (in maintenance, the only way past the triggers), then
    verify_chain returns the record after the gap; deleting the last record leaves a shorter valid chain,
    which only the published head (chain_head) exposes."""
    records = lines(SETTLEMENT, 5)
    head = LedgerEntry.chain_head(SETTLEMENT)
    with maintenance():
        raw(f"DELETE FROM {TABLE} WHERE id = %s", [records[deleted].pk])
    broken = LedgerEntry.verify_chain(SETTLEMENT)
    assert (broken.sequence if broken else None) == reported
    if reported is None:
        assert LedgerEntry.chain_head(SETTLEMENT) != head


def test_a_forged_record_is_detected():
    """Given a ledger, when a record is added behind append's back (inserts pass the triggers) with a made-up
    hash, then verify_chain returns it; the same for a record whose payload carries a float."""
    lines(SETTLEMENT, 3)
    sequence, head = LedgerEntry.chain_head(SETTLEMENT)
    forged = LedgerEntry.objects.create(
        chain=SETTLEMENT, sequence=sequence + 1, previous_hash=head, payload={"amount_fen": 9}, hash="f" * 64
    )
    assert LedgerEntry.verify_chain(SETTLEMENT).pk == forged.pk

    lines(OTHER, 1)
    sequence, head = LedgerEntry.chain_head(OTHER)
    body = json.dumps({"amount_fen": 9.5}).encode()
    floating = LedgerEntry.objects.create(
        chain=OTHER, sequence=2, previous_hash=head, payload={"amount_fen": 9.5}, hash=chain_hash(head, body)
    )
    assert LedgerEntry.verify_chain(OTHER).pk == floating.pk


@pytest.mark.parametrize("clash", ["previous_hash", "sequence"])
def test_the_database_refuses_a_second_record_after_the_same_head(clash):
    """Given a ledger, when a writer that skipped the lock inserts a record on a head that already has a
    successor (same previous hash, or same sequence number), then the database's unique index refuses it."""
    first, second = lines(SETTLEMENT, 2)
    rival = {
        "previous_hash": second.previous_hash if clash == "previous_hash" else second.hash,
        "sequence": second.sequence if clash == "sequence" else 3,
    }
    with pytest.raises(IntegrityError), transaction.atomic():
        LedgerEntry.objects.create(chain=SETTLEMENT, payload={"amount_fen": 1}, hash="e" * 64, **rival)
    assert LedgerEntry.objects.filter(chain=SETTLEMENT).count() == 2


# --- concurrency ------------------------------------------------------------------------------------------------


def append_retrying_on_sqlite_lock(chain: str, payload: dict) -> LedgerEntry:
    for _ in range(1000):
        try:
            return LedgerEntry.append(chain, payload)
        except OperationalError as exc:
            if connection.vendor != "sqlite" or "locked" not in str(exc):
                raise
            time.sleep(0.002)
    raise AssertionError("the SQLite write lock was never free")


@pytest.mark.django_db(transaction=True)
def test_concurrent_appends_do_not_fork_the_chain(transactional_db):
    """Given four threads, each with its own database connection, appending ten lines to one ledger at once,
    then all forty are written, numbered 1..40 without gap, and the chain verifies. On PostgreSQL no append
    is refused: appenders queue on the chain's lock. SQLite's in-memory test database (shared cache) refuses
    a second writer at once ("database table is locked") instead of waiting as the file database does with its
    busy timeout, so there a refused append is retried, as a client would; nothing is half-written."""
    threads, per_thread = 4, 10
    start = threading.Barrier(threads)
    failures: list[BaseException] = []

    def work(worker: int) -> None:
        try:
            start.wait()
            for i in range(per_thread):
                append_retrying_on_sqlite_lock(SETTLEMENT, {"worker": worker, "line": i, "amount_fen": 100})
        except BaseException as exc:  # reported to the main thread
            failures.append(exc)
        finally:
            connection.close()

    workers = [threading.Thread(target=work, args=(w,)) for w in range(threads)]
    for thread in workers:
        thread.start()
    for thread in workers:
        thread.join()

    assert failures == []
    sequences = list(
        LedgerEntry.objects.filter(chain=SETTLEMENT).order_by("sequence").values_list("sequence", flat=True)
    )
    assert sequences == list(range(1, threads * per_thread + 1))
    assert LedgerEntry.verify_chain(SETTLEMENT) is None


# --- properties -------------------------------------------------------------------------------------------------

TEXT = st.text(st.characters(exclude_categories=("Cs",), exclude_characters="\x00"), max_size=12)
SCALARS = st.none() | st.booleans() | st.integers(min_value=-(10**15), max_value=10**15) | TEXT
VALUES = st.recursive(
    SCALARS,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(TEXT, inner, max_size=3),
    max_leaves=8,
)
PAYLOADS = st.dictionaries(TEXT, VALUES, max_size=5)
PROPERTY = settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)


def fresh_chain() -> str:
    return f"property:{LedgerEntry.objects.count()}:{threading.get_ident()}:{id(object())}"


@PROPERTY
@given(payloads=st.lists(PAYLOADS, min_size=1, max_size=6), data=st.data())
def test_any_sequence_of_appends_verifies_and_any_changed_payload_is_found(payloads, data):
    """For any sequence of payloads appended to a new ledger, the chain verifies; when any one record's stored
    payload is then replaced by any different payload, verify_chain returns that record."""
    chain = fresh_chain()
    records = [LedgerEntry.append(chain, p) for p in payloads]
    assert LedgerEntry.verify_chain(chain) is None

    victim = data.draw(st.sampled_from(records))
    replacement = data.draw(PAYLOADS.filter(lambda p: canonical_json(p) != canonical_json(victim.payload)))
    with maintenance():
        set_columns(victim.pk, payload=replacement)
    assert LedgerEntry.verify_chain(chain).pk == victim.pk


LINK_FIELDS = ("previous_hash", "payload", "hash")


@PROPERTY
@given(payloads=st.lists(PAYLOADS, min_size=1, max_size=6), data=st.data())
def test_any_single_byte_changed_anywhere_in_an_exported_chain_is_found(payloads, data):
    """For any chain appended through the database and exported as its bytes (previous hash, canonical payload,
    hash of each record), changing any single byte of any field of any record to any other value makes the
    Django-free verifier stop exactly at that record."""
    chain = fresh_chain()
    for p in payloads:
        LedgerEntry.append(chain, p)
    links = [r.chain_link() for r in LedgerEntry.objects.filter(chain=chain).order_by("sequence")]
    assert first_broken_link(chain, links) is None

    position = data.draw(st.integers(0, len(links) - 1))
    field = data.draw(st.sampled_from(LINK_FIELDS))
    original = getattr(links[position], field)
    as_bytes = original if isinstance(original, bytes) else original.encode("ascii")
    index = data.draw(st.integers(0, len(as_bytes) - 1))
    new_byte = data.draw(st.integers(0, 255).filter(lambda b: b != as_bytes[index]))
    changed = as_bytes[:index] + bytes([new_byte]) + as_bytes[index + 1 :]
    value = changed if field == "payload" else changed.decode("latin-1")
    tampered = [*links[:position], links[position]._replace(**{field: value}), *links[position + 1 :]]
    assert first_broken_link(chain, tampered) == position


def test_the_verifier_reads_links_in_order_and_refuses_a_gap():
    """Given an exported chain with a record left out, then the Django-free verifier stops at the record after
    the gap; an empty export verifies."""
    first = ChainLink(1, genesis_hash("x"), b"{}", chain_hash(genesis_hash("x"), b"{}"))
    second = ChainLink(2, first.hash, b"[]", chain_hash(first.hash, b"[]"))
    third = ChainLink(3, second.hash, b"1", chain_hash(second.hash, b"1"))
    assert first_broken_link("x", [first, second, third]) is None
    assert first_broken_link("x", [first, third]) == 1
    assert first_broken_link("x", []) is None
