"""Settlement services: the only writers of settlements and their lines.

create (office) → a draft with a gapless number per zone and year (``SJ-<ZONE>-<YEAR>-000001``) whose lines
the job ``compute_settlement`` computes; submit (office) → the parties' finance bureaus are asked to confirm
(kit multi-party confirmation); confirm / reject (a party's finance bureau; a refusal with its reason takes the
settlement back to draft); the last confirmation finalises it: the final settlement is appended to the zone's
hash chain (kit ledger) and becomes immutable (triggers, migration 0003).

Late receipts and refunds: computing a draft also re-runs every earlier final settlement of the zone on the
records as they are now and appends adjustment lines for the difference from what was finalised (less the
adjustments already made by later final settlements), each naming the settlement and period it corrects."""

from __future__ import annotations

import hashlib
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from tongcheng.cooperation.engine.types import EngineInputError
from tongcheng.core.models import AdjacentZone, Jurisdiction
from tongcheng.kit.access import NONE, scope_of
from tongcheng.kit.hash_chain import canonical_json
from tongcheng.kit.jobs.models import Job
from tongcheng.kit.jobs.services import JobFailed, job_task, log, report_progress, start_job
from tongcheng.kit.ledger.models import LedgerEntry
from tongcheng.kit.locking import lock_in_order
from tongcheng.kit.services import (
    ConflictError,
    ForbiddenError,
    NotFoundError,
    ValidationFailed,
    audit,
    require,
)
from tongcheng.kit.workflow import confirmations
from tongcheng.kit.workflow.confirmations import answers_for
from tongcheng.kit.workflow.declaration import Transition, Workflow
from tongcheng.kit.workflow.numbering import format_number, next_number, sequence_key
from tongcheng.kit.workflow.transitions import stale_version_error, transition

from ..models import LineKind, Settlement, SettlementLine, SettlementParty, SettlementStatus
from ..sharing.rules import office_q
from . import compute as engine_run
from . import registry as _registry  # noqa: F401 - audit actions before the workflow
from . import rules as _rules  # noqa: F401 - registers the access rule

__all__ = [
    "SETTLEMENT_WORKFLOW",
    "chain_name",
    "confirm_settlement",
    "create_settlement",
    "finalise_settlement",
    "lines_digest",
    "recompute_settlement",
    "reject_settlement",
    "submit_settlement",
]


def _computed(settlement: Settlement) -> Any:
    if settlement.computing or settlement.run == 0:
        return gettext_lazy("The settlement has not been computed yet.")
    if settlement.error:
        return gettext_lazy("The computation failed: compute the settlement again.")
    return None


def _complete(settlement: Settlement) -> Any:
    if confirmations.confirmation_state(settlement) != confirmations.COMPLETE:
        return gettext_lazy("Every party's finance bureau must confirm first.")
    return None


SETTLEMENT_WORKFLOW = Workflow(
    Settlement,
    field="status",
    states=dict(SettlementStatus.choices),
    transitions=[
        Transition(
            "submit",
            sources=["draft"],
            target="submitted",
            action="change",
            label=gettext_lazy("Submit for confirmation"),
            audit_action="settlement.submit",
            guard=_computed,
        ),
        Transition(
            "return",
            sources=["submitted"],
            target="draft",
            action="confirm",
            label=gettext_lazy("Return to draft"),
            audit_action="settlement.return",
            note_required=True,
        ),
        Transition(
            "finalise",
            sources=["submitted"],
            target="final",
            action="finalise",
            label=gettext_lazy("Finalise"),
            audit_action="settlement.finalise",
            guard=_complete,
        ),
    ],
)


def chain_name(zone: AdjacentZone) -> str:
    return f"settlement:{zone.code}"


def _month(value: Any, field: str) -> int:
    text = str(value or "")
    try:
        year, month = text.split("-")
        y, m = int(year), int(month)
    except ValueError:
        raise ValidationFailed(_("Enter a month as YYYY-MM."), code="invalid_month", field=field) from None
    if not (2000 <= y <= 2100 and 1 <= m <= 12) or len(year) != 4 or len(month) != 2:
        raise ValidationFailed(_("Enter a month as YYYY-MM."), code="invalid_month", field=field)
    return y * 100 + m


def _parties(zone: AdjacentZone, first: int, last: int) -> list[str]:
    try:
        segments = engine_run.canonical.engine_segments(
            zone, engine_run.engine_month(first), engine_run.engine_month(last)
        )
    except EngineInputError as exc:
        raise ValidationFailed(
            _("The settlement engine refuses the zone's agreements: %(detail)s") % {"detail": str(exc)},
            code="engine_refused",
            field="first",
        ) from None
    codes = {p.jurisdiction for s in segments for a in s.agreements.agreements for p in a.parties}
    if not codes:
        raise ValidationFailed(
            _("No approved agreement of the zone is in force in these months."),
            code="no_agreements",
            field="first",
        )
    return sorted(codes)


@transaction.atomic
def create_settlement(*, actor: Any, zone: AdjacentZone, first: str, last: str, note: str = "") -> Settlement:
    """A draft settlement of the zone for months first..last (YYYY-MM, one calendar year)."""
    lo, hi = _month(first, "first"), _month(last, "last")
    if hi < lo:
        raise ValidationFailed(
            _("The last month comes before the first."), code="invalid_period", field="last"
        )
    if hi // 100 != lo // 100:
        raise ValidationFailed(
            _("A settlement covers months of one calendar year."), code="invalid_period", field="last"
        )
    _require_office(actor, zone)
    overlapping = Settlement.objects.filter(zone=zone, first__lte=hi, last__gte=lo).exists()
    if overlapping:
        raise ConflictError(
            _("The zone already has a settlement of some of these months."),
            code="settlement_overlap",
            field="first",
        )
    settlement = new_settlement(zone, lo, hi, note=note)
    audit(actor, "settlement.create", settlement, {"period": settlement.period_label})
    return settlement


def new_settlement(zone: AdjacentZone, lo: int, hi: int, *, note: str = "") -> Settlement:
    """The settlement row with its number and parties (the caller checked and audits; the demo calls it)."""
    parties = _parties(zone, lo, hi)
    year = lo // 100
    n = next_number(sequence_key("settlement", zone.code, year))
    settlement = Settlement.objects.create(
        zone=zone,
        number=format_number("SJ", zone.code.replace("-", "")[:12], year, n),
        year=year,
        first=lo,
        last=hi,
        note=note,
        computing=True,
    )
    SettlementParty.objects.bulk_create(
        [SettlementParty(settlement=settlement, jurisdiction=c) for c in parties]
    )
    return settlement


def _require_office(actor: Any, zone: AdjacentZone) -> None:
    scope = scope_of(actor)
    if scope.superuser:
        return
    if not AdjacentZone.objects.visible_to(actor).filter(pk=zone.pk).exists():
        raise NotFoundError()
    q = office_q(scope, "pk", "metro_id")
    if q is NONE or not AdjacentZone.objects.filter(q, pk=zone.pk).exists():
        raise ForbiddenError(_("Only the zone's office settles its revenue."))


def start_computation(actor: Any, settlement: Settlement) -> Job:
    return start_job(
        actor,
        "cooperation.settlement_compute",
        compute_settlement,
        title=_("Computation of settlement %(number)s") % {"number": settlement.number},
        anchor={"zone_id": settlement.zone_id},
        settlement_id=settlement.pk,
    )


@transaction.atomic
def recompute_settlement(*, actor: Any, settlement: Settlement, expected_version: int) -> Settlement:
    """Compute a draft again (e.g. after a refusal or a late import): marks it as being computed."""
    require(actor, "change", settlement)
    fresh = lock_in_order(settlement).fresh(settlement)
    if fresh.status != SettlementStatus.DRAFT:
        raise ConflictError(_("Only a draft can be computed."), code="invalid_transition", field="status")
    if fresh.version != expected_version:
        raise stale_version_error()
    fresh.computing = True
    fresh.version += 1
    fresh.save(update_fields=["computing", "version", "updated_at"])
    audit(actor, "settlement.compute", fresh, {"period": fresh.period_label})
    return fresh


def _final_lines(settlement: Settlement) -> dict[str, tuple[int, int]]:
    out: dict[str, tuple[int, int]] = {}
    for row in SettlementLine.objects.filter(settlement=settlement, run=settlement.run).exclude(
        kind=LineKind.ADJUSTMENT
    ):
        out[engine_run.line_key(row.kind, row.agreement, row.jurisdiction, row.payee, row.tax_type)] = (
            row.base_fen,
            row.amount_fen,
        )
    return out


def _adjustments(settlement: Settlement) -> list[SettlementLine]:
    """Adjustment lines for every earlier final settlement of the zone whose records changed since."""
    out: list[SettlementLine] = []
    earlier = Settlement.objects.filter(
        zone=settlement.zone, status=SettlementStatus.FINAL, last__lt=settlement.first
    ).order_by("first")
    for closed in earlier:
        now = engine_run.as_lines(engine_run.compute(closed.zone, closed.first, closed.last))
        then = _final_lines(closed)
        made: dict[str, int] = {}
        for row in SettlementLine.objects.filter(
            kind=LineKind.ADJUSTMENT,
            corrects=closed.number,
            settlement__status=SettlementStatus.FINAL,
            settlement__zone=settlement.zone,
        ).exclude(settlement=settlement):
            if row.run != row.settlement.run:
                continue
            key = engine_run.line_key(
                row.corrects_kind, row.agreement, row.jurisdiction, row.payee, row.tax_type
            )
            made[key] = made.get(key, 0) + row.amount_fen
        for key in sorted(set(now) | set(then)):
            diff = now.get(key, (0, 0))[1] - then.get(key, (0, 0))[1] - made.get(key, 0)
            if not diff:
                continue
            kind, agreement, jur, payee, tax = key.split("|")
            out.append(
                SettlementLine(
                    kind=LineKind.ADJUSTMENT,
                    agreement=agreement,
                    jurisdiction=jur,
                    payee=payee,
                    tax_type=tax,
                    corrects_kind=kind,
                    amount_fen=diff,
                    corrects=closed.number,
                    corrects_period=closed.period_label,
                )
            )
    return out


@job_task
def compute_settlement(job: Job, *, settlement_id: int) -> None:
    settlement = Settlement.objects.select_related("zone").get(pk=settlement_id)
    report_progress(job, 5, _("Reading the stored receipts, factors and agreements."))
    try:
        computed = engine_run.compute(settlement.zone, settlement.first, settlement.last)
        adjustments = _adjustments(settlement)
    except EngineInputError as exc:
        store_failure(settlement, str(exc))
        raise JobFailed(
            _("The settlement engine refuses the inputs: %(detail)s") % {"detail": str(exc)}
        ) from None
    report_progress(job, 80, _("Writing the lines."))
    store_run(job.started_by, settlement, computed, adjustments)
    log(
        job,
        _("%(lines)d lines written.")
        % {"lines": len(computed.shares) + len(computed.transfers) + len(adjustments)},
    )


@transaction.atomic
def store_failure(settlement: Settlement, detail: str) -> None:
    fresh = lock_in_order(settlement).fresh(settlement)
    if fresh.status == SettlementStatus.DRAFT:
        fresh.computing = False
        fresh.error = detail[:5000]
        fresh.save(update_fields=["computing", "error", "updated_at"])


@transaction.atomic
def store_run(
    actor: Any, settlement: Settlement, computed: engine_run.Computed, adjustments: list[SettlementLine]
) -> Settlement:
    """Append the lines of a new run and make it the settlement's current one (a draft only)."""
    require(actor, "change", settlement)
    fresh = lock_in_order(settlement).fresh(settlement)
    if fresh.status != SettlementStatus.DRAFT:
        raise ConflictError(_("Only a draft can be computed."), code="invalid_transition", field="status")
    rows = append_run(fresh, computed, adjustments)
    audit(actor, "settlement.compute", fresh, {"period": fresh.period_label, "rows": rows})
    return fresh


def append_run(fresh: Settlement, computed: engine_run.Computed, adjustments: list[SettlementLine]) -> int:
    """Append a run's lines and make it the (locked, draft) settlement's current one; the number of lines."""
    run = fresh.run + 1
    rows = [
        SettlementLine(
            settlement=fresh,
            run=run,
            kind=LineKind.SHARE,
            agreement=a,
            jurisdiction=j,
            tax_type=t,
            base_fen=base,
            amount_fen=share,
        )
        for (a, j, t), (base, share) in sorted(computed.shares.items())
    ]
    rows += [
        SettlementLine(
            settlement=fresh, run=run, kind=LineKind.TRANSFER, jurisdiction=p, payee=q, amount_fen=v
        )
        for (p, q), v in sorted(computed.transfers.items())
        if v
    ]
    for line in adjustments:
        line.settlement, line.run = fresh, run
        rows.append(line)
    SettlementLine.objects.bulk_create(rows, batch_size=2000)
    fresh.run = run
    fresh.computing = False
    fresh.error = ""
    fresh.fingerprint = computed.fingerprint
    fresh.total_fen = computed.total_fen + sum(
        a.amount_fen for a in adjustments if a.corrects_kind == LineKind.SHARE
    )
    fresh.computed_at = timezone.now()
    fresh.version += 1
    fresh.save()
    return len(rows)


@transaction.atomic
def submit_settlement(*, actor: Any, settlement: Settlement, expected_version: int) -> Settlement:
    fresh = transition(actor, settlement, "submit", expected_version=expected_version)
    parties = list(
        Jurisdiction.objects.filter(code__in=fresh.parties.values("jurisdiction")).order_by("code")
    )
    confirmations.request_confirmations(actor, fresh, parties, role="finance")
    return fresh


def _party(actor: Any, settlement: Settlement, party: str | None) -> Jurisdiction:
    """The party the actor answers for: ``party`` (a code) or the only party the actor's grants reach."""
    require(actor, "view", settlement)
    codes = list(settlement.parties.values_list("jurisdiction", flat=True))
    if party:
        if party not in codes:
            raise NotFoundError(_("This party has not been asked to confirm this record."), field="party")
        codes = [party]
    rows = [
        r
        for r in confirmations._current_round(settlement)
        if r.jurisdiction is not None and r.jurisdiction.code in codes
    ]
    scope = scope_of(actor)
    mine = [r for r in rows if answers_for(scope, r)]
    if not mine:
        require(actor, "confirm", settlement)
        raise ForbiddenError(_("You may not answer for this party."), field="party")
    pending = [r for r in mine if r.status == "pending"] or mine
    return pending[0].jurisdiction


@transaction.atomic
def confirm_settlement(
    *, actor: Any, settlement: Settlement, expected_version: int, party: str | None = None
) -> Settlement:
    """The party's finance bureau confirms; the last confirmation finalises the settlement (exactly once:
    the kit serialises the answers on the settlement's row)."""
    if settlement.status != SettlementStatus.SUBMITTED:
        require(actor, "view", settlement)
        raise ConflictError(
            _("Only a submitted settlement is confirmed."), code="invalid_transition", field="status"
        )
    jurisdiction = _party(actor, settlement, party)
    confirmations.confirm(actor, settlement, jurisdiction, expected_version=expected_version)
    fresh = Settlement.objects.get(pk=settlement.pk)
    if (
        confirmations.confirmation_state(fresh) == confirmations.COMPLETE
        and fresh.status == SettlementStatus.SUBMITTED
    ):
        return finalise_settlement(actor=actor, settlement=fresh, expected_version=fresh.version)
    return fresh


@transaction.atomic
def reject_settlement(
    *, actor: Any, settlement: Settlement, reason: str, party: str | None = None
) -> Settlement:
    if settlement.status != SettlementStatus.SUBMITTED:
        require(actor, "view", settlement)
        raise ConflictError(
            _("Only a submitted settlement is confirmed."), code="invalid_transition", field="status"
        )
    jurisdiction = _party(actor, settlement, party)
    row = confirmations.reject(actor, settlement, jurisdiction, reason=reason)
    fresh = Settlement.objects.get(pk=settlement.pk)
    return transition(actor, fresh, "return", expected_version=fresh.version, note=row.reason)


def lines_digest(settlement: Settlement) -> str:
    """sha256 of the canonical list of the settlement's current lines (what the ledger entry covers)."""
    h = hashlib.sha256()
    for row in (
        SettlementLine.objects.filter(settlement=settlement, run=settlement.run)
        .order_by("kind", "agreement", "jurisdiction", "payee", "tax_type", "corrects", "id")
        .values_list(
            "kind",
            "agreement",
            "jurisdiction",
            "payee",
            "tax_type",
            "base_fen",
            "amount_fen",
            "corrects",
            "corrects_period",
        )
    ):
        h.update(canonical_json(list(row)) + b"\n")
    return h.hexdigest()


def ledger_payload(settlement: Settlement) -> dict[str, Any]:
    answers = [
        {"party": r.jurisdiction.code if r.jurisdiction else str(r.party), "by": r.decided_by_name}
        for r in confirmations._current_round(settlement)
    ]
    return {
        "number": settlement.number,
        "zone": settlement.zone.code,
        "first": settlement.first,
        "last": settlement.last,
        "run": settlement.run,
        "fingerprint": settlement.fingerprint,
        "lines": lines_digest(settlement),
        "total_fen": settlement.total_fen,
        "confirmed_by": sorted(answers, key=lambda a: a["party"]),
    }


@transaction.atomic
def finalise_settlement(*, actor: Any, settlement: Settlement, expected_version: int) -> Settlement:
    """Final: appended to the zone's hash chain, then immutable."""
    fresh = Settlement.objects.select_related("zone").get(pk=settlement.pk)
    chain = chain_name(fresh.zone)
    entry = None
    if fresh.status == SettlementStatus.SUBMITTED and _complete(fresh) is None:
        entry = LedgerEntry.append(chain, ledger_payload(fresh))
    changes = {"finalised_at": timezone.now()}
    if entry is not None:
        changes |= {"ledger_chain": chain, "ledger_sequence": entry.sequence, "ledger_hash": entry.hash}
    return transition(actor, fresh, "finalise", expected_version=expected_version, changes=changes)


def compute_now(actor: Any, settlement: Settlement) -> Settlement:
    """Compute a draft in this process (demo loader, tests, the command line): what the job does."""
    try:
        computed = engine_run.compute(settlement.zone, settlement.first, settlement.last)
        adjustments = _adjustments(settlement)
    except EngineInputError as exc:
        store_failure(settlement, str(exc))
        raise
    return store_run(actor, settlement, computed, adjustments)
