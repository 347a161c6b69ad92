"""Money text ↔ integer fen and percent ↔ basis points: exact, round-tripping, strict about precision."""

from __future__ import annotations

from decimal import Decimal, localcontext

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tongcheng.core.money import (
    MAX_FEN,
    UNIT_FEN,
    bp_to_percent,
    fen_to_yuan_str,
    format_fen,
    parse_money,
    percent_to_bp,
)
from tongcheng.core.validators import InvalidValue

UNITS = ["yuan", "wan", "yi"]
FULL_WIDTH = str.maketrans("0123456789.,-", "０１２３４５６７８９．，－")


def error_code(func, *args, **kwargs) -> str:
    with pytest.raises(InvalidValue) as info:
        func(*args, **kwargs)
    return info.value.code


@pytest.mark.parametrize(
    ("text", "fen"),
    [
        ("1,234.56", 123456),
        ("1234.5元", 123450),
        ("12.5万元", 12_500_000),
        ("12.5万", 12_500_000),
        ("1.2亿元", 12_000_000_000),
        ("550亿元", 5_500_000_000_000),
        ("¥3", 300),
        ("￥３", 300),
        ("RMB 1 234.00", 123400),
        ("人民币12元", 1200),
        ("１２３４．５６", 123456),
        ("１，２３４．５６元", 123456),
        ("1.2345万元", 1_234_500),  # = 12345.00 元
        ("1.234567万元", 1_234_567),  # = 12345.67 元: exactly two decimals of 元
        ("0.0000000001亿元", 1),  # one fen
        ("1.500元", 150),  # trailing zeros are not extra precision
        ("0", 0),
        ("-0", 0),
        ("  7 ", 700),
    ],
)
def test_parse_examples(text, fen):
    assert parse_money(text, default_unit="yuan") == fen


def test_default_unit_applies_only_without_a_unit():
    assert parse_money("12.5", default_unit="wan") == 12_500_000
    assert parse_money("12.5元", default_unit="wan") == 1250
    assert parse_money("1.2", default_unit="yi") == 12_000_000_000
    with pytest.raises(TypeError):
        parse_money("1")  # type: ignore[call-arg]  # the default unit must be explicit


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("", "required"),
        ("   ", "required"),
        ("0.001元", "money_precision"),
        ("1.2345678万元", "money_precision"),
        ("1,234,567.891", "money_precision"),
        ("0.00000000001亿元", "money_precision"),
        ("-5", "money_negative"),
        ("-¥3", "money_negative"),
        ("¥-3", "money_negative"),
        ("－１２万元", "money_negative"),
        ("1,23", "money_format"),
        ("12,3456.00", "money_format"),
        ("12.", "money_format"),
        (".5", "money_format"),
        ("1.2.3", "money_format"),
        ("1e3", "money_format"),
        ("12.5美元", "money_format"),
        ("10万亿元", "money_format"),
        ("abc", "money_format"),
        ("--5", "money_format"),
        ("100000000000000000000元", "money_range"),
    ],
)
def test_parse_rejections(text, code):
    assert error_code(parse_money, text, default_unit="yuan") == code


def test_negative_amounts_when_allowed():
    assert parse_money("-5", default_unit="yuan", allow_negative=True) == -500
    assert parse_money("−1.2万元", default_unit="yuan", allow_negative=True) == -1_200_000
    assert parse_money("¥-3", default_unit="yuan", allow_negative=True) == -300


def test_no_floats():
    with pytest.raises(TypeError):
        parse_money(1.5, default_unit="yuan")  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        format_fen(1.5)  # type: ignore[arg-type]
    assert parse_money(Decimal("1.50"), default_unit="yuan") == 150
    assert parse_money(Decimal("1E+2"), default_unit="wan") == 100_000_000
    assert parse_money(7, default_unit="wan") == 7_000_000


def test_format_examples():
    assert format_fen(123456) == "1,234.56"
    assert format_fen(123456, grouping=False) == "1234.56"
    assert format_fen(-99) == "-0.99"
    assert format_fen(0) == "0.00"
    assert format_fen(12_500_000, "wan") == "12.50"
    assert format_fen(1_234_500, "wan", suffix=True) == "1.2345万元"
    assert format_fen(1, "wan") == "0.000001"
    assert format_fen(5_500_000_000_000, "yi", suffix=True) == "550.00亿元"
    assert format_fen(12_000_000_000, "yi") == "1.20"
    assert format_fen(123456, suffix=True) == "1,234.56元"
    assert fen_to_yuan_str(123456789) == "1234567.89"
    assert fen_to_yuan_str(-5) == "-0.05"


def test_format_with_places_rounds_half_away_from_zero():
    assert format_fen(1_234_500, "wan", places=2) == "1.23"
    assert format_fen(1_235_000, "wan", places=2) == "1.24"
    assert format_fen(-1_235_000, "wan", places=2) == "-1.24"
    assert format_fen(5, places=1) == "0.1"
    assert format_fen(-4, places=1) == "0.0"  # no "-0.0"
    assert format_fen(123456, places=0) == "1,235"
    assert format_fen(150, places=4) == "1.5000"


money = st.integers(-MAX_FEN, MAX_FEN)


@given(fen=money, unit=st.sampled_from(UNITS), grouping=st.booleans(), suffix=st.booleans())
def test_format_then_parse_round_trips(fen, unit, grouping, suffix):
    text = format_fen(fen, unit, grouping, suffix=suffix)
    assert parse_money(text, default_unit=unit, allow_negative=True) == fen
    # The same text in full-width characters means the same amount.
    assert parse_money(text.translate(FULL_WIDTH), default_unit=unit, allow_negative=True) == fen


@given(fen=money)
def test_fen_to_yuan_str_matches_decimal(fen):
    assert Decimal(fen_to_yuan_str(fen)) == Decimal(fen) / 100


@given(
    whole=st.integers(0, 10**12),
    frac=st.text("0123456789", max_size=12),
    unit=st.sampled_from(UNITS),
)
def test_parse_agrees_with_exact_decimal_arithmetic(whole, frac, unit):
    text = f"{whole}.{frac}" if frac else str(whole)
    with localcontext() as ctx:
        ctx.prec = 80
        exact = Decimal(text) * UNIT_FEN[unit]
    if exact != exact.to_integral_value():
        assert error_code(parse_money, text, default_unit=unit) == "money_precision"
    elif exact > MAX_FEN:
        assert error_code(parse_money, text, default_unit=unit) == "money_range"
    else:
        assert parse_money(text, default_unit=unit) == int(exact)


# --- Percentages and basis points -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "bp"),
    [("37.5%", 3750), ("100%", 10000), ("0.01%", 1), ("３７．５％", 3750), ("12", 1200), ("0%", 0)],
)
def test_percent_examples(text, bp):
    assert percent_to_bp(text) == bp


@pytest.mark.parametrize(
    ("text", "kwargs", "code"),
    [
        ("37.505%", {}, "percent_precision"),
        ("0.001%", {}, "percent_precision"),
        ("-1%", {}, "percent_negative"),
        ("abc", {}, "percent_format"),
        ("%5", {}, "percent_format"),
        ("", {}, "required"),
        ("100.01%", {"max_bp": 10000}, "percent_range"),
    ],
)
def test_percent_rejections(text, kwargs, code):
    assert error_code(percent_to_bp, text, **kwargs) == code


def test_bp_to_percent():
    assert bp_to_percent(3750) == "37.5%"
    assert bp_to_percent(10000) == "100%"
    assert bp_to_percent(1) == "0.01%"
    assert bp_to_percent(-250) == "-2.5%"
    assert bp_to_percent(3750, suffix=False) == "37.5"
    assert percent_to_bp("-2.5%", allow_negative=True) == -250


@given(st.integers(-(10**9), 10**9), st.booleans())
def test_bp_round_trips(bp, suffix):
    assert percent_to_bp(bp_to_percent(bp, suffix=suffix), allow_negative=True) == bp
