"""Services of agreements and their versions: the only code that writes them (docs/architecture.md §4).

A version is a draft until it is approved (``approve_version``), which names the approving resolution and
takes the kit's workflow step; the approved versions of the agreement it overlaps are ended the month before
it starts (``agreement_version.cut``) or, when it covers them whole, superseded (the workflow's ``supersede``
step). Only drafts may be edited. Every write is checked by ``canonical.check_version``, which ends with the
engine's own agreement reader, and an approval by the engine's reading of the zone's whole agreement set as
it would then be (``canonical.engine_segments``)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Max
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from tongcheng.cooperation.engine.types import EngineInputError
from tongcheng.kit.locking import lock_in_order
from tongcheng.kit.services import (
    ConflictError,
    NotFoundError,
    ValidationFailed,
    apply_changes,
    audit,
    change_record,
    check_version,
    create,
    require,
)
from tongcheng.kit.workflow.declaration import Transition, Workflow
from tongcheng.kit.workflow.transitions import transition

from ..models import Agreement, AgreementVersion, VersionStatus
from . import canonical
from . import registry as _registry  # noqa: F401  (error codes and audit actions before the workflow)

__all__ = [
    "AGREEMENT_EDITABLE_FIELDS",
    "VERSION_EDITABLE_FIELDS",
    "VERSION_WORKFLOW",
    "approve_version",
    "create_agreement",
    "create_version",
    "update_agreement",
    "update_version",
]

AGREEMENT_EDITABLE_FIELDS = ("title", "title_en", "parties", "note", "note_en")
VERSION_EDITABLE_FIELDS = ("effective_from", "effective_to", "resolution", "rules", "note", "note_en")


def _resolution_named(version: AgreementVersion) -> Any:
    if not version.resolution.strip():
        return _("Record the approving resolution (the decision body's minutes or document number) first.")
    return None


VERSION_WORKFLOW = Workflow(
    AgreementVersion,
    field="status",
    states=dict(VersionStatus.choices),
    transitions=[
        Transition(
            "approve",
            sources=[VersionStatus.DRAFT],
            target=VersionStatus.APPROVED,
            action="approve",
            label=gettext_lazy("Approve"),
            audit_action="agreement_version.approve",
            guard=_resolution_named,
        ),
        Transition(
            "supersede",
            sources=[VersionStatus.APPROVED],
            target=VersionStatus.SUPERSEDED,
            action="approve",
            label=gettext_lazy("Supersede"),
            audit_action="agreement_version.supersede",
        ),
    ],
)


def _refuse(problems: Sequence[canonical.Problem]) -> None:
    if problems:
        first = problems[0]
        raise ValidationFailed(
            first.message, field=first.field, errors=[p.as_item() for p in problems], code="validation_failed"
        )


def _engine_refusal(exc: EngineInputError, field: str = "rules") -> ValidationFailed:
    overlap = "already in the scope of agreement" in exc.detail
    message = (
        _(
            "Two agreements of the zone would cover the same enterprise or project for a common tax type: %(detail)s"
        )
        % {"detail": exc.detail}
        if overlap
        else _("The settlement engine refuses the zone's agreements with this version: %(detail)s")
        % {"detail": str(exc)}
    )
    code = "agreements_overlap" if overlap else "engine_refused"
    return ValidationFailed(
        message,
        field=field,
        code="validation_failed",
        errors=[{"field": field, "code": code, "message": message}],
    )


# --- agreements ----------------------------------------------------------------------------------------------


def _clean_parties(parties: Any) -> list[dict[str, str]]:
    if not isinstance(parties, list):
        return parties
    return [
        {"jurisdiction": str(p.get("jurisdiction", "")).strip(), "role": str(p.get("role", "")).strip()}
        if isinstance(p, dict)
        else p
        for p in parties
    ]


@transaction.atomic
def create_agreement(
    *,
    actor: Any,
    zone: Any,
    code: str,
    title: str,
    parties: Sequence[Mapping[str, Any]],
    title_en: str = "",
    note: str = "",
    note_en: str = "",
    sources: list[dict[str, Any]] | None = None,
    synthetic: bool = False,
) -> Agreement:
    """A new agreement of ``zone`` (its office or the metropolitan-area office), without versions yet."""
    parties = _clean_parties(list(parties))
    agreement = Agreement(
        zone=zone,
        code=code,
        title=title,
        title_en=title_en,
        parties=parties,
        note=note,
        note_en=note_en,
        sources=sources or [],
        synthetic=synthetic,
    )
    refusal = _("You may not create an agreement in this zone.")
    try:
        # The scope first (a refusal never says whether the code is taken), then the fields, then the parties.
        create(actor, agreement, refusal=refusal)
    except ValidationError as exc:
        if "code" in exc.message_dict and Agreement.objects.filter(code=code).exists():
            raise ValidationFailed(
                _("An agreement with the code %(code)s already exists.") % {"code": code},
                code="duplicate_key",
                field="code",
            ) from exc
        raise
    _refuse(canonical.check_parties(parties, zone))
    audit(actor, "agreement.create", agreement, {"parties": [p["jurisdiction"] for p in parties]})
    return agreement


@transaction.atomic
def update_agreement(
    *, actor: Any, agreement: Agreement, changes: dict[str, Any], expected_version: Any
) -> Agreement:
    require(actor, "change", agreement)
    locked = lock_in_order(agreement).fresh(agreement)
    if locked is None:
        raise NotFoundError()
    check_version(expected_version, locked.version)
    if "parties" in changes:
        changes = {**changes, "parties": _clean_parties(changes["parties"])}
        if changes["parties"] != locked.parties:
            if locked.versions.exclude(status=VersionStatus.DRAFT).exists():
                raise ConflictError(
                    _(
                        "The parties cannot change once a version has been approved: every approved ratio "
                        "names them in this order. Make a new agreement instead."
                    ),
                    code="parties_fixed",
                    field="parties",
                )
            _refuse(canonical.check_parties(changes["parties"], locked.zone))
    diff = apply_changes(locked, changes, expected_version, AGREEMENT_EDITABLE_FIELDS)
    if diff:
        audit(actor, "agreement.update", locked, change_record(diff, expected_version))
    return locked


# --- versions --------------------------------------------------------------------------------------------------


def _check(agreement: Agreement, effective_from: str, effective_to: str, rules: Any) -> None:
    _refuse(
        canonical.check_version(
            code=agreement.code,
            title=agreement.title,
            parties=agreement.parties,
            effective_from=effective_from,
            effective_to=effective_to,
            rules=rules,
            zone=agreement.zone,
        )
    )


def _approved_spans(agreement: Agreement, exclude_pk: int | None = None) -> list[canonical.Span]:
    versions = agreement.versions.filter(status=VersionStatus.APPROVED)
    if exclude_pk is not None:
        versions = versions.exclude(pk=exclude_pk)
    return [canonical.span_of(agreement, v) for v in versions.order_by("effective_from")]


def version_problems(agreement: Agreement, version: AgreementVersion) -> list[canonical.Problem]:
    """Why a draft could not be approved as it stands (shown on its page before anyone tries)."""
    span = canonical.span_of(agreement, version)
    return canonical.approval_problems(_approved_spans(agreement, version.pk), span)


@transaction.atomic
def create_version(
    *,
    actor: Any,
    agreement: Agreement,
    effective_from: str,
    rules: Mapping[str, Any],
    effective_to: str = "",
    resolution: str = "",
    note: str = "",
    note_en: str = "",
) -> AgreementVersion:
    """A new draft of ``agreement``, numbered after its last version."""
    require(actor, "change", agreement)
    locked = lock_in_order(agreement).fresh(agreement)
    if locked is None:
        raise NotFoundError()
    rules = dict(rules)
    _check(locked, effective_from, effective_to, rules)
    number = (locked.versions.aggregate(n=Max("number"))["n"] or 0) + 1
    version = AgreementVersion(
        agreement=locked,
        number=number,
        effective_from=effective_from,
        effective_to=effective_to,
        resolution=resolution,
        rules=rules,
        note=note,
        note_en=note_en,
    )
    version.full_clean(exclude=["agreement"])
    version.save()
    audit(actor, "agreement_version.create", version, {"number": number})
    return version


@transaction.atomic
def update_version(
    *, actor: Any, version: AgreementVersion, changes: dict[str, Any], expected_version: Any
) -> AgreementVersion:
    """Edit a draft (an approved or superseded version is history: draft a new one instead)."""
    require(actor, "change", version)
    locked = lock_in_order(version).fresh(version)
    if locked is None:
        raise NotFoundError()
    check_version(expected_version, locked.version)
    if locked.status != VersionStatus.DRAFT:
        raise ConflictError(
            _("Version %(number)d is %(status)s and can no longer change; draft a new version.")
            % {"number": locked.number, "status": locked.get_status_display()},
            code="not_draft",
            field="status",
        )
    merged = {name: changes.get(name, getattr(locked, name)) for name in VERSION_EDITABLE_FIELDS}
    _check(locked.agreement, merged["effective_from"], merged["effective_to"], merged["rules"])
    diff = apply_changes(locked, changes, expected_version, VERSION_EDITABLE_FIELDS)
    if diff:
        audit(actor, "agreement_version.update", locked, change_record(diff, expected_version))
    return locked


@transaction.atomic
def approve_version(
    *, actor: Any, version: AgreementVersion, expected_version: Any, note: str = ""
) -> AgreementVersion:
    """Approve a draft: it comes into force over its months. An approved version of the same agreement that
    starts earlier ends the month before it; one it covers whole is superseded. The zone's agreement set as
    it would then be must be one the engine reads (no two agreements covering one enterprise and tax type)."""
    require(actor, "approve", version)
    agreement = version.agreement
    locked = lock_in_order(agreement, agreement.versions.all())
    fresh = locked.fresh(version)
    if fresh is None:
        raise NotFoundError()
    check_version(expected_version, fresh.version)
    agreement = fresh.agreement
    if fresh.status == VersionStatus.DRAFT:
        _check(agreement, fresh.effective_from, fresh.effective_to, fresh.rules)
        new = canonical.span_of(agreement, fresh)
        spans = _approved_spans(agreement, fresh.pk)
        _refuse(canonical.approval_problems(spans, new))
        horizon = max([new.end or new.start, *[s.end or s.start for s in spans], new.start])
        try:
            canonical.engine_segments(agreement.zone, new.start, horizon, approve=new)
        except EngineInputError as exc:
            raise _engine_refusal(exc) from exc
        later_cut = []
        for other in agreement.versions.filter(status=VersionStatus.APPROVED).exclude(pk=fresh.pk):
            span = canonical.span_of(agreement, other)
            if span.end is not None and span.end < new.start:
                continue
            if new.end is not None and span.start > new.end:
                continue
            if span.start < new.start:
                later_cut.append(other)
            else:
                transition(
                    actor,
                    other,
                    "supersede",
                    expected_version=other.version,
                    note=_("Replaced by version %(number)d.") % {"number": fresh.number},
                )
        for other in later_cut:
            until = canonical.format_period(new.start - 1)
            other.effective_to = until
            other.version += 1
            other.save(update_fields=["effective_to", "version", "updated_at"])
            audit(actor, "agreement_version.cut", other, {"until": until, "number": fresh.number})
    return transition(actor, fresh, "approve", expected_version=expected_version, note=note)
