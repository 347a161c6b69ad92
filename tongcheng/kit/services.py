"""The service-function convention every Tongcheng module follows.

A service is a plain function named by a verb, taking the acting user as ``actor``. It
- runs in one atomic transaction;
- checks the actor's grant (``require``) before it changes anything, and re-checks after saving that the
  record is still inside the actor's scope (so nobody can move a record out of sight);
- writes its ``AuditEntry`` in that same transaction (``audit``);
- defers notifications with ``transaction.on_commit``;
- raises ``ServiceError`` subclasses with a stable ``code`` and, where one field is at fault, its name.
Views, API endpoints and management commands only parse input and call services."""

from __future__ import annotations

import secrets
from array import array
from collections.abc import Iterable, Sequence
from typing import Any, Protocol, TypeVar, cast

from django.apps import apps
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models, transaction
from django.db.models import F
from django.utils.translation import gettext_lazy as _

from .access import restrict
from .auditing import AUDIT_ACTIONS, anchors_of
from .error_codes import ERROR_CODES, check_error_code
from .middleware import request_id_var
from .signals import service_committed

__all__ = [
    "ConflictError",
    "NotFoundError",
    "ForbiddenError",
    "ServiceError",
    "ValidationFailed",
    "audit",
    "create",
    "create_many",
    "audit_many",
    "get_visible",
    "require",
    "apply_changes",
    "change_record",
    "check_version",
    "plan_changes",
    "OVERWRITE",
]


class ServiceError(Exception):
    """A refusal with a stable machine code; ``field`` names the input at fault, when there is one.

    The code must be registered (``kit/error_codes.py``): an unknown one raises ``UnknownErrorCode`` in
    development and tests. Without a message, the code's registered label is the message."""

    status = 400
    code = "invalid"

    def __init__(
        self,
        message: Any = None,
        *,
        code: str | None = None,
        field: str | None = None,
        errors: list[dict[str, Any]] | None = None,
    ):
        if code:
            self.code = code
        check_error_code(self.code)
        if message is None:
            message = ERROR_CODES[self.code].label if self.code in ERROR_CODES else self.code
        super().__init__(str(message))
        self.message = message
        self.field = field
        self.errors = errors or []

    def as_dict(self) -> dict[str, Any]:
        body: dict[str, Any] = {"code": self.code, "message": str(self.message)}
        if self.field:
            body["field"] = self.field
        if self.errors:
            body["errors"] = self.errors
        return body


class ValidationFailed(ServiceError):
    status = 422
    code = "validation_failed"


class NotFoundError(ServiceError):
    """Missing and invisible look the same, so an error never confirms that a record exists."""

    status = 404
    code = "not_found"


class ForbiddenError(ServiceError):
    status = 403
    code = "forbidden"


class ConflictError(ServiceError):
    status = 409
    code = "stale_version"


def get_visible(model_or_qs: Any, user: Any, action: str = "view", **lookup: Any) -> Any:
    """Fetch one row the user may reach for the action, or raise NotFoundError (never a 403)."""
    qs = model_or_qs if isinstance(model_or_qs, models.QuerySet) else model_or_qs._default_manager.all()
    obj = restrict(qs, user, action).filter(**lookup).first()
    if obj is None:
        raise NotFoundError()
    return obj


def require(user: Any, action: str, obj: models.Model) -> None:
    """The actor must see the row (else 404) and may perform the action on it (else 403)."""
    manager = type(obj)._default_manager
    if not restrict(manager.filter(pk=obj.pk), user, "view").exists():
        raise NotFoundError()
    if action != "view" and not restrict(manager.filter(pk=obj.pk), user, action).exists():
        raise ForbiddenError()


def audit_model() -> Any:
    """The audit entry model of the project (``TONGCHENG_AUDIT_MODEL``, like ``AUTH_USER_MODEL``)."""
    return apps.get_model(settings.TONGCHENG_AUDIT_MODEL)


def _entry(actor: Any, action: str, obj: models.Model, data: dict[str, Any] | None, **anchors: Any) -> Any:
    if action not in AUDIT_ACTIONS:
        raise RuntimeError(f"audit action {action!r} is not registered (kit.auditing.register_action)")
    return audit_model()(
        actor=actor if getattr(actor, "pk", None) else None,
        actor_name=getattr(actor, "username", "") or "system",
        action=action,
        object_type=obj._meta.label_lower,
        object_id=str(obj.pk),
        object_repr=str(obj)[:200],
        data=data or {},
        request_id=request_id_var.get(),
        **{**anchors_of(obj), **anchors},
    )


def _announce_on_commit(entries: list[Any]) -> None:
    def announce() -> None:
        for entry in entries:
            service_committed.send(sender=type(entry), entry=entry)

    transaction.on_commit(announce)


def audit(
    actor: Any, action: str, obj: models.Model, data: dict[str, Any] | None = None, zone_id: int | None = None
) -> Any:
    """Record the action in the service's transaction; once that commits, announce it
    (``service_committed``) so notifications never fire for a change that was rolled back.

    The entry is anchored where the record lies (``core.auditing.anchors_of``), so the auditors and
    offices whose scope contains the record read it; ``zone_id`` overrides the zone anchor."""
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("audit() must run inside the service's transaction")
    entry = _entry(actor, action, obj, data, **({"zone_id": zone_id} if zone_id is not None else {}))
    entry.save()
    _announce_on_commit([entry])
    return entry


def audit_many(actor: Any, action: str, items: Iterable[tuple[models.Model, dict[str, Any]]]) -> list[Any]:
    """``audit`` for many records of one batch service, inserted together (same anchors, same announcement)."""
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("audit_many() must run inside the service's transaction")
    model = audit_model()
    entries = model._default_manager.bulk_create([_entry(actor, action, obj, data) for obj, data in items])
    # Only the ids wait for the commit (8 bytes each, in an array): an import of a million rows must not keep
    # a million entries in memory until its transaction ends.
    ids = array("q", (entry.pk for entry in entries))

    def announce() -> None:
        if not service_committed.has_listeners(model):
            return
        for start in range(0, len(ids), 500):
            for entry in model._default_manager.filter(pk__in=list(ids[start : start + 500])).order_by("pk"):
                service_committed.send(sender=model, entry=entry)

    transaction.on_commit(announce)
    return entries


def jsonable(value: Any) -> Any:
    if isinstance(value, models.Model):
        return value.pk
    if value is None or isinstance(value, (bool, int, str)):
        return value
    return str(value)


class _Overwrite:
    """The explicit choice to write without comparing versions (an administrator repairing data). A
    service that accepts it records it in its audit entry."""

    def __repr__(self) -> str:
        return "OVERWRITE"


OVERWRITE: Any = _Overwrite()


def check_version(expected_version: Any, current: int) -> None:
    """Every write names the version it was based on: missing is refused (422 ``version_required``),
    different is refused (409 ``stale_version``); only ``OVERWRITE`` skips the comparison, on purpose."""
    if expected_version is OVERWRITE:
        return
    if expected_version is None:
        raise ValidationFailed(
            _("Give the version of the record you edited, so that a newer change is not overwritten."),
            code="version_required",
            field="version",
        )
    if expected_version != current:
        raise ConflictError(
            _("This record was changed by someone else since you opened it; reload and try again."),
            field="version",
        )


def create(
    actor: Any, instance: models.Model, *, action: str = "change", refusal: Any = None
) -> models.Model:
    """Save a new record for the actor: the fields' own rules, permission on the target scope, then the
    rest of validation (uniqueness, constraints), save, and a re-check that the saved row is in the
    actor's scope.

    The scope is decided by the rule of the model on the saved row itself, so it is tried first inside a
    savepoint with the unique fields set to throw-away values: an actor outside the scope gets the same
    refusal whether or not a record with that key exists (the key's existence is never revealed); only
    an actor who may create there learns of a duplicate."""
    model = type(instance)
    unique = [
        f for f in model._meta.fields if f.unique and not f.primary_key and isinstance(f, models.CharField)
    ]
    real = {f.attname: getattr(instance, f.attname) for f in unique}
    # The fields' own rules (lengths, choices) before the trial insert: an over-long value would otherwise
    # reach the database, which refuses it with an error (a 500) instead of naming the field. This says
    # nothing about other rows; uniqueness and constraints wait until the scope is known.
    relations = [f.name for f in model._meta.fields if f.is_relation]
    instance.full_clean(exclude=relations, validate_unique=False, validate_constraints=False)
    with transaction.atomic():
        for f in unique:
            setattr(instance, f.attname, "~" + secrets.token_hex(8)[: max(1, (f.max_length or 17) - 1)])
        instance.save(force_insert=True)
        allowed = restrict(model._default_manager.filter(pk=instance.pk), actor, action).exists()
        transaction.set_rollback(True)
    instance.pk = None
    instance._state.adding = True
    for name, value in real.items():
        setattr(instance, name, value)
    if not allowed:
        raise ForbiddenError(refusal)
    instance.full_clean()
    instance.save(force_insert=True)
    if not restrict(model._default_manager.filter(pk=instance.pk), actor, action).exists():
        raise ForbiddenError(refusal)
    return instance


def _id_chunks(ids: list[Any], size: int = 500) -> Iterable[list[Any]]:
    # Ids per IN (...) list: within what every backend accepts, with room for the rule's own parameters.
    for start in range(0, len(ids), size):
        yield ids[start : start + size]


def _in_scope(model: Any, actor: Any, action: str, pks: list[Any]) -> set[Any]:
    allowed: set[Any] = set()
    for chunk in _id_chunks(pks):
        allowed.update(
            restrict(model._default_manager.filter(pk__in=chunk), actor, action).values_list("pk", flat=True)
        )
    return allowed


_M = TypeVar("_M", bound=models.Model)


def create_many(
    actor: Any,
    instances: Sequence[_M],
    *,
    action: str = "change",
    refusal: Any = None,
    write: bool = True,
    apply_valid: bool = False,
    exclude: Iterable[str] = (),
) -> tuple[list[_M], dict[int, ServiceError]]:
    """``create`` for a batch of new records of one model, in a number of queries that does not follow the
    number of rows: each is validated (its fields; relations must be instances the caller has read), then
    all are tried at once inside a savepoint with throw-away unique values and read back through the rule
    (so a row outside the actor's scope is refused the same way whether or not its key exists), then the
    unique values of the rows in scope are checked (a duplicate is named only to an actor who may create
    there), then, when ``write`` and no row is refused (or ``apply_valid``), they are inserted together and
    read back once more. Returns the saved records and {index: refusal}. History rows and audit entries are
    the caller's (it knows its model's history and audit action)."""
    refused: dict[int, ServiceError] = {}
    if not instances:
        return [], refused
    model = type(instances[0])
    relations = [f.name for f in model._meta.fields if f.is_relation]
    for index, instance in enumerate(instances):
        try:
            instance.full_clean(
                exclude=[*relations, *exclude], validate_unique=False, validate_constraints=False
            )
        except ValidationError as exc:
            name, messages = next(iter(exc.message_dict.items()))
            refused[index] = ValidationFailed("; ".join(messages), field=None if name == "__all__" else name)
    trial = [index for index in range(len(instances)) if index not in refused]
    unique = [
        f for f in model._meta.fields if f.unique and not f.primary_key and isinstance(f, models.CharField)
    ]
    real = {index: {f.attname: getattr(instances[index], f.attname) for f in unique} for index in trial}
    with transaction.atomic():
        for index in trial:
            for f in unique:
                setattr(
                    instances[index],
                    f.attname,
                    "~" + secrets.token_hex(8)[: max(1, (f.max_length or 17) - 1)],
                )
        model._default_manager.bulk_create([instances[index] for index in trial])
        pks = {index: instances[index].pk for index in trial}
        allowed = _in_scope(model, actor, action, list(pks.values()))
        transaction.set_rollback(True)
    for index in trial:
        instance = instances[index]
        instance.pk = None
        instance._state.adding = True
        for name, value in real[index].items():
            setattr(instance, name, value)
        if pks[index] not in allowed:
            refused[index] = ForbiddenError(refusal)
    candidates = [index for index in trial if index not in refused]
    for f in unique:
        values: dict[Any, int] = {}
        for index in candidates:
            value = getattr(instances[index], f.attname)
            if value in values:
                refused[index] = ValidationFailed(
                    _("This value is given for an earlier record too."),
                    code="duplicate_key",
                    field=f.name,
                )
            else:
                values[value] = index
        taken: set[Any] = set()
        for chunk in _id_chunks(list(values)):
            taken.update(
                model._default_manager.filter(**{f"{f.attname}__in": chunk}).values_list(f.attname, flat=True)
            )
        for value in taken:
            refused[values[value]] = ValidationFailed(
                _("%(model)s with this %(field)s already exists.")
                % {"model": model._meta.verbose_name, "field": f.verbose_name},
                code="duplicate_key",
                field=f.name,
            )
    if not write or (refused and not apply_valid):
        return [], refused
    saved = model._default_manager.bulk_create(
        [instances[i] for i in range(len(instances)) if i not in refused]
    )
    if len(_in_scope(model, actor, action, [o.pk for o in saved])) != len(saved):
        raise ForbiddenError(refusal)
    return saved, refused


class _Versioned(Protocol):
    """A row of a versioned model: ``version`` counts its edits (compare-and-set)."""

    version: int


def change_record(diff: dict[str, list[Any]], expected_version: Any) -> dict[str, Any]:
    """The audit data of an update: the changed fields, and whether the version check was overridden."""
    return {"changes": diff, **({"overwrite": True} if expected_version is OVERWRITE else {})}


def plan_changes(obj: models.Model, changes: dict[str, Any], fields: Iterable[str]) -> dict[str, list[Any]]:
    """Set the changed values on the object (only editable fields; an unknown one is refused) and return
    {field: [before, after]}; nothing is written. Shared by ``apply_changes`` and batch services."""
    allowed = set(fields)
    unknown = set(changes) - allowed
    if unknown:
        raise ValidationFailed(
            _("These fields cannot be changed: %(fields)s") % {"fields": ", ".join(sorted(unknown))},
            code="unknown_field",
            field=sorted(unknown)[0],
        )
    diff: dict[str, list[Any]] = {}
    for name, value in changes.items():
        before = getattr(obj, name)
        if before != value:
            diff[name] = [jsonable(before), jsonable(value)]
            setattr(obj, name, value)
    return diff


def apply_changes(
    obj: models.Model, changes: dict[str, Any], expected_version: Any, fields: Iterable[str]
) -> dict[str, list[Any]]:
    """Update allowed fields of a TrackedModel, refusing a stale edit: the row is written only if its
    version is still the one the editor saw (a compare-and-set in the UPDATE itself, so two concurrent
    editors cannot both win). The version is never optional (see ``check_version``). Returns
    {field: [before, after]} for the audit entry."""
    allowed = set(fields)
    diff = plan_changes(obj, changes, allowed)
    versioned = cast(_Versioned, obj)  # the kit cannot name core's TrackedModel, which holds the field
    check_version(expected_version, versioned.version)
    if not diff:
        return diff
    obj.full_clean(exclude=[f.name for f in obj._meta.fields if f.name not in allowed])
    model = type(obj)
    updated = model._default_manager.filter(pk=obj.pk, version=versioned.version).update(
        version=F("version") + 1, **{name: getattr(obj, name) for name in diff}
    )
    if updated != 1:
        raise ConflictError(
            _("This record was changed by someone else since you opened it; reload and try again."),
            field="version",
        )
    versioned.version += 1
    # .update() bypasses save(); write the history row explicitly so the change log stays complete.
    obj.save(update_fields=["updated_at"])
    return diff
