"""Who sees a job: the user who started it, and the offices and auditors whose scope contains its anchor
(the same reach as the audit log). Nobody changes a job through the access layer: only the worker writes."""

from __future__ import annotations

from django.db.models import Q

from tongcheng.core.access import NONE, Scope, register_rule

from .models import Job

JOB_READERS = ("office", "auditor")


def anchored_q(scope: Scope, roles: tuple[str, ...]) -> Q:
    """Rows whose zone, jurisdiction (subtree), metropolitan area or organisation anchor lies in the scope the
    roles reach."""
    grants = [g for g in scope.grants if g.role in roles]
    metros = sorted({g.metro_id for g in grants if g.metro_id})
    organisations = sorted({g.organisation_id for g in grants if g.organisation_id})
    q = scope.zone_q(roles, "zone_id") | scope.path_q(roles, "jurisdiction__path")
    if metros:
        q |= Q(metro_id__in=metros)
    if organisations:
        q |= Q(organisation_id__in=organisations)
    return q


@register_rule(Job)
def job_rule(scope: Scope, action: str) -> Q:
    if action != "view" or not scope.user_id:
        return NONE
    return Q(started_by_id=scope.user_id) | anchored_q(scope, JOB_READERS)
