"""The API's limit/offset pagination with bounds: a page is at most NINJA_PAGINATION_MAX_LIMIT rows, and an
offset past the database's integers is a 422 naming the field (SQLite answers such an OFFSET with an error,
which would otherwise be a 500)."""

from __future__ import annotations

from django.conf import settings
from ninja import Field, Schema
from ninja.pagination import LimitOffsetPagination

__all__ = ["BoundedPagination"]

DATABASE_INTEGER_MAX = 2**63 - 1


class BoundedPagination(LimitOffsetPagination):
    class Input(Schema):
        limit: int = Field(settings.NINJA_PAGINATION_PER_PAGE, ge=1, le=settings.NINJA_PAGINATION_MAX_LIMIT)
        offset: int = Field(0, ge=0, le=DATABASE_INTEGER_MAX)
