"""Who reads the transition log and the confirmations: whoever may read the record they belong to (by the
record's own access rule), and for a confirmation also the party's confirmers, who must find what awaits
them. Nobody writes them except through the services. Number sequences are read by nobody but superusers.

The record's rule is looked up in the access registry and applied to the same scope, as a subquery per
model that has a workflow or is confirmable (``declaration.target_models``)."""

from __future__ import annotations

from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from tongcheng.kit.access import NONE, register_rule, rule_q
from tongcheng.kit.auditing import register_action

from .declaration import target_models
from .models import Confirmation, TransitionLog

__all__ = ["confirmation_rule", "party_q", "transition_log_rule"]

# Multi-party confirmation, on any module's records.
register_action("confirmation.request", _("Confirmation requested"))
register_action("confirmation.confirm", _("Confirmed by a party"))
register_action("confirmation.reject", _("Confirmation refused by a party"))


def _records_q(scope: Any) -> Q:
    q = NONE
    for model in target_models():
        visible = rule_q(model, scope, "view")
        if visible is NONE:
            continue
        q |= Q(
            content_type=ContentType.objects.get_for_model(model),
            object_id__in=model._default_manager.filter(visible).values("pk"),
        )
    return q


@register_rule(TransitionLog, actions=("view",))
def transition_log_rule(scope: Any, action: str) -> Q:
    return _records_q(scope) if action == "view" else NONE


def party_q(scope: Any, prefix: str = "") -> Q:
    """Confirmations whose party the user answers for: its role on the party organisation, or on the party
    jurisdiction (through a grant on that jurisdiction or one containing it, or on an organisation of that
    very jurisdiction). Superuser status does not count: a confirmation is the party's own statement."""
    q = NONE
    for grant in scope.grants:
        if grant.organisation_id:
            q |= Q(**{f"{prefix}role": grant.role, f"{prefix}organisation_id": grant.organisation_id})
            if grant.organisation_path:
                q |= Q(
                    **{f"{prefix}role": grant.role, f"{prefix}jurisdiction__path": grant.organisation_path}
                )
        if grant.jurisdiction_path:
            q |= Q(
                **{
                    f"{prefix}role": grant.role,
                    f"{prefix}jurisdiction__path__startswith": grant.jurisdiction_path,
                }
            )
    return q


@register_rule(Confirmation, actions=("view",))
def confirmation_rule(scope: Any, action: str) -> Q:
    if action != "view":
        return NONE
    return _records_q(scope) | party_q(scope)
