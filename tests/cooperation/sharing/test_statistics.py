"""The statistical split of a zone (S-B3, sharing/statistics.py): the stored indicators of the enterprises of
its approved agreements attributed per party and month by the engine, with the appraisal-only flag; the page
and its exports in the user's language, the API, who reads them (like the fund), and a bad period refused
naming the field."""

from __future__ import annotations

import csv
import io

import openpyxl
import pytest
from django.utils import translation

from tongcheng.cooperation.models import IndicatorValue
from tongcheng.cooperation.sharing.statistics import statistical_split
from tongcheng.cooperation.sharing.testing import approve, make_agreement, make_version, user
from tongcheng.core.models import AdjacentZone
from tongcheng.kit.services import NotFoundError, ValidationFailed

pytestmark = pytest.mark.django_db

ENT = "91341103MA2X00010G"  # not in the demo: the crafted agreement's only enterprise
API = "/api/v1/cooperation/zones/pukou-nanqiao/statistics"
PAGE = "/cooperation/zones/pukou-nanqiao/statistics/"
RULES = {
    "scope": {"enterprises": [ENT]},
    "tax_types": ["VAT"],
    "base": {"kind": "local_share", "fraction_bp": 10000},
    "ratio": {"kind": "fixed", "bp": [6000, 4000]},
    "statistics": {"bp": {"gdp": [7000, 3000]}, "double_count": True},
}


@pytest.fixture
def crafted():
    """浦口—南谯 (南谯 341103 host, 浦口 320111 partner): GDP split 7:3 and double counted, revenue counted in
    place; GDP 1,001 in 2030-01 and 2,000 in 2030-02, revenue 555 in 2030-01."""
    agreement = make_agreement("office_pn", code="stat-test", title="统计分算测试协议")
    approve("office_pn", make_version("office_pn", agreement, effective_from="2030-01", rules=RULES))
    zone = AdjacentZone.objects.get(code="pukou-nanqiao")
    for period, indicator, value in ((203001, "gdp", 1001), (203002, "gdp", 2000), (203001, "revenue", 555)):
        IndicatorValue.objects.create(
            zone=zone, enterprise=ENT, period=period, indicator=indicator, value=value
        )
    return zone


def _mine(rows):
    return [r for r in rows if r.agreement == "stat-test"]


def test_the_split_gives_each_party_its_exact_share_and_flags_appraisal_figures(crafted):
    split = statistical_split(user("office_pn"), crafted, "2030-01", "2030-02")
    lines = [
        (
            s.period,
            s.indicator,
            s.jurisdiction,
            s.role,
            s.total,
            s.attributed,
            s.appraisal,
            s.appraisal_only,
            s.method,
        )
        for s in _mine(split.lines)
    ]
    assert lines == [
        # 1,001 × 7:3 = 700.7 : 300.3, the remaining unit to the larger remainder (the host)
        ("2030-01", "gdp", "341103", "host", 1001, 701, 1001, True, "ratio"),
        ("2030-01", "gdp", "320111", "partner", 1001, 300, 1001, True, "ratio"),
        ("2030-02", "gdp", "341103", "host", 2000, 1400, 2000, True, "ratio"),
        ("2030-02", "gdp", "320111", "partner", 2000, 600, 2000, True, "ratio"),
        # no ratio for revenue: the host counts it where the activity is
        ("2030-01", "revenue", "341103", "host", 555, 555, 555, True, "in_place"),
        ("2030-01", "revenue", "320111", "partner", 555, 0, 555, True, "in_place"),
    ]
    totals = [(t.indicator, t.jurisdiction, t.total, t.attributed, t.appraisal) for t in _mine(split.totals)]
    assert totals == [
        ("gdp", "341103", 3001, 2101, 3001),
        ("gdp", "320111", 3001, 900, 3001),
        ("revenue", "341103", 555, 555, 555),
        ("revenue", "320111", 555, 0, 555),
    ]
    # attributed always adds up to the enterprises' total
    assert sum(t.attributed for t in _mine(split.totals) if t.indicator == "gdp") == 3001
    # months outside the range are not read
    assert not _mine(statistical_split(user("office_pn"), crafted, "2030-02", "2030-02").lines)[4:]
    assert [
        s.period for s in _mine(statistical_split(user("office_pn"), crafted, "2030-02", "2030-03").lines)
    ] == [
        "2030-02",
        "2030-02",
    ]


@pytest.mark.parametrize(
    "first,last,field",
    [
        ("2030-13", "2030-02", "from"),
        ("", "2030-02", "from"),
        ("2030-01", "2030/02", "to"),
        ("2030-03", "2030-01", "to"),
        ("2000-01", "2030-01", "to"),
    ],
)
def test_a_bad_period_is_refused_naming_the_field(crafted, first, last, field):
    with pytest.raises(ValidationFailed) as refused:
        statistical_split(user("office_pn"), crafted, first, last)
    assert refused.value.field == field and refused.value.status == 422


def test_the_api_gives_lines_and_totals_and_422_for_a_bad_month(crafted, client_for):
    body = client_for("finance_pukou").get(f"{API}?from=2030-01&to=2030-02").json()
    assert (body["first"], body["last"]) == ("2030-01", "2030-02")
    gdp = [t for t in body["totals"] if t["agreement"] == "stat-test" and t["indicator"] == "gdp"]
    assert [(t["jurisdiction"], t["attributed"], t["appraisal"], t["appraisal_only"]) for t in gdp] == [
        ("341103", 2101, 3001, True),
        ("320111", 900, 3001, True),
    ]
    bad = client_for("office_pn").get(f"{API}?from=2030-01&to=2030-00")
    assert bad.status_code == 422 and bad.json()["field"] == "to"


@pytest.mark.parametrize(
    "actor,status",
    [
        ("office_pn", 200),
        ("leader_pn", 200),
        ("auditor_pn", 200),
        ("office_metro", 200),
        ("finance_pukou", 200),
        ("finance_nanqiao", 200),
        ("officer_pukou", 404),
        ("office_jb", 404),
        ("finance_jiangning", 404),
    ],
)
def test_who_reads_the_split(crafted, client_for, actor, status):
    client = client_for(actor)
    assert client.get(f"{API}?from=2030-01&to=2030-02").status_code == status
    assert client.get(f"{PAGE}?from=2030-01&to=2030-02").status_code == status
    if status == 404:
        with pytest.raises(NotFoundError):
            statistical_split(user(actor), crafted, "2030-01", "2030-02")


def test_the_page_marks_appraisal_only_figures_and_names_a_bad_field(crafted, client_for):
    client = client_for("office_pn")
    with translation.override("en"):
        page = client.get(f"{PAGE}?from=2030-01&to=2030-02", HTTP_ACCEPT_LANGUAGE="en")
    html = page.content.decode()
    assert page.status_code == 200
    assert 'data-testid="row-gdp-stat-test-341103" class="table-warning"' in html
    assert html.count('data-testid="appraisal-only"') >= 4
    bad = client.get(f"{PAGE}?from=2030-1&to=2030-02")
    assert bad.status_code == 422 and 'data-field="from"' in bad.content.decode()


def test_the_exports_are_in_the_users_language(crafted, client_for):
    client = client_for("office_pn")
    client.cookies["django_language"] = "zh-hans"
    response = client.get(f"{PAGE}?from=2030-01&to=2030-02&export=csv", HTTP_ACCEPT_LANGUAGE="zh-hans")
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert rows[0][0] == "指标" and rows[0][7] == "分算数"
    mine = [r for r in rows[1:] if r[2] == "统计分算测试协议"]
    assert mine[0][6:10] == ["1001", "701", "1001", "是"]
    client.cookies["django_language"] = "en"
    book = client.get(f"{PAGE}?from=2030-01&to=2030-02&export=xlsx", HTTP_ACCEPT_LANGUAGE="en")
    sheet = openpyxl.load_workbook(io.BytesIO(book.content)).active
    values = list(sheet.values)
    assert values[0][0] == "Indicator"
    first = next(v for v in values[1:] if v[2] == "统计分算测试协议")
    assert (first[0], first[1], first[6], first[7], first[8], first[9]) == (
        "GDP / value added",
        "2030-01",
        1001,
        701,
        1001,
        "Yes",
    )
