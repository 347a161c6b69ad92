"""Append-only records (tongcheng.kit.models.AppendOnlyModel), shown on the kit's ledger table: updates and
deletes are refused by the ORM and, through the triggers of the AppendOnlyTriggers migration operation, by
the database for raw SQL too — on SQLite and PostgreSQL (CI runs this file on both). The test runner's flush
still empties the table, through maintenance()."""

from __future__ import annotations

import pytest
from django.apps import apps
from django.core.management import CommandError, call_command
from django.core.management.commands.flush import Command as DjangoFlush
from django.db import IntegrityError, connection, models, transaction
from django.test.utils import isolate_apps

from tongcheng.kit.append_only import AppendOnlyError, installed_triggers, maintenance, trigger_names
from tongcheng.kit.ledger.models import LedgerEntry
from tongcheng.kit.models import AppendOnlyModel, AppendOnlyQuerySet, HashChainedModel

from .conftest import TABLE, raw

CHAIN = "test:append-only"


@pytest.fixture
def entry(db):
    LedgerEntry.append(CHAIN, {"amount_fen": 100, "note": "首笔"})
    return LedgerEntry.append(CHAIN, {"amount_fen": 250, "note": "second"})


def stored(pk: int) -> tuple:
    return LedgerEntry.objects.filter(pk=pk).values_list("sequence", "payload", "hash").get()


ORM_WRITES = {
    "save of an existing row": lambda e: (setattr(e, "payload", {"amount_fen": 1}), e.save()),
    "save(update_fields)": lambda e: e.save(update_fields=["payload"]),
    "delete()": lambda e: e.delete(),
    "QuerySet.update()": lambda e: LedgerEntry.objects.filter(pk=e.pk).update(payload={"amount_fen": 1}),
    "QuerySet.delete()": lambda e: LedgerEntry.objects.filter(pk=e.pk).delete(),
    "QuerySet.all().delete()": lambda e: LedgerEntry.objects.all().delete(),
    "bulk_update()": lambda e: LedgerEntry.objects.bulk_update([e], ["payload"]),
    "upsert": lambda e: LedgerEntry.objects.bulk_create(
        [LedgerEntry(**{f.attname: getattr(e, f.attname) for f in e._meta.concrete_fields})],
        update_conflicts=True,
        unique_fields=["previous_hash"],
        update_fields=["payload"],
    ),
}


@pytest.mark.parametrize("write", ORM_WRITES.values(), ids=ORM_WRITES.keys())
def test_the_orm_refuses_every_update_and_delete(entry, write):
    """Given an entry of an append-only ledger, when any ORM path tries to change or remove it, then
    AppendOnlyError names the model, and the row is unchanged."""
    before = stored(entry.pk)
    with pytest.raises(AppendOnlyError, match=r"kit_ledger\.LedgerEntry is append-only"):
        write(entry)
    assert stored(entry.pk) == before
    assert LedgerEntry.objects.filter(chain=CHAIN).count() == 2


def test_inserts_are_allowed(db):
    """Given the append-only ledger, when rows are created one by one and in bulk, then they are stored."""
    LedgerEntry.objects.create(chain="free", sequence=1, payload={}, previous_hash="a" * 64, hash="b" * 64)
    LedgerEntry.objects.bulk_create(
        [LedgerEntry(chain="free", sequence=2, payload={}, previous_hash="c" * 64, hash="d" * 64)]
    )
    assert LedgerEntry.objects.filter(chain="free").count() == 2


def test_a_new_instance_with_the_key_of_a_stored_row_is_inserted_not_written_over(entry):
    """Given a stored entry, when a new instance carrying its primary key is saved, then the database refuses
    the insert (duplicate key) instead of Django turning the save into an UPDATE."""
    before = stored(entry.pk)
    clone = LedgerEntry(pk=entry.pk, chain="x", sequence=9, payload={}, previous_hash="e" * 64, hash="f" * 64)
    with pytest.raises(IntegrityError), transaction.atomic():
        clone.save()
    assert stored(entry.pk) == before


RAW_WRITES = {
    "UPDATE": f"UPDATE {TABLE} SET payload = '{{\"amount_fen\": 1}}' WHERE id = %s",
    "UPDATE of a column the hash does not cover": f"UPDATE {TABLE} SET recorded_at = recorded_at WHERE id = %s",
    "DELETE": f"DELETE FROM {TABLE} WHERE id = %s",
    "DELETE of all rows": f"DELETE FROM {TABLE} WHERE id = %s OR 1 = 1",
}


@pytest.mark.parametrize("sql", RAW_WRITES.values(), ids=RAW_WRITES.keys())
def test_the_database_refuses_raw_updates_and_deletes(entry, sql):
    """Given an entry, when raw SQL updates or deletes it (bypassing the ORM), then the database's trigger
    refuses with an integrity error naming the table, and nothing changed."""
    before = stored(entry.pk)
    with pytest.raises(IntegrityError, match=f"append-only table {TABLE}"):
        raw(sql, [entry.pk])
    assert stored(entry.pk) == before
    assert LedgerEntry.objects.count() >= 2


@pytest.mark.skipif(connection.vendor != "postgresql", reason="TRUNCATE is PostgreSQL's (SQLite has none)")
def test_postgresql_refuses_truncate(entry):
    """Given an entry on PostgreSQL, when the table is truncated, then the statement trigger refuses."""
    with pytest.raises(IntegrityError, match=f"append-only table {TABLE}: TRUNCATE refused"):
        raw(f"TRUNCATE {TABLE}")
    assert LedgerEntry.objects.filter(pk=entry.pk).exists()


def test_maintenance_lets_sql_through_only_inside_its_block(entry):
    """Given an entry, when raw SQL updates it inside maintenance(), then it passes; after the block, and after
    a nested block ends, the same statement is refused again."""
    with maintenance():
        with maintenance():
            raw(f"UPDATE {TABLE} SET chain = chain WHERE id = %s", [entry.pk])
        # The inner block's end does not end the outer one's exemption.
        raw(f"UPDATE {TABLE} SET chain = chain WHERE id = %s", [entry.pk])
    with pytest.raises(IntegrityError):
        raw(f"UPDATE {TABLE} SET chain = chain WHERE id = %s", [entry.pk])


def test_an_error_inside_maintenance_ends_the_exemption(entry):
    """Given a maintenance block left by an exception, when raw SQL deletes the entry afterwards, then it is
    refused: the exemption was rolled back with the block."""
    with pytest.raises(RuntimeError), maintenance():
        raise RuntimeError("repair failed")
    with pytest.raises(IntegrityError):
        raw(f"DELETE FROM {TABLE} WHERE id = %s", [entry.pk])


@pytest.mark.django_db
def test_every_append_only_model_has_its_triggers_in_the_database():
    """Given the migrated test database, then every concrete AppendOnlyModel's table carries its triggers (a
    model made append-only without AppendOnlyTriggers in its migration, or a SQLite table rebuild that lost
    them, fails here), and passes the append-only system checks."""
    append_only = [m for m in apps.get_models() if issubclass(m, AppendOnlyModel)]
    assert LedgerEntry in append_only
    for model in append_only:
        table = model._meta.db_table
        assert installed_triggers(connection, table) == trigger_names(connection, table), model._meta.label
        assert [e for e in model.check() if e.id.startswith("kit.")] == [], model._meta.label


@pytest.mark.django_db(transaction=True)
def test_flush_empties_append_only_tables_and_the_triggers_stay(transactional_db):
    """Given ledger rows committed to the database, when Django's own flush runs, then the triggers refuse it
    (this is why the kit replaces the command); when the kit's flush runs (as the test runner does after every
    transactional test), then the table is emptied, and afterwards a raw DELETE is refused again."""
    before = LedgerEntry.objects.count()  # the demo's final settlements are on their zone's chain
    LedgerEntry.append(CHAIN, {"amount_fen": 1})
    with pytest.raises(CommandError) as refused:
        call_command(DjangoFlush(), interactive=False, verbosity=0)
    assert isinstance(refused.value.__cause__, IntegrityError)
    assert "append-only" in str(refused.value.__cause__)
    assert LedgerEntry.objects.count() == before + 1

    call_command("flush", interactive=False, verbosity=0)
    assert LedgerEntry.objects.count() == 0

    entry = LedgerEntry.append(CHAIN, {"amount_fen": 2})
    with pytest.raises(IntegrityError, match="append-only"):
        raw(f"DELETE FROM {TABLE} WHERE id = %s", [entry.pk])
    assert installed_triggers(connection, TABLE) == trigger_names(connection, TABLE)


@pytest.mark.django_db(transaction=True)
def test_the_migration_operation_is_reversible(transactional_db):
    """Given the ledger app migrated, when its migration is unapplied and applied again, then the table comes
    back with its triggers and refuses a raw update."""
    call_command("migrate", "kit_ledger", "zero", verbosity=0)
    assert TABLE not in connection.introspection.table_names()
    call_command("migrate", "kit_ledger", verbosity=0)
    assert installed_triggers(connection, TABLE) == trigger_names(connection, TABLE)
    entry = LedgerEntry.append(CHAIN, {"amount_fen": 3})
    with pytest.raises(IntegrityError, match="append-only"):
        raw(f"UPDATE {TABLE} SET sequence = 7 WHERE id = %s", [entry.pk])


# --- system checks: a subclass cannot silently lose the guarantees ---------------------------------------------


@isolate_apps("tongcheng.kit.ledger")
def test_checks_refuse_a_plain_manager_and_row_changing_foreign_keys():
    """Given append-only models declared with a plain manager, or a foreign key whose on_delete would update
    (SET_NULL) or delete (CASCADE) append-only rows, then the system checks report kit.E001 / kit.E002; PROTECT
    and DO_NOTHING without a database constraint pass."""

    class PlainManager(AppendOnlyModel):
        objects = models.Manager()

        class Meta:
            app_label = "kit_ledger"

    class Combined(AppendOnlyQuerySet, models.QuerySet):
        pass

    class SetNull(AppendOnlyModel):
        parent = models.ForeignKey("kit_ledger.LedgerEntry", null=True, on_delete=models.SET_NULL)
        other = models.ForeignKey("kit_ledger.LedgerEntry", on_delete=models.CASCADE, related_name="+")
        objects = Combined.as_manager()

        class Meta:
            app_label = "kit_ledger"

    class Safe(AppendOnlyModel):
        kept = models.ForeignKey("kit_ledger.LedgerEntry", on_delete=models.PROTECT, related_name="+")
        loose = models.ForeignKey(
            "kit_ledger.LedgerEntry", on_delete=models.DO_NOTHING, db_constraint=False, related_name="+"
        )

        class Meta:
            app_label = "kit_ledger"

    assert [e.id for e in PlainManager.check() if e.id.startswith("kit.")] == ["kit.E001"]
    errors = [e for e in SetNull.check() if e.id.startswith("kit.")]
    assert [(e.id, e.obj.name) for e in errors] == [("kit.E002", "parent"), ("kit.E002", "other")]
    assert "SET_NULL" in errors[0].msg
    assert [e for e in Safe.check() if e.id.startswith("kit.")] == []


@isolate_apps("tongcheng.kit.ledger")
def test_checks_refuse_a_hash_chain_that_lost_its_unique_constraint():
    """Given a hash-chained model whose Meta does not inherit the base's, then kit.E003 reports the lost
    (chain, sequence) constraint; one that inherits it passes."""

    class Lost(HashChainedModel):
        class Meta:
            app_label = "kit_ledger"

    class Kept(HashChainedModel):
        class Meta(HashChainedModel.Meta):
            app_label = "kit_ledger"

    assert [e.id for e in Lost.check() if e.id.startswith("kit.")] == ["kit.E003"]
    assert [e for e in Kept.check() if e.id.startswith("kit.")] == []
