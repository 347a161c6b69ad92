"""Services of cooperation projects (S-Z4, S-B4): create and edit a project, and move it along its workflow
signed → under construction → in production, declared as data through the kit's workflow (the transition
service is the only writer of the status)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from tongcheng.core.models import AdjacentZone, Jurisdiction
from tongcheng.kit.services import NotFoundError, ValidationFailed, require
from tongcheng.kit.workflow.declaration import Transition, Workflow
from tongcheng.kit.workflow.transitions import transition

from ..models import CooperationMode, Enterprise, Park, Project, ProjectStatus
from .base import create_record, member_paths, require_touches_zone, update_record

__all__ = [
    "PROJECT_EDITABLE_FIELDS",
    "PROJECT_WORKFLOW",
    "create_project",
    "step_project",
    "update_project",
]

PROJECT_EDITABLE_FIELDS = (
    "name",
    "name_en",
    "park",
    "enterprise",
    "mode",
    "investment_fen",
    "signed_on",
    "support_measures",
    "support_measures_en",
    "note",
    "note_en",
)
PROJECT_M2M = ("attracted_by",)

PROJECT_WORKFLOW = Workflow(
    Project,
    states=dict(ProjectStatus.choices),
    label=gettext_lazy("project"),
    transitions=[
        Transition(
            "start_construction",
            sources=[ProjectStatus.SIGNED],
            target=ProjectStatus.UNDER_CONSTRUCTION,
            action="change",
            label=gettext_lazy("Start construction"),
            audit_action="project.start_construction",
        ),
        Transition(
            "start_production",
            sources=[ProjectStatus.UNDER_CONSTRUCTION],
            target=ProjectStatus.IN_PRODUCTION,
            action="change",
            label=gettext_lazy("Start production"),
            audit_action="project.start_production",
        ),
    ],
)


def _check(
    actor: Any,
    zone: AdjacentZone,
    park: Park | None,
    enterprise: Enterprise | None,
    mode: str,
    attracted_by: Sequence[Jurisdiction],
) -> None:
    if mode not in CooperationMode.values:
        raise ValidationFailed(
            _("Unknown cooperation mode %(mode)s.") % {"mode": mode}, code="invalid_choice", field="mode"
        )
    if park is not None:
        if not Park.objects.visible_to(actor).filter(pk=park.pk).exists():
            raise NotFoundError(field="park")
        if park.zone_id != zone.pk:
            raise ValidationFailed(
                _("The park %(park)s belongs to another zone.") % {"park": park.name},
                code="park_in_other_zone",
                field="park",
            )
    if enterprise is not None and not Enterprise.objects.visible_to(actor).filter(pk=enterprise.pk).exists():
        raise NotFoundError(field="enterprise")
    require_touches_zone(zone, attracted_by, "attracted_by", member_paths(zone))


@transaction.atomic
def create_project(
    *,
    actor: Any,
    code: str,
    name: str,
    zone: AdjacentZone,
    mode: str,
    investment_fen: int = 0,
    park: Park | None = None,
    enterprise: Enterprise | None = None,
    name_en: str = "",
    signed_on: dt.date | None = None,
    attracted_by: Sequence[Jurisdiction] = (),
    support_measures: str = "",
    support_measures_en: str = "",
    note: str = "",
    note_en: str = "",
) -> Project:
    """A project of a zone the actor's office runs, in one of its parks (or none), signed: its status then
    moves only through ``step_project``."""
    _check(actor, zone, park, enterprise, mode, attracted_by)
    project = Project(
        code=code,
        name=name,
        name_en=name_en,
        zone=zone,
        park=park,
        enterprise=enterprise,
        mode=mode,
        investment_fen=investment_fen,
        signed_on=signed_on,
        support_measures=support_measures,
        support_measures_en=support_measures_en,
        note=note,
        note_en=note_en,
    )
    create_record(
        actor,
        project,
        action="project.create",
        refusal=_("You may not create a project there."),
        m2m={"attracted_by": attracted_by},
        data={"code": code, "zone": zone.code, "mode": mode, "investment_fen": investment_fen},
    )
    return project


@transaction.atomic
def update_project(
    *, actor: Any, project: Project, changes: dict[str, Any], expected_version: Any
) -> Project:
    """Edit a project against the version the editor opened. Its zone stays; its status moves through the
    workflow only (``status`` is not an editable field)."""
    require(actor, "change", project)
    _check(
        actor,
        project.zone,
        changes.get("park", project.park),
        changes.get("enterprise", project.enterprise) if "enterprise" in changes else None,
        changes.get("mode", project.mode),
        list(changes.get("attracted_by", [])),
    )
    return update_record(
        actor,
        project,
        changes,
        expected_version,
        fields=(*PROJECT_EDITABLE_FIELDS, *PROJECT_M2M),
        action="project.update",
        m2m_fields=PROJECT_M2M,
    )


def step_project(
    *, actor: Any, project: Project, step: str, expected_version: int, note: str = ""
) -> Project:
    """Take a step of the project's workflow (``start_construction``, ``start_production``): 404 out of
    sight, 403 without the office's grant, 409 from the wrong state or a stale version."""
    return transition(actor, project, step, expected_version=expected_version, note=note)
