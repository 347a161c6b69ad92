"""Services for people (人员) of organisations: add one, edit one. An ID number is stored whole but never
written whole into the audit log: the entry holds it masked, as every page shows it."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from tongcheng.kit.services import (
    ValidationFailed,
    apply_changes,
    audit,
    change_record,
    create,
    require,
)

from ..models import Organisation, Person
from ..validators import mask_id_number

__all__ = ["PERSON_EDITABLE_FIELDS", "create_person", "update_person"]

PERSON_EDITABLE_FIELDS = ("name", "position", "phone", "id_number")


def _masked(value: Any) -> Any:
    return mask_id_number(value) if value else value


def _first_error(exc: ValidationError) -> ValidationFailed:
    name, messages = next(iter(exc.message_dict.items()))
    return ValidationFailed("; ".join(messages), field=None if name == "__all__" else name)


@transaction.atomic
def create_person(
    *,
    actor: Any,
    organisation: Organisation,
    name: str,
    position: str = "",
    phone: str = "",
    id_number: str = "",
) -> Person:
    """Add a person to an organisation the actor may change (its office: 404 when the organisation is out
    of sight, 403 when it is only in sight)."""
    require(actor, "change", organisation)
    if not name.strip():
        raise ValidationFailed(_("This field is required."), code="required", field="name")
    person = Person(
        organisation=organisation,
        name=name.strip(),
        position=position.strip(),
        phone=phone.strip(),
        id_number=id_number.strip().upper(),
    )
    try:
        create(actor, person, refusal=_("You may not add a person there."))
    except ValidationError as exc:
        raise _first_error(exc) from exc
    data: dict[str, Any] = {"name": person.name, "organisation": organisation.key}
    if person.id_number:
        data["id_number"] = _masked(person.id_number)
    audit(actor, "person.create", person, data)
    return person


@transaction.atomic
def update_person(*, actor: Any, person: Person, changes: dict[str, Any], expected_version: Any) -> Person:
    """Edit a person's name, position, phone or ID number, against the version the editor opened."""
    require(actor, "change", person)
    person = Person.objects.select_for_update().select_related("organisation").get(pk=person.pk)
    if "id_number" in changes and changes["id_number"]:
        changes = {**changes, "id_number": str(changes["id_number"]).strip().upper()}
    try:
        diff = apply_changes(person, changes, expected_version, PERSON_EDITABLE_FIELDS)
    except ValidationError as exc:
        raise _first_error(exc) from exc
    if diff:
        if "id_number" in diff:
            diff["id_number"] = [_masked(v) for v in diff["id_number"]]
        audit(actor, "person.update", person, change_record(diff, expected_version))
    return person
