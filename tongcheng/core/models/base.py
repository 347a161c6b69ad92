"""The base every registry record of Tongcheng derives from; it now lives in the kit
(tongcheng.kit.models), where it is composed of TimestampedModel, VersionedModel and HistoryModel. Kept here
so that existing imports and migrations keep working."""

from __future__ import annotations

from tongcheng.kit.models import TrackedModel

__all__ = ["TrackedModel"]
