"""Who reads the transition log and the confirmations: whoever may read the record they belong to (by the
record's own access rule), and for a confirmation also the party's confirmers, who must find what awaits
them. Nobody writes them except through the services. Number sequences are read by nobody but superusers.

The record's rule is looked up in the access registry and applied to the same scope, as a subquery per
model that has a workflow or is confirmable (``declaration.target_models``)."""

from __future__ import annotations

from django.contrib.contenttypes.models import ContentType
from django.db.models import Q

from tongcheng.core import access
from tongcheng.core.access import NONE, Scope, register_rule

from .declaration import target_models
from .models import Confirmation, TransitionLog

__all__ = ["confirmation_rule", "party_q", "transition_log_rule"]


def _records_q(scope: Scope) -> Q:
    q = NONE
    for model in target_models():
        rule = access._RULES.get(model)  # noqa: SLF001  (the kit applies a record's rule to its log rows)
        if rule is None:
            continue
        visible = rule(scope, "view")
        if visible is NONE:
            continue
        q |= Q(
            content_type=ContentType.objects.get_for_model(model),
            object_id__in=model._default_manager.filter(visible).values("pk"),
        )
    return q


@register_rule(TransitionLog)
def transition_log_rule(scope: Scope, action: str) -> Q:
    return _records_q(scope) if action == "view" else NONE


def party_q(scope: Scope, prefix: str = "") -> Q:
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


@register_rule(Confirmation)
def confirmation_rule(scope: Scope, action: str) -> Q:
    if action != "view":
        return NONE
    return _records_q(scope) | party_q(scope)
