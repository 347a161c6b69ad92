"""API schemas of the cooperation records and the fund: XIn (create), XPatch (partial update with the
version read), XOut (response). Money is integer fen, areas whole square metres; jurisdictions are given by
GB/T 2260 code, zones, parks and projects by code, enterprises by credit code, organisations by key."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from ninja import Field, Schema
from pydantic import AfterValidator

from tongcheng.core.money import MAX_FEN
from tongcheng.core.schemas import JurisdictionRef, StrictSchema, Text, Version, shared_rule
from tongcheng.core.validators import check_uscc

from . import limits
from .industries import check_industry
from .models import ContributionKind, CooperationMode, DisbursementPurpose, EstablishmentKind

Fen = Annotated[int, Field(strict=True, ge=0, le=MAX_FEN, description="Integer fen (1 yuan = 100 fen)")]
PositiveFen = Annotated[int, Field(strict=True, ge=1, le=MAX_FEN, description="Integer fen, at least 1")]
Year = Annotated[int, Field(strict=True, ge=limits.YEAR_MIN, le=limits.YEAR_MAX)]
Code = Annotated[str, Field(min_length=1, max_length=limits.CODE_MAX, pattern=r"^[a-z0-9][a-z0-9_-]*$")]
Division = Annotated[str, Field(pattern=r"^\d{6}(\d{3})?$", description="GB/T 2260 code")]
CreditCode = Annotated[str, AfterValidator(shared_rule(check_uscc))]
Industry = Annotated[str, AfterValidator(shared_rule(check_industry))]
AreaM2 = Annotated[int, Field(strict=True, ge=0, le=limits.AREA_M2_MAX, description="Whole square metres")]
Name = Text(limits.NAME_MAX)
NameEn = Text(limits.NAME_EN_MAX, blank=True)
Note = Text(limits.NOTE_MAX, multiline=True, blank=True)
Reference = Text(limits.REFERENCE_MAX)
OptionalReference = Text(limits.REFERENCE_MAX, blank=True)

# --- parks -----------------------------------------------------------------------------------------------


class ParkOut(Schema):
    code: str
    name: str
    name_en: str
    zone: str = Field(..., alias="zone.code")
    host: JurisdictionRef
    managing_organisation: str | None = Field(None, alias="visible_manager_key")
    partners: list[JurisdictionRef]
    area_m2: int | None = Field(..., description="Whole square metres")
    established: dt.date | None
    closed: dt.date | None
    note: str
    note_en: str
    synthetic: bool
    version: int

    @staticmethod
    def resolve_partners(obj) -> list:
        return list(obj.partners.all())


class ParkIn(StrictSchema):
    code: Code
    name: Name
    name_en: NameEn = ""
    zone: str = Field(..., max_length=60, description="The zone's code")
    host: Division
    managing_organisation: str | None = Field(None, max_length=80, description="An organisation's key")
    partners: list[Division] = Field(default_factory=list, max_length=50)
    area_m2: AreaM2 | None = None
    established: dt.date | None = None
    closed: dt.date | None = None
    note: Note = ""
    note_en: Note = ""


class ParkPatch(StrictSchema):
    version: Version
    name: Name = None
    name_en: NameEn = None
    host: Division = None
    managing_organisation: str | None = Field(None, max_length=80)
    partners: list[Division] = Field(None, max_length=50)
    area_m2: AreaM2 | None = None
    established: dt.date | None = None
    closed: dt.date | None = None
    note: Note = None
    note_en: Note = None


class ParkYearOut(Schema):
    park: str = Field(..., alias="park.code")
    year: int
    business_revenue_fen: int
    budget_revenue_fen: int
    note: str
    note_en: str
    synthetic: bool
    version: int


class ParkYearIn(StrictSchema):
    year: Year
    business_revenue_fen: Fen
    budget_revenue_fen: Fen
    note: Note = ""
    note_en: Note = ""
    version: Version | None = Field(None, description="Required to change a recorded year")


# --- enterprises, establishments, factors -----------------------------------------------------------------


class EnterpriseOut(Schema):
    credit_code: str
    name: str
    name_en: str
    industry: str = Field(..., description="GB/T 4754 section letter or letter and division, e.g. C39")
    jurisdiction: JurisdictionRef
    zone: str | None = Field(None, alias="visible_zone_code")
    note: str
    note_en: str
    synthetic: bool
    version: int


class EnterpriseIn(StrictSchema):
    credit_code: CreditCode
    name: Name
    name_en: NameEn = ""
    industry: Industry
    jurisdiction: Division
    zone: str | None = Field(None, max_length=60, description="The zone whose office keeps the record")
    note: Note = ""
    note_en: Note = ""


class EnterprisePatch(StrictSchema):
    version: Version
    name: Name = None
    name_en: NameEn = None
    industry: Industry = None
    note: Note = None
    note_en: Note = None


class EstablishmentOut(Schema):
    id: int
    enterprise: str = Field(..., alias="enterprise.credit_code")
    kind: str
    name: str
    name_en: str
    jurisdiction: JurisdictionRef
    park: str | None = Field(None, alias="visible_park_code")
    opened: dt.date | None
    closed: dt.date | None
    support_unit: bool
    note: str
    synthetic: bool
    version: int


class EstablishmentIn(StrictSchema):
    kind: EstablishmentKind
    jurisdiction: Division
    park: str | None = Field(None, max_length=60)
    name: Text(limits.NAME_MAX, blank=True) = ""
    name_en: NameEn = ""
    opened: dt.date | None = None
    closed: dt.date | None = None
    support_unit: bool = False
    note: Note = ""


class EstablishmentPatch(StrictSchema):
    version: Version
    kind: EstablishmentKind = None
    jurisdiction: Division = None
    park: str | None = Field(None, max_length=60)
    name: Text(limits.NAME_MAX, blank=True) = None
    name_en: NameEn = None
    opened: dt.date | None = None
    closed: dt.date | None = None
    support_unit: bool = None
    note: Note = None


class FactorOut(Schema):
    establishment: int = Field(..., alias="establishment_id")
    year: int
    revenue_fen: int
    payroll_fen: int
    assets_fen: int
    note: str
    synthetic: bool
    version: int


class FactorIn(StrictSchema):
    year: Year
    revenue_fen: Fen
    payroll_fen: Fen
    assets_fen: Fen
    note: Note = ""
    version: Version | None = Field(None, description="Required to change a recorded year")


# --- projects --------------------------------------------------------------------------------------------


class ProjectOut(Schema):
    code: str
    name: str
    name_en: str
    zone: str = Field(..., alias="zone.code")
    park: str | None = Field(None, alias="park.code")
    enterprise: str | None = Field(None, alias="visible_enterprise_code")
    mode: str
    investment_fen: int
    status: str
    signed_on: dt.date | None
    attracted_by: list[JurisdictionRef]
    support_measures: str
    support_measures_en: str
    note: str
    note_en: str
    synthetic: bool
    version: int

    @staticmethod
    def resolve_attracted_by(obj) -> list:
        return list(obj.attracted_by.all())


class ProjectIn(StrictSchema):
    code: Code
    name: Name
    name_en: NameEn = ""
    zone: str = Field(..., max_length=60)
    park: str | None = Field(None, max_length=60)
    enterprise: str | None = Field(None, max_length=18, description="The enterprise's credit code")
    mode: CooperationMode
    investment_fen: Fen = 0
    signed_on: dt.date | None = None
    attracted_by: list[Division] = Field(default_factory=list, max_length=50)
    support_measures: Note = ""
    support_measures_en: Note = ""
    note: Note = ""
    note_en: Note = ""


class ProjectPatch(StrictSchema):
    version: Version
    name: Name = None
    name_en: NameEn = None
    park: str | None = Field(None, max_length=60)
    enterprise: str | None = Field(None, max_length=18)
    mode: CooperationMode = None
    investment_fen: Fen = None
    signed_on: dt.date | None = None
    attracted_by: list[Division] = Field(None, max_length=50)
    support_measures: Note = None
    support_measures_en: Note = None
    note: Note = None
    note_en: Note = None


class StepIn(StrictSchema):
    step: str = Field(..., max_length=40, description="start_construction or start_production")
    version: Version
    note: Text(5000, multiline=True, blank=True) = ""


# --- the fund --------------------------------------------------------------------------------------------


class CommitmentOut(Schema):
    id: int
    zone: str = Field(..., alias="zone.code")
    party: str = Field(..., alias="party.code")
    year: int
    amount_fen: int
    reference: str
    note: str
    synthetic: bool
    version: int


class CommitmentIn(StrictSchema):
    party: Division
    year: Year
    amount_fen: Fen
    reference: Text(limits.REFERENCE_MAX, blank=True) = ""
    note: Note = ""
    version: Version | None = Field(None, description="Required to change a recorded year")


class ContributionOut(Schema):
    id: int
    zone: str = Field(..., alias="zone.code")
    party: str = Field(..., alias="party.code")
    kind: str
    amount_fen: int
    date: dt.date
    reference: str
    description: str
    note: str
    synthetic: bool
    version: int


class ContributionIn(StrictSchema):
    party: Division
    kind: ContributionKind
    amount_fen: PositiveFen
    date: dt.date
    reference: Reference
    description: Text(limits.NAME_MAX, blank=True) = ""
    note: Note = ""


class ContributionPatch(StrictSchema):
    version: Version
    kind: ContributionKind = None
    amount_fen: PositiveFen = None
    date: dt.date = None
    reference: Reference = None
    description: Text(limits.NAME_MAX, blank=True) = None
    note: Note = None


class DisbursementOut(Schema):
    id: int
    zone: str = Field(..., alias="zone.code")
    purpose: str
    name: str
    name_en: str
    amount_fen: int
    date: dt.date
    resolution: str
    note: str
    synthetic: bool
    version: int


class DisbursementIn(StrictSchema):
    purpose: DisbursementPurpose
    name: Name
    name_en: NameEn = ""
    amount_fen: PositiveFen
    date: dt.date
    resolution: Reference
    note: Note = ""


class DisbursementPatch(StrictSchema):
    version: Version
    purpose: DisbursementPurpose = None
    name: Name = None
    name_en: NameEn = None
    amount_fen: PositiveFen = None
    date: dt.date = None
    resolution: Reference = None
    note: Note = None


class PartyPositionOut(Schema):
    party: JurisdictionRef
    committed_by_year: dict[int, int]
    committed_total_fen: int
    committed_due_fen: int
    contributed_fen: int
    contributed_by_kind: dict[str, int]
    arrears_fen: int
    credit_fen: int
    share_bp: int | None = Field(..., description="Cost share in basis points; the parties' add up to 10,000")


class FundOut(Schema):
    zone: str
    as_of: dt.date
    years: list[int]
    parties: list[PartyPositionOut]
    committed_total_fen: int
    committed_due_fen: int
    contributed_fen: int
    arrears_fen: int
    disbursed_fen: int
    balance_fen: int
    commitments: list[CommitmentOut]
    contributions: list[ContributionOut]
    disbursements: list[DisbursementOut]


# --- the overview and the provinces' rules ---------------------------------------------------------------


class OverviewRowOut(Schema):
    label: str
    area_m2: int
    projects: int
    investment_fen: int
    business_revenue_fen: int
    budget_revenue_fen: int


class OverviewOut(Schema):
    zone: str
    parks: int
    area_m2: int
    projects: int
    investment_fen: int
    business_revenue_fen: int
    budget_revenue_fen: int
    by_park: list[OverviewRowOut]
    by_year: list[OverviewRowOut]
    by_mode: list[OverviewRowOut]


class ProvinceRuleOut(Schema):
    province: JurisdictionRef
    apportioned_across_cities: bool
    rule: str
    rule_en: str
    note: str
    note_en: str
    version: int


class ProvinceRuleIn(StrictSchema):
    apportioned_across_cities: bool
    rule: Note = ""
    rule_en: Note = ""
    note: Note = ""
    note_en: Note = ""
    version: Version | None = Field(None, description="Required to change a recorded rule")
