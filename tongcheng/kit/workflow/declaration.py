"""State machines declared as data: a ``Workflow`` per model names its states and its transitions.

A transition says from which states it may be taken, the state it leads to, the access action the actor
must hold on the row (checked through ``restrict(queryset, user, action)``, i.e. the model's access rule),
and optionally a guard, whether a note is required, whom to notify and which audit action records it.
The service that takes transitions is ``tongcheng.kit.workflow.transitions.transition``.

This module imports no model, so an app may declare its workflow next to its services::

    CASE_WORKFLOW = Workflow(
        Case,
        states=dict(CaseStatus.choices),
        transitions=[
            Transition(
                "accept", sources=["submitted"], target="accepted", action="handle",
                label=_("Accept"), audit_action="case.accept",
            ),
            Transition(
                "return", sources=["submitted", "accepted"], target="returned", action="handle",
                label=_("Return for correction"), audit_action="case.return", note_required=True,
                notify=lambda case: [case.applicant],
            ),
        ],
    )
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import FieldDoesNotExist, ImproperlyConfigured
from django.db import models

from tongcheng.kit.auditing import AUDIT_ACTIONS

__all__ = [
    "Guard",
    "Transition",
    "Workflow",
    "register_confirmable",
    "target_models",
    "workflow_for",
]

# A guard returns None when the transition may be taken, else the reason (shown to the user) it may not.
Guard = Callable[[Any], Any]
# Who is told about a transition once it has committed (users); evaluated inside the transaction.
Recipients = Callable[[Any], Iterable[Any]]


@dataclass(frozen=True)
class Transition:
    name: str
    sources: Iterable[str]
    target: str
    action: str
    label: Any  # a (lazy) translatable string: shown on buttons, in the log and in notifications
    # The audit action recording it, registered with its label (core.auditing.register_action): the audit
    # log then says "Case accepted", not "a workflow step".
    audit_action: str
    guard: Guard | None = None
    note_required: bool = False
    notify: Recipients | None = None
    source_states: frozenset[str] = field(init=False)

    def __post_init__(self) -> None:
        # A bare string would be read as a set of characters.
        sources = [self.sources] if isinstance(self.sources, str) else list(self.sources)
        object.__setattr__(self, "source_states", frozenset(sources))


class Workflow:
    """The states of ``model.<field>`` and the transitions between them. Declaring it registers it: each
    model has at most one workflow. The model needs an integer ``version`` field (TrackedModel has one),
    which every transition compares and increments."""

    def __init__(
        self,
        model: type[models.Model],
        *,
        states: Mapping[str, Any],
        transitions: Iterable[Transition],
        field: str = "status",
        label: Any = None,
    ):
        self.model = model
        self.field = field
        self.states = dict(states)
        self.label = label if label is not None else model._meta.verbose_name
        self.transitions: dict[str, Transition] = {}
        for step in transitions:
            if step.name in self.transitions:
                raise ImproperlyConfigured(f"{model.__name__}: transition {step.name!r} is declared twice")
            self.transitions[step.name] = step
        self._check()
        _register(self)

    def _check(self) -> None:
        name = self.model.__name__
        for field_name in (self.field, "version"):
            try:
                self.model._meta.get_field(field_name)
            except FieldDoesNotExist as exc:
                raise ImproperlyConfigured(f"{name} has no field {field_name!r} for its workflow") from exc
        state_field = self.model._meta.get_field(self.field)
        choices = getattr(state_field, "flatchoices", None)
        if choices:
            declared = {str(value) for value, _label in choices}
            if declared != set(self.states):
                raise ImproperlyConfigured(
                    f"{name}.{self.field}: the workflow's states {sorted(self.states)} are not the field's "
                    f"choices {sorted(declared)}"
                )
        for step in self.transitions.values():
            unknown = (step.source_states | {step.target}) - set(self.states)
            if unknown:
                raise ImproperlyConfigured(f"{name}: transition {step.name!r} names unknown states {unknown}")
            if not step.source_states:
                raise ImproperlyConfigured(f"{name}: transition {step.name!r} has no source state")
            if step.audit_action not in AUDIT_ACTIONS:
                raise ImproperlyConfigured(
                    f"{name}: audit action {step.audit_action!r} of {step.name!r} is not registered"
                )

    def transition(self, name: str) -> Transition | None:
        return self.transitions.get(name)

    def state_label(self, state: str) -> Any:
        return self.states.get(state, state)

    def __repr__(self) -> str:
        return f"<Workflow {self.model.__name__}.{self.field}: {', '.join(self.transitions)}>"


_WORKFLOWS: dict[type[models.Model], Workflow] = {}
_CONFIRMABLE: set[type[models.Model]] = set()


def _register(workflow: Workflow) -> None:
    existing = _WORKFLOWS.get(workflow.model)
    if existing is not None and existing is not workflow:
        raise ImproperlyConfigured(f"{workflow.model.__name__} already has a workflow: {existing!r}")
    _WORKFLOWS[workflow.model] = workflow


def workflow_for(model: type[models.Model]) -> Workflow:
    try:
        return _WORKFLOWS[model]
    except KeyError:
        raise ImproperlyConfigured(f"{model.__name__} has no workflow declared") from None


def register_confirmable(model: type[models.Model]) -> type[models.Model]:
    """Let records of ``model`` be confirmed by several parties (a model with a workflow already may)."""
    _CONFIRMABLE.add(model)
    return model


def target_models() -> list[type[models.Model]]:
    """The models whose records the kit's transition log and confirmations may point at: every model with
    a workflow or registered as confirmable. Their log rows and confirmations are read by whoever may read
    the record (see rules.py)."""
    return sorted(set(_WORKFLOWS) | _CONFIRMABLE, key=lambda m: m._meta.label_lower)
