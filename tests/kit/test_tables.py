"""The one table reader (tongcheng/kit/tables.py): the same rules in both shapes (numbered row dicts for the
web importer, string-column batches for the engine), located errors with stable codes, and no Django."""

from __future__ import annotations

import ast
import csv
import io
import subprocess
import sys
import zipfile
from decimal import Decimal
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tongcheng.kit import tables
from tongcheng.kit.tables import TableError, TableLimits, open_table, read_rows
from tongcheng.kit.textsafety import csv_cell

ROOT = Path(__file__).resolve().parents[2]


def _both(data: bytes, name: str = "t.csv", **limits: int) -> tuple[list, list]:
    """The rows of ``data`` read in both shapes, as [(row, {column: text})]."""
    lim = TableLimits(**limits)
    rows = list(open_table(io.BytesIO(data), name, lim).rows())
    batched = []
    for batch in open_table(io.BytesIO(data), name, lim).batches(batch_rows=3):
        names = list(batch.columns)
        columns = [batch.columns[n].to_pylist() for n in names]
        for i, number in enumerate(batch.rows.tolist()):
            batched.append((number, {n: c[i] for n, c in zip(names, columns, strict=True)}))
    return rows, batched


def _error_in_both(data: bytes, name: str = "t.csv", **limits: int) -> list[TableError]:
    """The error each shape raises for ``data`` (opening included)."""
    errors = []
    for shape in ("rows", "batches"):
        with pytest.raises(TableError) as caught:
            table = open_table(io.BytesIO(data), name, TableLimits(**limits))
            list(table.rows() if shape == "rows" else table.batches())
        errors.append(caught.value)
    return errors


def _csv(rows: list[list[str]]) -> bytes:
    out = io.StringIO()
    csv.writer(out, lineterminator="\n").writerows(rows)
    return out.getvalue().encode("utf-8")


# --- both shapes, same rules --------------------------------------------------------------------------------


def test_given_blank_rows_and_a_trailing_blank_line_when_read_then_they_are_skipped_but_counted():
    data = b"a,b\n1,2\n\n,\n3,4\n\n"
    rows, batched = _both(data)
    assert rows == batched == [(2, {"a": "1", "b": "2"}), (5, {"a": "3", "b": "4"})]


def test_given_columns_differing_only_by_case_when_opened_then_refused_at_row_1():
    for error in _error_in_both(b"enterprise,amount,Amount\nx,1,2\n"):
        assert (error.code, error.row, error.params["column"]) == ("duplicate_column", 1, "Amount")


def test_given_a_row_with_too_many_values_when_read_then_refused_with_its_row_number():
    data = b"a,b\n1,2\n3,4\n5,6,7\n8,9\n"
    for error in _error_in_both(data):
        assert (error.code, error.row) == ("too_many_values", 4)
        assert error.message == "Row 4 has more values than the header has columns."


def test_given_extra_empty_cells_or_short_rows_when_read_then_both_shapes_pad_alike():
    data = b"a,b,c\n1,2,3,,\n4\n5,6\n"
    rows, batched = _both(data)
    assert (
        rows
        == batched
        == [
            (2, {"a": "1", "b": "2", "c": "3"}),
            (3, {"a": "4", "b": "", "c": ""}),
            (4, {"a": "5", "b": "6", "c": ""}),
        ]
    )


def test_given_a_nul_character_when_read_then_refused_with_its_row():
    for error in _error_in_both(b"a,b\n1,2\n3,x\x00y\n"):
        assert (error.code, error.row) == ("nul", 3)


def test_given_export_quotes_when_read_then_the_one_added_quote_is_removed_in_both_shapes():
    texts = ["=SUM(A1)", "+86", "-5", "@x", "'=already", "plain", "'plain"]
    data = _csv([["text"], *([csv_cell(t)] for t in texts)])
    rows, batched = _both(data)
    assert [r["text"] for _n, r in rows] == texts
    assert rows == batched


def test_given_more_rows_than_the_limit_when_read_then_refused_naming_the_limit():
    data = _csv([["a"], *([str(i)] for i in range(10))])
    for error in _error_in_both(data, max_rows=5):
        assert error.code == "too_many_rows"
        assert error.params == {"count": 5}


@settings(max_examples=60, deadline=None)
@given(
    st.lists(
        st.lists(st.text(alphabet="ab ,\"'=-中\r", max_size=6), min_size=3, max_size=3),
        max_size=12,
    )
)
def test_property_both_shapes_read_the_same_rows(body):
    """Given any small CSV of three columns (quotes, commas, export quotes, blanks, Chinese), when it is
    read in both shapes, then they give the same numbered rows."""
    data = _csv([["x", "y", "z"], *body])
    try:
        rows, batched = _both(data)
    except TableError as error:
        # a value with a line break is refused by the columnar reader only; nothing else may differ
        assert error.code == "line_break_in_value"
        assert any("\r" in cell for row in body for cell in row)
        return
    assert rows == batched


# --- encodings -------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "data",
    [
        "名称,金额\n浦口,1\n".encode(),
        "\ufeff名称,金额\n浦口,1\n".encode(),
        "名称,金额\n浦口,1\n".encode("gbk"),
        "名称,金额\n浦口,1\n".encode("gb18030"),
    ],
    ids=["utf-8", "utf-8-bom", "gbk", "gb18030"],
)
def test_given_each_accepted_encoding_when_read_then_the_chinese_text_is_right(data):
    rows, batched = _both(data)
    assert rows == batched == [(2, {"名称": "浦口", "金额": "1"})]


def test_given_a_gbk_file_with_a_utf8_line_when_opened_then_refused_naming_that_line():
    data = "名称,金额\n浦口,1\n".encode("gbk") + "南谯,2\n".encode() + "滁州,3\n".encode("gbk")
    for error in _error_in_both(data):
        assert (error.code, error.row) == ("mixed_encoding", 3)
        assert error.message.startswith("Line 3 is not GBK")


def test_given_a_utf8_file_with_a_gbk_line_when_opened_then_refused_naming_that_line():
    data = "名称,金额\n浦口,1\n".encode() + b"x,1\n" * 5 + "南谯,2\n".encode("gbk")
    for error in _error_in_both(data):
        assert (error.code, error.row) == ("mixed_encoding", 8)
        assert "UTF-8" in error.message


def test_given_a_bom_file_with_a_gbk_line_when_opened_then_refused():
    data = "\ufeffa,b\nx,1\n".encode() + "南谯,2\n".encode("gbk")
    assert {e.code for e in _error_in_both(data)} == {"mixed_encoding"}


def test_given_bytes_that_are_neither_utf8_nor_gbk_when_opened_then_refused():
    assert {e.code for e in _error_in_both(b"a,b\n\xff\xff,1\n")} == {"not_text"}


# --- XLSX -------------------------------------------------------------------------------------------------


def _xlsx(write) -> bytes:
    import xlsxwriter

    buffer = io.BytesIO()
    book = xlsxwriter.Workbook(buffer, {"in_memory": True})
    sheet = book.add_worksheet()
    write(sheet)
    book.close()
    return buffer.getvalue()


def test_given_an_xlsx_formula_cell_when_read_then_refused_never_a_cached_zero():
    def write(sheet):
        sheet.write_row(0, 0, ["a", "amount"])
        sheet.write_row(1, 0, ["x", 5])
        sheet.write_formula(2, 1, "=B2*2", None, 0)  # xlsxwriter stores a cached 0

    for error in _error_in_both(_xlsx(write), "t.xlsx"):
        assert (error.code, error.row, error.params["cell"]) == ("formula_cell", 3, "B3")


def test_given_an_xlsx_number_beyond_2_53_when_read_then_refused():
    def write(sheet):
        sheet.write_row(0, 0, ["amount"])
        sheet.write_number(1, 0, 2**53 + 2)

    for error in _error_in_both(_xlsx(write), "t.xlsx"):
        assert (error.code, error.params["cell"]) == ("number_too_large", "A2")


def test_given_xlsx_numbers_and_dates_when_read_then_as_text_without_float_noise():
    from datetime import date

    def write(sheet):
        sheet.write_row(0, 0, ["code", "period", "amount"])
        sheet.write_number(1, 0, 341103.0)
        sheet.write_datetime(1, 1, date(2026, 1, 1), sheet_format := None)  # noqa: F841
        sheet.write_number(1, 2, 10000.5)

    rows, batched = _both(_xlsx(write), "t.xlsx")
    assert rows == batched
    assert rows[0][1]["code"] == "341103"
    assert rows[0][1]["amount"] == "10000.5"


def test_given_an_archive_declaring_too_many_entries_when_opened_then_refused_before_parsing():
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for i in range(20):
            archive.writestr(f"x{i}.xml", "<x/>")
    for error in _error_in_both(buffer.getvalue(), "t.xlsx", xlsx_max_entries=10):
        assert error.code == "xlsx_too_many_parts"


# --- Parquet ----------------------------------------------------------------------------------------------


def _parquet(table: pa.Table) -> bytes:
    buffer = io.BytesIO()
    pq.write_table(table, buffer)
    return buffer.getvalue()


def test_given_parquet_decimals_and_integers_when_read_then_exact_text_with_its_scale():
    data = _parquet(
        pa.table(
            {
                "amount": pa.array([Decimal("10000.00"), Decimal("-1.50")], type=pa.decimal128(12, 2)),
                "fen": pa.array([2**62, -3], type=pa.int64()),
                "period": pa.array(["2026-01", None]),
            }
        )
    )
    rows, batched = _both(data, "t.parquet")
    assert (
        rows
        == batched
        == [
            (1, {"amount": "10000.00", "fen": str(2**62), "period": "2026-01"}),
            (2, {"amount": "-1.50", "fen": "-3", "period": ""}),
        ]
    )


def test_given_a_parquet_float_beyond_2_53_when_read_then_refused():
    data = _parquet(pa.table({"amount": pa.array([1.0, 2.0**60])}))
    for error in _error_in_both(data, "t.parquet"):
        assert (error.code, error.row) == ("number_too_large", 2)


# --- errors and layering -----------------------------------------------------------------------------------


def test_given_an_unknown_file_type_when_opened_then_refused_naming_the_accepted_types():
    with pytest.raises(TableError) as caught:
        read_rows("t.ods", io.BytesIO(b""))
    assert caught.value.code == "unsupported_type"
    assert caught.value.message == "The file must end in .csv or .xlsx."


def test_every_code_has_an_english_message_and_the_web_translates_the_same_text():
    """The web importer's msgids are the reader's own English texts, so the CLI (English) and the web
    (translated) say the same about the same problem."""
    source = (ROOT / "tongcheng/kit/importing.py").read_text(encoding="utf-8")
    tree = ast.parse(source)
    catalogue = next(
        node.value
        for node in ast.walk(tree)
        if isinstance(node, ast.AnnAssign) and getattr(node.target, "id", "") == "_MESSAGES"
    )
    web = {
        ast.literal_eval(k): ast.literal_eval(v.args[0])
        for k, v in zip(catalogue.keys, catalogue.values, strict=True)
    }  # type: ignore[union-attr]
    assert web == tables.MESSAGES


def test_the_reader_imports_no_django():
    code = "import sys, tongcheng.kit.tables; print(sorted(m for m in sys.modules if m.split('.')[0] in ('django', 'ninja')))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=ROOT)
    assert out.stdout.strip() == "[]"


@pytest.mark.parametrize(
    ("data", "code", "words"),
    [
        ("名称,金额\n浦口,1\n".encode("gbk") + "南谯,2\n".encode(), "mixed_encoding", "第 3 行不是"),
        (b"a,b\n1,2\n3,4,5\n", "too_many_values", "第 3 行的值多于"),
        (b"a,A\n1,2\n", "duplicate_column", "出现了两次"),
    ],
)
def test_given_the_chinese_ui_when_the_importer_meets_a_bad_file_then_it_says_so_in_chinese(
    data, code, words
):
    """The web importer translates the reader's errors by code (and keeps code and row)."""
    from django.utils import translation

    from tongcheng.kit.importing import TableLimits as WebLimits
    from tongcheng.kit.importing import read_table

    with translation.override("zh-hans"), pytest.raises(TableError) as caught:
        list(read_table("t.csv", io.BytesIO(data), WebLimits(max_rows=10)))
    assert caught.value.code == code
    assert words in caught.value.message
