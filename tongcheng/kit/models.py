"""Abstract model bases every Tongcheng app composes its records from.

- ``TimestampedModel``: created/updated times. Alone, it suits high-volume rows (receipts, samples,
  settlement lines) that need no per-row history.
- ``VersionedModel``: an edit version; every service update compares and increments it in one UPDATE
  (``tongcheng.kit.services.apply_changes``), so an edit made against an older version is refused.
- ``HistoryModel``: a full history of every change (django-simple-history).
- ``TrackedModel``: the three together, the base of registry records.
- ``AppendOnlyModel``: rows are inserted, never updated or deleted — refused by the ORM here and by database
  triggers (``tongcheng.kit.append_only``, installed by the migration operation
  ``tongcheng.kit.migrations_ops.AppendOnlyTriggers``).
- ``HashChainedModel``: an append-only record whose hash covers its canonical payload and the previous
  record's hash, in one of several independent chains; ``verify_chain`` finds the first broken record."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Collection, Iterable, Mapping
from typing import Any, ClassVar, Self, TypeVar, cast

from django.core import checks
from django.db import connections, models, router, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from .append_only import AppendOnlyError
from .hash_chain import CanonicalError, ChainLink, ChainVerifier, canonical_json, chain_hash, genesis_hash

__all__ = [
    "AppendOnlyError",
    "AppendOnlyModel",
    "AppendOnlyQuerySet",
    "HashChainedModel",
    "HistoryModel",
    "TimestampedModel",
    "TrackedModel",
    "VersionedModel",
]

_M = TypeVar("_M", bound=models.Model)


class TimestampedModel(models.Model):
    """Abstract base: when the row was created and last written."""

    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        abstract = True


class VersionedModel(models.Model):
    """Abstract base: an edit version for compare-and-set updates (see ``apply_changes``)."""

    # Incremented by every service update; an edit made against an older version is refused.
    version = models.PositiveIntegerField(_("version"), default=1)

    class Meta:
        abstract = True


class HistoryModel(models.Model):
    """Abstract base: every concrete subclass gets a Historical<Model> table with a row per change."""

    history = HistoricalRecords(inherit=True)

    class Meta:
        abstract = True


class TrackedModel(TimestampedModel, VersionedModel, HistoryModel):
    """Abstract base: created/updated times, an edit version and full history of every change."""

    class Meta:
        abstract = True


# --- append-only ----------------------------------------------------------------------------------------------


def _refuse(model: type[models.Model], what: str) -> AppendOnlyError:
    return AppendOnlyError(
        f"{model._meta.label} is append-only: {what} is refused. "
        "Correct a record by appending a correcting record."
    )


class AppendOnlyQuerySet(models.QuerySet[_M]):
    """A queryset that inserts and reads but refuses every update and delete. Combine it with another
    queryset by inheritance: ``class AuditQuerySet(AppendOnlyQuerySet, ScopedQuerySet): ...``."""

    def update(self, **kwargs: Any) -> int:
        raise _refuse(self.model, "QuerySet.update()")

    update.alters_data = True  # type: ignore[attr-defined]

    def delete(self) -> tuple[int, dict[str, int]]:
        raise _refuse(self.model, "QuerySet.delete()")

    delete.alters_data = True  # type: ignore[attr-defined]
    delete.queryset_only = True  # type: ignore[attr-defined]

    def bulk_update(self, objs: Iterable[_M], fields: Iterable[str], batch_size: int | None = None) -> int:
        raise _refuse(self.model, "QuerySet.bulk_update()")

    bulk_update.alters_data = True  # type: ignore[attr-defined]

    def bulk_create(
        self,
        objs: Iterable[_M],
        batch_size: int | None = None,
        ignore_conflicts: bool = False,
        update_conflicts: bool = False,
        update_fields: Collection[str] | None = None,
        unique_fields: Collection[str] | None = None,
    ) -> list[_M]:
        if update_conflicts:
            # An upsert rewrites the conflicting row.
            raise _refuse(self.model, "bulk_create(update_conflicts=True)")
        return super().bulk_create(objs, batch_size=batch_size, ignore_conflicts=ignore_conflicts)

    bulk_create.alters_data = True  # type: ignore[attr-defined]


# Deleting a referenced row would make the database update (SET_NULL, SET_DEFAULT, SET()) or delete (CASCADE)
# append-only rows; the triggers would then refuse the deletion with an obscure error, so refuse the model.
_SAFE_ON_DELETE = (models.PROTECT, models.RESTRICT, models.DO_NOTHING)


class AppendOnlyModel(models.Model):
    """Abstract base: a row is inserted once and never updated or deleted.

    The ORM refuses ``save()`` of an existing row, ``delete()``, ``QuerySet.update()``, ``QuerySet.delete()``,
    ``bulk_update()`` and upserts with ``AppendOnlyError``; ``create()`` and ``bulk_create()`` work. The
    migration that creates the table must also run ``AppendOnlyTriggers(<model>)`` so that the database refuses
    the same through any other path. A subclass declaring its own manager must base its queryset on
    ``AppendOnlyQuerySet``, and its foreign keys must not change rows on delete (system checks kit.E001, E002)."""

    objects = AppendOnlyQuerySet.as_manager()

    class Meta:
        abstract = True

    def save(self, *args: Any, **kwargs: Any) -> None:
        if not self._state.adding:
            raise _refuse(type(self), "saving an existing row")
        if kwargs.get("force_update") or kwargs.get("update_fields") is not None:
            raise _refuse(type(self), "save(force_update / update_fields)")
        # Never try an UPDATE first, even when the primary key is set.
        kwargs["force_insert"] = True
        super().save(*args, **kwargs)

    save.alters_data = True  # type: ignore[attr-defined]

    def delete(self, using: Any = None, keep_parents: bool = False) -> tuple[int, dict[str, int]]:
        raise _refuse(type(self), "delete()")

    delete.alters_data = True  # type: ignore[attr-defined]

    @classmethod
    def check(cls, **kwargs: Any) -> list[checks.CheckMessage]:
        errors = super().check(**kwargs)
        if cls._meta.abstract:
            return errors
        for manager in cls._meta.managers:
            queryset_class = getattr(manager, "_queryset_class", None)
            if not (isinstance(queryset_class, type) and issubclass(queryset_class, AppendOnlyQuerySet)):
                errors.append(
                    checks.Error(
                        f"manager {manager.name!r} of the append-only model {cls._meta.label} allows updates "
                        "and deletes",
                        hint="Base its queryset on tongcheng.kit.models.AppendOnlyQuerySet.",
                        obj=cls,
                        id="kit.E001",
                    )
                )
        for field in cls._meta.concrete_fields:
            remote = field.remote_field
            on_delete = getattr(remote, "on_delete", None)
            if remote is not None and on_delete not in _SAFE_ON_DELETE:
                errors.append(
                    checks.Error(
                        f"{cls._meta.label}.{field.name}: on_delete={getattr(on_delete, '__name__', on_delete)} would update or "
                        "delete append-only rows when the referenced row is deleted",
                        hint="Use on_delete=models.PROTECT, or models.DO_NOTHING with db_constraint=False to keep "
                        "the id of a deleted row.",
                        obj=field,
                        id="kit.E002",
                    )
                )
        return errors


# --- hash chains ----------------------------------------------------------------------------------------------


CHAIN_MAX_LENGTH = 100


def _chain_lock_key(table: str, chain: str) -> int:
    digest = hashlib.sha256(f"{table}\x00{chain}".encode()).digest()
    return int.from_bytes(digest[:8], "big", signed=True)


class HashChainedModel(AppendOnlyModel):
    """Abstract base: an append-only record in a hash chain.

    ``hash = sha256(previous_hash + canonical_json(payload))`` where ``previous_hash`` is the hash of the
    previous record of the same ``chain`` (or, for the first, a hash of the chain's name). Records are added
    only with ``append``; ``verify_chain`` recomputes a chain and returns its first broken record.

    Two appends to one chain never fork it: ``append`` takes a lock per chain (PostgreSQL: an advisory
    transaction lock; SQLite: the database's single write lock, taken at BEGIN by the project's IMMEDIATE
    transactions) before reading the head, and the database refuses a second record after the same head
    (``previous_hash`` is unique, ``(chain, sequence)`` is unique) whatever path wrote it.

    Only ``payload`` is covered by the hash: put into it everything that must be tamper-evident (amounts in
    integer fen, the business date, who decided). A chain proves that no record was changed or removed in its
    middle; publishing the head (``chain_head``) — on the signed settlement, say — also fixes its length."""

    chain = models.CharField(_("chain"), max_length=CHAIN_MAX_LENGTH)
    sequence = models.PositiveBigIntegerField(_("sequence"))
    payload = models.JSONField(_("payload"))
    # Unique: the first record links to a hash of its chain's name, so each head can have one successor only.
    previous_hash = models.CharField(_("previous hash"), max_length=64, unique=True)
    hash = models.CharField(_("hash"), max_length=64, db_index=True)
    recorded_at = models.DateTimeField(_("recorded at"), default=timezone.now)

    # The constraint every concrete subclass must keep (kit.E003) when it declares its own Meta.
    CHAIN_CONSTRAINT: ClassVar[tuple[str, str]] = ("chain", "sequence")

    class Meta:
        abstract = True
        constraints = [
            models.UniqueConstraint(
                fields=["chain", "sequence"], name="%(app_label)s_%(class)s_chain_sequence"
            )
        ]

    @classmethod
    def append(cls, chain: str, payload: Mapping[str, Any], **fields: Any) -> Self:
        """Add a record at the head of ``chain``. Runs in (or joins) a transaction; the record is final when it
        commits. Raises CanonicalError for a payload that is not canonical JSON (e.g. a float)."""
        if not chain or len(chain) > CHAIN_MAX_LENGTH:
            raise ValueError(f"a chain is named by 1 to {CHAIN_MAX_LENGTH} characters, not {chain!r}")
        body = canonical_json(dict(payload))
        using = router.db_for_write(cls)
        connection = connections[using]
        with transaction.atomic(using=using):
            if connection.vendor == "postgresql":
                with connection.cursor() as cursor:
                    cursor.execute(
                        "SELECT pg_advisory_xact_lock(%s)", [_chain_lock_key(cls._meta.db_table, chain)]
                    )
            head = (
                cls._default_manager.using(using)
                .filter(chain=chain)
                .order_by("-sequence")
                .values_list("sequence", "hash")
                .first()
            )
            sequence, previous = head if head else (0, genesis_hash(chain))
            record = cls(
                chain=chain,
                sequence=sequence + 1,
                # Stored as it reads back, so the hash recomputes from the database exactly.
                payload=json.loads(body),
                previous_hash=previous,
                hash=chain_hash(previous, body),
                **fields,
            )
            record.save(using=using)
        return record

    @classmethod
    def chain_head(cls, chain: str) -> tuple[int, str]:
        """(sequence, hash) of the chain's last record; (0, genesis hash) for an empty chain."""
        head = (
            cls._default_manager.filter(chain=chain)
            .order_by("-sequence")
            .values_list("sequence", "hash")
            .first()
        )
        return head if head else (0, genesis_hash(chain))

    def chain_link(self) -> ChainLink:
        """The record as the bytes its hash covers (for verification and exports)."""
        try:
            payload: bytes | None = canonical_json(self.payload)
        except CanonicalError:
            payload = None  # e.g. a float written into the payload behind the application's back
        return ChainLink(self.sequence, self.previous_hash, payload, self.hash)

    @classmethod
    def verify_chain(cls, chain: str, chunk_size: int = 2000) -> Self | None:
        """Recompute ``chain`` from its first record; return the first record that does not follow from its
        predecessor (altered payload or hash, a record missing before it, a forged or reordered record), or
        None when the chain is intact. Streams the chain: memory stays bounded for any length."""
        verifier = ChainVerifier(chain)
        records = (
            cls._default_manager.filter(chain=chain).order_by("sequence").iterator(chunk_size=chunk_size)
        )
        for record in records:
            if not verifier.accept(record.chain_link()):
                return cast(Self, record)
        return None

    @classmethod
    def check(cls, **kwargs: Any) -> list[checks.CheckMessage]:
        errors = super().check(**kwargs)
        if cls._meta.abstract:
            return errors
        kept = any(
            isinstance(constraint, models.UniqueConstraint)
            and tuple(constraint.fields) == cls.CHAIN_CONSTRAINT
            and constraint.condition is None
            for constraint in cls._meta.constraints
        )
        if not kept:
            errors.append(
                checks.Error(
                    f"{cls._meta.label} lost the unique constraint on (chain, sequence) that keeps its chains "
                    "from forking",
                    hint="Declare its Meta as `class Meta(HashChainedModel.Meta):`.",
                    obj=cls,
                    id="kit.E003",
                )
            )
        return errors
