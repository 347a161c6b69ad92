"""The map's district boundaries (tongcheng/core/geo.py) are read from disk once per process, not on every
request: the files are 3 MB of JSON, and every zone page and the metro map ask for them."""

from __future__ import annotations

import builtins
import functools

import pytest

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
    first["features"][0]["properties"]["label"] = "changed"
    first["features"][0]["id"] = "changed"
    second = geo.feature_collection(["320100"])
    assert second["features"][0]["properties"]["label"] != "changed"
    assert second["features"][0]["id"] != "changed"
