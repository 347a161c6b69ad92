"""Imports of parks, enterprises and projects (kit ``ImportSpec``): an edited export (or the filled-in
template) creates and updates records through the batched services. The columns are the lists' own
(lists.py), so an unedited export imports as "unchanged"; a record's place (its zone, an enterprise's
registered jurisdiction) is read for a new record only, and a project's status is the workflow's to change,
never an import's (its column is read and ignored).

References are resolved per batch, not per row: jurisdictions by code (or a name no other current
jurisdiction has), zones, parks, enterprises and organisations among those the user sees."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from typing import Any

from django.db.models import Q
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from tongcheng.core.models import AdjacentZone, Jurisdiction, Organisation
from tongcheng.core.money import parse_money
from tongcheng.core.validators import check_uscc
from tongcheng.kit.importing import ImportColumn, ImportSpec, fold, parse_date
from tongcheng.kit.listing import Column
from tongcheng.kit.services import ForbiddenError, ServiceError, ValidationFailed

from .industries import check_industry
from .lists import SEPARATORS
from .models import CooperationMode, Enterprise, Park, Project
from .services.base import member_paths, touches_zone
from .services.batch import BatchResult, create_records, update_records
from .services.projects import PROJECT_EDITABLE_FIELDS, PROJECT_M2M
from .services.records import ENTERPRISE_EDITABLE_FIELDS, PARK_EDITABLE_FIELDS, PARK_M2M

__all__ = ["enterprise_import_spec", "park_import_spec", "project_import_spec"]


# --- cells -----------------------------------------------------------------------------------------------


def _slug(text: str) -> str:
    if not (text.isascii() and all(c.isalnum() or c in "-_" for c in text)) or len(text) > 60:
        raise ValueError(_("Use at most 60 letters, digits, hyphens and underscores (no spaces)."))
    return text.lower()


def _version(text: str) -> str:
    return text  # read by the importer itself


def _many(text: str) -> list[str]:
    """Codes separated by ; ， 、 or commas (as the export writes them: 320111;341103)."""
    for separator in SEPARATORS[1:]:
        text = text.replace(separator, ";")
    return [part.strip() for part in text.split(";") if part.strip()]


def _area(text: str) -> int | None:
    if not text:
        return None
    digits = text.replace(",", "").replace("，", "").strip()
    if not (digits.isascii() and digits.isdigit()):
        raise ValueError(_("Enter the area as a whole number of square metres."))
    return int(digits)


def _money(text: str) -> int:
    return parse_money(text, default_unit="yuan") if text else 0


def _credit_code(text: str) -> str:
    return check_uscc(text)


# --- resolving references per batch ----------------------------------------------------------------------


def _jurisdictions(texts: Iterable[str]) -> dict[str, Jurisdiction | None]:
    """Current jurisdictions by code or by a name no other current one has (None: unknown or ambiguous)."""
    wanted = {t for t in texts if t}
    if not wanted:
        return {}
    rows = list(Jurisdiction.objects.current().filter(Q(code__in=wanted) | Q(name__in=wanted)))
    by_code = {j.code: j for j in rows}
    found: dict[str, Jurisdiction | None] = {}
    for text in wanted:
        named = [j for j in rows if j.name == text]
        found[text] = by_code.get(text) or (named[0] if len(named) == 1 else None)
    return found


def _zones(user: Any, texts: Iterable[str], action: str = "view") -> dict[str, AdjacentZone]:
    wanted = {t for t in texts if t}
    if not wanted:
        return {}
    found: dict[str, AdjacentZone] = {}
    rows = AdjacentZone.objects.visible_to(user, action).filter(
        Q(code__in=wanted) | Q(name__in=wanted) | Q(name_en__in=wanted)
    )
    for zone in rows:
        for text in (zone.code, zone.name, zone.name_en):
            if text in wanted:
                found.setdefault(text, zone)
    return found


def _unknown(field: str, value: str) -> ValidationFailed:
    return ValidationFailed(
        _("Nothing you may see has this code or name: %(value)s") % {"value": value}, field=field
    )


def _paths(zone_ids: Iterable[int]) -> dict[int, list[str]]:
    return {pk: member_paths(pk) for pk in set(zone_ids)}


def _touching(paths: list[str], places: Sequence[Jurisdiction | None], field: str) -> None:
    for place in places:
        if place is not None and not touches_zone(paths, place):
            raise ValidationFailed(
                _("%(name)s lies outside the members of the zone.") % {"name": place.name},
                code="outside_zone",
                field=field,
            )


Resolve = Callable[[int, Any], Any]


def _run(
    items: Sequence[Any],
    resolve: Resolve,
    call: Callable[[list[Any], bool], BatchResult],
    *,
    apply_valid: bool,
    write: bool,
) -> BatchResult:
    """Resolve each item's references (a refusal is kept under the item's index), call the batched service
    with the resolved ones, and report every refusal under the index the importer gave."""
    refused: dict[int, ServiceError] = {}
    good: list[Any] = []
    positions: list[int] = []
    for index, item in enumerate(items):
        try:
            good.append(resolve(index, item))
            positions.append(index)
        except ServiceError as exc:
            refused[index] = exc
    outcome = call(good, write and (apply_valid or not refused)) if good else BatchResult()
    outcome.errors = {positions[i]: e for i, e in outcome.errors.items()} | refused
    if refused and not apply_valid:
        outcome.written = False
    return outcome


# --- parks -----------------------------------------------------------------------------------------------


def _park_find(user: Any, keys: list[str]) -> dict[str, Any]:
    qs = Park.objects.visible_to(user, "change").select_related("zone", "host").prefetch_related("partners")
    wanted = {k.strip().lower(): k for k in keys}
    return {wanted[p.code]: p for p in qs.filter(code__in=list(wanted))}


def _park_refs(user: Any, rows: Sequence[dict[str, Any]]) -> tuple[dict, dict]:
    texts = [r.get("host", "") for r in rows] + [c for r in rows for c in r.get("partners", []) or []]
    places = _jurisdictions(texts)
    keys = {r.get("managing_organisation") for r in rows if r.get("managing_organisation")}
    organisations = {o.key: o for o in Organisation.objects.visible_to(user).filter(key__in=keys)}
    return places, organisations


def _park_values(values: dict[str, Any], places: dict, organisations: dict) -> dict[str, Any]:
    out = dict(values)
    if "host" in values:
        out["host"] = places.get(values["host"]) or _raise(_unknown("host", values["host"]))
    if "partners" in values:
        out["partners"] = [places.get(c) or _raise(_unknown("partners", c)) for c in values["partners"]]
    if "managing_organisation" in values:
        key = values["managing_organisation"]
        out["managing_organisation"] = (
            (organisations.get(key) or _raise(_unknown("managing_organisation", key))) if key else None
        )
    return out


def _raise(error: ServiceError) -> Any:
    raise error


def _park_update(user: Any, items: list[tuple[Any, dict[str, Any], Any]], *, apply_valid: bool, write: bool):
    places, organisations = _park_refs(user, [c for _o, c, _v in items])
    paths = _paths(obj.zone_id for obj, _c, _v in items)

    def resolve(_index: int, item: Any) -> Any:
        obj, changes, version = item
        return obj, _park_values(changes, places, organisations), version

    def check(obj: Any, changes: dict[str, Any]) -> None:
        _touching(paths[obj.zone_id], [changes.get("host")], "host")
        _touching(paths[obj.zone_id], changes.get("partners", []), "partners")

    return _run(
        items,
        resolve,
        lambda good, w: update_records(
            actor=user,
            model=Park,
            updates=good,
            fields=(*PARK_EDITABLE_FIELDS, *PARK_M2M),
            m2m_fields=PARK_M2M,
            audit_action="park.update",
            check=check,
            apply_valid=apply_valid,
            write=w,
        ),
        apply_valid=apply_valid,
        write=write,
    )


def _park_create(user: Any, rows: list[dict[str, Any]], *, apply_valid: bool, write: bool):
    places, organisations = _park_refs(user, rows)
    zones = _zones(user, [r.get("zone", "") for r in rows], "change")
    paths = _paths(z.pk for z in zones.values())
    partners: list[list[Jurisdiction]] = []

    def resolve(_index: int, row: dict[str, Any]) -> Park:
        zone = zones.get(row["zone"])
        if zone is None:
            raise ForbiddenError(_("You may not create a park there."), field="zone")
        values = _park_values(row, places, organisations)
        _touching(paths[zone.pk], [values["host"]], "host")
        _touching(paths[zone.pk], values.get("partners", []), "partners")
        partners.append(values.pop("partners", []))
        values.pop("zone")
        return Park(zone=zone, **values)

    return _run(
        rows,
        resolve,
        lambda good, w: create_records(
            actor=user,
            instances=good,
            audit_action="park.create",
            refusal=_("You may not create a park there."),
            m2m=[{"partners": p} for p in partners],
            data=lambda p: {"code": p.code},
            apply_valid=apply_valid,
            write=w,
        ),
        apply_valid=apply_valid,
        write=write,
    )


def _same_zone(obj: Any, text: str) -> bool:
    return fold(text) in {fold(obj.zone.code), fold(obj.zone.name), fold(obj.zone.name_en or obj.zone.code)}


def _key_help(what: Any) -> Any:
    return gettext_lazy(
        "Identifies the %(what)s: a key you may change updates that record; a new key with an empty version "
        "creates one."
    ) % {"what": what}


VERSION_HELP = gettext_lazy(
    "Keep the number the export gave: a row edited from an old export is refused rather than overwrite newer "
    "work. Leave it empty for a new record."
)
CODES_HELP = gettext_lazy("Administrative division codes separated by semicolons, e.g. 320111;341103.")
DEMO_COLUMN = Column("synthetic", gettext_lazy("Demo data"))


def park_import_spec() -> ImportSpec:
    return ImportSpec(
        key="code",
        find=_park_find,
        update=_park_update,
        create=_park_create,
        export_columns=[DEMO_COLUMN],
        columns=[
            ImportColumn(
                "code", gettext_lazy("Code"), _slug, required=True, help=_key_help(gettext_lazy("park"))
            ),
            ImportColumn("name", gettext_lazy("Name"), required=True, help=gettext_lazy("Chinese name.")),
            ImportColumn("name_en", gettext_lazy("English name")),
            ImportColumn(
                "zone",
                gettext_lazy("Zone"),
                required=True,
                create_only=True,
                same=_same_zone,
                help=gettext_lazy("A zone you manage, by code or name. Read for a new park only."),
            ),
            ImportColumn(
                "host",
                gettext_lazy("Host jurisdiction"),
                required=True,
                help=gettext_lazy(
                    "The administrative division code (GB/T 2260) of the place the park lies in."
                ),
            ),
            ImportColumn(
                "managing_organisation",
                gettext_lazy("Managing organisation"),
                help=gettext_lazy("The key of an organisation; may be empty."),
            ),
            ImportColumn("partners", gettext_lazy("Partner jurisdictions"), _many, help=CODES_HELP),
            ImportColumn(
                "area_m2",
                gettext_lazy("Area (m²)"),
                _area,
                help=gettext_lazy("Whole square metres; may be empty."),
            ),
            ImportColumn(
                "established", gettext_lazy("Established"), parse_date, help=gettext_lazy("YYYY-MM-DD.")
            ),
            ImportColumn("closed", gettext_lazy("Closed"), parse_date, help=gettext_lazy("YYYY-MM-DD.")),
            ImportColumn("note", gettext_lazy("Note")),
            ImportColumn("note_en", gettext_lazy("English note")),
            ImportColumn("version", gettext_lazy("Version"), _version, help=VERSION_HELP),
        ],
    )


# --- enterprises -----------------------------------------------------------------------------------------


def _enterprise_find(user: Any, keys: list[str]) -> dict[str, Any]:
    qs = Enterprise.objects.visible_to(user, "change").select_related("jurisdiction", "zone")
    wanted = {k.strip().upper(): k for k in keys}
    return {wanted[e.credit_code]: e for e in qs.filter(credit_code__in=list(wanted))}


def _enterprise_update(
    user: Any, items: list[tuple[Any, dict[str, Any], Any]], *, apply_valid: bool, write: bool
):
    return update_records(
        actor=user,
        model=Enterprise,
        updates=items,
        fields=ENTERPRISE_EDITABLE_FIELDS,
        audit_action="enterprise.update",
        apply_valid=apply_valid,
        write=write,
    )


def _enterprise_create(user: Any, rows: list[dict[str, Any]], *, apply_valid: bool, write: bool):
    places = _jurisdictions(r.get("jurisdiction", "") for r in rows)
    zones = _zones(user, [r.get("zone", "") for r in rows], "change")

    def resolve(_index: int, row: dict[str, Any]) -> Enterprise:
        place = places.get(row.get("jurisdiction", ""))
        if place is None:
            raise _unknown("jurisdiction", row.get("jurisdiction", ""))
        zone = None
        if row.get("zone"):
            zone = zones.get(row["zone"])
            if zone is None:
                raise ForbiddenError(_("You may not create an enterprise there."), field="zone")
        values = {k: v for k, v in row.items() if k not in {"jurisdiction", "zone"}}
        return Enterprise(jurisdiction=place, zone=zone, **values)

    return _run(
        rows,
        resolve,
        lambda good, w: create_records(
            actor=user,
            instances=good,
            audit_action="enterprise.create",
            refusal=_("You may not create an enterprise there."),
            data=lambda e: {"credit_code": e.credit_code},
            apply_valid=apply_valid,
            write=w,
        ),
        apply_valid=apply_valid,
        write=write,
    )


def _same_jurisdiction(obj: Any, text: str) -> bool:
    return fold(text) in {fold(obj.jurisdiction.code), fold(obj.jurisdiction.name)}


def _same_enterprise_zone(obj: Any, text: str) -> bool:
    return obj.zone_id is not None and _same_zone(obj, text)


def enterprise_import_spec() -> ImportSpec:
    return ImportSpec(
        key="credit_code",
        find=_enterprise_find,
        update=_enterprise_update,
        create=_enterprise_create,
        export_columns=[DEMO_COLUMN],
        columns=[
            ImportColumn(
                "credit_code",
                gettext_lazy("Unified social credit code"),
                _credit_code,
                required=True,
                help=gettext_lazy("18 characters (GB 32100), the check character verified."),
            ),
            ImportColumn("name", gettext_lazy("Name"), required=True, help=gettext_lazy("Chinese name.")),
            ImportColumn("name_en", gettext_lazy("English name")),
            ImportColumn(
                "industry",
                gettext_lazy("Industry (GB/T 4754)"),
                check_industry,
                required=True,
                help=gettext_lazy("A section letter, or the letter and a two-digit division such as C39."),
            ),
            ImportColumn(
                "jurisdiction",
                gettext_lazy("Registered jurisdiction"),
                required=True,
                create_only=True,
                same=_same_jurisdiction,
                help=gettext_lazy("The administrative division code. Read for a new enterprise only."),
            ),
            ImportColumn(
                "zone",
                gettext_lazy("Kept by the zone"),
                create_only=True,
                same=_same_enterprise_zone,
                help=gettext_lazy(
                    "A zone you manage, by code or name; may be empty. Read for a new enterprise only."
                ),
            ),
            ImportColumn("note", gettext_lazy("Note")),
            ImportColumn("note_en", gettext_lazy("English note")),
            ImportColumn("version", gettext_lazy("Version"), _version, help=VERSION_HELP),
        ],
    )


# --- projects --------------------------------------------------------------------------------------------


def _project_find(user: Any, keys: list[str]) -> dict[str, Any]:
    qs = (
        Project.objects.visible_to(user, "change")
        .select_related("zone", "park", "enterprise")
        .prefetch_related("attracted_by")
    )
    wanted = {k.strip().lower(): k for k in keys}
    return {wanted[p.code]: p for p in qs.filter(code__in=list(wanted))}


def _project_refs(user: Any, rows: Sequence[dict[str, Any]]) -> tuple[dict, dict, dict]:
    places = _jurisdictions(c for r in rows for c in r.get("attracted_by", []) or [])
    park_codes = {r["park"] for r in rows if r.get("park")}
    parks = {p.code: p for p in Park.objects.visible_to(user).filter(code__in=park_codes)}
    credit_codes = {str(r["enterprise"]).upper() for r in rows if r.get("enterprise")}
    enterprises = {
        e.credit_code: e for e in Enterprise.objects.visible_to(user).filter(credit_code__in=credit_codes)
    }
    return places, parks, enterprises


def _project_values(values: dict[str, Any], places: dict, parks: dict, enterprises: dict) -> dict[str, Any]:
    out = dict(values)
    if "investment" in out:
        out["investment_fen"] = out.pop("investment")
    if "park" in values:
        code = values["park"]
        out["park"] = (parks.get(code) or _raise(_unknown("park", code))) if code else None
    if "enterprise" in values:
        code = str(values["enterprise"] or "").upper()
        out["enterprise"] = (enterprises.get(code) or _raise(_unknown("enterprise", code))) if code else None
    if "attracted_by" in values:
        out["attracted_by"] = [
            places.get(c) or _raise(_unknown("attracted_by", c)) for c in values["attracted_by"]
        ]
    return out


def _check_project(zone_id: int, paths: list[str], values: dict[str, Any]) -> None:
    park = values.get("park")
    if park is not None and park.zone_id != zone_id:
        raise ValidationFailed(
            _("The park %(park)s belongs to another zone.") % {"park": park.name},
            code="park_in_other_zone",
            field="park",
        )
    _touching(paths, values.get("attracted_by", []), "attracted_by")


def _project_update(
    user: Any, items: list[tuple[Any, dict[str, Any], Any]], *, apply_valid: bool, write: bool
):
    places, parks, enterprises = _project_refs(user, [c for _o, c, _v in items])
    paths = _paths(obj.zone_id for obj, _c, _v in items)

    def resolve(_index: int, item: Any) -> Any:
        obj, changes, version = item
        return obj, _project_values(changes, places, parks, enterprises), version

    return _run(
        items,
        resolve,
        lambda good, w: update_records(
            actor=user,
            model=Project,
            updates=good,
            fields=(*PROJECT_EDITABLE_FIELDS, *PROJECT_M2M),
            m2m_fields=PROJECT_M2M,
            audit_action="project.update",
            check=lambda obj, changes: _check_project(obj.zone_id, paths[obj.zone_id], changes),
            apply_valid=apply_valid,
            write=w,
        ),
        apply_valid=apply_valid,
        write=write,
    )


def _project_create(user: Any, rows: list[dict[str, Any]], *, apply_valid: bool, write: bool):
    places, parks, enterprises = _project_refs(user, rows)
    zones = _zones(user, [r.get("zone", "") for r in rows], "change")
    paths = _paths(z.pk for z in zones.values())
    attracted: list[list[Jurisdiction]] = []

    def resolve(_index: int, row: dict[str, Any]) -> Project:
        zone = zones.get(row["zone"])
        if zone is None:
            raise ForbiddenError(_("You may not create a project there."), field="zone")
        values = _project_values(row, places, parks, enterprises)
        _check_project(zone.pk, paths[zone.pk], values)
        attracted.append(values.pop("attracted_by", []))
        values.pop("zone")
        return Project(zone=zone, **values)

    return _run(
        rows,
        resolve,
        lambda good, w: create_records(
            actor=user,
            instances=good,
            audit_action="project.create",
            refusal=_("You may not create a project there."),
            m2m=[{"attracted_by": a} for a in attracted],
            data=lambda p: {"code": p.code, "mode": p.mode, "investment_fen": p.investment_fen},
            apply_valid=apply_valid,
            write=w,
        ),
        apply_valid=apply_valid,
        write=write,
    )


def project_import_spec() -> ImportSpec:
    return ImportSpec(
        key="code",
        find=_project_find,
        update=_project_update,
        create=_project_create,
        # The status moves through the workflow only; the demo flag is not the importer's to say.
        export_columns=[Column("status", gettext_lazy("Status")), DEMO_COLUMN],
        columns=[
            ImportColumn(
                "code", gettext_lazy("Code"), _slug, required=True, help=_key_help(gettext_lazy("project"))
            ),
            ImportColumn("name", gettext_lazy("Name"), required=True, help=gettext_lazy("Chinese name.")),
            ImportColumn("name_en", gettext_lazy("English name")),
            ImportColumn(
                "zone",
                gettext_lazy("Zone"),
                required=True,
                create_only=True,
                same=_same_zone,
                help=gettext_lazy("A zone you manage, by code or name. Read for a new project only."),
            ),
            ImportColumn("park", gettext_lazy("Park"), help=gettext_lazy("The park's code; may be empty.")),
            ImportColumn(
                "enterprise",
                gettext_lazy("Enterprise"),
                help=gettext_lazy("The enterprise's unified social credit code; may be empty."),
            ),
            ImportColumn(
                "mode", gettext_lazy("Cooperation mode"), required=True, choices=CooperationMode.choices
            ),
            ImportColumn(
                "investment",
                gettext_lazy("Investment (yuan)"),
                _money,
                help=gettext_lazy("In yuan, at most two decimals (12.5万元 and 1.2亿元 are read too)."),
            ),
            ImportColumn(
                "signed_on", gettext_lazy("Signed on"), parse_date, help=gettext_lazy("YYYY-MM-DD.")
            ),
            ImportColumn("attracted_by", gettext_lazy("Attracted jointly by"), _many, help=CODES_HELP),
            ImportColumn("support_measures", gettext_lazy("Support measures")),
            ImportColumn("support_measures_en", gettext_lazy("English support measures")),
            ImportColumn("note", gettext_lazy("Note")),
            ImportColumn("note_en", gettext_lazy("English note")),
            ImportColumn("version", gettext_lazy("Version"), _version, help=VERSION_HELP),
        ],
    )
