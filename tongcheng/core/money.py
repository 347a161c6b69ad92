"""Money as integer fen (分) and ratios as integer basis points, to and from text. No floats anywhere.

Parsing accepts what people type and what spreadsheets hold: ``1,234.56``, ``1234.5元``, ``12.5万元``,
``1.2亿元``, ``550亿元``, ``¥3``, ``￥3``, ``RMB 3``, full-width digits and punctuation, ``万``/``亿`` as
short units. A number without a unit is in the caller's ``default_unit``, which must be given
explicitly: a column headed 万元 and one headed 元 look the same. After converting to 元 at most two
decimals may remain (``1.2345万元`` = 12345.00 元 is fine, ``0.001元`` is not). Commas must group by
three. Negative amounts are refused unless ``allow_negative=True``. Errors are
:class:`~tongcheng.core.validators.InvalidValue` with codes ``required``, ``money_format``,
``money_precision``, ``money_negative``, ``money_range``.

Percentages: ``percent_to_bp("37.5%") == 3750``; finer than one basis point (0.01 %) is an error.
"""

from __future__ import annotations

import re
import unicodedata
from decimal import Decimal
from typing import Literal

from tongcheng.core.validators import MESSAGES, InvalidValue, gettext_noop

__all__ = [
    "MAX_FEN",
    "UNIT_FEN",
    "Unit",
    "bp_to_percent",
    "fen_to_yuan_str",
    "format_fen",
    "parse_money",
    "percent_to_bp",
]

Unit = Literal["yuan", "wan", "yi"]

UNIT_FEN: dict[str, int] = {"yuan": 100, "wan": 1_000_000, "yi": 10_000_000_000}
UNIT_SUFFIX: dict[str, str] = {"yuan": "元", "wan": "万元", "yi": "亿元"}
# Largest amount a BigIntegerField (signed 64-bit) can store: about 92 万亿元.
MAX_FEN = 2**63 - 1

MESSAGES.update(
    {
        "money_format": gettext_noop(
            "%(value)s is not an amount of money, such as 1,234.56, 12.5万元 or 1.2亿元."
        ),
        "money_precision": gettext_noop("An amount can have at most two decimals of yuan (down to the fen)."),
        "money_negative": gettext_noop("The amount cannot be negative."),
        "money_range": gettext_noop("The amount is too large."),
        "percent_format": gettext_noop("%(value)s is not a percentage, such as 37.5%%."),
        "percent_precision": gettext_noop("A percentage can have at most two decimals (one basis point)."),
        "percent_negative": gettext_noop("The percentage cannot be negative."),
        "percent_range": gettext_noop("The percentage cannot be more than %(max)s."),
    }
)

# Suffix → unit. Longest first so that 万元 is not read as 万 + stray 元.
_SUFFIX_UNITS = (("万元", "wan"), ("亿元", "yi"), ("元", "yuan"), ("圆", "yuan"), ("万", "wan"), ("亿", "yi"))
_CURRENCY_PREFIXES = ("¥", "RMB", "CNY", "人民币")
_MINUS_SIGNS = "-−–‒"
_NUMBER_RE = re.compile(r"(?P<int>\d{1,3}(?:,\d{3})+|\d+)(?:\.(?P<frac>\d+))?", re.ASCII)


def _clean(text: str) -> str:
    # NFKC turns full-width digits, ，．￥％ into ASCII; blanks (incl. thin spaces as grouping) go.
    text = unicodedata.normalize("NFKC", text)
    return re.sub(r"\s+", "", text)


def _shown(text: object) -> str:
    """The value as echoed in an error message: short enough not to flood a form or a log."""
    shown = str(text)
    return shown if len(shown) <= 40 else shown[:39] + "…"


def _split_sign(text: str) -> tuple[bool, str]:
    if text[:1] in _MINUS_SIGNS:
        return True, text[1:]
    if text[:1] == "+":
        return False, text[1:]
    return False, text


def _strip_currency(text: str) -> str:
    upper = text.upper()
    for prefix in _CURRENCY_PREFIXES:
        if upper.startswith(prefix):
            return text[len(prefix) :]
    return text


def _scaled(number: str, unit_fen: int, code: str, value: object) -> int:
    """Exact integer value of ``number × unit_fen``; InvalidValue ``code`` if that is not whole."""
    match = _NUMBER_RE.fullmatch(number)
    if not match:
        raise InvalidValue(f"{code}_format", params={"value": _shown(value)})
    frac = match["frac"] or ""
    digits = int(match["int"].replace(",", "") + frac)
    scale = 10 ** len(frac)
    whole, remainder = divmod(digits * unit_fen, scale)
    if remainder:
        raise InvalidValue(f"{code}_precision")
    return whole


def parse_money(
    text: str | int | Decimal,
    *,
    default_unit: Unit,
    allow_negative: bool = False,
) -> int:
    """Parse an amount to integer fen. ``default_unit`` applies when the text carries no unit.

    ``int`` and ``Decimal`` are taken as amounts in ``default_unit`` (spreadsheet cells read as such);
    ``float`` is refused with TypeError, because its binary value is not what the user typed.
    """
    if isinstance(text, bool | float):
        raise TypeError("parse_money takes text, int or Decimal, never float")
    if isinstance(text, int | Decimal):
        text = format(text, "f") if isinstance(text, Decimal) else str(text)
    if not isinstance(text, str):
        raise TypeError(f"parse_money takes text, not {type(text).__name__}")
    cleaned = _clean(text)
    if not cleaned:
        raise InvalidValue("required")
    negative, body = _split_sign(cleaned)
    body = _strip_currency(body)
    if not negative:  # "¥-3" as well as "-¥3"
        negative, body = _split_sign(body)
    unit = default_unit
    for suffix, suffix_unit in _SUFFIX_UNITS:
        if body.endswith(suffix):
            body, unit = body[: -len(suffix)], suffix_unit
            break
    if unit not in UNIT_FEN:
        raise ValueError(f"unknown unit {unit!r}")
    fen = _scaled(body, UNIT_FEN[unit], "money", text)
    if fen > MAX_FEN:
        raise InvalidValue("money_range")
    if negative and fen:
        if not allow_negative:
            raise InvalidValue("money_negative")
        return -fen
    return fen


def _group(digits: str) -> str:
    return f"{int(digits):,}"


def format_fen(
    fen: int,
    unit: Unit = "yuan",
    grouping: bool = True,
    *,
    suffix: bool = False,
    places: int | None = None,
) -> str:
    """Text for an amount of fen, exact by default.

    In 元 there are always two decimals (``1,234.50``). In 万元 and 亿元 there are at least two and as
    many as needed to be exact (``12.50``, ``1.2345``, ``0.000001``) so that ``parse_money`` gives the
    same fen back. ``places`` instead rounds half away from zero to that many decimals, for reports.
    ``suffix`` appends 元 / 万元 / 亿元.
    """
    if isinstance(fen, bool) or not isinstance(fen, int):
        raise TypeError("format_fen takes integer fen")
    unit_fen = UNIT_FEN[unit]
    exponent = len(str(unit_fen)) - 1  # decimals needed to be exact in this unit
    sign = "-" if fen < 0 else ""
    magnitude = abs(fen)
    if places is not None:
        if places < 0:
            raise ValueError("places must be >= 0")
        if places < exponent:
            step = 10 ** (exponent - places)
            magnitude = (magnitude + step // 2) // step  # half up on the magnitude = half away from 0
        else:
            magnitude *= 10 ** (places - exponent)
        decimals = places
    else:
        decimals = exponent
    whole, frac = divmod(magnitude, 10**decimals)
    frac_text = str(frac).zfill(decimals) if decimals else ""
    if places is None and unit != "yuan":
        frac_text = frac_text.rstrip("0").ljust(2, "0")
    whole_text = _group(str(whole)) if grouping else str(whole)
    if sign and not whole and not frac_text.strip("0"):
        sign = ""  # -0.00 after rounding reads as an error
    text = sign + whole_text + (f".{frac_text}" if frac_text else "")
    return text + UNIT_SUFFIX[unit] if suffix else text


def fen_to_yuan_str(fen: int) -> str:
    """``123456`` → ``"1234.56"``: plain 元 with two decimals, for CSV, JSON and Decimal()."""
    return format_fen(fen, "yuan", grouping=False)


# --- Percentages and basis points -----------------------------------------------------------------


def percent_to_bp(
    text: str | int | Decimal,
    *,
    allow_negative: bool = False,
    max_bp: int | None = None,
) -> int:
    """``"37.5%"`` → ``3750``. A bare number is read as percent too (a column headed 比例（%）)."""
    if isinstance(text, bool | float):
        raise TypeError("percent_to_bp takes text, int or Decimal, never float")
    if isinstance(text, int | Decimal):
        text = format(text, "f") if isinstance(text, Decimal) else str(text)
    cleaned = _clean(text)
    if not cleaned:
        raise InvalidValue("required")
    negative, body = _split_sign(cleaned)
    body = body.removesuffix("%")
    bp = _scaled(body, 100, "percent", text)
    if negative and bp:
        if not allow_negative:
            raise InvalidValue("percent_negative")
        bp = -bp
    if max_bp is not None and bp > max_bp:
        raise InvalidValue("percent_range", params={"max": bp_to_percent(max_bp)})
    return bp


def bp_to_percent(bp: int, *, suffix: bool = True) -> str:
    """``3750`` → ``"37.5%"``, ``10000`` → ``"100%"``, ``1`` → ``"0.01%"``: as few decimals as exact."""
    if isinstance(bp, bool) or not isinstance(bp, int):
        raise TypeError("bp_to_percent takes integer basis points")
    whole, frac = divmod(abs(bp), 100)
    frac_text = str(frac).zfill(2).rstrip("0")
    text = ("-" if bp < 0 else "") + str(whole) + (f".{frac_text}" if frac_text else "")
    return text + "%" if suffix else text
