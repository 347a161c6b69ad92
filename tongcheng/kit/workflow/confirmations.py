"""Multi-party confirmation: a record that every party must confirm (e.g. each finance bureau confirms a
settlement), with who answered, when, and the reason of a refusal.

- ``request_confirmations(actor, obj, parties, role=…)`` asks each party (an organisation or a
  jurisdiction) to confirm; the actor needs ``action`` (default "change") on the record. It opens a round;
  a new round may be asked only once the previous one was refused (the record corrected in between).
- ``confirm(actor, obj, party, expected_version=…)`` / ``reject(actor, obj, party, reason=…)``: the actor
  must see the record (else 404) and hold ``role`` on the party (else 403); a party answers once per round
  (else 409 ``already_answered``); a round someone refused takes no more answers (409 ``round_refused``).
- ``confirmation_state(obj)``: ``not_requested``, ``pending``, ``complete`` (everyone confirmed) or
  ``rejected`` (someone refused) for the latest round.
- Once the transaction that completes a round commits, ``confirmation_completed`` is sent, exactly once;
  a refusal sends ``confirmation_rejected``.

Every writer locks the record first and then its confirmation rows (``lock_in_order``), so two parties
answering at the same moment are serialised: both answers are kept and only the last one sees the round
complete."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.db import models, transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext as _

from tongcheng.kit.access import restrict, scope_of
from tongcheng.kit.locking import lock_in_order
from tongcheng.kit.services import (
    ConflictError,
    ForbiddenError,
    NotFoundError,
    ValidationFailed,
    audit,
    require,
)

from .declaration import target_models
from .models import Confirmation, ConfirmationStatus
from .notes import clean_note
from .signals import confirmation_completed, confirmation_rejected
from .transitions import stale_version_error

__all__ = [
    "NOT_REQUESTED",
    "PENDING",
    "COMPLETE",
    "REJECTED",
    "confirm",
    "confirmation_state",
    "confirmations_of",
    "reject",
    "request_confirmations",
]

NOT_REQUESTED = "not_requested"
PENDING = "pending"
COMPLETE = "complete"
REJECTED = "rejected"

PARTY_MODELS = ("core.organisation", "core.jurisdiction")


def _rows(obj: models.Model) -> models.QuerySet[Confirmation]:
    return Confirmation.objects.filter(content_type=ContentType.objects.get_for_model(obj), object_id=obj.pk)


def _state_of(rows: Iterable[Confirmation]) -> str:
    rows = list(rows)
    if not rows:
        return NOT_REQUESTED
    statuses = {row.status for row in rows}
    if ConfirmationStatus.REJECTED in statuses:
        return REJECTED
    if ConfirmationStatus.PENDING in statuses:
        return PENDING
    return COMPLETE


def _current_round(obj: models.Model) -> list[Confirmation]:
    latest = _rows(obj).aggregate(latest=Max("round"))["latest"]
    if latest is None:
        return []
    return list(_rows(obj).filter(round=latest).select_related("organisation", "jurisdiction"))


def confirmation_state(obj: models.Model) -> str:
    """The state of the latest round of confirmations of the record."""
    return _state_of(_current_round(obj))


def confirmations_of(user: Any, obj: models.Model) -> models.QuerySet[Confirmation]:
    """Every party's answers on a record, all rounds, for a user who may see the record (else 404)."""
    require(user, "view", obj)
    return _rows(obj).select_related("organisation", "jurisdiction", "decided_by").order_by("round", "id")


def _party_kwargs(party: models.Model) -> dict[str, Any]:
    label = party._meta.label_lower
    if label not in PARTY_MODELS or party.pk is None:
        raise ValidationFailed(
            _("A party must be an organisation or a jurisdiction."), code="invalid_party", field="parties"
        )
    return {label.split(".")[1]: party}


def answers_for(scope: Any, row: Confirmation) -> bool:
    """Whether the user (by scope) may answer for the row's party: the row's role on that organisation, or
    on that jurisdiction (a grant on it or on one containing it, or on an organisation of it). Being a
    superuser is not enough: a confirmation is the party's own statement."""
    for grant in scope.grants:
        if grant.role != row.role:
            continue
        if row.organisation_id and grant.organisation_id == row.organisation_id:
            return True
        if row.jurisdiction is not None:
            path = row.jurisdiction.path
            if grant.organisation_id and grant.organisation_path == path:
                return True
            if grant.jurisdiction_path and path.startswith(grant.jurisdiction_path):
                return True
    return False


def _lock(obj: models.Model) -> tuple[Any, list[Confirmation]]:
    """Lock the record and its confirmation rows, then read its latest round again: every writer locks the
    record first, so nothing changes the rounds while we hold it."""
    locked = lock_in_order(obj, _rows(obj))
    fresh = locked.fresh(obj)
    if fresh is None:
        raise NotFoundError()
    return fresh, _current_round(fresh)


@transaction.atomic
def request_confirmations(
    actor: Any,
    obj: models.Model,
    parties: Iterable[models.Model],
    *,
    role: str,
    action: str = "change",
) -> list[Confirmation]:
    """Ask every party to confirm the record, answered by a holder of ``role`` on the party."""
    if type(obj) not in target_models():
        raise RuntimeError(f"{type(obj).__name__} is not confirmable: declare a workflow or register it")
    require(actor, action, obj)
    wanted = [_party_kwargs(p) for p in parties]
    if not wanted:
        raise ValidationFailed(_("Name at least one party."), code="required", field="parties")
    keys = [(k, v.pk) for kw in wanted for k, v in kw.items()]
    if len(set(keys)) != len(keys):
        raise ValidationFailed(_("A party is named twice."), code="duplicate_party", field="parties")
    organisations = [v for kw in wanted for k, v in kw.items() if k == "organisation"]
    if organisations:
        # Asking an organisation the actor cannot see would confirm that it exists.
        model = type(organisations[0])
        seen = set(
            restrict(model._default_manager.filter(pk__in=[o.pk for o in organisations]), actor).values_list(
                "pk", flat=True
            )
        )
        if any(o.pk not in seen for o in organisations):
            raise NotFoundError(field="parties")
    fresh, current = _lock(obj)
    state = _state_of(current)
    if state == PENDING:
        raise ConflictError(
            _("Confirmation has already been asked and is awaited."), code="confirmation_pending"
        )
    if state == COMPLETE:
        raise ConflictError(_("Every party has already confirmed."), code="confirmation_complete")
    number = (current[0].round + 1) if current else 1
    now = timezone.now()
    rows = Confirmation.objects.bulk_create(
        [
            Confirmation(
                content_type=ContentType.objects.get_for_model(fresh),
                object_id=fresh.pk,
                round=number,
                role=role,
                requested_by=actor if getattr(actor, "pk", None) else None,
                requested_at=now,
                **kw,
            )
            for kw in wanted
        ]
    )
    audit(
        actor,
        "confirmation.request",
        fresh,
        {"round": number, "role": role, "parties": [str(row.party) for row in rows]},
    )
    return rows


def _answer(
    actor: Any, obj: models.Model, party: models.Model
) -> tuple[Any, Confirmation, list[Confirmation]]:
    require(actor, "view", obj)
    kind, value = next(iter(_party_kwargs(party).items()))
    fresh, current = _lock(obj)
    row = next((r for r in current if getattr(r, f"{kind}_id") == value.pk), None)
    if row is None:
        raise NotFoundError(_("This party has not been asked to confirm this record."), field="party")
    if not answers_for(scope_of(actor), row):
        raise ForbiddenError(_("You may not answer for this party."), field="party")
    if row.status != ConfirmationStatus.PENDING:
        raise ConflictError(_("This party has already answered."), code="already_answered", field="party")
    if _state_of(current) == REJECTED:
        raise ConflictError(
            _("Another party refused; wait until confirmation is asked again."), code="round_refused"
        )
    return fresh, row, current


def _decide(row: Confirmation, actor: Any, status: str, **fields: Any) -> None:
    row.status = status
    row.decided_by = actor if getattr(actor, "pk", None) else None
    row.decided_by_name = getattr(actor, "username", "") or "system"
    row.decided_at = timezone.now()
    for name, value in fields.items():
        setattr(row, name, value)
    row.save(update_fields=["status", "decided_by", "decided_by_name", "decided_at", *fields])


@transaction.atomic
def confirm(
    actor: Any, obj: models.Model, party: models.Model, *, expected_version: int | None
) -> Confirmation:
    """The party confirms the record as it was at ``expected_version`` (required when the record has a
    version: a party confirms what it read, not what someone changed meanwhile)."""
    fresh, row, current = _answer(actor, obj, party)
    version = getattr(fresh, "version", None)
    if version is not None and expected_version != version:
        raise stale_version_error()
    _decide(row, actor, ConfirmationStatus.CONFIRMED, object_version=version)
    audit(actor, "confirmation.confirm", fresh, {"round": row.round, "party": str(row.party)})
    if _state_of(current) == COMPLETE:  # ``row`` is one of ``current``, now confirmed
        model = type(fresh)
        transaction.on_commit(
            lambda: confirmation_completed.send(sender=model, instance=fresh, round=row.round)
        )
    return row


@transaction.atomic
def reject(actor: Any, obj: models.Model, party: models.Model, *, reason: str) -> Confirmation:
    """The party refuses to confirm, saying why (required); the round ends."""
    fresh, row, _current = _answer(actor, obj, party)
    reason = clean_note(reason, required=True, field="reason")
    _decide(row, actor, ConfirmationStatus.REJECTED, reason=reason)
    audit(
        actor, "confirmation.reject", fresh, {"round": row.round, "party": str(row.party), "reason": reason}
    )
    model = type(fresh)
    transaction.on_commit(
        lambda: confirmation_rejected.send(sender=model, instance=fresh, round=row.round, confirmation=row)
    )
    return row
