"""API schemas of agreements, versions, receipts, imports and the what-if preview."""

from __future__ import annotations

from typing import Any

from ninja import Field, Schema

from tongcheng.core.schemas import StrictSchema, Text, Version

from ..models.agreements import AGREEMENT_CODE_MAX, AGREEMENT_NOTE_MAX, AGREEMENT_TITLE_MAX, RESOLUTION_MAX
from . import present

MONTH = r"^[0-9]{4}-(0[1-9]|1[0-2])$"
RULES_HELP = (
    "The engine's agreement format without id, name, parties and the term's start and end "
    "(docs/settlement-formats.md): tie_order, scope {enterprises, projects, collected_in}, tax_types, "
    "term {extension_end, extended}, base {kind, fraction_bp}, ratio {kind …}, statistics {bp, double_count}. "
    "Checked field by field and by the engine's own reader; a refusal names the path, e.g. rules.ratio.bp."
)


class PartyIn(StrictSchema):
    jurisdiction: str = Field(..., pattern=r"^[0-9]{6}$")
    role: str = Field("partner", description="host, partner or origin")


class PartyOut(Schema):
    jurisdiction: str
    role: str
    name: str

    @staticmethod
    def resolve_name(obj: dict[str, Any]) -> str:
        return present.party_label(obj["jurisdiction"])


class VersionSummaryOut(Schema):
    number: int
    status: str = Field(..., description="draft, approved or superseded")
    effective_from: str
    effective_to: str = Field(..., description="Empty: open-ended")


class AgreementOut(Schema):
    code: str
    zone: str = Field(..., alias="zone.code")
    title: str
    title_en: str
    parties: list[PartyOut]
    note: str
    note_en: str
    synthetic: bool
    version: int


class AgreementDetailOut(AgreementOut):
    versions: list[VersionSummaryOut]

    @staticmethod
    def resolve_versions(obj: Any) -> list[Any]:
        return list(obj.versions.order_by("number"))


class AgreementIn(StrictSchema):
    zone: str = Field(..., description="The zone's code")
    code: str = Field(..., max_length=AGREEMENT_CODE_MAX, pattern=r"^[-a-zA-Z0-9_]+$")
    title: Text(AGREEMENT_TITLE_MAX)
    title_en: Text(AGREEMENT_TITLE_MAX, blank=True) = ""
    parties: list[PartyIn] = Field(..., min_length=2, max_length=10)
    note: Text(AGREEMENT_NOTE_MAX, multiline=True, blank=True) = ""
    note_en: Text(AGREEMENT_NOTE_MAX, multiline=True, blank=True) = ""


class AgreementPatch(StrictSchema):
    version: Version
    title: Text(AGREEMENT_TITLE_MAX) = None
    title_en: Text(AGREEMENT_TITLE_MAX, blank=True) = None
    parties: list[PartyIn] = Field(None, min_length=2, max_length=10)
    note: Text(AGREEMENT_NOTE_MAX, multiline=True, blank=True) = None
    note_en: Text(AGREEMENT_NOTE_MAX, multiline=True, blank=True) = None


class VersionOut(Schema):
    agreement: str = Field(..., alias="agreement.code")
    number: int
    status: str = Field(..., description="draft, approved or superseded")
    effective_from: str
    effective_to: str = Field(..., description="Empty: open-ended")
    resolution: str
    rules: dict[str, Any]
    note: str
    note_en: str
    version: int


class VersionIn(StrictSchema):
    effective_from: str = Field(..., pattern=MONTH)
    effective_to: str = Field("", pattern=r"^([0-9]{4}-(0[1-9]|1[0-2]))?$")
    resolution: Text(RESOLUTION_MAX, blank=True) = ""
    rules: dict[str, Any] = Field(..., description=RULES_HELP)
    note: Text(AGREEMENT_NOTE_MAX, multiline=True, blank=True) = ""
    note_en: Text(AGREEMENT_NOTE_MAX, multiline=True, blank=True) = ""


class VersionPatch(StrictSchema):
    version: Version
    effective_from: str = Field(None, pattern=MONTH)
    effective_to: str = Field(None, pattern=r"^([0-9]{4}-(0[1-9]|1[0-2]))?$")
    resolution: Text(RESOLUTION_MAX, blank=True) = None
    rules: dict[str, Any] = Field(None, description=RULES_HELP)
    note: Text(AGREEMENT_NOTE_MAX, multiline=True, blank=True) = None
    note_en: Text(AGREEMENT_NOTE_MAX, multiline=True, blank=True) = None


class ApproveIn(StrictSchema):
    version: Version
    note: Text(5000, multiline=True, blank=True) = ""


class ReceiptOut(Schema):
    zone: str = Field(..., alias="zone.code")
    receipt_id: str
    enterprise: str
    jurisdiction: str
    period: str = Field(..., alias="period_text", description="YYYY-MM")
    tax_type: str
    amount_fen: int = Field(..., description="Integer fen; refunds negative")
    project: str
    synthetic: bool


class ImportErrorOut(Schema):
    row: int
    column: str
    heading: str
    message: str


class ImportOut(Schema):
    dataset: str
    file: str
    applied: bool
    rows: int
    created: int
    updated: int
    unchanged: int
    error_count: int
    errors: list[ImportErrorOut]


class PreviewPartyOut(Schema):
    jurisdiction: str
    name: str
    role: str
    approved_fen: int = Field(
        ..., description="What the approved versions give the party over the window (fen)"
    )
    draft_fen: int = Field(..., description="What this version would give it (fen)")
    difference_fen: int


class PreviewMonthOut(Schema):
    period: str
    approved: list[int]
    draft: list[int]
    difference: list[int]


class PreviewOut(Schema):
    agreement: str
    number: int
    first: str
    last: str
    parties: list[PreviewPartyOut]
    months: list[PreviewMonthOut]
    notes: list[str]
    error: str
    load_seconds: float = Field(..., description="Time to read the stored rows into the engine's arrays")
    engine_seconds: float = Field(..., description="The engine's own time")


class StatLineOut(Schema):
    agreement: str
    period: str = Field(..., description="YYYY-MM")
    indicator: str
    jurisdiction: str
    party: str
    role: str
    total: int
    attributed: int = Field(..., description="This party's share; the parties' shares add up to total")
    appraisal: int = Field(..., description="The figure the party may count for performance appraisal")
    appraisal_only: bool = Field(
        ..., description="Double counting: appraisal is the whole figure, for appraisal only, never summed"
    )
    method: str = Field(..., description="ratio (the agreement's) or in_place (the host counts it all)")


class StatTotalOut(Schema):
    indicator: str
    agreement: str
    jurisdiction: str
    party: str
    role: str
    total: int
    attributed: int
    appraisal: int
    appraisal_only: bool


class StatisticsOut(Schema):
    zone: str
    first: str
    last: str
    lines: list[StatLineOut]
    totals: list[StatTotalOut] = Field(..., description="Per indicator, agreement and party over the months")
