"""API of settlements, under /api/v1/cooperation/settlements (scoped like the pages: out of sight is a 404;
a party's finance bureau reads only the lines of its own treasury). Creating a settlement, and computing a
draft again, start the engine as a job: 202 with the job's URL."""

from datetime import datetime
from typing import Any

from django.db import transaction
from django.http import HttpRequest, HttpResponse
from ninja import Field, Query, Router, Schema
from ninja.pagination import paginate

from tongcheng.core.models import AdjacentZone
from tongcheng.core.schemas import ErrorOut, StrictSchema, Text, Version
from tongcheng.kit import documents as d
from tongcheng.kit.filters import api_list, query_schema
from tongcheng.kit.jobs.api import JobAcceptedOut, job_accepted
from tongcheng.kit.pagecache import cached_api_list
from tongcheng.kit.services import get_visible

from ..models import Settlement
from . import services
from .rules import lines_for
from .statements import statement_pdf, statement_xlsx
from .views import SETTLEMENT_LIST, detail_context, settlements, statement_name

router = Router(tags=["settlements"])
ERRORS = {400: ErrorOut, 401: ErrorOut, 403: ErrorOut, 404: ErrorOut, 409: ErrorOut, 422: ErrorOut}
LIST_ERRORS = {400: ErrorOut, 401: ErrorOut, 422: ErrorOut}
MONTH = r"^[0-9]{4}-(0[1-9]|1[0-2])$"

SettlementFilter = query_schema(SETTLEMENT_LIST, "SettlementFilter", "Part of the number")


class SettlementOut(Schema):
    number: str
    zone: str = Field(..., alias="zone.code")
    first: str
    last: str
    status: str = Field(..., description="draft, submitted or final")
    computing: bool
    total_fen: int
    fingerprint: str
    ledger_sequence: int | None
    ledger_hash: str
    version: int

    @staticmethod
    def resolve_first(obj: Any) -> str:
        return _month(obj.first)

    @staticmethod
    def resolve_last(obj: Any) -> str:
        return _month(obj.last)


def _month(value: int) -> str:
    return f"{value // 100:04d}-{value % 100:02d}"


class PartyStatusOut(Schema):
    code: str
    name: str
    state: str = Field(..., description="pending, confirmed, rejected, or empty when not asked yet")
    by: str
    at: datetime | None
    reason: str


class LineOut(Schema):
    kind: str
    agreement: str
    jurisdiction: str
    payee: str
    tax_type: str
    base_fen: int
    amount_fen: int
    corrects: str
    corrects_period: str


class SettlementDetailOut(SettlementOut):
    parties: list[PartyStatusOut]
    confirmation: str = Field(..., description="not_requested, pending, complete or rejected")


class SettlementIn(StrictSchema):
    zone: str
    first: str = Field(..., pattern=MONTH)
    last: str = Field(..., pattern=MONTH)
    note: Text(5000, multiline=True, blank=True) = ""


class VersionIn(StrictSchema):
    version: Version


class RejectIn(StrictSchema):
    reason: Text(5000, multiline=True)


def _get(request: HttpRequest, number: str) -> Settlement:
    return get_visible(settlements(request.auth), request.auth, number=number)


class SettlementDetailView:
    """The detail as attributes for the response schema (the settlement's own, its parties and state)."""

    def __init__(self, settlement: Settlement, context: dict[str, Any]) -> None:
        self._s = settlement
        self.zone = settlement.zone
        self.parties = [
            {k: p[k] for k in ("code", "name", "state", "by", "at", "reason")} for p in context["parties"]
        ]
        self.confirmation = context["state"]

    def __getattr__(self, name: str) -> Any:
        return getattr(self._s, name)


def _detail(request: HttpRequest, settlement: Settlement) -> Any:
    return SettlementDetailView(settlement, detail_context(request.auth, settlement))


@router.get("/settlements", response={200: list[SettlementOut], **LIST_ERRORS}, summary="List settlements")
@cached_api_list
@paginate
def list_settlements(request: HttpRequest, filters: SettlementFilter = Query(...)):  # type: ignore[valid-type]
    return api_list(settlements(request.auth), SETTLEMENT_LIST, filters, request.auth)


@router.post(
    "/settlements", response={202: JobAcceptedOut, **ERRORS}, summary="Create and compute a settlement"
)
def create_settlement(request: HttpRequest, payload: SettlementIn):
    zone = get_visible(AdjacentZone, request.auth, code=payload.zone)
    with transaction.atomic():
        settlement = services.create_settlement(
            actor=request.auth, zone=zone, first=payload.first, last=payload.last, note=payload.note
        )
        job = services.start_computation(request.auth, settlement)
    return job_accepted(request, job)


@router.get("/settlements/{number}", response={200: SettlementDetailOut, **ERRORS}, summary="A settlement")
def get_settlement(request: HttpRequest, number: str):
    return _detail(request, _get(request, number))


@router.get(
    "/settlements/{number}/lines", response={200: list[LineOut], **ERRORS}, summary="A settlement's lines"
)
@paginate
def settlement_lines(request: HttpRequest, number: str):
    """The lines of the current computation the caller reads (a party's bureau: its own treasury's)."""
    settlement = _get(request, number)
    return lines_for(request.auth, settlement).order_by(
        "kind", "agreement", "jurisdiction", "tax_type", "payee", "id"
    )


@router.post(
    "/settlements/{number}/compute", response={202: JobAcceptedOut, **ERRORS}, summary="Compute a draft again"
)
def compute_settlement(request: HttpRequest, number: str, payload: VersionIn):
    settlement = _get(request, number)
    with transaction.atomic():
        fresh = services.recompute_settlement(
            actor=request.auth, settlement=settlement, expected_version=payload.version
        )
        job = services.start_computation(request.auth, fresh)
    return job_accepted(request, job)


@router.post(
    "/settlements/{number}/submit",
    response={200: SettlementDetailOut, **ERRORS},
    summary="Submit for confirmation",
)
def submit_settlement(request: HttpRequest, number: str, payload: VersionIn):
    s = services.submit_settlement(
        actor=request.auth, settlement=_get(request, number), expected_version=payload.version
    )
    return _detail(request, s)


@router.post(
    "/settlements/{number}/confirm",
    response={200: SettlementDetailOut, **ERRORS},
    summary="Confirm as a party",
)
def confirm_settlement(request: HttpRequest, number: str, payload: VersionIn):
    s = services.confirm_settlement(
        actor=request.auth, settlement=_get(request, number), expected_version=payload.version
    )
    return _detail(request, s)


@router.post(
    "/settlements/{number}/reject", response={200: SettlementDetailOut, **ERRORS}, summary="Refuse as a party"
)
def reject_settlement(request: HttpRequest, number: str, payload: RejectIn):
    s = services.reject_settlement(
        actor=request.auth, settlement=_get(request, number), reason=payload.reason
    )
    return _detail(request, s)


@router.post(
    "/settlements/{number}/finalise", response={200: SettlementDetailOut, **ERRORS}, summary="Finalise"
)
def finalise_settlement(request: HttpRequest, number: str, payload: VersionIn):
    s = services.finalise_settlement(
        actor=request.auth, settlement=_get(request, number), expected_version=payload.version
    )
    return _detail(request, s)


@router.get("/settlements/{number}/statement.xlsx", summary="Statement (.xlsx)")
def statement_xlsx_api(request: HttpRequest, number: str) -> HttpResponse:
    s = _get(request, number)
    return d.document_response(
        statement_xlsx(s, lines_for(request.auth, s)), statement_name(s, "xlsx"), d.XLSX_MEDIA_TYPE
    )


@router.get("/settlements/{number}/statement.pdf", summary="Statement (PDF)")
def statement_pdf_api(request: HttpRequest, number: str) -> HttpResponse:
    s = _get(request, number)
    return d.document_response(statement_pdf(s, lines_for(request.auth, s)), statement_name(s, "pdf"))
