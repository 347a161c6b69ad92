"""Core API router: jurisdictions, zones, organisations, the signed-in user and their tokens.

Endpoints are thin: scoping comes from ``visible_to``; writes go through services."""

import datetime as dt

from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _
from ninja import Query, Router, Status
from ninja.pagination import paginate

from tongcheng.kit.api_uploads import csrf_after_checks, multipart_body, read_multipart
from tongcheng.kit.filters import api_list, query_schema
from tongcheng.kit.importing import TableError, read_table
from tongcheng.kit.jobs.api import JobAcceptedOut, job_accepted
from tongcheng.kit.jobs.imports import start_import_job
from tongcheng.kit.pagecache import cached_api_list
from tongcheng.kit.services import ServiceError, get_visible
from tongcheng.kit.uploads import upload_limit

from . import selectors
from .imports import check_may_import, organisation_import_spec
from .models import AdjacentZone, ApiToken, Jurisdiction, MetroArea
from .schemas import (
    ErrorOut,
    GrantOut,
    JurisdictionOut,
    MeOut,
    OrganisationImportIn,
    OrganisationOut,
    PersonOut,
    TokenCreatedOut,
    TokenIn,
    TokenOut,
    ZoneDecisionIn,
    ZoneIn,
    ZoneOut,
    ZonePatch,
)
from .services import accounts, zones
from .views.jurisdictions import JURISDICTION_LIST
from .views.organisations import ORGANISATION_LIST
from .views.people import PERSON_LIST
from .views.zones import ZONE_LIST

router = Router(tags=["core"])
ERRORS = {400: ErrorOut, 401: ErrorOut, 403: ErrorOut, 404: ErrorOut, 409: ErrorOut, 422: ErrorOut}
LIST_ERRORS = {400: ErrorOut, 401: ErrorOut, 422: ErrorOut}
UPLOAD_ERRORS = {400: ErrorOut, 401: ErrorOut, 403: ErrorOut, 404: ErrorOut, 413: ErrorOut, 422: ErrorOut}

# The lists' query parameters are the pages' own (kit/filters.py): one declaration, one validation.
JurisdictionFilter = query_schema(JURISDICTION_LIST, "JurisdictionFilter", "Code prefix or part of the name")
ZoneFilter = query_schema(ZONE_LIST, "ZoneFilter", "Part of the name, English name or code")
PersonFilter = query_schema(PERSON_LIST, "PersonFilter", "Part of the name or position")
OrganisationFilter = query_schema(
    ORGANISATION_LIST, "OrganisationFilter", "Part of the name, English name or key"
)


@router.get(
    "/jurisdictions", response={200: list[JurisdictionOut], **LIST_ERRORS}, summary="List jurisdictions"
)
@cached_api_list
@paginate
def list_jurisdictions(
    request: HttpRequest,
    filters: JurisdictionFilter = Query(...),
    at: dt.date | None = None,
    include_former: bool = False,
):
    """Divisions valid on ``at`` (default today); ``include_former`` lists abolished codes too."""
    qs = selectors.jurisdictions(request.auth, None if include_former else (at or timezone.localdate()))
    return api_list(qs, JURISDICTION_LIST, filters, request.auth)


@router.get(
    "/jurisdictions/{code}", response={200: JurisdictionOut, **ERRORS}, summary="Look up a code at a date"
)
def get_jurisdiction(request: HttpRequest, code: str, at: dt.date | None = None):
    """The jurisdiction that carried ``code`` on ``at`` (default today). An abolished code resolves to the
    record of its time; follow ``successor_code`` to today's."""
    qs = Jurisdiction.objects.select_related("parent", "successor").valid_on(at or timezone.localdate())
    return get_visible(qs, request.auth, code=code)


@router.get("/zones", response={200: list[ZoneOut], **LIST_ERRORS}, summary="List adjacent zones")
@cached_api_list
@paginate
def list_zones(request: HttpRequest, filters: ZoneFilter = Query(...)):
    return api_list(selectors.zones(request.auth), ZONE_LIST, filters, request.auth)


@router.get("/zones/{code}", response={200: ZoneOut, **ERRORS})
def get_zone(request: HttpRequest, code: str):
    return get_visible(selectors.zones(request.auth), request.auth, code=code)


@router.post("/zones", response={201: ZoneOut, **ERRORS}, summary="Define a new adjacent zone")
def create_zone(request: HttpRequest, payload: ZoneIn):
    metro = get_visible(MetroArea, request.auth, code=payload.metro)
    zone = zones.create_zone(
        actor=request.auth,
        metro=metro,
        code=payload.code,
        name=payload.name,
        name_en=payload.name_en,
        kind=payload.kind,
        established=payload.established,
        planning_area_km2=payload.planning_area_km2,
        start_area_km2=payload.start_area_km2,
        description=payload.description,
        members=[
            zones.MemberSpec(code=m.code, party_code=m.party_code, role=m.role) for m in payload.members
        ],
    )
    return Status(201, selectors.zones(request.auth).get(pk=zone.pk))


@router.patch("/zones/{code}", response={200: ZoneOut, **ERRORS}, summary="Edit a zone")
def update_zone(request: HttpRequest, code: str, payload: ZonePatch):
    zone = get_visible(AdjacentZone, request.auth, code=code)
    changes = payload.dict(exclude_unset=True)
    version = changes.pop("version")
    zones.update_zone(actor=request.auth, zone=zone, changes=changes, expected_version=version)
    return selectors.zones(request.auth).get(pk=zone.pk)


@router.post("/zones/{code}/approve", response={200: ZoneOut, **ERRORS}, summary="Approve a proposed zone")
def approve_zone(request: HttpRequest, code: str, payload: ZoneDecisionIn):
    """The metropolitan-area office approves a zone that reached beyond its proposer's territory; the
    proposer becomes its office."""
    zone = get_visible(AdjacentZone, request.auth, code=code)
    zones.approve_zone(actor=request.auth, zone=zone, note=payload.note)
    return selectors.zones(request.auth).get(pk=zone.pk)


@router.post("/zones/{code}/reject", response={200: ZoneOut, **ERRORS}, summary="Reject a proposed zone")
def reject_zone(request: HttpRequest, code: str, payload: ZoneDecisionIn):
    zone = get_visible(AdjacentZone, request.auth, code=code)
    zones.reject_zone(actor=request.auth, zone=zone, note=payload.note)
    return selectors.zones(request.auth).get(pk=zone.pk)


@router.get(
    "/organisations", response={200: list[OrganisationOut], **LIST_ERRORS}, summary="List organisations"
)
@cached_api_list
@paginate
def list_organisations(request: HttpRequest, filters: OrganisationFilter = Query(...)):
    return api_list(selectors.organisations(request.auth), ORGANISATION_LIST, filters, request.auth)


# Declared before /organisations/{key}: the URL patterns are tried in this order.
@router.post(
    "/organisations/import",
    response={202: JobAcceptedOut, **UPLOAD_ERRORS},
    summary="Import organisations (in the background)",
    openapi_extra=multipart_body(OrganisationImportIn),
)
@csrf_after_checks
def import_organisations(request: HttpRequest):
    """Import an edited export of the organisation list, or the filled import template (the page
    /organisations/import/ offers both, in .csv and .xlsx), exactly as the import page does: a row with a
    key you may change updates that organisation and carries the version it was exported with; a new key
    with an empty version creates one.

    The import always runs as a background job: the answer is **202** with the job, whose URL is in the
    `Location` header and in `url`. Poll `GET /api/v1/jobs/{id}` until `status` is `succeeded` or
    `failed`. Every row is checked before anything is written: when a row is refused, nothing is written and
    the job fails, unless `apply_good_rows` is true (then the other rows are written and the job succeeds).
    The refused rows, each with its row number and column, are the job's result: a CSV report at
    `result_url` (`GET /api/v1/jobs/{id}/result`).

    Refused before the body is read: 401 without valid credentials; 403 when you see organisations but may
    change none, 404 when you see none; 413 (field `file`) when the declared body is larger than the upload
    limit, or the file grows past it while it is received. A file that cannot be read as a table (neither
    UTF-8 nor GBK text, not an .xlsx workbook, another file type) is 400 `invalid_table` (field `file`), and
    nothing is stored. An unknown form field is 422 `unknown_field`. A browser session sends its CSRF token
    (header `X-CSRFToken`, or the form field `csrfmiddlewaretoken`); an API token needs none."""
    check_may_import(request.auth)
    form = read_multipart(request, OrganisationImportIn, limit=upload_limit())
    upload = form.file
    try:
        # Enough to know that it is a table (its encoding or archive, and its header); the rows are the job's.
        read_table(upload.name, upload.file)
    except TableError as exc:
        raise ServiceError(
            exc.message,
            code="invalid_table",
            field="file",
            errors=[{"field": "file", "code": exc.code, "message": exc.message}],
        ) from None
    job = start_import_job(
        request.auth,
        organisation_import_spec,
        upload,
        kind="core.organisation_import",
        title=_("Import of organisations from %(name)s") % {"name": upload.name},
        apply_good_rows=form.apply_good_rows,
    )
    return job_accepted(request, job)


@router.get("/organisations/{key}", response={200: OrganisationOut, **ERRORS})
def get_organisation(request: HttpRequest, key: str):
    return get_visible(selectors.organisations(request.auth), request.auth, key=key)


@router.get("/people", response={200: list[PersonOut], **LIST_ERRORS}, summary="List people")
@cached_api_list
@paginate
def list_people(request: HttpRequest, filters: PersonFilter = Query(...)):
    """The people of the organisations you see; ID numbers are masked."""
    return api_list(selectors.people(request.auth), PERSON_LIST, filters, request.auth)


@router.get("/me", response=MeOut, summary="The signed-in user and their role grants")
def me(request: HttpRequest):
    user = request.auth
    grants = [
        GrantOut(role=g.role, scope=str(g.scope))
        for g in user.grants.active().select_related("metro", "zone", "jurisdiction", "organisation")
    ]
    return MeOut(
        username=user.username, display_name=user.display_name, language=user.language or "", grants=grants
    )


@router.get("/me/tokens", response=list[TokenOut], summary="Your API tokens")
def list_tokens(request: HttpRequest):
    """Every token you made, with when it was created, last used (updated at most once a minute),
    expires and was revoked. Keys are never shown again. A token may list its owner's tokens."""
    return ApiToken.objects.filter(user=request.auth)


@router.post("/me/tokens", response={201: TokenCreatedOut, **ERRORS}, summary="Create an API token")
def create_token(request: HttpRequest, payload: TokenIn):
    """Only a signed-in session may create a token; a call authenticated by a token is refused with 403
    ``session_required``. Every token expires (``expires_in_days``)."""
    token, key = accounts.create_api_token(
        actor=request.auth, name=payload.name, expires_in_days=payload.expires_in_days
    )
    return Status(201, {**TokenOut.from_orm(token).dict(), "key": key})


@router.delete("/me/tokens/{token_id}", response={204: None, **ERRORS}, summary="Revoke an API token")
def revoke_token(request: HttpRequest, token_id: int):
    """A session revokes any of its user's tokens; a token may revoke only itself (403
    ``session_required`` for another)."""
    accounts.revoke_api_token(actor=request.auth, token_id=token_id)
    return Status(204, None)
