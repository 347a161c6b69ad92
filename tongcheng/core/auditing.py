"""What the audit log records: the registry of audited actions (with labels in both languages) and the
scope anchors of each audited record.

An audit entry is read by the auditors and offices whose scope contains the record (``core.rules``), so
every entry must say where the record lies. ``anchors_of(obj)`` answers that once per model, and a
service never has to remember it. An action that is not registered is refused: a module adds its actions
here (``register_action``) together with its anchors (``register_anchors``)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.db import models
from django.utils.translation import gettext_lazy as _

__all__ = ["AUDIT_ACTIONS", "Anchors", "anchors_of", "register_action", "register_anchors", "action_label"]

Anchors = dict[str, Any]  # keys among zone_id, metro_id, jurisdiction_id, organisation_id

AUDIT_ACTIONS: dict[str, Any] = {}


def register_action(code: str, label: Any) -> str:
    AUDIT_ACTIONS[code] = label
    return code


def action_label(code: str) -> str:
    return str(AUDIT_ACTIONS.get(code, code))


for _code, _label in (
    ("zone.create", _("Zone defined")),
    ("zone.propose", _("Zone proposed")),
    ("zone.approve", _("Zone proposal approved")),
    ("zone.reject", _("Zone proposal rejected")),
    ("zone.update", _("Zone edited")),
    ("grant.create", _("Role granted")),
    ("grant.withdraw", _("Role withdrawn")),
    ("organisation.create", _("Organisation created")),
    ("organisation.update", _("Organisation edited")),
    ("person.unmask_id", _("Full ID number shown")),
    ("user.set_language", _("Language changed")),
    ("token.create", _("API token created")),
    ("token.revoke", _("API token revoked")),
    ("calendar.schedule", _("Holiday schedule entered")),
):
    register_action(_code, _label)


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


def _register_core() -> None:
    from .models import (
        AdjacentZone,
        Jurisdiction,
        MetroArea,
        Organisation,
        Person,
        RoleGrant,
        ZoneMember,
    )

    @register_anchors(MetroArea)
    def _metro(obj: MetroArea) -> Anchors:
        return {"metro_id": obj.pk}

    @register_anchors(AdjacentZone)
    def _zone(obj: AdjacentZone) -> Anchors:
        return {"zone_id": obj.pk, "metro_id": obj.metro_id}

    @register_anchors(ZoneMember)
    def _member(obj: ZoneMember) -> Anchors:
        return {"zone_id": obj.zone_id, "jurisdiction_id": obj.jurisdiction_id}

    @register_anchors(Jurisdiction)
    def _jurisdiction(obj: Jurisdiction) -> Anchors:
        return {"jurisdiction_id": obj.pk}

    @register_anchors(Organisation)
    def _organisation(obj: Organisation) -> Anchors:
        return {"organisation_id": obj.pk, "zone_id": obj.zone_id, "jurisdiction_id": obj.jurisdiction_id}

    @register_anchors(Person)
    def _person(obj: Person) -> Anchors:
        return _organisation(obj.organisation)

    @register_anchors(RoleGrant)
    def _grant(obj: RoleGrant) -> Anchors:
        if obj.organisation_id:
            return _organisation(obj.organisation)
        return {"metro_id": obj.metro_id, "zone_id": obj.zone_id, "jurisdiction_id": obj.jurisdiction_id}


_register_core()
