"""Template filters of the cooperation pages: money in fen shown in 元, 万元 or 亿元 (exact), areas in km²."""

from __future__ import annotations

from django import template

from tongcheng.core.money import format_fen

from ..models.records import area_km2

register = template.Library()


@register.filter
def yuan(fen: int | None) -> str:
    return "" if fen is None else format_fen(fen, "yuan")


@register.filter
def wan(fen: int | None) -> str:
    return "" if fen is None else format_fen(fen, "wan")


@register.filter
def yi(fen: int | None) -> str:
    return "" if fen is None else format_fen(fen, "yi")


@register.filter
def km2(area_m2: int | None) -> str:
    value = area_km2(area_m2)
    return "" if value is None else f"{value:.2f}"
