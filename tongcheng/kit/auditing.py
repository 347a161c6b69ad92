"""What the audit log records: the registry of audited actions (with labels in both languages) and the
scope anchors of each audited record.

An audit entry is read by the auditors and offices whose scope contains the record, so every entry must
say where the record lies. ``anchors_of(obj)`` answers that once per model, and a service never has to
remember it. An action that is not registered is refused: each app registers its actions
(``register_action``) and the anchors of its models (``register_anchors``) when it starts."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.db import models

__all__ = ["AUDIT_ACTIONS", "Anchors", "anchors_of", "register_action", "register_anchors", "action_label"]

Anchors = dict[str, Any]  # keys among zone_id, metro_id, jurisdiction_id, organisation_id

AUDIT_ACTIONS: dict[str, Any] = {}


def register_action(code: str, label: Any) -> str:
    AUDIT_ACTIONS[code] = label
    return code


def action_label(code: str) -> str:
    return str(AUDIT_ACTIONS.get(code, code))


_ANCHORS: dict[type[models.Model], Callable[[Any], Anchors]] = {}


def register_anchors(
    model: type[models.Model],
) -> Callable[[Callable[[Any], Anchors]], Callable[[Any], Anchors]]:
    def decorator(func: Callable[[Any], Anchors]) -> Callable[[Any], Anchors]:
        _ANCHORS[model] = func
        return func

    return decorator


def anchors_of(obj: models.Model) -> Anchors:
    """The scope anchors of a record; a model without registered anchors has none (its entries are then
    read by the actor alone, which is right only for a user's own account records)."""
    func = _ANCHORS.get(type(obj))
    return {key: value for key, value in (func(obj) if func else {}).items() if value is not None}
