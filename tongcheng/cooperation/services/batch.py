"""Batched create and update of cooperation records, for imports (kit ``ImportSpec``): the checks of the
single-record services, row by row, but the reads and writes per batch, so the number of queries follows the
number of batches, not of rows (as core's ``update_organisations`` does for organisations).

- ``update_records``: one locked read that is also the permission check (``change``); each row planned as
  ``apply_changes`` plans it (editable fields only, the version compared, field validation) plus the
  caller's cross-field ``check``; then compare-and-set UPDATEs in CASE batches, the many-to-many rows
  replaced in bulk, history rows and one audit entry per changed row.
- ``create_records``: the kit's ``create_many`` (scope first, whether or not the key exists elsewhere), then
  history rows, many-to-many rows and audit entries in bulk.
A refused row is reported under its index, never raised; unless ``apply_valid`` one refusal means nothing is
written; with ``write`` false nothing is (the importer checks a whole file before it writes)."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from typing import Any

from django.core.exceptions import ValidationError
from django.db import connection, models, transaction
from django.db.models import Case, F, Value, When
from django.db.models.functions import Cast
from django.utils import timezone
from django.utils.translation import gettext as _

from tongcheng.core.services.organisations import BatchResult
from tongcheng.kit.access import restrict
from tongcheng.kit.services import (
    ConflictError,
    ForbiddenError,
    NotFoundError,
    ServiceError,
    ValidationFailed,
    audit_many,
    check_version,
    create_many,
    plan_changes,
)

from ..models.records import Searchable
from .base import as_service_error

__all__ = ["BatchResult", "create_records", "update_records"]

Check = Callable[[Any, dict[str, Any]], None]


def _chunks(items: Sequence[Any], size: int) -> Iterator[Sequence[Any]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def _lookup_batch() -> int:
    limit = connection.features.max_query_params
    return max(limit - 200, 100) if limit else 10_000


def _key(row: models.Model) -> str:
    return str(getattr(row, "code", row.pk))


@transaction.atomic
def update_records(
    *,
    actor: Any,
    model: type[models.Model],
    updates: Sequence[tuple[models.Model, dict[str, Any], Any]],
    fields: Sequence[str],
    audit_action: str,
    m2m_fields: Sequence[str] = (),
    check: Check | None = None,
    apply_valid: bool = False,
    write: bool = True,
) -> BatchResult:
    """Update many records of one model: ``updates`` are (record, changes, expected version)."""
    result = BatchResult()
    pks = sorted({obj.pk for obj, _c, _v in updates})
    locked: dict[Any, models.Model] = {}
    for chunk in _chunks(pks, _lookup_batch()):
        qs = model._default_manager.select_for_update(of=("self",)).filter(pk__in=chunk)
        rows = restrict(qs, actor, "change")
        if m2m_fields:
            rows = rows.prefetch_related(*m2m_fields)
        locked.update((o.pk, o) for o in rows)
    visible: set[Any] = set()
    for chunk in _chunks([pk for pk in pks if pk not in locked], _lookup_batch()):
        visible.update(
            restrict(model._default_manager.filter(pk__in=chunk), actor, "view").values_list("pk", flat=True)
        )
    seen: set[Any] = set()
    planned: list[tuple[models.Model, dict[str, list[Any]], dict[str, list[models.Model]]]] = []
    plain_fields = [f for f in fields if f not in m2m_fields]
    for index, (given, changes, expected_version) in enumerate(updates):
        obj = locked.get(given.pk)
        if obj is None:
            result.errors[index] = ForbiddenError() if given.pk in visible else NotFoundError()
            continue
        if obj.pk in seen:
            result.errors[index] = ValidationFailed(
                _("This record is already changed by an earlier row."), code="duplicate"
            )
            continue
        seen.add(obj.pk)
        try:
            if check is not None:
                check(obj, changes)
            plain = {k: v for k, v in changes.items() if k not in m2m_fields}
            related = {k: list(v) for k, v in changes.items() if k in m2m_fields}
            diff = plan_changes(obj, plain, plain_fields)
            check_version(expected_version, obj.version)  # type: ignore[attr-defined]
            if diff:
                try:
                    obj.full_clean(exclude=[f.name for f in obj._meta.fields if f.name not in diff])
                except ValidationError as exc:
                    raise as_service_error(exc) from exc
            links: dict[str, list[models.Model]] = {}
            for name, wanted in related.items():
                before = sorted(_key(r) for r in getattr(obj, name).all())
                after = sorted(_key(r) for r in wanted)
                if before != after:
                    diff[name] = [before, after]
                    links[name] = wanted
        except ServiceError as exc:
            result.errors[index] = exc
            continue
        if diff:
            planned.append((obj, diff, links))
        else:
            result.unchanged += 1
    if not write:
        result.changed = len(planned)
        return result
    if result.errors and not apply_valid:
        result.unchanged = 0
        return result
    _write_updates(actor, model, planned, plain_fields, audit_action)
    result.changed = len(planned)
    result.written = True
    return result


def _write_updates(
    actor: Any,
    model: type[models.Model],
    planned: list[tuple[models.Model, dict[str, list[Any]], dict[str, list[models.Model]]]],
    plain_fields: Sequence[str],
    audit_action: str,
) -> None:
    if not planned:
        return
    now = timezone.now()
    opts = model._meta
    changed = {name for _o, diff, _l in planned for name in diff}
    fields: list[Any] = [f for f in opts.concrete_fields if f.name in changed and f.name in plain_fields]
    if "name" in changed and issubclass(model, Searchable):
        for obj, _d, _l in planned:
            obj.fill_keys()  # type: ignore[attr-defined]
        fields += [opts.get_field("name_sort"), opts.get_field("search_key")]
    version_field: Any = opts.get_field("version")
    batch = connection.ops.bulk_batch_size(
        [opts.pk, opts.pk, version_field, *fields], [o for o, _d, _l in planned]
    )
    casting = connection.features.requires_casted_case_in_updates
    for chunk in _chunks(planned, max(batch, 1)):
        pks = [obj.pk for obj, _d, _l in chunk]

        def case(values: list[tuple[Any, Any]], output_field: Any) -> Any:
            expression = Case(
                *(When(pk=pk, then=Value(v, output_field=output_field)) for pk, v in values),
                output_field=output_field,
            )
            return Cast(expression, output_field=output_field) if casting else expression

        assignments = {
            f.attname: case([(obj.pk, getattr(obj, f.attname)) for obj, _d, _l in chunk], f) for f in fields
        }
        expected = case([(obj.pk, getattr(obj, "version")) for obj, _d, _l in chunk], version_field)  # noqa: B009
        written = model._default_manager.filter(pk__in=pks, version=expected).update(
            version=F("version") + 1, updated_at=now, **assignments
        )
        if written != len(chunk):
            raise ConflictError(
                _("This record was changed by someone else since you opened it; reload and try again."),
                field="version",
            )
    by_field: dict[str, list[tuple[models.Model, list[models.Model]]]] = {}
    for obj, _d, links in planned:
        obj.version += 1  # type: ignore[attr-defined]
        obj.updated_at = now  # type: ignore[attr-defined]
        for name, wanted in links.items():
            by_field.setdefault(name, []).append((obj, wanted))
    for name, items in by_field.items():
        _replace_links(model, name, items)
    user = actor if getattr(actor, "pk", None) else None
    model.history.bulk_history_create(  # type: ignore[attr-defined]
        [obj for obj, _d, _l in planned], update=True, default_user=user, default_date=now
    )
    audit_many(actor, audit_action, [(obj, {"changes": diff}) for obj, diff, _l in planned])


def _through(model: type[models.Model], name: str) -> tuple[Any, str, str]:
    descriptor = getattr(model, name)
    through = descriptor.through
    source = descriptor.field.m2m_field_name() + "_id"
    target = descriptor.field.m2m_reverse_field_name() + "_id"
    return through, source, target


def _replace_links(
    model: type[models.Model], name: str, items: list[tuple[models.Model, list[models.Model]]]
) -> None:
    through, source, target = _through(model, name)
    for chunk in _chunks([obj.pk for obj, _w in items], _lookup_batch()):
        through.objects.filter(**{f"{source}__in": chunk}).delete()
    through.objects.bulk_create(
        [through(**{source: obj.pk, target: w.pk}) for obj, wanted in items for w in wanted], batch_size=500
    )


@transaction.atomic
def create_records(
    *,
    actor: Any,
    instances: Sequence[models.Model],
    audit_action: str,
    refusal: Any,
    m2m: Sequence[dict[str, list[models.Model]]] | None = None,
    data: Callable[[models.Model], dict[str, Any]] | None = None,
    apply_valid: bool = False,
    write: bool = True,
) -> BatchResult:
    """Create many records of one model (the kit's ``create_many``), with their many-to-many rows
    (``m2m[i]`` for ``instances[i]``), history rows and audit entries."""
    result = BatchResult()
    if not instances:
        return result
    model = type(instances[0])
    for obj in instances:
        if isinstance(obj, Searchable):
            obj.fill_keys()
    saved, refused = create_many(
        actor,
        list(instances),
        refusal=refusal,
        write=write,
        apply_valid=apply_valid,
        exclude=("name_sort", "search_key"),
    )
    for index, error in refused.items():
        result.errors[index] = error
    if not write or (refused and not apply_valid):
        result.changed = len(instances) - len(refused) if not write else 0
        return result
    if saved:
        user = actor if getattr(actor, "pk", None) else None
        model.history.bulk_history_create(saved, default_user=user, default_date=timezone.now())  # type: ignore[attr-defined]
        if m2m:
            index_of = {id(obj): i for i, obj in enumerate(instances)}
            links: dict[str, list[Any]] = {}
            for obj in saved:
                for name, wanted in m2m[index_of[id(obj)]].items():
                    through, source, target = _through(model, name)
                    links.setdefault(name, []).extend(
                        through(**{source: obj.pk, target: w.pk}) for w in wanted
                    )
            for name, rows in links.items():
                _through(model, name)[0].objects.bulk_create(rows, batch_size=500)
        audit_many(actor, audit_action, [(obj, data(obj) if data else {}) for obj in saved])
    result.changed = len(saved)
    result.objects = saved
    result.written = True
    return result
