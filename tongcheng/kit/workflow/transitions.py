"""Taking a transition: the one service that changes a record's workflow state.

``transition(actor, obj, name, expected_version=…, note=…)``, in one transaction:
1. the actor must see the record (else 404 ``not_found``) and hold the transition's action on it (else 403
   ``forbidden``) — through the model's access rule, like every service;
2. the note is checked (422: required, too long, control characters);
3. the row is locked (``lock_in_order``) and read again;
4. its version must be the one the actor saw (else 409 ``stale_version``);
5. its current state must be a source of the transition (else 409 ``invalid_transition``), and the guard, if
   any, must pass (else 409 ``transition_blocked`` with the guard's reason);
6. the new state (and any extra field values) are saved with the version incremented, which also writes the
   record's change history;
7. a ``TransitionLog`` row and the audit entry are written;
8. once the transaction commits, ``transition_committed`` is sent and the configured notifier (setting
   ``WORKFLOW_NOTIFIER``, a dotted path to ``notify(recipients, title, link, anchor=None)``) is called with
   the recipients the declaration's ``notify`` named.
A refusal raises before anything is written."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.db import models, transaction
from django.utils.module_loading import import_string
from django.utils.text import format_lazy
from django.utils.translation import gettext as _

from tongcheng.kit.access import restrict
from tongcheng.kit.locking import lock_in_order
from tongcheng.kit.services import (
    ConflictError,
    NotFoundError,
    ValidationFailed,
    audit,
    jsonable,
    require,
)

from .declaration import Transition, Workflow, workflow_for
from .models import TransitionLog
from .notes import clean_note
from .signals import transition_committed

__all__ = ["allowed_transitions", "stale_version_error", "transition", "transition_log"]


def stale_version_error() -> ConflictError:
    return ConflictError(
        _("This record was changed by someone else since you opened it; reload and try again."),
        field="version",
    )


def transition(
    actor: Any,
    obj: models.Model,
    name: str,
    *,
    expected_version: int,
    note: str = "",
    changes: Mapping[str, Any] | None = None,
) -> Any:
    """Take the transition ``name`` on ``obj`` and return the record as saved. ``changes`` are further field
    values the step sets in the same save (e.g. a decision note); they pass the model's field validation."""
    workflow = workflow_for(type(obj))
    step = workflow.transition(name)
    if step is None:
        raise ValidationFailed(
            _("Unknown step %(name)s.") % {"name": name}, code="unknown_transition", field="transition"
        )
    with transaction.atomic():
        require(actor, step.action, obj)
        note = clean_note(note, required=step.note_required)
        locked = lock_in_order(obj).fresh(obj)
        if locked is None:  # deleted since it was read
            raise NotFoundError()
        if expected_version != locked.version:
            raise stale_version_error()
        source = getattr(locked, workflow.field)
        _check_allowed(workflow, step, locked, source)
        diff = _save(workflow, step, locked, dict(changes or {}))
        log = TransitionLog.objects.create(
            content_type=ContentType.objects.get_for_model(locked),
            object_id=locked.pk,
            transition=step.name,
            source_state=source,
            target_state=step.target,
            actor=actor if getattr(actor, "pk", None) else None,
            actor_name=getattr(actor, "username", "") or "system",
            note=note,
            version=locked.version,
        )
        data: dict[str, Any] = {"transition": step.name, "from": source, "to": step.target, "note": note}
        if diff:
            data["changes"] = diff
        audit(actor, step.audit_action, locked, data)
        recipients = [u for u in (step.notify(locked) if step.notify else []) if u is not None]
        transaction.on_commit(lambda: _announce(workflow, step, locked, log, actor, recipients))
    return locked


def _check_allowed(workflow: Workflow, step: Transition, obj: models.Model, source: str) -> None:
    if source not in step.source_states:
        raise ConflictError(
            _("“%(step)s” cannot be taken while the record is “%(state)s”.")
            % {"step": step.label, "state": workflow.state_label(source)},
            code="invalid_transition",
            field=workflow.field,
        )
    if step.guard is not None:
        reason = step.guard(obj)
        if reason:
            raise ConflictError(reason, code="transition_blocked", field=workflow.field)


def _save(workflow: Workflow, step: Transition, obj: Any, changes: dict[str, Any]) -> dict[str, list[Any]]:
    if workflow.field in changes or "version" in changes:
        raise ValueError("a transition's changes may not set the state or the version")
    diff: dict[str, list[Any]] = {}
    for field_name, value in changes.items():
        before = getattr(obj, field_name)
        if before != value:
            diff[field_name] = [jsonable(before), jsonable(value)]
        setattr(obj, field_name, value)
    if changes:
        others = [f.name for f in obj._meta.fields if f.name not in changes]
        try:
            obj.full_clean(exclude=others, validate_unique=False, validate_constraints=False)
        except ValidationError as exc:
            errors = [
                {"field": name, "code": e.code or "invalid", "message": " ".join(e.messages)}
                for name, errs in exc.error_dict.items()
                for e in errs
            ]
            # The model's own codes (Django's max_length, blank …) stay in the items; the answer's code is
            # the registered validation_failed (kit/error_codes.py).
            raise ValidationFailed(errors[0]["message"], field=errors[0]["field"], errors=errors) from exc
    setattr(obj, workflow.field, step.target)
    obj.version += 1
    fields = [workflow.field, "version", *changes]
    if any(f.name == "updated_at" for f in obj._meta.fields):
        fields.append("updated_at")
    # The row is locked and its version checked, so a plain save is safe; it also writes the history row.
    obj.save(update_fields=fields)
    return diff


def _announce(
    workflow: Workflow,
    step: Transition,
    obj: models.Model,
    log: TransitionLog,
    actor: Any,
    recipients: list[Any],
) -> None:
    transition_committed.send(
        sender=workflow.model,
        instance=obj,
        log=log,
        actor=actor,
        transition=step,
        recipients=recipients,
    )
    notifier_path = getattr(settings, "WORKFLOW_NOTIFIER", None)
    if recipients and notifier_path:
        notify = import_string(notifier_path)
        link = obj.get_absolute_url() if hasattr(obj, "get_absolute_url") else ""
        notify(recipients, format_lazy("{}: {}", step.label, str(obj)), link, anchor=obj)


def allowed_transitions(user: Any, rows: Iterable[models.Model]) -> dict[Any, list[Transition]]:
    """For a page of records of one model (a queue), the transitions the user may take on each, keyed by
    primary key: the state allows it, the guard passes and the user holds its action on the row. One query
    for sight and one per distinct action, whatever the number of rows."""
    rows = list(rows)
    if not rows:
        return {}
    model = type(rows[0])
    workflow = workflow_for(model)
    pks = [row.pk for row in rows]

    def reachable(action: str) -> set[Any]:
        return set(
            restrict(model._default_manager.filter(pk__in=pks), user, action).values_list("pk", flat=True)
        )

    visible = reachable("view")
    candidates = {
        row.pk: [
            step
            for step in workflow.transitions.values()
            if getattr(row, workflow.field) in step.source_states
        ]
        for row in rows
        if row.pk in visible
    }
    actions = sorted({step.action for steps in candidates.values() for step in steps})
    permitted = {action: reachable(action) for action in actions}
    by_pk = {row.pk: row for row in rows}
    return {
        pk: [
            step
            for step in steps
            if pk in permitted[step.action] and not (step.guard and step.guard(by_pk[pk]))
        ]
        for pk, steps in candidates.items()
    }


def transition_log(user: Any, obj: models.Model) -> models.QuerySet[TransitionLog]:
    """The transitions taken on a record, oldest first, for a user who may see it (else 404)."""
    require(user, "view", obj)
    return TransitionLog.objects.filter(
        content_type=ContentType.objects.get_for_model(obj), object_id=obj.pk
    ).select_related("actor")
