"""The cooperation API (/api/v1/cooperation/…): parks and their yearly results, enterprises, establishments
and their apportionment factors, projects and their workflow steps, the fund of a zone, the overview of a
zone and the provinces' rules. Thin: reads through the selectors (scoped; a record out of sight is a 404),
writes through the services, lists with the pages' own filters (lists.py)."""

import datetime as dt
from typing import Any

from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _
from ninja import Query, Router, Status
from ninja.pagination import paginate

from tongcheng.core.models import AdjacentZone, Jurisdiction, Organisation
from tongcheng.core.schemas import ErrorOut
from tongcheng.kit.filters import api_list, query_schema
from tongcheng.kit.pagecache import cached_api_list
from tongcheng.kit.services import NotFoundError, ValidationFailed, get_visible

from . import selectors
from .lists import ENTERPRISE_LIST, PARK_LIST, PROJECT_LIST
from .models import Enterprise, Establishment, FundContribution, FundDisbursement, Park, Project
from .schemas import (
    CommitmentIn,
    CommitmentOut,
    ContributionIn,
    ContributionOut,
    ContributionPatch,
    DisbursementIn,
    DisbursementOut,
    DisbursementPatch,
    EnterpriseIn,
    EnterpriseOut,
    EnterprisePatch,
    EstablishmentIn,
    EstablishmentOut,
    EstablishmentPatch,
    FactorIn,
    FactorOut,
    FundOut,
    OverviewOut,
    ParkIn,
    ParkOut,
    ParkPatch,
    ParkYearIn,
    ParkYearOut,
    ProjectIn,
    ProjectOut,
    ProjectPatch,
    ProvinceRuleIn,
    ProvinceRuleOut,
    StepIn,
)
from .services import fund, projects, records
from .views.overview import overview_of

router = Router(tags=["cooperation"])
ERRORS = {400: ErrorOut, 401: ErrorOut, 403: ErrorOut, 404: ErrorOut, 409: ErrorOut, 422: ErrorOut}
LIST_ERRORS = {400: ErrorOut, 401: ErrorOut, 422: ErrorOut}

ParkFilter = query_schema(PARK_LIST, "ParkFilter", "Part of the name, English name, code or pinyin")
EnterpriseFilter = query_schema(
    ENTERPRISE_LIST, "EnterpriseFilter", "Part of the name, credit code or pinyin"
)
ProjectFilter = query_schema(PROJECT_LIST, "ProjectFilter", "Part of the name, English name, code or pinyin")


# --- references in a request -----------------------------------------------------------------------------


def _place(code: str, field: str) -> Jurisdiction:
    found = Jurisdiction.objects.current().filter(code=code).first()
    if found is None:
        raise ValidationFailed(
            _("No current jurisdiction has the code %(code)s.") % {"code": code},
            code="invalid_choice",
            field=field,
        )
    return found


def _places(codes: list[str], field: str) -> list[Jurisdiction]:
    return [_place(code, field) for code in dict.fromkeys(codes)]


def _visible_ref(qs: Any, user: Any, field: str, **lookup: Any) -> Any:
    try:
        return get_visible(qs, user, **lookup)
    except NotFoundError:
        raise NotFoundError(
            _("Nothing you may see is called %(value)s.") % {"value": next(iter(lookup.values()))},
            field=field,
        ) from None


def _organisation(user: Any, key: str | None) -> Organisation | None:
    return _visible_ref(Organisation.objects.all(), user, "managing_organisation", key=key) if key else None


def _park(user: Any, code: str | None, field: str = "park") -> Park | None:
    return _visible_ref(Park.objects.all(), user, field, code=code) if code else None


def _enterprise(user: Any, code: str | None) -> Enterprise | None:
    return (
        _visible_ref(Enterprise.objects.all(), user, "enterprise", credit_code=code.upper()) if code else None
    )


# --- parks -----------------------------------------------------------------------------------------------


@router.get("/parks", response={200: list[ParkOut], **LIST_ERRORS}, summary="List co-built parks")
@cached_api_list
@paginate
def list_parks(request: HttpRequest, filters: ParkFilter = Query(...)):
    return api_list(selectors.parks(request.auth), PARK_LIST, filters, request.auth)


@router.get("/parks/{code}", response={200: ParkOut, **ERRORS}, summary="A park")
def get_park(request: HttpRequest, code: str):
    return get_visible(selectors.parks(request.auth), request.auth, code=code)


@router.post("/parks", response={201: ParkOut, **ERRORS}, summary="Create a park")
def create_park(request: HttpRequest, payload: ParkIn):
    user = request.auth
    park = records.create_park(
        actor=user,
        code=payload.code,
        name=payload.name,
        name_en=payload.name_en,
        zone=_visible_ref(AdjacentZone.objects.all(), user, "zone", code=payload.zone),
        host=_place(payload.host, "host"),
        managing_organisation=_organisation(user, payload.managing_organisation),
        partners=_places(payload.partners, "partners"),
        area_m2=payload.area_m2,
        established=payload.established,
        closed=payload.closed,
        note=payload.note,
        note_en=payload.note_en,
    )
    return Status(201, selectors.parks(user).get(pk=park.pk))


@router.patch("/parks/{code}", response={200: ParkOut, **ERRORS}, summary="Edit a park")
def update_park(request: HttpRequest, code: str, payload: ParkPatch):
    user = request.auth
    park = get_visible(Park, user, code=code)
    changes = payload.dict(exclude_unset=True)
    version = changes.pop("version")
    if "host" in changes:
        changes["host"] = _place(changes["host"], "host")
    if "partners" in changes:
        changes["partners"] = _places(changes["partners"] or [], "partners")
    if "managing_organisation" in changes:
        changes["managing_organisation"] = _organisation(user, changes["managing_organisation"])
    records.update_park(actor=user, park=park, changes=changes, expected_version=version)
    return selectors.parks(user).get(pk=park.pk)


@router.get(
    "/parks/{code}/years", response={200: list[ParkYearOut], **ERRORS}, summary="A park's yearly results"
)
def list_park_years(request: HttpRequest, code: str):
    park = get_visible(Park, request.auth, code=code)
    return selectors.park_years(request.auth).filter(park=park).order_by("year")


@router.post(
    "/parks/{code}/years", response={200: ParkYearOut, **ERRORS}, summary="Record a park's results of a year"
)
def save_park_year(request: HttpRequest, code: str, payload: ParkYearIn):
    """Creates the year, or changes a recorded one (then ``version`` is required)."""
    park = get_visible(Park, request.auth, code=code)
    row = records.save_park_year(
        actor=request.auth,
        park=park,
        year=payload.year,
        business_revenue_fen=payload.business_revenue_fen,
        budget_revenue_fen=payload.budget_revenue_fen,
        note=payload.note,
        note_en=payload.note_en,
        expected_version=payload.version,
    )
    return selectors.park_years(request.auth).get(pk=row.pk)


# --- enterprises, establishments and factors --------------------------------------------------------------


@router.get("/enterprises", response={200: list[EnterpriseOut], **LIST_ERRORS}, summary="List enterprises")
@cached_api_list
@paginate
def list_enterprises(request: HttpRequest, filters: EnterpriseFilter = Query(...)):
    return api_list(selectors.enterprises(request.auth), ENTERPRISE_LIST, filters, request.auth)


@router.get("/enterprises/{credit_code}", response={200: EnterpriseOut, **ERRORS}, summary="An enterprise")
def get_enterprise(request: HttpRequest, credit_code: str):
    return get_visible(selectors.enterprises(request.auth), request.auth, credit_code=credit_code.upper())


@router.post("/enterprises", response={201: EnterpriseOut, **ERRORS}, summary="Create an enterprise")
def create_enterprise(request: HttpRequest, payload: EnterpriseIn):
    user = request.auth
    enterprise = records.create_enterprise(
        actor=user,
        credit_code=payload.credit_code,
        name=payload.name,
        name_en=payload.name_en,
        industry=payload.industry,
        jurisdiction=_place(payload.jurisdiction, "jurisdiction"),
        zone=_visible_ref(AdjacentZone.objects.all(), user, "zone", code=payload.zone)
        if payload.zone
        else None,
        note=payload.note,
        note_en=payload.note_en,
    )
    return Status(201, selectors.enterprises(user).get(pk=enterprise.pk))


@router.patch(
    "/enterprises/{credit_code}", response={200: EnterpriseOut, **ERRORS}, summary="Edit an enterprise"
)
def update_enterprise(request: HttpRequest, credit_code: str, payload: EnterprisePatch):
    enterprise = get_visible(Enterprise, request.auth, credit_code=credit_code.upper())
    changes = payload.dict(exclude_unset=True)
    version = changes.pop("version")
    records.update_enterprise(
        actor=request.auth, enterprise=enterprise, changes=changes, expected_version=version
    )
    return selectors.enterprises(request.auth).get(pk=enterprise.pk)


@router.get(
    "/enterprises/{credit_code}/establishments",
    response={200: list[EstablishmentOut], **ERRORS},
    summary="An enterprise's establishments",
)
def list_establishments(request: HttpRequest, credit_code: str):
    enterprise = get_visible(Enterprise, request.auth, credit_code=credit_code.upper())
    return selectors.establishments(request.auth).filter(enterprise=enterprise).order_by("kind", "pk")


@router.post(
    "/enterprises/{credit_code}/establishments",
    response={201: EstablishmentOut, **ERRORS},
    summary="Add a head office, branch or production base",
)
def create_establishment(request: HttpRequest, credit_code: str, payload: EstablishmentIn):
    user = request.auth
    enterprise = get_visible(Enterprise, user, credit_code=credit_code.upper())
    row = records.create_establishment(
        actor=user,
        enterprise=enterprise,
        kind=payload.kind,
        jurisdiction=_place(payload.jurisdiction, "jurisdiction"),
        park=_park(user, payload.park),
        name=payload.name,
        name_en=payload.name_en,
        opened=payload.opened,
        closed=payload.closed,
        support_unit=payload.support_unit,
        note=payload.note,
    )
    return Status(201, selectors.establishments(user).get(pk=row.pk))


@router.patch(
    "/establishments/{establishment_id}",
    response={200: EstablishmentOut, **ERRORS},
    summary="Edit an establishment",
)
def update_establishment(request: HttpRequest, establishment_id: int, payload: EstablishmentPatch):
    user = request.auth
    row = get_visible(Establishment, user, pk=establishment_id)
    changes = payload.dict(exclude_unset=True)
    version = changes.pop("version")
    if "jurisdiction" in changes:
        changes["jurisdiction"] = _place(changes["jurisdiction"], "jurisdiction")
    if "park" in changes:
        changes["park"] = _park(user, changes["park"])
    records.update_establishment(actor=user, establishment=row, changes=changes, expected_version=version)
    return selectors.establishments(user).get(pk=row.pk)


@router.get(
    "/establishments/{establishment_id}/factors",
    response={200: list[FactorOut], **ERRORS},
    summary="An establishment's 57号 factors by year",
)
def list_factors(request: HttpRequest, establishment_id: int):
    row = get_visible(Establishment, request.auth, pk=establishment_id)
    return selectors.factors(request.auth).filter(establishment=row).order_by("year")


@router.post(
    "/establishments/{establishment_id}/factors",
    response={200: FactorOut, **ERRORS},
    summary="Record an establishment's 57号 factors of a year",
)
def save_factors(request: HttpRequest, establishment_id: int, payload: FactorIn):
    """Creates the year, or changes a recorded one (then ``version`` is required)."""
    row = get_visible(Establishment, request.auth, pk=establishment_id)
    saved = records.save_factors(
        actor=request.auth,
        establishment=row,
        year=payload.year,
        revenue_fen=payload.revenue_fen,
        payroll_fen=payload.payroll_fen,
        assets_fen=payload.assets_fen,
        note=payload.note,
        expected_version=payload.version,
    )
    return selectors.factors(request.auth).get(pk=saved.pk)


# --- projects --------------------------------------------------------------------------------------------


@router.get("/projects", response={200: list[ProjectOut], **LIST_ERRORS}, summary="List cooperation projects")
@cached_api_list
@paginate
def list_projects(request: HttpRequest, filters: ProjectFilter = Query(...)):
    return api_list(selectors.projects(request.auth), PROJECT_LIST, filters, request.auth)


@router.get("/projects/{code}", response={200: ProjectOut, **ERRORS}, summary="A project")
def get_project(request: HttpRequest, code: str):
    return get_visible(selectors.projects(request.auth), request.auth, code=code)


@router.post("/projects", response={201: ProjectOut, **ERRORS}, summary="Create a project (signed)")
def create_project(request: HttpRequest, payload: ProjectIn):
    user = request.auth
    project = projects.create_project(
        actor=user,
        code=payload.code,
        name=payload.name,
        name_en=payload.name_en,
        zone=_visible_ref(AdjacentZone.objects.all(), user, "zone", code=payload.zone),
        park=_park(user, payload.park),
        enterprise=_enterprise(user, payload.enterprise),
        mode=payload.mode,
        investment_fen=payload.investment_fen,
        signed_on=payload.signed_on,
        attracted_by=_places(payload.attracted_by, "attracted_by"),
        support_measures=payload.support_measures,
        support_measures_en=payload.support_measures_en,
        note=payload.note,
        note_en=payload.note_en,
    )
    return Status(201, selectors.projects(user).get(pk=project.pk))


@router.patch("/projects/{code}", response={200: ProjectOut, **ERRORS}, summary="Edit a project")
def update_project(request: HttpRequest, code: str, payload: ProjectPatch):
    """Its status is not edited here: take a step (``/projects/{code}/steps``)."""
    user = request.auth
    project = get_visible(Project, user, code=code)
    changes = payload.dict(exclude_unset=True)
    version = changes.pop("version")
    if "park" in changes:
        changes["park"] = _park(user, changes["park"])
    if "enterprise" in changes:
        changes["enterprise"] = _enterprise(user, changes["enterprise"])
    if "attracted_by" in changes:
        changes["attracted_by"] = _places(changes["attracted_by"] or [], "attracted_by")
    projects.update_project(actor=user, project=project, changes=changes, expected_version=version)
    return selectors.projects(user).get(pk=project.pk)


@router.post("/projects/{code}/steps", response={200: ProjectOut, **ERRORS}, summary="Take a workflow step")
def step_project(request: HttpRequest, code: str, payload: StepIn):
    """signed → ``start_construction`` → under construction → ``start_production`` → in production."""
    project = get_visible(Project, request.auth, code=code)
    projects.step_project(
        actor=request.auth,
        project=project,
        step=payload.step,
        expected_version=payload.version,
        note=payload.note,
    )
    return selectors.projects(request.auth).get(pk=project.pk)


# --- a zone's overview and fund --------------------------------------------------------------------------


def _rows(rows: list) -> list[dict[str, Any]]:
    return [
        {
            "label": r.label,
            "area_m2": r.area_m2,
            "projects": r.projects,
            "investment_fen": r.investment_fen,
            "business_revenue_fen": r.business_revenue_fen,
            "budget_revenue_fen": r.budget_revenue_fen,
        }
        for r in rows
    ]


@router.get(
    "/zones/{code}/overview", response={200: OverviewOut, **ERRORS}, summary="A zone's cooperation overview"
)
def zone_overview(request: HttpRequest, code: str):
    """Computed from the records the caller sees in the zone and the zones within it."""
    zone = get_visible(AdjacentZone, request.auth, code=code)
    o = overview_of(request.auth, zone)
    return {
        "zone": zone.code,
        "parks": o.parks,
        "area_m2": o.area_m2,
        "projects": o.projects,
        "investment_fen": o.investment_fen,
        "business_revenue_fen": o.business_revenue_fen,
        "budget_revenue_fen": o.budget_revenue_fen,
        "by_park": _rows(o.by_park),
        "by_year": _rows(o.by_year),
        "by_mode": _rows(o.by_mode),
    }


def _fund_zone(user: Any, code: str, action: str = "view") -> AdjacentZone:
    zone = AdjacentZone.objects.filter(code=code).first()
    if zone is None:
        raise NotFoundError()
    fund.require_fund(user, zone, action)
    return zone


@router.get(
    "/zones/{code}/fund", response={200: FundOut, **ERRORS}, summary="A zone's investment development fund"
)
def get_fund(request: HttpRequest, code: str, as_of: dt.date | None = None):
    """Commitments, contributions and disbursements, with each party's arrears and cost share on ``as_of``
    (default today). Read by the zone's office, leader and auditor and by its parties' finance bureaus."""
    user = request.auth
    zone = _fund_zone(user, code)
    commitments = list(selectors.commitments(user).filter(zone=zone))
    contributions = list(selectors.contributions(user).filter(zone=zone).order_by("date", "pk"))
    disbursements = list(selectors.disbursements(user).filter(zone=zone).order_by("date", "pk"))
    day = as_of or timezone.localdate()
    p = fund.fund_position(
        zone, commitments=commitments, contributions=contributions, disbursements=disbursements, as_of=day
    )
    return {
        "zone": zone.code,
        "as_of": day,
        "years": p.years,
        "parties": [
            {
                "party": x.party,
                "committed_by_year": x.committed_by_year,
                "committed_total_fen": x.committed_total,
                "committed_due_fen": x.committed_due,
                "contributed_fen": x.contributed,
                "contributed_by_kind": x.contributed_by_kind,
                "arrears_fen": x.arrears,
                "credit_fen": x.credit,
                "share_bp": x.share_bp,
            }
            for x in p.parties
        ],
        "committed_total_fen": p.committed_total,
        "committed_due_fen": p.committed_due,
        "contributed_fen": p.contributed,
        "arrears_fen": p.arrears,
        "disbursed_fen": p.disbursed,
        "balance_fen": p.balance,
        "commitments": commitments,
        "contributions": contributions,
        "disbursements": disbursements,
    }


@router.post(
    "/zones/{code}/fund/commitments",
    response={200: CommitmentOut, **ERRORS},
    summary="Record a party's commitment",
)
def save_commitment(request: HttpRequest, code: str, payload: CommitmentIn):
    """Creates the party's year, or changes a recorded one (then ``version`` is required)."""
    zone = _fund_zone(request.auth, code, "change")
    row = fund.save_commitment(
        actor=request.auth,
        zone=zone,
        party=_place(payload.party, "party"),
        year=payload.year,
        amount_fen=payload.amount_fen,
        reference=payload.reference,
        note=payload.note,
        expected_version=payload.version,
    )
    return selectors.commitments(request.auth).get(pk=row.pk)


@router.post(
    "/zones/{code}/fund/contributions",
    response={201: ContributionOut, **ERRORS},
    summary="Record a contribution",
)
def create_contribution(request: HttpRequest, code: str, payload: ContributionIn):
    zone = _fund_zone(request.auth, code, "change")
    row = fund.create_contribution(
        actor=request.auth,
        zone=zone,
        party=_place(payload.party, "party"),
        kind=payload.kind,
        amount_fen=payload.amount_fen,
        date=payload.date,
        reference=payload.reference,
        description=payload.description,
        note=payload.note,
    )
    return Status(201, selectors.contributions(request.auth).get(pk=row.pk))


@router.patch(
    "/fund/contributions/{contribution_id}",
    response={200: ContributionOut, **ERRORS},
    summary="Edit a contribution",
)
def update_contribution(request: HttpRequest, contribution_id: int, payload: ContributionPatch):
    row = get_visible(FundContribution, request.auth, pk=contribution_id)
    changes = payload.dict(exclude_unset=True)
    version = changes.pop("version")
    fund.update_contribution(actor=request.auth, contribution=row, changes=changes, expected_version=version)
    return selectors.contributions(request.auth).get(pk=row.pk)


@router.post(
    "/zones/{code}/fund/disbursements",
    response={201: DisbursementOut, **ERRORS},
    summary="Record a disbursement",
)
def create_disbursement(request: HttpRequest, code: str, payload: DisbursementIn):
    zone = _fund_zone(request.auth, code, "change")
    row = fund.create_disbursement(
        actor=request.auth,
        zone=zone,
        purpose=payload.purpose,
        name=payload.name,
        name_en=payload.name_en,
        amount_fen=payload.amount_fen,
        date=payload.date,
        resolution=payload.resolution,
        note=payload.note,
    )
    return Status(201, selectors.disbursements(request.auth).get(pk=row.pk))


@router.patch(
    "/fund/disbursements/{disbursement_id}",
    response={200: DisbursementOut, **ERRORS},
    summary="Edit a disbursement",
)
def update_disbursement(request: HttpRequest, disbursement_id: int, payload: DisbursementPatch):
    row = get_visible(FundDisbursement, request.auth, pk=disbursement_id)
    changes = payload.dict(exclude_unset=True)
    version = changes.pop("version")
    fund.update_disbursement(actor=request.auth, disbursement=row, changes=changes, expected_version=version)
    return selectors.disbursements(request.auth).get(pk=row.pk)


# --- the provinces' rules --------------------------------------------------------------------------------


@router.get(
    "/province-rules", response={200: list[ProvinceRuleOut], **LIST_ERRORS}, summary="The provinces' rules"
)
def list_province_rules(request: HttpRequest):
    """How each province shares the income tax of a head office whose branches all lie inside it (such an
    enterprise is outside 57号)."""
    return selectors.province_rules(request.auth).order_by("province__code")


@router.post(
    "/province-rules/{province}",
    response={200: ProvinceRuleOut, **ERRORS},
    summary="Record a province's rule",
)
def save_province_rule(request: HttpRequest, province: str, payload: ProvinceRuleIn):
    place = _place(province, "province")
    row = records.save_province_rule(
        actor=request.auth,
        province=place,
        apportioned_across_cities=payload.apportioned_across_cities,
        rule=payload.rule,
        rule_en=payload.rule_en,
        note=payload.note,
        note_en=payload.note_en,
        expected_version=payload.version,
    )
    return selectors.province_rules(request.auth).get(pk=row.pk)
