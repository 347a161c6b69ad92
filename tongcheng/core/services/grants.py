"""Services for role grants: give a role on a scope, withdraw it.

The rule that keeps grants honest: nobody gives what they do not hold. An actor may grant a role on a scope
only when an office grant of its own already covers that whole scope (a metropolitan area it runs, a zone
it may change, a jurisdiction inside the territory it runs, an organisation it may change). So after any
sequence of grants, a user sees a row only if somebody whose scope already contained that row granted it.
Superusers (the platform's administrators) are the root of every chain."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from tongcheng.core.scope import STAFF_ROLES
from tongcheng.kit.access import bump_scope_version, forget_scope, restrict, scope_of
from tongcheng.kit.services import ForbiddenError, NotFoundError, ValidationFailed, audit

from ..models import AdjacentZone, Jurisdiction, MetroArea, Organisation, RoleGrant, ZoneStatus

__all__ = ["grant_role", "withdraw_grant", "may_grant_on"]


def may_grant_on(actor: Any, *, metro=None, zone=None, jurisdiction=None, organisation=None) -> bool:
    """Whether the actor's own office grants cover the whole scope."""
    scope = scope_of(actor)
    if scope.superuser:
        return True
    if metro is not None:
        return restrict(MetroArea.objects.filter(pk=metro.pk), actor, "change").exists()
    if zone is not None:
        return (
            zone.status == ZoneStatus.ACTIVE
            and restrict(AdjacentZone.objects.filter(pk=zone.pk), actor, "change").exists()
        )
    if jurisdiction is not None:
        return scope.covers(jurisdiction.path, ("office",))
    if organisation is not None:
        # A grant on an organisation reaches the jurisdiction it sits in (a window's clerk reads its
        # district), so that jurisdiction must lie inside the actor's territory, not merely the
        # organisation be attached to one of the actor's zones.
        return scope.covers(organisation.jurisdiction.path, ("office",))
    return False


@transaction.atomic
def grant_role(
    *,
    actor: Any,
    user: Any,
    role: str,
    metro: MetroArea | None = None,
    zone: AdjacentZone | None = None,
    jurisdiction: Jurisdiction | None = None,
    organisation: Organisation | None = None,
    valid_from: dt.date | None = None,
    valid_to: dt.date | None = None,
) -> RoleGrant:
    scopes = [s for s in (metro, zone, jurisdiction, organisation) if s is not None]
    if len(scopes) != 1:
        raise ValidationFailed(_("Choose exactly one scope for the role."), code="one_scope", field="scope")
    if role not in STAFF_ROLES:
        raise ValidationFailed(
            _("Unknown role %(role)s.") % {"role": role}, code="invalid_choice", field="role"
        )
    if not scope_of(actor).has_role("office"):
        raise ForbiddenError(_("Only a same-city office may give roles."))
    if not may_grant_on(actor, metro=metro, zone=zone, jurisdiction=jurisdiction, organisation=organisation):
        raise ForbiddenError(_("You may only give roles within the scope your office runs."), field="scope")
    valid_from = valid_from or timezone.localdate()
    if valid_to is not None and valid_to <= valid_from:
        raise ValidationFailed(
            _("A grant must end after it starts."), code="ends_before_start", field="valid_to"
        )
    grant = RoleGrant.objects.create(
        user=user,
        role=role,
        metro=metro,
        zone=zone,
        jurisdiction=jurisdiction,
        organisation=organisation,
        valid_from=valid_from,
        valid_to=valid_to,
        granted_by=actor,
    )
    audit(actor, "grant.create", grant, {"role": role, "user": user.username, "scope": str(scopes[0])})
    bump_scope_version()
    forget_scope(user)
    return grant


@transaction.atomic
def withdraw_grant(*, actor: Any, grant: RoleGrant) -> RoleGrant:
    """End a grant today. Only an actor who could have given it may withdraw it."""
    locked = RoleGrant.objects.select_for_update().filter(pk=grant.pk).first()
    if locked is None:
        raise NotFoundError()
    grant = locked
    if not may_grant_on(
        actor,
        metro=grant.metro,
        zone=grant.zone,
        jurisdiction=grant.jurisdiction,
        organisation=grant.organisation,
    ):
        raise NotFoundError()
    today = timezone.localdate()
    if grant.valid_to is None or grant.valid_to > today:
        grant.valid_to = max(today, grant.valid_from)
        grant.save(update_fields=["valid_to"])
        audit(actor, "grant.withdraw", grant, {"role": grant.role, "user": grant.user.username})
        bump_scope_version()
        forget_scope(grant.user)
    return grant
