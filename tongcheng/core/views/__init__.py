"""Pages of the core app, one module per subject. Thin: read through the selectors, change through the
services. The URL configuration names them from here (the import's columns are in ``core/imports.py``)."""

from .account import set_language, tokens
from .audit import audit_list
from .documents import organisation_documents, zone_sheet
from .grants import grant_create, grant_detail, grant_list, grant_withdraw
from .home import healthz, home
from .jurisdictions import jurisdiction_detail, jurisdiction_list
from .organisations import (
    organisation_create,
    organisation_detail,
    organisation_edit,
    organisation_import,
    organisation_import_template,
    organisation_list,
    person_create,
    person_edit,
    person_unmask,
)
from .people import person_list
from .pickers import pick
from .zones import geojson, metro_map, zone_create, zone_decide, zone_detail, zone_edit, zone_list

__all__ = [
    "audit_list",
    "geojson",
    "grant_create",
    "grant_detail",
    "grant_list",
    "grant_withdraw",
    "healthz",
    "home",
    "jurisdiction_detail",
    "jurisdiction_list",
    "metro_map",
    "organisation_create",
    "organisation_detail",
    "organisation_edit",
    "organisation_documents",
    "organisation_import",
    "organisation_import_template",
    "organisation_list",
    "person_create",
    "person_edit",
    "person_list",
    "person_unmask",
    "pick",
    "set_language",
    "tokens",
    "zone_create",
    "zone_decide",
    "zone_detail",
    "zone_edit",
    "zone_list",
    "zone_sheet",
]
