"""Schemas every API router shares: the one error shape ``{code, message, field, errors}``."""

from __future__ import annotations

from ninja import Field, Schema

__all__ = ["ErrorItem", "ErrorOut"]


class ErrorItem(Schema):
    field: str | None = None
    code: str
    message: str


class ErrorOut(Schema):
    code: str = Field(
        ..., description="Stable machine code, e.g. not_found, validation_failed, stale_version"
    )
    message: str
    field: str | None = Field(None, description="The input field at fault, where there is one")
    errors: list[ErrorItem] = []
