"""Who sees a job: the user who started it, and the offices and auditors whose scope contains its anchor
(the same reach as the audit log). Nobody changes a job through the access layer: only the worker writes."""

from __future__ import annotations

from typing import Any

from django.db.models import Q

from tongcheng.kit.access import NONE, register_rule

from .models import Job

JOB_READERS = ("office", "auditor")


@register_rule(Job, actions=("view",))
def job_rule(scope: Any, action: str) -> Q:
    if action != "view" or not scope.user_id:
        return NONE
    return Q(started_by_id=scope.user_id) | scope.anchored_q(JOB_READERS)
