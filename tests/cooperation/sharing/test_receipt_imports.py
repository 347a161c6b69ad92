"""Imports of receipts, indicators and factors (sharing/imports.py): the bad-input corpus (each broken file
gives its report, naming row and column, and writes nothing), re-imports that update instead of duplicating,
the good rows applied with their rejects downloadable, imports scoped to the importer's treasuries, and the
stored receipts giving the engine exactly what the command line reads from the same file."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import openpyxl
import pytest
from django.test import override_settings
from django.utils import translation

from tongcheng.cooperation.engine import local_shares
from tongcheng.cooperation.engine.reading import read_receipts_summed
from tongcheng.cooperation.engine.settle import settle
from tongcheng.cooperation.models import ApportionmentFactor, IndicatorValue, Receipt, ReceiptSum
from tongcheng.cooperation.sharing import canonical, loader
from tongcheng.cooperation.sharing.imports import import_table, template
from tongcheng.core.models import AdjacentZone, AuditEntry, User
from tongcheng.kit.services import ForbiddenError, NotFoundError

pytestmark = pytest.mark.django_db

BAD = Path(__file__).resolve().parents[1] / "bad_files"
HEADER = "receipt_id,enterprise,jurisdiction,period,tax_type,amount_yuan"
A, B = "91341103MA2X00010G", "91341103MA2X00020H"
GOOD_ROWS = [
    ("R1", A, "341103", "2026-01", "VAT", "10000.01"),
    ("R2", B, "341103", "2026-02", "CIT", "5000"),
    ("R3", A, "320111", "2026-02", "VAT", "-10.5"),
]


@pytest.fixture(autouse=True)
def english():
    with translation.override("en"):
        yield


def _csv(rows, header=HEADER, encoding="utf-8", bom=False) -> bytes:
    text = header + "\n" + "".join(",".join(r) + "\n" for r in rows)
    data = text.encode(encoding)
    return (b"\xef\xbb\xbf" + data) if bom else data


def _xlsx(rows, header=None, merged_title=False) -> bytes:
    header = header or HEADER.split(",")
    book = openpyxl.Workbook()
    sheet = book.active
    if merged_title:
        sheet.append(["税收入库明细（演示）"])
        sheet.merge_cells(start_row=1, start_column=1, end_row=1, end_column=len(header))
    sheet.append(header)
    for r in rows:
        sheet.append(list(r))
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _zone(code="pukou-nanqiao"):
    return AdjacentZone.objects.get(code=code)


def _import(data: bytes, name="r.csv", actor="office_pn", zone="pukou-nanqiao", dataset="receipts", **kw):
    return import_table(User.objects.get(username=actor), _zone(zone), dataset, name, io.BytesIO(data), **kw)


def _bad_file(name):
    return (BAD / name).read_bytes()


def _rows_with(**change):
    rows = [list(r) for r in GOOD_ROWS]
    for key, value in change.items():
        index, column = key.rsplit("_", 1)
        rows[int(index[1:])][int(column)] = value
    return rows


# --- the bad-input corpus -------------------------------------------------------------------------------
# (kind, file name, bytes, (row, column, words the message holds))

CORPUS = [
    (
        "wrong headers",
        "r.csv",
        lambda: _csv(GOOD_ROWS, header="no,code,treasury,month,tax,yuan"),
        (1, "no", "Unknown column no"),
    ),
    (
        "missing amount column",
        "r.csv",
        lambda: _bad_file("missing_amount_column.csv"),
        (1, "amount_yuan", "is missing"),
    ),
    (
        "amount in yuan and in fen",
        "r.csv",
        lambda: _csv([(*r, "1") for r in GOOD_ROWS], header=HEADER + ",amount"),
        (1, "amount_yuan", "one column only"),
    ),
    (
        "a column twice",
        "r.csv",
        lambda: _bad_file("header_amount_twice.csv"),
        (1, "amount", "names the column amount twice"),
    ),
    (
        "a column twice, by case",
        "r.csv",
        lambda: _bad_file("header_amount_and_Amount.csv"),
        (1, "Amount", "twice"),
    ),
    (
        "bad credit code",
        "r.csv",
        lambda: _bad_file("enterprise_check_character.csv"),
        (2, "enterprise", "check character"),
    ),
    ("empty credit code", "r.csv", lambda: _bad_file("enterprise_empty.csv"), (4, "enterprise", "required")),
    (
        "unknown jurisdiction",
        "r.csv",
        lambda: _csv(_rows_with(r1_2="999999")),
        (3, "jurisdiction", "999999 is not a known GB/T 2260 code"),
    ),
    (
        "jurisdiction of five digits",
        "r.csv",
        lambda: _bad_file("jurisdiction_five_digits.csv"),
        (2, "jurisdiction", "not a 6-digit"),
    ),
    (
        "jurisdiction abolished before the month",
        "r.csv",
        lambda: _csv(_rows_with(r0_2="320103")),
        (2, "jurisdiction", "320103 is not in use in 2026"),
    ),
    (
        "three decimals",
        "r.csv",
        lambda: _csv(_rows_with(r2_5="12.345")),
        (4, "amount_yuan", "has 3 decimals"),
    ),
    ("text amount", "r.csv", lambda: _csv(_rows_with(r1_5="五千元")), (3, "amount_yuan", "not an amount")),
    (
        "thousands separator in yuan",
        "r.csv",
        lambda: _csv([r[:5] + ('"1,234.50"',) for r in GOOD_ROWS]),
        (2, "amount_yuan", "thousands separator"),
    ),
    (
        "decimal point in fen",
        "r.csv",
        lambda: _bad_file("amount_decimal_fen.csv"),
        (3, "amount", "has a decimal point"),
    ),
    (
        "scientific notation",
        "r.csv",
        lambda: _bad_file("amount_scientific.csv"),
        (2, "amount", "scientific notation"),
    ),
    ("19 digits", "r.csv", lambda: _bad_file("amount_19_digits.csv"), (2, "amount", "")),
    ("empty amount", "r.csv", lambda: _bad_file("amount_empty.csv"), (5, "amount", "required")),
    (
        "circled digits",
        "r.csv",
        lambda: _bad_file("amount_circled_digits.csv"),
        (2, "amount", "not an amount"),
    ),
    (
        "duplicate receipt ids",
        "r.csv",
        lambda: _csv(_rows_with(r2_0="R1")),
        (4, "receipt_id", "already in row 2"),
    ),
    (
        "month outside every agreement",
        "r.csv",
        lambda: _csv(_rows_with(r1_3="2019-03")),
        (3, "period", "No agreement of the zone pukou-nanqiao is in force in 2019-03"),
    ),
    (
        "month written 2026/03",
        "r.csv",
        lambda: _bad_file("period_slash.csv"),
        (3, "period", "not a month written YYYY-MM"),
    ),
    (
        "month 13 in full width",
        "r.csv",
        lambda: _bad_file("period_fullwidth_month_13.csv"),
        (2, "period", "2026-13"),
    ),
    (
        "unknown tax type",
        "r.csv",
        lambda: _bad_file("tax_type_unknown.csv"),
        (2, "tax_type", "Unknown tax type"),
    ),
    (
        "GBK file with a bad row",
        "r.csv",
        lambda: _csv(_rows_with(r1_4="增值税X"), encoding="gbk"),
        (3, "tax_type", "增值税X"),
    ),
    (
        "UTF-8 with BOM, a bad row",
        "r.csv",
        lambda: _csv(_rows_with(r0_1="91341103MA2X00010H"), bom=True),
        (2, "enterprise", "check character"),
    ),
    ("UTF-8 then GBK", "r.csv", lambda: _bad_file("mixed_utf8_then_gbk.csv"), (4, "", "Line 4 is not UTF-8")),
    ("empty file", "r.csv", lambda: b"", (1, "", "empty")),
    ("header only", "r.csv", lambda: (HEADER + "\n").encode(), (2, "", "no rows")),
    (
        "merged header cells",
        "r.xlsx",
        lambda: _xlsx(GOOD_ROWS, merged_title=True),
        (1, "税收入库明细（演示）", "Unknown column"),
    ),
    (
        "formula cell",
        "r.xlsx",
        lambda: _bad_file("xlsx_formula_cell.xlsx"),
        (3, "", "Cell F3 holds a formula"),
    ),
    ("zip bomb", "r.xlsx", lambda: _bad_file("xlsx_zip_bomb.xlsx"), (1, "", "compressed more than")),
    ("CSV named .xlsx", "r.xlsx", lambda: _bad_file("xlsx_that_is_csv.xlsx"), (1, "", "not a valid .xlsx")),
    ("NUL byte", "r.csv", lambda: _bad_file("nul_byte.csv"), (4, "", "NUL")),
    (
        "a row with more values than the header",
        "r.csv",
        lambda: _bad_file("row_with_too_many_fields.csv"),
        (3, "", "more values than the header"),
    ),
    ("binary garbage", "r.csv", lambda: _bad_file("binary_garbage.csv"), (2, "", "neither UTF-8 nor GBK")),
    (
        "spreadsheet of another kind",
        "r.ods",
        lambda: _bad_file("unsupported_type.ods"),
        (1, "", "Upload a .csv or .xlsx file"),
    ),
]


@pytest.mark.parametrize("kind,name,content,expected", CORPUS, ids=[c[0] for c in CORPUS])
def test_a_broken_file_gives_its_report_and_writes_nothing(kind, name, content, expected):
    """Given a file broken in one way, when office_pn imports it into 浦口—南谯, then nothing is written
    (no receipt, no sum, no audit entry) and the report's first error names the row, the column and the
    fault."""
    before = (Receipt.objects.count(), ReceiptSum.objects.count(), AuditEntry.objects.count())
    outcome = _import(content(), name)
    assert not outcome.applied
    assert (Receipt.objects.count(), ReceiptSum.objects.count(), AuditEntry.objects.count()) == before
    row, column, words = expected
    assert outcome.errors, kind
    first = outcome.errors[0]
    assert (first.row, first.column) == (row, column), (kind, first)
    assert words in first.message, (kind, first.message)


def test_the_corpus_has_at_least_twenty_kinds():
    assert len(CORPUS) >= 20


@override_settings(TONGCHENG_IMPORT_MAX_ROWS=1000)
def test_a_file_longer_than_the_limit_is_refused_whole():
    rows = [(f"R{i}", A, "341103", "2026-01", "VAT", "1") for i in range(1001)]
    outcome = _import(_csv(rows))
    assert not outcome.applied and "more than 1000 rows" in outcome.errors[0].message
    assert not Receipt.objects.filter(receipt_id="R1").exists()


@pytest.mark.slow
def test_a_million_row_file_with_one_bad_row_at_its_end_writes_nothing(tmp_path):
    """Given a CSV of 1,000,000 receipts whose last one has three decimals, when imported, then the whole file
    is read in batches, the one bad row is reported by its row number, and nothing is written."""
    path = tmp_path / "big.csv"
    with path.open("w", encoding="utf-8") as f:
        f.write(HEADER + "\n")
        for i in range(999_999):
            f.write(f"B{i},{A},341103,2026-0{1 + i % 9},VAT,{i % 5000}.{i % 100:02d}\n")
        f.write(f"B-last,{B},341103,2026-01,VAT,1.005\n")
    before = Receipt.objects.count()
    with path.open("rb") as handle:
        outcome = import_table(User.objects.get(username="office_pn"), _zone(), "receipts", "big.csv", handle)
    assert outcome.rows == 1_000_000 and outcome.error_count == 1
    assert (outcome.errors[0].row, outcome.errors[0].column) == (1_000_001, "amount_yuan")
    assert Receipt.objects.count() == before


# --- what is written ------------------------------------------------------------------------------------


def test_a_good_file_is_written_and_summed_and_audited_once():
    """Given three good receipts (元 with decimals, a refund), when imported, then they are stored in fen,
    their sums are ready for the engine, and one audit entry on the zone names the file and the counts."""
    outcome = _import(_csv(GOOD_ROWS))
    assert outcome.applied and (outcome.created, outcome.updated, outcome.unchanged) == (3, 0, 0)
    stored = dict(
        Receipt.objects.filter(zone=_zone(), receipt_id__in=["R1", "R2", "R3"]).values_list(
            "receipt_id", "amount_fen"
        )
    )
    assert stored == {"R1": 1000001, "R2": 500000, "R3": -1050}
    assert all(type(v) is int for v in stored.values())
    assert (
        ReceiptSum.objects.filter(zone=_zone(), period=202602, enterprise=B, tax_type="CIT").get().amount_fen
        == 500000
    )
    entry = AuditEntry.objects.get(action="receipts.import")
    assert entry.zone_id == _zone().pk
    assert entry.data["created"] == 3 and entry.data["file"] == "r.csv"


def test_reimporting_an_edited_export_updates_instead_of_duplicating():
    """Given the three receipts imported, when the file is imported again with one amount changed, then that
    receipt is updated (and the sums follow), the other two are unchanged, and there are still three."""
    _import(_csv(GOOD_ROWS))
    edited = _csv(_rows_with(r1_5="6000"))
    outcome = _import(edited)
    assert (outcome.created, outcome.updated, outcome.unchanged) == (0, 1, 2)
    assert Receipt.objects.filter(zone=_zone(), receipt_id__in=["R1", "R2", "R3"]).count() == 3
    assert Receipt.objects.get(zone=_zone(), receipt_id="R2").amount_fen == 600000
    assert (
        ReceiptSum.objects.get(zone=_zone(), period=202602, enterprise=B, tax_type="CIT").amount_fen == 600000
    )


def test_a_receipt_moved_to_another_month_leaves_no_stale_sum():
    _import(_csv(GOOD_ROWS))
    _import(_csv(_rows_with(r1_3="2026-03")))
    assert not ReceiptSum.objects.filter(zone=_zone(), period=202602, enterprise=B, tax_type="CIT").exists()
    assert (
        ReceiptSum.objects.get(zone=_zone(), period=202603, enterprise=B, tax_type="CIT").amount_fen == 500000
    )


def test_gbk_bom_and_xlsx_files_import_alike():
    """Given the same receipts as GBK CSV with the Chinese tax name, as UTF-8 with BOM, and as .xlsx (amounts
    as numbers, the month as a date cell), then all three import to the same stored rows."""
    gbk = _csv([r[:4] + ("增值税(国内)",) + r[5:] if r[4] == "VAT" else r for r in GOOD_ROWS], encoding="gbk")
    assert _import(gbk).created == 3
    assert _import(_csv(GOOD_ROWS, bom=True)).unchanged == 3
    import datetime as dt

    xlsx_rows = [
        (r[0], r[1], r[2], dt.datetime(int(r[3][:4]), int(r[3][5:]), 1), r[4], float(r[5])) for r in GOOD_ROWS
    ]
    assert _import(_xlsx(xlsx_rows), "r.xlsx").unchanged == 3


def test_the_good_rows_can_be_applied_and_the_rejects_downloaded():
    """Given a file with one bad row, when imported with apply_good_rows, then the two good rows are written,
    the outcome says one row was refused, and the rejects file holds that row as given with its error."""
    outcome = _import(_csv(_rows_with(r1_5="12.345")), apply_good_rows=True)
    assert outcome.applied and outcome.created == 2 and outcome.refused == 1
    rejects = list(csv.reader(io.StringIO(outcome.rejects.decode("utf-8-sig"))))
    assert rejects[0][0] == "Row" and rejects[0][-1] == "Errors"
    assert rejects[1][:2] == ["3", "R2"] and "3 decimals" in rejects[1][-1]
    assert not Receipt.objects.filter(zone=_zone(), receipt_id="R2").exists()


def test_a_finance_bureau_imports_its_own_treasurys_receipts_only():
    """Given finance_nanqiao (南谯区财政局), when it imports receipts collected by 南谯 (341103) and one by
    浦口 (320111), then the whole file is refused at the 浦口 row; the 南谯 rows alone import."""
    outcome = _import(_csv(GOOD_ROWS), actor="finance_nanqiao")
    assert not outcome.applied
    assert [(e.row, e.column) for e in outcome.errors] == [(4, "jurisdiction")]
    assert _import(_csv(GOOD_ROWS[:2]), actor="finance_nanqiao").created == 2


@pytest.mark.parametrize(
    "actor,refusal",
    [("leader_pn", ForbiddenError), ("office_jb", NotFoundError), ("finance_jiangning", NotFoundError)],
)
def test_who_may_not_import_is_refused_before_the_file_is_read(actor, refusal):
    with pytest.raises(refusal):
        _import(_csv(GOOD_ROWS), actor=actor)


def test_the_template_has_chinese_headers_and_a_filled_template_imports():
    """Given the receipts template in Chinese, then its headers are the Chinese labels; a CSV with those
    headers and the good rows imports."""
    with translation.override("zh-hans"):
        response = template("receipts", "csv")
        header = response.content.decode("utf-8-sig").strip().split(",")
        assert header[:2] == ["税票号码", "统一社会信用代码"]
        outcome = _import(_csv(GOOD_ROWS, header=",".join(header[:6])))
    assert outcome.created == 3


def test_stored_receipts_give_the_engine_what_the_command_line_reads_from_the_file(tmp_path):
    """Given a receipts file imported into 浦口—南谯, when the zone's receipts of 2026-01..2026-03 are loaded
    from the database (together with the demo's) and settled, then the allocations and positions of the
    imported enterprises equal those of the same file read by the command line's reader."""
    demo = next(iter(canonical.agreements_for_engine(_zone(), "2026-01..2026-03").agreements))
    ent = demo.enterprises[0]
    rows = [
        (f"X{i}", ent, "341103", f"2026-0{1 + i % 3}", ("VAT", "CIT")[i % 2], f"{1000 + i * 7}.{i % 100:02d}")
        for i in range(60)
    ]
    _import(_csv(rows))
    first, last = canonical.month("2026-01"), canonical.month("2026-03")
    agreements = canonical.agreements_for_engine(_zone(), (first, last))
    fen_rows = [(r[0], r[1], r[2], r[3], r[4], str(int(round(float(r[5]) * 100)))) for r in rows]
    path = tmp_path / "receipts.csv"
    # The command line's file holds every stored receipt of the zone in those months (the demo's too).
    stored = Receipt.objects.filter(zone=_zone(), period__gte=202601, period__lte=202603).values_list(
        "receipt_id", "enterprise", "jurisdiction", "period", "tax_type", "amount_fen"
    )
    lines = [f"{r[0]},{r[1]},{r[2]},{r[3] // 100}-{r[3] % 100:02d},{r[4]},{r[5]}" for r in stored]
    path.write_text(
        "receipt_id,enterprise,jurisdiction,period,tax_type,amount\n" + "\n".join(lines) + "\n",
        encoding="utf-8",
    )
    assert len(lines) >= len(fen_rows)
    errors: list[str] = []
    shares = local_shares.load_shipped()
    from_file = read_receipts_summed(path, {r.tax_type for r in shares}, errors, agreements).receipts
    assert errors == [] and from_file is not None
    from_db = loader.receipts_for_engine(_zone(), first, last, agreements=agreements)
    a, b = settle(from_file, agreements, first, last), settle(from_db, agreements, first, last)
    assert a.totals == b.totals
    assert sorted(zip(a.alloc_period.tolist(), a.alloc_share.tolist(), strict=True)) == sorted(
        zip(b.alloc_period.tolist(), b.alloc_share.tolist(), strict=True)
    )
    assert a.transfers == b.transfers


# --- indicators and factors -------------------------------------------------------------------------------


def test_indicators_import_with_labels_or_codes_and_update_by_their_natural_key():
    data = _csv(
        [(A, "2026-01", "gdp", "100"), (A, "2026-01", "Gross industrial output", "400")],
        header="enterprise,period,indicator,value",
    )
    assert _import(data, dataset="indicators").created == 2
    again = _csv([(A, "2026-01", "gdp", "150")], header="enterprise,period,indicator,value")
    outcome = _import(again, dataset="indicators")
    assert (outcome.created, outcome.updated) == (0, 1)
    assert IndicatorValue.objects.get(zone=_zone(), enterprise=A, period=202601, indicator="gdp").value == 150


def _enterprise_with_branch(head_office: bool = True):
    from tongcheng.cooperation.services import records
    from tongcheng.cooperation.testing import make_enterprise, place

    office = User.objects.get(username="office_pn")
    enterprise = make_enterprise(office, credit_code=A, zone_code="pukou-nanqiao")
    records.create_establishment(
        actor=office, enterprise=enterprise, kind="branch", jurisdiction=place("320111"), name="B1"
    )
    if head_office:
        records.create_establishment(
            actor=office, enterprise=enterprise, kind="head_office", jurisdiction=place("341103")
        )
    return enterprise


FACTOR_HEADER = "enterprise,unit,jurisdiction,year,revenue_fen,payroll_fen,assets_fen"


def test_factors_need_their_head_office():
    enterprise = _enterprise_with_branch(head_office=False)
    both = _csv(
        [(A, "HQ", "341103", "2026", "0", "0", "0"), (A, "B1", "320111", "2026", "100", "10", "50")],
        header=FACTOR_HEADER,
    )
    outcome = _import(both, dataset="factors")
    assert not outcome.applied and (outcome.errors[0].row, outcome.errors[0].column) == (2, "unit")
    from tongcheng.cooperation.services import records
    from tongcheng.cooperation.testing import place

    records.create_establishment(
        actor=User.objects.get(username="office_pn"),
        enterprise=enterprise,
        kind="head_office",
        jurisdiction=place("341103"),
    )
    assert _import(both, dataset="factors").created == 2
    # the records' factors, under the figures' year (the year before the year applied)
    stored = ApportionmentFactor.objects.filter(establishment__enterprise=enterprise)
    assert sorted(stored.values_list("establishment__kind", "year", "revenue_fen")) == [
        ("branch", 2025, 100),
        ("head_office", 2025, 0),
    ]


def test_factors_import_through_the_records_services_and_update_by_establishment_and_year():
    from tongcheng.cooperation.models import Establishment

    enterprise = _enterprise_with_branch()
    rows = [(A, "HQ", "341103", "2026", "0", "0", "0"), (A, "B1", "320111", "2026", "100", "10", "50")]
    assert _import(_csv(rows, header=FACTOR_HEADER), dataset="factors").created == 2
    branch = Establishment.objects.get(enterprise=enterprise, kind="branch")
    factor = ApportionmentFactor.objects.get(establishment=branch, year=2025)
    assert factor.history.count() == 1
    assert AuditEntry.objects.filter(action="factor.save").count() == 2
    rows[1] = (A, "B1", "320111", "2026", "120", "10", "50")
    outcome = _import(_csv(rows, header=FACTOR_HEADER), dataset="factors")
    assert (outcome.created, outcome.updated, outcome.unchanged) == (0, 1, 1)
    factor.refresh_from_db()
    assert (factor.revenue_fen, factor.version) == (120, 2)


def test_factor_rows_must_match_the_records():
    _enterprise_with_branch()
    header = FACTOR_HEADER + ",opened"
    data = _csv(
        [
            ("91341103MA2X00020H", "HQ", "341103", "2026", "0", "0", "0", ""),  # not recorded
            (A, "HQ", "320111", "2026", "0", "0", "0", ""),  # head office elsewhere
            (A, "B9", "341102", "2026", "1", "1", "1", ""),  # no establishment there
            (A, "B1", "320111", "2026", "1", "1", "1", "2024-05"),  # the record has no opening date
        ],
        header=header,
    )
    outcome = _import(data, dataset="factors")
    assert not outcome.applied
    assert [(e.row, e.column) for e in outcome.errors] == [
        (2, "enterprise"),
        (3, "jurisdiction"),
        (4, "unit"),
        (5, "opened"),
    ]
    assert not ApportionmentFactor.objects.filter(establishment__enterprise__credit_code=A).exists()


def test_a_finance_bureau_may_not_import_factors():
    _enterprise_with_branch()
    data = _csv([(A, "HQ", "341103", "2026", "0", "0", "0")], header=FACTOR_HEADER)
    with pytest.raises(ForbiddenError):
        _import(data, dataset="factors", actor="finance_nanqiao")


def _factor_queries(branches: int) -> int:
    """Queries of importing the factors of ``branches`` branches (each its own establishment) of a fresh
    enterprise."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from tongcheng.cooperation.services import records
    from tongcheng.cooperation.testing import make_enterprise, place

    office = User.objects.get(username="office_pn")
    code = canonical_codes[branches]
    enterprise = make_enterprise(office, credit_code=code, zone_code="pukou-nanqiao")
    records.create_establishment(
        actor=office, enterprise=enterprise, kind="head_office", jurisdiction=place("341103")
    )
    for n in range(branches):
        records.create_establishment(
            actor=office, enterprise=enterprise, kind="branch", jurisdiction=place("320111"), name=f"B{n}"
        )
    rows = [(code, "HQ", "341103", "2026", "0", "0", "0")]
    rows += [(code, f"B{n}", "320111", "2026", str(100 + n), "10", "50") for n in range(branches)]
    with CaptureQueriesContext(connection) as queries:
        outcome = _import(_csv(rows, header=FACTOR_HEADER), dataset="factors")
    assert outcome.created == branches + 1, outcome.errors
    return len(queries)


canonical_codes = {1: "91341103MA2X00010G", 2: "91341103MA2X00030J", 12: "91341103MA2X00040K"}


def test_the_factor_import_takes_as_many_queries_for_12_branches_as_for_2():
    _factor_queries(1)  # the caches of the importer's scope, the registry … warmed
    small, large = _factor_queries(2), _factor_queries(12)
    assert large == small
