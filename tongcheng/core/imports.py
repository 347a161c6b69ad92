"""The import of organisations (机构导入): which columns a file may have, how each is read, and the batched
services that create and update through it. The page, the API, the background job and the benchmark all
import with ``organisation_import_spec()``."""

from __future__ import annotations

from typing import Any

from django.db.models import Q
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from tongcheng.kit.importing import ImportColumn, ImportSpec, fold, parse_date
from tongcheng.kit.listing import Column
from tongcheng.kit.services import ForbiddenError, NotFoundError, ServiceError, ValidationFailed

from .models import AdjacentZone, Jurisdiction, Organisation, OrganisationKind
from .services import organisations
from .services.organisations import BatchResult

__all__ = ["check_may_import", "organisation_import_spec"]


def check_may_import(user: Any) -> None:
    """Who may import organisations (the page and the API alike): whoever may change one. A user who sees
    organisations but may change none is refused (ForbiddenError, 403); one who sees none is told there is
    nothing here (NotFoundError, 404)."""
    if not Organisation.objects.visible_to(user, "change").exists():
        if Organisation.objects.visible_to(user).exists():
            raise ForbiddenError()
        raise NotFoundError()


def _key(text: str) -> str:
    if not (text.isascii() and all(c.isalnum() or c in "-_" for c in text)) or len(text) > 80:
        raise ValueError(_("Use at most 80 letters, digits, hyphens and underscores (no spaces)."))
    return text


def _version(text: str) -> str:
    return text  # read by the importer itself (ImportSpec.version)


def _same_jurisdiction(org: Any, text: str) -> bool:
    return fold(text) in {fold(org.jurisdiction.code), fold(org.jurisdiction.name)}


def _same_zone(org: Any, text: str) -> bool:
    # A zone the user may not see is never confirmed (the export leaves its cell empty).
    if org.zone_id is None or not getattr(org, "visible_zone_code", None):
        return False
    return fold(text) in {fold(org.zone.code), fold(org.zone.name), fold(org.zone.name_en or org.zone.code)}


def _find(user: Any, keys: list[str]) -> dict[str, Any]:
    return organisations.changeable_by_key(actor=user, keys=keys)


def _update(user: Any, items: list[tuple[Any, dict[str, Any], Any]], *, apply_valid: bool, write: bool):
    return organisations.update_organisations(
        actor=user,
        updates=[organisations.OrganisationUpdate(obj, changes, version) for obj, changes, version in items],
        apply_valid=apply_valid,
        write=write,
    )


def _jurisdictions(texts: set[str]) -> dict[str, Jurisdiction | None]:
    """Current jurisdictions by their code or name (both public, GB/T 2260); a name that several carry
    (鼓楼区 is in Nanjing, Xuzhou and Fuzhou) maps to None."""
    found: dict[str, Jurisdiction | None] = {}
    if not texts:
        return found
    rows = list(Jurisdiction.objects.current().filter(Q(code__in=texts) | Q(name__in=texts)))
    by_code = {j.code: j for j in rows}
    for text in texts:
        if text in by_code:
            found[text] = by_code[text]
            continue
        named = [j for j in rows if j.name == text]
        found[text] = named[0] if len(named) == 1 else None
    return found


def _zones(user: Any, texts: set[str]) -> dict[str, AdjacentZone]:
    """The zones the user sees, by code, name or English name; an unknown one and one out of sight are
    alike (absent)."""
    if not texts:
        return {}
    rows = AdjacentZone.objects.visible_to(user).filter(
        Q(code__in=texts) | Q(name__in=texts) | Q(name_en__in=texts)
    )
    found: dict[str, AdjacentZone] = {}
    for zone in rows:
        for text in (zone.code, zone.name, zone.name_en):
            if text in texts:
                found.setdefault(text, zone)
    return found


def _create(user: Any, rows: list[dict[str, Any]], *, apply_valid: bool, write: bool) -> BatchResult:
    places = _jurisdictions({r["jurisdiction"] for r in rows if r.get("jurisdiction")})
    zones = _zones(user, {r["zone"] for r in rows if r.get("zone")})
    refused: dict[int, ServiceError] = {}
    items: list[organisations.NewOrganisation] = []
    positions: list[int] = []
    for index, row in enumerate(rows):
        place = places.get(row.get("jurisdiction", ""))
        if place is None:
            refused[index] = ValidationFailed(
                _("No current jurisdiction has this code or (unique) name: %(value)s")
                % {"value": row.get("jurisdiction", "")},
                field="jurisdiction",
            )
            continue
        zone = None
        if row.get("zone"):
            zone = zones.get(row["zone"])
            if zone is None:  # the same words as for a zone the user sees but may not add to
                refused[index] = ForbiddenError(_("You may not create an organisation there."), field="zone")
                continue
        items.append(
            organisations.NewOrganisation(
                key=row["key"],
                name=row["name"],
                kind=row["kind"],
                jurisdiction=place,
                zone=zone,
                name_en=row.get("name_en", ""),
                description=row.get("description", ""),
                description_en=row.get("description_en", ""),
                established=row.get("established"),
            )
        )
        positions.append(index)
    outcome = organisations.create_organisations(
        actor=user, items=items, apply_valid=apply_valid, write=write and (apply_valid or not refused)
    )
    outcome.errors = {positions[i]: e for i, e in outcome.errors.items()} | refused
    if refused and not apply_valid:
        outcome.written = False
    return outcome


def organisation_import_spec() -> ImportSpec:
    """Columns in the order of the list's export (``ORGANISATION_LIST``), whose labels they share."""
    return ImportSpec(
        key="key",
        find=_find,
        update=_update,
        create=_create,
        # Written by the list's export for the reader, not read back: whether a record is demo data is not
        # the importer's to say.
        export_columns=[Column("synthetic", gettext_lazy("Demo data"))],
        columns=[
            ImportColumn(
                "key",
                gettext_lazy("Key"),
                _key,
                required=True,
                help=gettext_lazy(
                    "Identifies the organisation: letters, digits and hyphens. A key you may change updates "
                    "that organisation; a new key with an empty version creates one."
                ),
            ),
            ImportColumn("name", gettext_lazy("Name"), required=True, help=gettext_lazy("Chinese name.")),
            ImportColumn("name_en", gettext_lazy("English name")),
            ImportColumn("kind", gettext_lazy("Kind"), required=True, choices=OrganisationKind.choices),
            ImportColumn(
                "jurisdiction",
                gettext_lazy("Jurisdiction"),
                required=True,
                create_only=True,
                same=_same_jurisdiction,
                help=gettext_lazy(
                    "The administrative division code (GB/T 2260), or its name when no other division "
                    "has it. Read for a new organisation only."
                ),
            ),
            ImportColumn(
                "zone",
                gettext_lazy("Zone"),
                create_only=True,
                same=_same_zone,
                help=gettext_lazy(
                    "A zone you manage, by name or code; may be empty. Read for a new organisation only."
                ),
            ),
            ImportColumn(
                "established",
                gettext_lazy("Established"),
                parse_date,
                help=gettext_lazy("A date as YYYY-MM-DD; may be empty."),
            ),
            ImportColumn("description", gettext_lazy("Description")),
            ImportColumn("description_en", gettext_lazy("English description")),
            ImportColumn(
                "version",
                gettext_lazy("Version"),
                _version,
                help=gettext_lazy(
                    "Keep the number the export gave: a row edited from an old export is refused rather "
                    "than overwrite newer work. Leave it empty for a new organisation."
                ),
            ),
        ],
    )
