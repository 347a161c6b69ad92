"""Documents for print and for Excel: PDF with ReportLab, formatted workbooks with XlsxWriter.

A module describes a document as data — a title and sections of paragraphs, facts and tables whose columns
say what they hold — and gets bytes back; it never touches ReportLab or XlsxWriter itself.

* PDF: ReportLab's built-in CID font STSong-Light renders Chinese and Latin text with nothing installed and
  nothing embedded (every PDF reader in China ships the font), so a statement prints on a fresh machine.
  Every page has a header and a footer "第 N 页 / 共 M 页" (in the reader's language); amounts are right-
  aligned; record text is escaped, never read as ReportLab markup.
* XLSX: a bold, frozen, filtered header row, column widths from the content, amounts as numbers with two
  decimals, dates as dates, and text always written as a string cell (``tongcheng.kit.textsafety``: a cell that
  starts with "=" stays text, never a formula).

Amounts are integer fen everywhere in Tongcheng; here they are shown as 元 with two decimals. In a workbook
they are numbers (so that officials can sum them), converted exactly through Decimal; the binary float a
spreadsheet stores is the one nearest to the exact 元 value, and the totals are summed in fen, not floats.
"""

from __future__ import annotations

import io
import math
import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from functools import cache
from typing import Any, Literal
from xml.sax.saxutils import escape

import xlsxwriter
from django.http import HttpResponse
from django.utils import timezone
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _
from reportlab.lib import colors
from reportlab.lib.enums import TA_LEFT, TA_RIGHT
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.cidfonts import UnicodeCIDFont
from reportlab.pdfgen import canvas
from reportlab.platypus import Flowable, Paragraph, SimpleDocTemplate, Spacer, TableStyle
from reportlab.platypus import Table as PdfTable

__all__ = [
    "PDF_MEDIA_TYPE",
    "XLSX_MEDIA_TYPE",
    "Block",
    "Column",
    "Facts",
    "Sheet",
    "Table",
    "document_response",
    "format_amount",
    "pdf_document",
    "xlsx_workbook",
]

Kind = Literal["text", "amount", "integer", "number", "date"]
NUMERIC_KINDS = frozenset({"amount", "integer", "number"})
SUMMED_KINDS = frozenset({"amount", "integer"})

PDF_MEDIA_TYPE = "application/pdf"
XLSX_MEDIA_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@dataclass(frozen=True)
class Column:
    """A column of a table or sheet. ``kind``: text; amount (integer fen, shown as 元 with two decimals);
    integer; number (int, float or Decimal, shown as given); date (a date or datetime)."""

    title: str
    kind: Kind = "text"


@dataclass(frozen=True)
class Table:
    """Rows under titled columns. With ``total_label`` a last row sums the amount and integer columns
    (exactly, in fen) and carries the label in the first text column."""

    columns: Sequence[Column | str]
    rows: Sequence[Sequence[Any]]
    total_label: str | None = None
    empty_text: str | None = None

    @property
    def cols(self) -> list[Column]:
        return [c if isinstance(c, Column) else Column(c) for c in self.columns]


@dataclass(frozen=True)
class Facts:
    """Label–value pairs (a record's fields), shown as a two-column table without a header."""

    items: Sequence[tuple[str, Any]]


@dataclass(frozen=True)
class Sheet:
    """One worksheet: its name (shortened and cleaned to Excel's rules), columns, rows and optional totals."""

    name: str
    columns: Sequence[Column | str]
    rows: Iterable[Sequence[Any]]
    total_label: str | None = None
    cols: list[Column] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "cols", [c if isinstance(c, Column) else Column(c) for c in self.columns])


Block = str | Table | Facts
Section = tuple[str, Sequence[Block]]


# --- values ---------------------------------------------------------------------------------------------


def _fen(value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(f"an amount is integer fen, not {type(value).__name__}: {value!r}")
    return value


def format_amount(fen: int) -> str:
    """Integer fen as 元 with thousands separators and two decimals: 123456 -> "1,234.56"."""
    return f"{Decimal(_fen(fen)).scaleb(-2):,.2f}"


def _local(value: datetime) -> datetime:
    return timezone.localtime(value) if timezone.is_aware(value) else value


def _text(value: Any, kind: str) -> str:
    if value is None:
        return ""
    if kind == "amount":
        return format_amount(value)
    if kind == "integer" and isinstance(value, int) and not isinstance(value, bool):
        return f"{value:,}"
    if isinstance(value, datetime):
        return _local(value).strftime("%Y-%m-%d %H:%M")
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


def _totals(cols: list[Column], rows: Iterable[Sequence[Any]]) -> dict[int, int]:
    sums = {i: 0 for i, c in enumerate(cols) if c.kind in SUMMED_KINDS}
    for row in rows:
        for i in sums:
            if row[i] is not None:
                sums[i] += _fen(row[i])
    return sums


def _label_column(cols: list[Column]) -> int:
    return next((i for i, c in enumerate(cols) if c.kind not in NUMERIC_KINDS), 0)


def _display_width(text: str) -> int:
    """Width in Latin character cells: a Chinese character takes two."""
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


# --- PDF ------------------------------------------------------------------------------------------------

FONT = "STSong-Light"
PAGE_WIDTH, PAGE_HEIGHT = A4
MARGIN = 18 * mm
_CJK = re.compile(r"[\u2e80-\u9fff\uac00-\ud7af\uf900-\ufaff\uff00-\uffef]")


@cache
def _font() -> str:
    pdfmetrics.registerFont(UnicodeCIDFont(FONT))
    return FONT


def _style(name: str, size: float, *, leading: float | None = None, align: int = TA_LEFT, **extra: Any):
    return ParagraphStyle(
        name, fontName=_font(), fontSize=size, leading=leading or size * 1.45, alignment=align, **extra
    )


def _para(text: str, style: ParagraphStyle) -> Paragraph:
    """Record text as a paragraph: escaped (ReportLab would otherwise read <b>, <font>, <a> as markup),
    line breaks kept, and wrapped between any two characters where the text is Chinese."""
    markup = escape(text).replace("\n", "<br/>")
    if _CJK.search(text):
        style = ParagraphStyle(f"{style.name}-cjk", parent=style, wordWrap="CJK")
    return Paragraph(markup, style)


class _Styles:
    def __init__(self) -> None:
        self.title = _style("title", 18, spaceAfter=2 * mm)
        self.subtitle = _style("subtitle", 11, textColor=colors.HexColor("#555555"), spaceAfter=4 * mm)
        self.heading = _style("heading", 13, spaceBefore=5 * mm, spaceAfter=2 * mm)
        self.body = _style("body", 10, spaceAfter=2 * mm)
        self.cell = _style("cell", 9)
        self.cell_right = _style("cell-right", 9, align=TA_RIGHT)
        self.header_cell = _style("header-cell", 9, textColor=colors.HexColor("#1f2d3d"))
        self.header_cell_right = _style("header-cell-right", 9, align=TA_RIGHT)


def _widths(texts: list[list[str]], cols: list[Column], available: float) -> list[float]:
    weights = []
    for i, col in enumerate(cols):
        longest = max([_display_width(col.title)] + [_display_width(row[i]) for row in texts])
        low = 10 if col.kind in NUMERIC_KINDS else 6
        weights.append(min(max(longest, low), 48))
    total = sum(weights)
    return [available * w / total for w in weights]


def _pdf_table(table: Table, styles: _Styles, available: float) -> Flowable:
    cols = table.cols
    if not table.rows:
        return _para(table.empty_text or _("Nothing to show."), styles.body)
    texts = [[_text(v, c.kind) for v, c in zip(row, cols, strict=True)] for row in table.rows]
    has_totals = table.total_label is not None
    if has_totals:
        sums = _totals(cols, table.rows)
        total_row = [""] * len(cols)
        total_row[_label_column(cols)] = table.total_label or ""
        for i, fen in sums.items():
            total_row[i] = _text(fen, cols[i].kind)
        texts.append(total_row)

    def cell(text: str, col: Column, header: bool = False) -> Paragraph:
        right = col.kind in NUMERIC_KINDS
        if header:
            return _para(text, styles.header_cell_right if right else styles.header_cell)
        return _para(text, styles.cell_right if right else styles.cell)

    data = [[cell(c.title, c, header=True) for c in cols]]
    data += [[cell(t, c) for t, c in zip(row, cols, strict=True)] for row in texts]
    style = [
        ("GRID", (0, 0), (-1, -1), 0.4, colors.HexColor("#9aa5b1")),
        ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#dde4ee")),
        ("VALIGN", (0, 0), (-1, -1), "TOP"),
        ("TOPPADDING", (0, 0), (-1, -1), 2.5),
        ("BOTTOMPADDING", (0, 0), (-1, -1), 2.5),
    ]
    if has_totals:
        style += [
            ("LINEABOVE", (0, -1), (-1, -1), 1.2, colors.black),
            ("BACKGROUND", (0, -1), (-1, -1), colors.HexColor("#f2f4f7")),
        ]
    return PdfTable(
        data, colWidths=_widths(texts, cols, available), repeatRows=1, style=TableStyle(style), hAlign="LEFT"
    )


def _pdf_facts(facts: Facts, styles: _Styles, available: float) -> Flowable:
    data = [
        [_para(str(label), styles.cell), _para(_text(value, "text"), styles.cell)]
        for label, value in facts.items
    ]
    return PdfTable(
        data,
        colWidths=[available * 0.3, available * 0.7],
        hAlign="LEFT",
        style=TableStyle(
            [
                ("BACKGROUND", (0, 0), (0, -1), colors.HexColor("#f2f4f7")),
                ("LINEBELOW", (0, 0), (-1, -1), 0.4, colors.HexColor("#c8d0da")),
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
            ]
        ),
    )


def _numbered_canvas(header: str, footer: str, page_label: str) -> type[canvas.Canvas]:
    """A canvas that holds its pages back until the end, so that each footer can name the page count."""

    class NumberedCanvas(canvas.Canvas):
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, **kwargs)
            self._held: list[dict[str, Any]] = []

        def showPage(self) -> None:  # noqa: N802 - ReportLab's name
            self._held.append(dict(self.__dict__))
            self._startPage()

        def save(self) -> None:
            pages = len(self._held)
            for state in self._held:
                self.__dict__.update(state)
                self._decorate(pages)
                super().showPage()
            super().save()

        def _decorate(self, pages: int) -> None:
            self.saveState()
            self.setFont(_font(), 8)
            self.setFillColor(colors.HexColor("#555555"))
            self.drawString(MARGIN, PAGE_HEIGHT - 11 * mm, header)
            self.setStrokeColor(colors.HexColor("#c8d0da"))
            self.line(MARGIN, PAGE_HEIGHT - 12.5 * mm, PAGE_WIDTH - MARGIN, PAGE_HEIGHT - 12.5 * mm)
            self.line(MARGIN, 13 * mm, PAGE_WIDTH - MARGIN, 13 * mm)
            if footer:
                self.drawString(MARGIN, 9 * mm, footer)
            self.drawRightString(
                PAGE_WIDTH - MARGIN, 9 * mm, page_label % {"page": self._pageNumber, "pages": pages}
            )
            self.restoreState()

    return NumberedCanvas


def pdf_document(
    title: str,
    sections: Sequence[Section],
    *,
    subtitle: str = "",
    header: str = "",
    footer: str = "",
    author: str = "",
) -> bytes:
    """A PDF (A4) of a title and sections. A section is (heading, blocks); a block is a paragraph (str), a
    ``Table`` or ``Facts``. ``header`` is printed at the top of every page (default: the title), ``footer``
    at the bottom left, the page number and count at the bottom right."""
    styles = _Styles()
    available = PAGE_WIDTH - 2 * MARGIN
    story: list[Flowable] = [_para(title, styles.title)]
    if subtitle:
        story.append(_para(subtitle, styles.subtitle))
    for heading, blocks in sections:
        if heading:
            story.append(_para(heading, styles.heading))
        for block in blocks:
            if isinstance(block, Table):
                story.append(_pdf_table(block, styles, available))
                story.append(Spacer(0, 2 * mm))
            elif isinstance(block, Facts):
                story.append(_pdf_facts(block, styles, available))
            else:
                story.append(_para(str(block), styles.body))
    buffer = io.BytesIO()
    doc = SimpleDocTemplate(
        buffer,
        pagesize=A4,
        leftMargin=MARGIN,
        rightMargin=MARGIN,
        topMargin=MARGIN,
        bottomMargin=MARGIN,
        title=title,
        author=author,
        creator="Tongcheng",
        lang="zh-CN",
    )
    page_label = _("Page %(page)d of %(pages)d")
    doc.build(story, canvasmaker=_numbered_canvas(header or title, footer, page_label))
    return buffer.getvalue()


# --- XLSX -----------------------------------------------------------------------------------------------

# Spreadsheets hold numbers as binary floats; beyond 2**53 they lose digits, so such amounts become text.
_EXACT_FLOAT_LIMIT = 2**53
_SHEET_NAME_FORBIDDEN = re.compile(r"[\[\]:*?/\\]")
MIN_WIDTH, MAX_WIDTH = 6, 60
WIDTH_SAMPLE_ROWS = 1000


def _sheet_name(name: str, taken: set[str]) -> str:
    base = _SHEET_NAME_FORBIDDEN.sub("_", name).strip("'") or "Sheet"
    base = base[:31]
    candidate, n = base, 2
    while candidate.lower() in taken:
        suffix = f" ({n})"
        candidate, n = base[: 31 - len(suffix)] + suffix, n + 1
    taken.add(candidate.lower())
    return candidate


class _Formats:
    def __init__(self, book: xlsxwriter.Workbook) -> None:
        border = {"border": 1, "border_color": "#9AA5B1"}
        self.header = book.add_format(
            {"bold": True, "bg_color": "#DDE4EE", "text_wrap": True, "valign": "top", **border}
        )
        self.by_kind = {
            "text": book.add_format({"valign": "top"}),
            "amount": book.add_format({"num_format": "#,##0.00", "valign": "top"}),
            "integer": book.add_format({"num_format": "#,##0", "valign": "top"}),
            "number": book.add_format({"valign": "top"}),
            "date": book.add_format({"num_format": "yyyy-mm-dd", "valign": "top"}),
            "datetime": book.add_format({"num_format": "yyyy-mm-dd hh:mm", "valign": "top"}),
        }
        self.total = {
            kind: book.add_format({**fmt, "bold": True, "top": 2})
            for kind, fmt in {
                "text": {},
                "amount": {"num_format": "#,##0.00"},
                "integer": {"num_format": "#,##0"},
                "number": {},
                "date": {},
            }.items()
        }


def _write_cell(sheet: Any, row: int, col: int, value: Any, kind: str, formats: dict[str, Any]) -> None:
    fmt = formats[kind]
    if value is None or value == "":
        sheet.write_blank(row, col, None, fmt)
    elif kind == "amount":
        fen = _fen(value)
        if abs(fen) <= _EXACT_FLOAT_LIMIT:
            sheet.write_number(row, col, float(Decimal(fen).scaleb(-2)), fmt)
        else:
            sheet.write_string(row, col, format_amount(fen), fmt)
    elif isinstance(value, bool):
        sheet.write_boolean(row, col, value, fmt)
    elif (isinstance(value, int) and abs(value) <= _EXACT_FLOAT_LIMIT) or (
        isinstance(value, float) and math.isfinite(value)
    ):
        sheet.write_number(row, col, value, fmt)
    elif isinstance(value, Decimal) and value.is_finite() and len(value.as_tuple().digits) <= 15:
        sheet.write_number(row, col, float(value), fmt)
    elif isinstance(value, datetime):
        sheet.write_datetime(row, col, _local(value).replace(tzinfo=None), formats.get("datetime", fmt))
    elif isinstance(value, date):
        sheet.write_datetime(row, col, datetime.combine(value, datetime.min.time()), formats["date"])
    else:
        # Text, and anything else as its text: always a string cell, never a formula (textsafety's rule).
        sheet.write_string(row, col, str(value), fmt)


def xlsx_workbook(sheets: Sequence[Sheet | tuple[Any, ...]]) -> bytes:
    """An .xlsx of one or more sheets (``Sheet`` or tuples (name, columns, rows[, total_label]))."""
    buffer = io.BytesIO()
    book = xlsxwriter.Workbook(
        buffer,
        {
            "in_memory": True,
            # Belt and braces: every text cell goes through write_string anyway.
            "strings_to_formulas": False,
            "strings_to_numbers": False,
            "strings_to_urls": False,
        },
    )
    formats = _Formats(book)
    taken: set[str] = set()
    for spec in sheets:
        sheet_spec = spec if isinstance(spec, Sheet) else Sheet(*spec)
        cols = sheet_spec.cols
        sheet = book.add_worksheet(_sheet_name(sheet_spec.name, taken))
        widths = [_display_width(c.title) for c in cols]
        for col, column in enumerate(cols):
            sheet.write_string(0, col, column.title, formats.header)
        sums = {i: 0 for i, c in enumerate(cols) if c.kind in SUMMED_KINDS}
        row_number = 0
        for row_number, values in enumerate(sheet_spec.rows, start=1):
            for col, (value, column) in enumerate(zip(values, cols, strict=True)):
                _write_cell(sheet, row_number, col, value, column.kind, formats.by_kind)
                if col in sums and value is not None:
                    sums[col] += _fen(value)
                if row_number <= WIDTH_SAMPLE_ROWS:
                    widths[col] = max(widths[col], _display_width(_text(value, column.kind)))
        if sheet_spec.total_label is not None:
            total_row = row_number + 1
            label_col = _label_column(cols)
            for col, column in enumerate(cols):
                kind = column.kind if column.kind in formats.total else "text"
                if col == label_col:
                    sheet.write_string(total_row, col, sheet_spec.total_label, formats.total["text"])
                elif col in sums:
                    _write_cell(sheet, total_row, col, sums[col], column.kind, formats.total)
                else:
                    sheet.write_blank(total_row, col, None, formats.total[kind])
        for col, width in enumerate(widths):
            sheet.set_column(col, col, min(max(width + 2, MIN_WIDTH), MAX_WIDTH))
        sheet.freeze_panes(1, 0)
        if cols:
            sheet.autofilter(0, 0, max(row_number, 1), len(cols) - 1)
    book.close()
    return buffer.getvalue()


# --- responses ------------------------------------------------------------------------------------------


def document_response(content: bytes, filename: str, media_type: str = PDF_MEDIA_TYPE) -> HttpResponse:
    """A generated document as a download: never rendered inline, never sniffed, never cached by others."""
    response = HttpResponse(content, content_type=media_type)
    # Django writes an RFC 5987 filename* for non-ASCII names and a plain one for ASCII names.
    response["Content-Disposition"] = content_disposition_header(True, filename)
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    return response
