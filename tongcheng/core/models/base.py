"""The base every registry record of Tongcheng derives from; it now lives in the kit
(tongcheng.kit.models), where it is composed of TimestampedModel, VersionedModel and HistoryModel. Kept here
so that existing imports and migrations keep working.

``NameSorted`` gives a model with a Chinese ``name`` its pinyin sort key (tongcheng.core.pinyin): lists
order by ``name_sort`` so that names sort in pinyin order on SQLite and PostgreSQL alike."""

from __future__ import annotations

from typing import Any

from django.db import models
from django.utils.translation import gettext_lazy as _

from tongcheng.kit.models import TrackedModel

from ..pinyin import SORT_KEY_MAX, sort_key

__all__ = ["NameSorted", "TrackedModel"]


class NameSorted(models.Model):
    name_sort = models.CharField(
        _("pinyin sort key"), max_length=SORT_KEY_MAX, blank=True, default="", editable=False, db_index=True
    )

    class Meta:
        abstract = True

    def save(self, *args: Any, **kwargs: Any) -> None:
        self.name_sort = sort_key(getattr(self, "name", ""))
        # A service's update writes the name with .update() and then saves only some fields (kit
        # services.apply_changes): the key goes with them, so it never lags behind the name.
        update_fields = kwargs.get("update_fields")
        if update_fields is not None:
            kwargs["update_fields"] = {*update_fields, "name_sort"}
        super().save(*args, **kwargs)

    save.alters_data = True  # type: ignore[attr-defined]
