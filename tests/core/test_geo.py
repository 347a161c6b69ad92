"""The map's district boundaries (tongcheng/core/geo.py) are read from disk once per process, not on every
request: the files are 3 MB of JSON, and every zone page and the metro map ask for them."""

from __future__ import annotations

import builtins
import functools
import json
import math
import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tongcheng.core import geo

pytestmark = pytest.mark.django_db


def test_each_geo_file_is_opened_once(monkeypatch):
    """Given an empty cache, when every city's features are asked for three times (as three map requests do),
    then each .geojson file was opened exactly once, and the loader is an lru_cache large enough to hold
    every city."""
    opened: list[str] = []
    real_open = builtins.open

    def counting_open(file, *args, **kwargs):
        if str(file).endswith(".geojson"):
            opened.append(str(file))
        return real_open(file, *args, **kwargs)

    assert isinstance(geo._raw_city, functools._lru_cache_wrapper)
    assert geo._raw_city.cache_parameters()["maxsize"] >= len(geo.CITY_FILES)
    geo._raw_city.cache_clear()
    monkeypatch.setattr(builtins, "open", counting_open)
    try:
        for _ in range(3):
            collection = geo.feature_collection(list(geo.CITY_FILES))
    finally:
        monkeypatch.undo()
        geo._raw_city.cache_clear()
    assert collection["features"], "no feature at all: the count below would prove nothing"
    assert sorted(opened) == sorted(str(geo.GEO_DIR / name) for name in geo.CITY_FILES.values())


def test_the_cached_data_is_not_changed_by_a_request():
    """Given the cached features of 南京, when a collection is built, then its features are new objects: a caller
    that edits its copy (ids, labels) cannot change what the next request gets."""
    first = geo.feature_collection(["320100"])
    first["features"][0]["properties"]["name"] = "changed"
    first["features"][0]["id"] = "changed"
    first["features"][0]["geometry"]["coordinates"][0][0] = [0, 0]
    second = geo.feature_collection(["320100"])
    assert second["features"][0]["properties"]["name"] != "changed"
    assert second["features"][0]["id"] != "changed"
    assert second["features"][0]["geometry"]["coordinates"][0][0] != [0, 0]


def _points(geometry: dict) -> list:
    polygons = [geometry["coordinates"]] if geometry["type"] == "Polygon" else geometry["coordinates"]
    return [point for polygon in polygons for ring in polygon for point in ring]


def test_the_served_boundaries_are_compact_and_every_district_keeps_a_closed_shape():
    """Given every city of the metropolitan area, when the boundary document is built, then it is under
    400 KB (the files hold 3.3 MB), every ring is still closed with at least four points, and no district
    lost its place: each simplified district's extent stays within 0.002° of the original's."""
    body, etag = geo.collection_document(list(geo.CITY_FILES))
    assert len(body) < 400_000, len(body)
    assert etag.startswith('"') and len(etag) > 10
    current = geo.current_codes()
    for city, name in geo.CITY_FILES.items():
        raw = json.loads((geo.GEO_DIR / name).read_text(encoding="utf-8"))["features"]
        served = geo.city_features(city, current)
        assert len(served) == len(raw), city
        for feature, simplified in zip(raw, served, strict=True):
            shape = simplified["geometry"]
            polygons = [shape["coordinates"]] if shape["type"] == "Polygon" else shape["coordinates"]
            for ring in (r for polygon in polygons for r in polygon):
                assert len(ring) >= 4 and ring[0] == ring[-1], (city, feature["id"])
            before, after = _points(feature["geometry"]), _points(shape)
            for axis in (0, 1):
                assert abs(min(p[axis] for p in before) - min(p[axis] for p in after)) < 0.002, feature["id"]
                assert abs(max(p[axis] for p in before) - max(p[axis] for p in after)) < 0.002, feature["id"]


@given(
    st.lists(
        st.tuples(st.floats(-10, 10, allow_nan=False), st.floats(-10, 10, allow_nan=False)),
        min_size=2,
        max_size=60,
    ),
    st.floats(0.0001, 1),
)
def test_simplify_keeps_the_ends_and_drops_only_points_near_the_line(points, tolerance):
    """Douglas–Peucker's promise: the ends stay, the kept points are a subsequence of the input, and every
    dropped point lies within the tolerance of the simplified line."""
    line = [list(p) for p in points]
    kept = geo.simplify(line, tolerance)
    assert kept[0] == line[0] and kept[-1] == line[-1]
    it = iter(line)
    assert all(any(p == q for q in it) for p in kept)

    def distance(p, a, b):
        dx, dy = b[0] - a[0], b[1] - a[1]
        length = dx * dx + dy * dy
        t = 0 if length == 0 else min(1, max(0, ((p[0] - a[0]) * dx + (p[1] - a[1]) * dy) / length))
        return math.hypot(p[0] - a[0] - t * dx, p[1] - a[1] - t * dy)

    for p in line:
        assert (
            min(distance(p, a, b) for a, b in zip(kept, kept[1:], strict=False)) <= tolerance * (1 + 1e-9)
            or p in kept
        )


def test_the_boundaries_are_compressed_and_revalidated(client_for):
    """Given a signed-in reader, when the metro map's boundaries are fetched with gzip, then they come
    compressed; fetched again with the ETag, the answer is a 304 without a body."""
    client = client_for("office_metro")
    cities = ",".join(geo.CITY_FILES)
    first = client.get(f"/geo.json?cities={cities}", HTTP_ACCEPT_ENCODING="gzip")
    assert first.status_code == 200 and first["Content-Encoding"] == "gzip"
    assert len(first.content) < 150_000, len(first.content)
    again = client.get(f"/geo.json?cities={cities}", HTTP_IF_NONE_MATCH=first["ETag"])
    assert again.status_code == 304 and again.content == b""


def _metro_payload(client) -> dict:
    html = client.get("/metro/").content.decode()
    return json.loads(re.search(r'id="metro-map-data" type="application/json">(.*?)</script>', html).group(1))


def test_the_metro_map_names_districts_and_zones_in_the_readers_language(client_for):
    """Given the metro office, when the metro page is read in Chinese and then in English, then the map's
    district labels and zone names follow the language (浦口区 / Pukou District)."""
    client = client_for("office_metro")
    chinese = _metro_payload(client)
    assert chinese["labels"]["320111"] == "浦口区"
    assert "浦口—南谯跨界一体化发展示范区" in chinese["zones"]
    client.post("/language/", {"language": "en", "next": "/metro/"})
    english = _metro_payload(client)
    assert english["labels"]["320111"] == "Pukou District"
    assert not any(re.search(r"[\u4e00-\u9fff]", name) for name in english["zones"]), english["zones"]


def test_the_metro_map_draws_whole_city_members_over_their_districts(client_for):
    """Given 宁淮合作, whose members are the cities of 南京 and 淮安, when the metro page is read, then
    every current district of 淮安 is coloured for it (lighter: ``broad``), and 浦口区 lists 宁淮特别合作区
    (its narrower zone) before it."""
    from tongcheng.core.models import Jurisdiction

    payload = _metro_payload(client_for("office_metro"))
    regions = {r["name"]: r for r in payload["regions"]}
    huaian = set(
        Jurisdiction.objects.current()
        .filter(level="county", parent__code="320800")
        .values_list("code", flat=True)
    )
    assert huaian and all(
        regions[code]["broad"] and "宁淮合作" in regions[code]["zones"] for code in huaian - {"320830"}
    )
    assert regions["320830"]["zones"][0] == "宁淮特别合作区" and not regions["320830"]["broad"]
    assert regions["320111"]["zones"].index("宁淮合作") > 0
