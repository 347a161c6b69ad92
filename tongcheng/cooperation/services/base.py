"""What the services of the cooperation records share: the kit's create and compare-and-set update with the
many-to-many fields (a park's partners, a project's attracting jurisdictions) written and audited with the
rest, Django's field errors turned into the service convention's, and where a jurisdiction stands to a
zone."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any, TypeVar

from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import F
from django.utils.translation import gettext as _

from tongcheng.core.models import AdjacentZone, Jurisdiction, ZoneMember
from tongcheng.kit.services import (
    ConflictError,
    ValidationFailed,
    apply_changes,
    audit,
    change_record,
    create,
    require,
)

__all__ = [
    "as_service_error",
    "create_record",
    "member_paths",
    "require_touches_zone",
    "touches_zone",
    "update_record",
]


_M = TypeVar("_M", bound=models.Model)

# Field errors whose code the API answers as it is (registered in kit/error_codes.py and core's registry).
_KNOWN_CODES = frozenset({"required", "invalid_choice", "too_long", "control_character", "line_break"})


def as_service_error(exc: ValidationError) -> ValidationFailed:
    """The first of Django's field errors as a refusal naming its field (``__all__`` names none)."""
    if not hasattr(exc, "error_dict"):
        return ValidationFailed("; ".join(str(m) for m in exc.messages))
    name, errors = next(iter(exc.error_dict.items()))
    first = errors[0]
    code = first.code or ""
    if code == "unique":
        code = "duplicate_key"
    elif code not in _KNOWN_CODES:
        code = "validation_failed"
    messages = "; ".join(str(m) for e in errors for m in e.messages)
    return ValidationFailed(messages, code=code, field=None if name == "__all__" else name)


def member_paths(zone: AdjacentZone | int) -> list[str]:
    zone_id = zone if isinstance(zone, int) else zone.pk
    return list(ZoneMember.objects.filter(zone_id=zone_id).values_list("jurisdiction__path", flat=True))


def touches_zone(paths: Iterable[str], jurisdiction: Jurisdiction) -> bool:
    """Whether the jurisdiction is a member of the zone, lies inside one (a park's host town) or contains
    one (江宁区, for its member 横溪街道): the places a zone's records may name."""
    return any(jurisdiction.path.startswith(p) or p.startswith(jurisdiction.path) for p in paths)


def require_touches_zone(
    zone: AdjacentZone,
    jurisdictions: Iterable[Jurisdiction | None],
    field: str,
    paths: list[str] | None = None,
) -> None:
    paths = member_paths(zone) if paths is None else paths
    for jurisdiction in jurisdictions:
        if jurisdiction is not None and not touches_zone(paths, jurisdiction):
            raise ValidationFailed(
                _("%(name)s lies outside the members of %(zone)s.")
                % {"name": jurisdiction.name, "zone": zone.name},
                code="outside_zone",
                field=field,
            )


def create_record(
    actor: Any,
    instance: _M,
    *,
    action: str,
    refusal: Any,
    m2m: Mapping[str, Iterable[models.Model]] | None = None,
    data: dict[str, Any] | None = None,
) -> _M:
    """The kit's ``create`` (scope first, then validation, save and a re-check of the scope), the
    many-to-many values set, and the audit entry, in the caller's transaction."""
    try:
        create(actor, instance, refusal=refusal)
    except ValidationError as exc:
        raise as_service_error(exc) from exc
    related: dict[str, list[str]] = {}
    for name, values in (m2m or {}).items():
        rows = list(values)
        getattr(instance, name).set(rows)
        related[name] = sorted(str(getattr(r, "code", r.pk)) for r in rows)
    audit(actor, action, instance, {**(data or {}), **related})
    return instance


def _m2m_diff(
    obj: models.Model, name: str, values: Iterable[models.Model]
) -> tuple[list[Any], list[list[str]]]:
    wanted = list(values)
    current = list(getattr(obj, name).all())
    before = sorted(str(getattr(r, "code", r.pk)) for r in current)
    after = sorted(str(getattr(r, "code", r.pk)) for r in wanted)
    return wanted, [] if before == after else [before, after]


def update_record(
    actor: Any,
    obj: _M,
    changes: dict[str, Any],
    expected_version: Any,
    *,
    fields: Iterable[str],
    action: str,
    m2m_fields: Iterable[str] = (),
) -> _M:
    """``require`` + the kit's compare-and-set ``apply_changes`` on the locked row, the many-to-many fields
    compared and written too (a change of them alone still moves the version on), one audit entry with
    every change. Returns the locked, updated row."""
    require(actor, "change", obj)
    model = type(obj)
    locked = model._default_manager.select_for_update().get(pk=obj.pk)
    m2m_names = set(m2m_fields)
    plain = {k: v for k, v in changes.items() if k not in m2m_names}
    related = {k: v for k, v in changes.items() if k in m2m_names}
    try:
        diff = apply_changes(locked, plain, expected_version, fields)
    except ValidationError as exc:
        raise as_service_error(exc) from exc
    written: dict[str, list[Any]] = {}
    for name, values in related.items():
        wanted, change = _m2m_diff(locked, name, values)
        if change:
            getattr(locked, name).set(wanted)
            written[name] = change
    if written and not diff:
        # Only related rows changed: the record's version moves on all the same (compare-and-set).
        version = locked.version  # type: ignore[attr-defined]
        if model._default_manager.filter(pk=locked.pk, version=version).update(version=F("version") + 1) != 1:
            raise ConflictError(
                _("This record was changed by someone else since you opened it; reload and try again."),
                field="version",
            )
        locked.version = version + 1  # type: ignore[attr-defined]
        locked.save(update_fields=["updated_at"])
    diff.update(written)
    if diff:
        audit(actor, action, locked, change_record(diff, expected_version))
    return locked
