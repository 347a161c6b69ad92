"""The restricted queryset every Tongcheng model uses: ``Model.objects.visible_to(user, action)``.

Which rows a user may see is decided by one rule per model, registered in ``core.access``; pages, API
endpoints, exports, counts and search all go through this method, so they cannot disagree."""

from __future__ import annotations

from typing import Any, Self

from django.db import models

__all__ = ["ScopedQuerySet"]


class ScopedQuerySet(models.QuerySet):
    def visible_to(self, user: Any, action: str = "view") -> Self:
        from .access import restrict

        return restrict(self, user, action)
