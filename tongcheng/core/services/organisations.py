"""Services for organisations and people."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.db.models import Case, F, Value, When
from django.db.models.functions import Cast
from django.utils import timezone
from django.utils.translation import gettext as _

from tongcheng.kit.access import restrict
from tongcheng.kit.services import (
    ConflictError,
    ForbiddenError,
    NotFoundError,
    ServiceError,
    ValidationFailed,
    apply_changes,
    audit,
    audit_many,
    change_record,
    check_version,
    create,
    create_many,
    plan_changes,
    require,
)

from .. import selectors
from ..models import AdjacentZone, Jurisdiction, Organisation, OrganisationKind, Person
from ..pinyin import sort_key
from ..validators import mask_id_number

__all__ = [
    "BatchResult",
    "OrganisationUpdate",
    "NewOrganisation",
    "changeable_by_key",
    "create_organisation",
    "create_organisations",
    "update_organisation",
    "update_organisations",
    "unmask_id_number",
    "masked_id_number",
]

ORGANISATION_EDITABLE_FIELDS = ("name", "name_en", "kind", "established", "description", "description_en")


@transaction.atomic
def create_organisation(
    *,
    actor: Any,
    key: str,
    name: str,
    kind: str,
    jurisdiction: Jurisdiction,
    zone: AdjacentZone | None = None,
    parent: Organisation | None = None,
    name_en: str = "",
    description: str = "",
    description_en: str = "",
    established=None,
) -> Organisation:
    if kind not in OrganisationKind.values:
        raise ValidationFailed(
            _("Unknown organisation kind %(kind)s.") % {"kind": kind}, code="invalid_choice", field="kind"
        )
    if zone is not None and not restrict(AdjacentZone.objects.filter(pk=zone.pk), actor, "change").exists():
        # Attaching an organisation to a zone shows it to that zone's people: only its office may.
        raise ForbiddenError(_("You may not create an organisation there."), field="zone")
    org = Organisation(
        key=key,
        name=name,
        name_en=name_en,
        kind=kind,
        jurisdiction=jurisdiction,
        zone=zone,
        parent=parent,
        description=description,
        description_en=description_en,
        established=established,
    )
    try:
        create(actor, org, refusal=_("You may not create an organisation there."))
    except ValidationError as exc:
        if "key" in exc.message_dict and Organisation.objects.filter(key=key).exists():
            raise ValidationFailed(
                _("An organisation with key %(key)s already exists.") % {"key": key},
                code="duplicate_key",
                field="key",
            ) from exc
        raise
    audit(actor, "organisation.create", org, {"kind": kind}, zone_id=org.zone_id)
    return org


@transaction.atomic
def update_organisation(
    *, actor: Any, organisation: Organisation, changes: dict[str, Any], expected_version: int | None
) -> Organisation:
    require(actor, "change", organisation)
    org = Organisation.objects.select_for_update().get(pk=organisation.pk)
    diff = apply_changes(org, changes, expected_version, ORGANISATION_EDITABLE_FIELDS)
    if diff:
        audit(actor, "organisation.update", org, change_record(diff, expected_version))
    return org


@dataclass(frozen=True)
class OrganisationUpdate:
    """One row of a batched update: new values of editable fields, and the version the editor saw (None:
    no check)."""

    organisation: Organisation
    changes: dict[str, Any]
    expected_version: int | None = None


@dataclass
class BatchResult:
    changed: int = 0  # rows written (created or changed); when only checking, those that would be
    unchanged: int = 0
    errors: dict[int, ServiceError] = field(default_factory=dict)  # index in the batch -> its refusal
    written: bool = False
    objects: list[Any] = field(default_factory=list)  # the records created


@dataclass(frozen=True)
class NewOrganisation:
    """One row of a batched creation: the values ``create_organisation`` takes."""

    key: str
    name: str
    kind: str
    jurisdiction: Jurisdiction
    zone: AdjacentZone | None = None
    name_en: str = ""
    description: str = ""
    description_en: str = ""
    established: Any = None


@transaction.atomic
def create_organisations(
    *, actor: Any, items: Sequence[NewOrganisation], apply_valid: bool = False, write: bool = True
) -> BatchResult:
    """``create_organisation`` for many rows, in a number of queries that does not follow the number of
    rows (kit ``create_many``): the same checks and refusals (a zone the actor may not change, a place
    outside the actor's scope whether or not the key exists, a duplicate key only to those who may create
    there), then one insert, history rows and audit entries for the batch. Refusals are reported by index;
    unless ``apply_valid`` one refusal means nothing is written; with ``write`` false nothing is."""
    result = BatchResult()
    refusal = _("You may not create an organisation there.")
    zone_ids = sorted({item.zone.pk for item in items if item.zone is not None})
    changeable_zones = set(
        restrict(AdjacentZone.objects.filter(pk__in=zone_ids), actor, "change").values_list("pk", flat=True)
    )
    candidates: list[int] = []
    for index, item in enumerate(items):
        if item.kind not in OrganisationKind.values:
            result.errors[index] = ValidationFailed(
                _("Unknown organisation kind %(kind)s.") % {"kind": item.kind},
                code="invalid_choice",
                field="kind",
            )
        elif item.zone is not None and item.zone.pk not in changeable_zones:
            # Attaching an organisation to a zone shows it to that zone's people: only its office may.
            result.errors[index] = ForbiddenError(refusal, field="zone")
        else:
            candidates.append(index)
    instances = [
        Organisation(
            key=items[i].key,
            name=items[i].name,
            name_en=items[i].name_en,
            kind=items[i].kind,
            jurisdiction=items[i].jurisdiction,
            zone=items[i].zone,
            description=items[i].description,
            description_en=items[i].description_en,
            established=items[i].established,
        )
        for i in candidates
    ]
    check_only = not write or (bool(result.errors) and not apply_valid)
    saved, refused = create_many(
        actor, instances, refusal=refusal, write=not check_only, apply_valid=apply_valid
    )
    for position, refusal_error in refused.items():
        if refusal_error.code == "duplicate_key":
            key = instances[position].key
            refusal_error = ValidationFailed(
                _("An organisation with key %(key)s already exists.") % {"key": key},
                code="duplicate_key",
                field="key",
            )
        result.errors[candidates[position]] = refusal_error
    if check_only or (result.errors and not apply_valid):
        result.changed = len(candidates) - len(refused) if check_only else 0
        return result
    if saved:
        user = actor if getattr(actor, "pk", None) else None
        Organisation.history.bulk_history_create(saved, default_user=user, default_date=timezone.now())
        audit_many(actor, "organisation.create", [(org, {"kind": org.kind}) for org in saved])
    result.changed = len(saved)
    result.objects = saved
    result.written = True
    return result


def _chunks(items: Sequence[Any], size: int) -> Iterator[Sequence[Any]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def _lookup_batch() -> int:
    # Ids per IN (...) list, leaving room for the parameters of the access rule: within what every backend
    # accepts (SQLite declares the smallest limit).
    limit = connection.features.max_query_params
    return max(limit - 200, 100) if limit else 10_000


def _planned_changes(org: Organisation, changes: dict[str, Any], expected_version: int | None) -> dict:
    """apply_changes without the write: the same checks (editable fields, version, field validation) on the
    locked row, which then carries the new values."""
    diff = plan_changes(org, changes, ORGANISATION_EDITABLE_FIELDS)
    check_version(expected_version, org.version)
    if diff:
        try:
            org.full_clean(
                exclude=[f.name for f in org._meta.fields if f.name not in ORGANISATION_EDITABLE_FIELDS]
            )
        except ValidationError as exc:
            name, messages = next(iter(exc.message_dict.items()))
            raise ValidationFailed("; ".join(messages), field=name) from exc
    return diff


def changeable_by_key(*, actor: Any, keys: Sequence[str]) -> dict[str, Organisation]:
    """The organisations with these keys that the actor may change, in one query per few hundred keys."""
    found: dict[str, Organisation] = {}
    # With their jurisdiction and zone (and whether the actor sees that zone), which an import compares
    # with its columns without a query per row.
    qs = selectors.organisations(actor, "change").select_related("zone")
    for chunk in _chunks(list(keys), _lookup_batch()):
        found.update((o.key, o) for o in qs.filter(key__in=chunk))
    return found


@transaction.atomic
def update_organisations(
    *, actor: Any, updates: Sequence[OrganisationUpdate], apply_valid: bool = False, write: bool = True
) -> BatchResult:
    """``update_organisation`` for many rows, in a number of queries that does not follow the number of rows
    (on SQLite it grows by one per few dozen rows, its parameter limit): one locked read that is also the
    permission check, then every row checked as ``update_organisation`` checks it, then the writes in
    batches: a compare-and-set UPDATE (each row only at the version just read), the history rows and one
    audit entry per changed row.

    A refused row is reported in ``errors`` under its index, never raised, so that a caller can name its
    line; unless ``apply_valid``, one refusal means nothing is written. With ``write`` false every row is
    checked and nothing is written (an import checks its whole file before it writes)."""
    result = BatchResult()
    pks = sorted({u.organisation.pk for u in updates})
    locked: dict[int, Organisation] = {}
    for chunk in _chunks(pks, _lookup_batch()):
        qs = Organisation.objects.select_for_update(of=("self",)).filter(pk__in=chunk)
        locked.update((o.pk, o) for o in restrict(qs, actor, "change"))
    visible: set[int] = set()
    for chunk in _chunks([pk for pk in pks if pk not in locked], _lookup_batch()):
        visible.update(
            restrict(Organisation.objects.filter(pk__in=chunk), actor, "view").values_list("pk", flat=True)
        )
    seen: set[int] = set()
    planned: list[tuple[Organisation, dict]] = []
    for index, update in enumerate(updates):
        pk = update.organisation.pk
        org = locked.get(pk)
        if org is None:
            result.errors[index] = ForbiddenError() if pk in visible else NotFoundError()
            continue
        if pk in seen:
            result.errors[index] = ValidationFailed(
                _("This organisation is already changed by an earlier row."), code="duplicate", field="key"
            )
            continue
        seen.add(pk)
        try:
            diff = _planned_changes(org, update.changes, update.expected_version)
        except ServiceError as exc:
            result.errors[index] = exc
            continue
        if diff:
            planned.append((org, diff))
        else:
            result.unchanged += 1
    if not write:
        result.changed = len(planned)
        return result
    if result.errors and not apply_valid:
        result.unchanged = 0
        return result
    _write_updates(actor, planned)
    result.changed = len(planned)
    result.written = True
    return result


def _write_updates(actor: Any, planned: list[tuple[Organisation, dict]]) -> None:
    if not planned:
        return
    now = timezone.now()
    opts = Organisation._meta
    changed = {name for _o, d in planned for name in d}
    fields = [f for f in opts.concrete_fields if f.name in changed and f.name in ORGANISATION_EDITABLE_FIELDS]
    if "name" in changed:
        # The batch bypasses save(), which keeps the pinyin sort key in step with the name (NameSorted).
        for org, _d in planned:
            org.name_sort = sort_key(org.name)
        fields.append(opts.get_field("name_sort"))
    version_field = opts.get_field("version")
    batch = connection.ops.bulk_batch_size(
        [opts.pk, opts.pk, version_field, *fields], [o for o, _d in planned]
    )
    casting = connection.features.requires_casted_case_in_updates
    for chunk in _chunks(planned, max(batch, 1)):
        pks = [org.pk for org, _d in chunk]

        def case(values: list[tuple[int, Any]], output_field: Any) -> Any:
            expression = Case(
                *(When(pk=pk, then=Value(v, output_field=output_field)) for pk, v in values),
                output_field=output_field,
            )
            return Cast(expression, output_field=output_field) if casting else expression

        assignments = {
            f.attname: case([(org.pk, getattr(org, f.attname)) for org, _d in chunk], f) for f in fields
        }
        # The compare-and-set of apply_changes, for the whole chunk: a row is written only while its version
        # is still the one read above (the lock already holds others off; this makes it certain).
        expected = case([(org.pk, org.version) for org, _d in chunk], version_field)
        written = Organisation.objects.filter(pk__in=pks, version=expected).update(
            version=F("version") + 1, updated_at=now, **assignments
        )
        if written != len(chunk):
            raise ConflictError(
                _("This record was changed by someone else since you opened it; reload and try again."),
                field="version",
            )
    for org, _diff in planned:
        org.version += 1
        org.updated_at = now
    user = actor if getattr(actor, "pk", None) else None
    Organisation.history.bulk_history_create(
        [org for org, _d in planned], update=True, default_user=user, default_date=now
    )
    audit_many(actor, "organisation.update", [(org, {"changes": diff}) for org, diff in planned])


def masked_id_number(person: Person) -> str:
    return mask_id_number(person.id_number) if person.id_number else ""


@transaction.atomic
def unmask_id_number(*, actor: Any, person: Person, reason: str) -> str:
    """Show an ID number in full: allowed to office and auditor roles, always recorded with the reason."""
    if not restrict(Person.objects.filter(pk=person.pk), actor, "view").exists():
        raise NotFoundError()
    if not restrict(Person.objects.filter(pk=person.pk), actor, "unmask").exists():
        raise ForbiddenError()
    if not reason.strip():
        raise ValidationFailed(
            _("Give the reason for showing the full ID number."), code="required", field="reason"
        )
    audit(actor, "person.unmask_id", person, {"reason": reason.strip()}, zone_id=person.organisation.zone_id)
    return person.id_number
