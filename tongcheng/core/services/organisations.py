"""Services for organisations and people."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

from ..access import restrict
from ..models import AdjacentZone, Jurisdiction, Organisation, OrganisationKind, Person
from ..validators import mask_id_number
from .base import ForbiddenError, NotFoundError, ValidationFailed, apply_changes, audit, require

__all__ = ["create_organisation", "update_organisation", "unmask_id_number", "masked_id_number"]

ORGANISATION_EDITABLE_FIELDS = ("name", "name_en", "kind", "established", "description")


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
    established=None,
) -> Organisation:
    if kind not in OrganisationKind.values:
        raise ValidationFailed(
            _("Unknown organisation kind %(kind)s.") % {"kind": kind}, code="invalid_choice", field="kind"
        )
    if zone is not None and not restrict(AdjacentZone.objects.filter(pk=zone.pk), actor, "change").exists():
        # Attaching an organisation to a zone shows it to that zone's people: only its office may.
        raise ForbiddenError(_("You may not create an organisation there."), field="zone")
    if Organisation.objects.filter(key=key).exists():
        raise ValidationFailed(
            _("An organisation with key %(key)s already exists.") % {"key": key},
            code="duplicate_key",
            field="key",
        )
    org = Organisation(
        key=key,
        name=name,
        name_en=name_en,
        kind=kind,
        jurisdiction=jurisdiction,
        zone=zone,
        parent=parent,
        description=description,
        established=established,
    )
    org.full_clean()
    org.save()
    # Saved first, then checked: the new row must fall inside what the actor may change.
    if not restrict(Organisation.objects.filter(pk=org.pk), actor, "change").exists():
        raise ForbiddenError(_("You may not create an organisation there."), field="jurisdiction")
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
        audit(actor, "organisation.update", org, {"changes": diff}, zone_id=org.zone_id)
    return org


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
