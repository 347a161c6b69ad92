"""The audited actions of the core app and where its records lie (their scope anchors)."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from tongcheng.kit.auditing import Anchors, register_action, register_anchors

from .models import AdjacentZone, Jurisdiction, MetroArea, Organisation, Person, RoleGrant, ZoneMember

for _code, _label in (
    ("zone.create", _("Zone defined")),
    ("zone.propose", _("Zone proposed")),
    ("zone.approve", _("Zone proposal approved")),
    ("zone.reject", _("Zone proposal rejected")),
    ("zone.update", _("Zone edited")),
    ("zone.members", _("Zone members changed")),
    ("grant.create", _("Role granted")),
    ("grant.withdraw", _("Role withdrawn")),
    ("organisation.create", _("Organisation created")),
    ("organisation.update", _("Organisation edited")),
    ("person.create", _("Person added")),
    ("person.update", _("Person edited")),
    ("person.unmask_id", _("Full ID number shown")),
    ("user.set_language", _("Language changed")),
    ("token.create", _("API token created")),
    ("token.revoke", _("API token revoked")),
):
    register_action(_code, _label)


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
