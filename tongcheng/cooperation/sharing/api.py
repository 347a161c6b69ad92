"""API of agreements, versions, receipts, imports and the what-if preview, under /api/v1/cooperation/.

Thin: scoped reads through the selectors, writes through the services; the lists take the pages' own
parameters (kit/filters.py)."""

from typing import Any

from django.http import HttpRequest
from ninja import File, Form, Query, Router, Status
from ninja.files import UploadedFile
from ninja.pagination import paginate

from tongcheng.cooperation.engine.types import EngineInputError
from tongcheng.core.models import AdjacentZone
from tongcheng.core.schemas import ErrorOut
from tongcheng.kit.filters import api_list, query_schema
from tongcheng.kit.jobs.api import JobAcceptedOut, job_accepted
from tongcheng.kit.pagecache import cached_api_list
from tongcheng.kit.services import ForbiddenError, ServiceError, ValidationFailed, get_visible

from ..models import AgreementVersion
from . import canonical, selectors, services
from .imports import DATASETS, import_table
from .jobs import start_import
from .preview import preview_version
from .schemas import (
    AgreementDetailOut,
    AgreementIn,
    AgreementOut,
    AgreementPatch,
    ApproveIn,
    ImportOut,
    PreviewOut,
    ReceiptOut,
    StatisticsOut,
    VersionIn,
    VersionOut,
    VersionPatch,
)
from .statistics import find_zone, statistical_split
from .views import AGREEMENT_LIST, RECEIPT_LIST, _longer_than_inline, preview_allowed

router = Router(tags=["cooperation"])
ERRORS = {400: ErrorOut, 401: ErrorOut, 403: ErrorOut, 404: ErrorOut, 409: ErrorOut, 422: ErrorOut}
LIST_ERRORS = {400: ErrorOut, 401: ErrorOut, 422: ErrorOut}

AgreementFilter = query_schema(AGREEMENT_LIST, "AgreementFilter", "Part of the title or code")
ReceiptFilter = query_schema(
    RECEIPT_LIST, "ReceiptFilter", "Start of the receipt number, credit code or project"
)


def _version(request: HttpRequest, agreement: str, number: int) -> AgreementVersion:
    return get_visible(
        selectors.versions(request.auth), request.auth, agreement__code=agreement, number=number
    )


@router.get(
    "/agreements", response={200: list[AgreementOut], **LIST_ERRORS}, summary="List cooperation agreements"
)
@cached_api_list
@paginate
def list_agreements(request: HttpRequest, filters: AgreementFilter = Query(...)):  # type: ignore[valid-type]
    return api_list(selectors.agreements(request.auth), AGREEMENT_LIST, filters, request.auth)


@router.post("/agreements", response={201: AgreementDetailOut, **ERRORS}, summary="Create an agreement")
def create_agreement(request: HttpRequest, payload: AgreementIn):
    zone = get_visible(AdjacentZone, request.auth, code=payload.zone)
    agreement = services.create_agreement(
        actor=request.auth,
        zone=zone,
        code=payload.code,
        title=payload.title,
        title_en=payload.title_en,
        parties=[p.dict() for p in payload.parties],
        note=payload.note,
        note_en=payload.note_en,
    )
    return Status(201, agreement)


@router.get(
    "/agreements/{agreement}",
    response={200: AgreementDetailOut, **ERRORS},
    summary="An agreement and its versions",
)
def get_agreement(request: HttpRequest, agreement: str):
    return get_visible(selectors.agreements(request.auth), request.auth, code=agreement)


@router.patch(
    "/agreements/{agreement}", response={200: AgreementDetailOut, **ERRORS}, summary="Edit an agreement"
)
def update_agreement(request: HttpRequest, agreement: str, payload: AgreementPatch):
    obj = get_visible(selectors.agreements(request.auth), request.auth, code=agreement)
    changes = payload.dict(exclude_unset=True)
    version = changes.pop("version")
    if "parties" in changes:
        changes["parties"] = [dict(p) for p in changes["parties"]]
    services.update_agreement(actor=request.auth, agreement=obj, changes=changes, expected_version=version)
    return selectors.agreements(request.auth).get(pk=obj.pk)


@router.post(
    "/agreements/{agreement}/versions", response={201: VersionOut, **ERRORS}, summary="Draft a version"
)
def create_version(request: HttpRequest, agreement: str, payload: VersionIn):
    obj = get_visible(selectors.agreements(request.auth), request.auth, code=agreement)
    version = services.create_version(
        actor=request.auth,
        agreement=obj,
        effective_from=payload.effective_from,
        effective_to=payload.effective_to,
        resolution=payload.resolution,
        rules=payload.rules,
        note=payload.note,
        note_en=payload.note_en,
    )
    return Status(201, version)


@router.get(
    "/agreements/{agreement}/versions/{number}", response={200: VersionOut, **ERRORS}, summary="A version"
)
def get_version(request: HttpRequest, agreement: str, number: int):
    return _version(request, agreement, number)


@router.patch(
    "/agreements/{agreement}/versions/{number}", response={200: VersionOut, **ERRORS}, summary="Edit a draft"
)
def update_version(request: HttpRequest, agreement: str, number: int, payload: VersionPatch):
    version = _version(request, agreement, number)
    changes = payload.dict(exclude_unset=True)
    expected = changes.pop("version")
    return services.update_version(
        actor=request.auth, version=version, changes=changes, expected_version=expected
    )


@router.post(
    "/agreements/{agreement}/versions/{number}/approve",
    response={200: VersionOut, **ERRORS},
    summary="Approve a draft",
)
def approve_version(request: HttpRequest, agreement: str, number: int, payload: ApproveIn):
    """The draft comes into force over its months; an approved version starting earlier ends the month before
    it, one it covers whole is superseded."""
    version = _version(request, agreement, number)
    return services.approve_version(
        actor=request.auth, version=version, expected_version=payload.version, note=payload.note
    )


@router.get(
    "/agreements/{agreement}/versions/{number}/preview",
    response={200: PreviewOut, **ERRORS},
    summary="What-if preview of a version on the last 12 months of receipts",
)
def preview(request: HttpRequest, agreement: str, number: int):
    """What the agreement would give each party over the last 12 months of stored receipts with this version
    in place of its versions, against what the approved versions give (fen)."""
    version = _version(request, agreement, number)
    if not preview_allowed(request.auth, version.agreement.zone):
        raise ForbiddenError()
    result = preview_version(version)
    return {
        **{
            k: getattr(result, k)
            for k in (
                "agreement",
                "number",
                "first",
                "last",
                "months",
                "notes",
                "error",
                "load_seconds",
                "engine_seconds",
            )
        },
        "parties": [
            {
                "jurisdiction": p.jurisdiction,
                "name": p.name,
                "role": p.role,
                "approved_fen": p.approved_fen,
                "draft_fen": p.draft_fen,
                "difference_fen": p.difference_fen,
            }
            for p in result.parties
        ],
    }


@router.get(
    "/zones/{code}/engine-agreements",
    response={200: dict[str, Any], **ERRORS},
    summary="The zone's agreements as the settlement engine's file",
)
def engine_agreements(
    request: HttpRequest,
    code: str,
    periods: str = Query(..., pattern=r"^[0-9]{4}-[0-9]{2}(\.\.[0-9]{4}-[0-9]{2})?$"),
):
    """The agreements file ``tongcheng settle --agreements`` reads for these months (``2026-01..2026-12``),
    made from the approved versions: exactly the set the platform settles with."""
    zone = get_visible(AdjacentZone, request.auth, code=code)
    if not selectors.agreements(request.auth).filter(zone=zone).exists() and not request.auth.is_superuser:
        # Readers of the zone who may not read its agreements learn nothing more than that it exists.
        return {"agreements": []}
    try:
        return canonical.engine_document(zone, periods)
    except EngineInputError as exc:
        raise ValidationFailed(str(exc), code="engine_refused", field="periods") from exc


@router.get("/receipts", response={200: list[ReceiptOut], **LIST_ERRORS}, summary="List tax receipts")
@cached_api_list
@paginate
def list_receipts(request: HttpRequest, filters: ReceiptFilter = Query(...)):  # type: ignore[valid-type]
    """Receipts the caller may read: a zone's office and auditor every receipt of the zone, a finance bureau
    those its own treasury collected."""
    return api_list(selectors.receipts(request.auth), RECEIPT_LIST, filters, request.auth)


@router.post(
    "/imports/{dataset}",
    response={200: ImportOut, 202: JobAcceptedOut, **ERRORS},
    summary="Import receipts, indicators or factors",
)
def import_dataset(
    request: HttpRequest,
    dataset: str,
    zone: Form[str],
    file: File[UploadedFile],
    apply_good_rows: Form[bool] = False,
):
    """A .csv (UTF-8 or GBK) or .xlsx file with the template's columns (``receipts``, ``indicators`` or
    ``factors``). Up to TONGCHENG_IMPORT_INLINE_MAX_ROWS rows are imported in the request: 200 when written,
    400 ``import_refused`` with every refused row and column (nothing written). A longer file, or one whose
    good rows are to be applied, runs as a job: 202, and the job's result holds the rejected rows."""
    if dataset not in DATASETS:
        raise ValidationFailed(code="invalid_choice", field="dataset")
    zone_obj = get_visible(AdjacentZone, request.auth, code=zone)
    if apply_good_rows or _longer_than_inline(file):
        from .rules import import_reach

        if import_reach(request.auth, zone_obj, dataset) is None:
            raise ForbiddenError(code="no_import_scope")
        job = start_import(request.auth, zone_obj, dataset, file, apply_good_rows=apply_good_rows)
        return job_accepted(request, job)
    outcome = import_table(request.auth, zone_obj, dataset, file.name or "upload.csv", file.file)
    body = {
        **{
            k: getattr(outcome, k)
            for k in ("dataset", "file", "applied", "rows", "created", "updated", "unchanged", "error_count")
        },
        "errors": [
            {"row": e.row, "column": e.column, "heading": e.heading, "message": e.message}
            for e in outcome.errors
        ],
    }
    if not outcome.applied:
        raise ServiceError(
            code="import_refused",
            field=outcome.errors[0].column if outcome.errors else None,
            errors=[
                {"field": f"row {e.row}:{e.column}", "code": "invalid", "message": e.message}
                for e in outcome.errors
            ],
        )
    return body


@router.get(
    "/zones/{code}/statistics",
    response={200: StatisticsOut, **ERRORS},
    summary="A zone's statistical split (S-B3) of a range of months",
)
def zone_statistics(
    request: HttpRequest,
    code: str,
    first: str = Query(..., alias="from", description="First month, YYYY-MM"),
    last: str = Query(..., alias="to", description="Last month, YYYY-MM"),
):
    """The stored indicators of the enterprises of the zone's approved agreements, attributed to each party
    per month by the engine (``lines``), and per indicator, agreement and party over the months
    (``totals``). ``appraisal_only`` marks a figure for performance appraisal only. Read by the zone's
    office, leader and auditor, the metropolitan-area office and the parties' finance bureaus (404 for
    others); a bad month is 422 naming ``from`` or ``to``."""
    zone = find_zone(request.auth, code)
    split = statistical_split(request.auth, zone, first, last)
    return {
        "zone": zone.code,
        "first": split.first,
        "last": split.last,
        "lines": [vars(line) for line in split.lines],
        "totals": [vars(t) for t in split.totals],
    }
