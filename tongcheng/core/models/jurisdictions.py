"""Administrative divisions (GB/T 2260 and NBS township codes) and metropolitan areas."""

from __future__ import annotations

import datetime as dt

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from tongcheng.kit.querysets import ScopedQuerySet

from ..bilingual import Bilingual
from ..pinyin import KEY_MAX_LENGTH, search_key
from .base import NameSorted, TrackedModel

__all__ = [
    "DatePrecision",
    "Jurisdiction",
    "JurisdictionLevel",
    "JurisdictionKind",
    "MetroArea",
    "MetroMember",
]


class JurisdictionLevel(models.TextChoices):
    PROVINCE = "province", _("Province")
    PREFECTURE = "prefecture", _("Prefecture-level city")
    COUNTY = "county", _("County level")
    TOWNSHIP = "township", _("Township level")


class JurisdictionKind(models.TextChoices):
    PROVINCE = "province", _("Province")
    CITY = "city", _("City")
    DISTRICT = "district", _("District")
    COUNTY = "county", _("County")
    COUNTY_CITY = "county_city", _("County-level city")
    STREET = "street", _("Street (subdistrict)")
    TOWN = "town", _("Town")


class DatePrecision(models.TextChoices):
    """How much of a validity date the sources give. A start that is not sourced at all is UNKNOWN: the
    date stored is then only the floor lookups use (GB/T 2260's first edition, 1980) and is never shown."""

    DAY = "day", _("day")
    MONTH = "month", _("month")
    YEAR = "year", _("year")
    UNKNOWN = "unknown", _("unknown")


class JurisdictionQuerySet(ScopedQuerySet):
    def valid_on(self, day: dt.date) -> JurisdictionQuerySet:
        return self.filter(Q(valid_from__lte=day), Q(valid_to__isnull=True) | Q(valid_to__gt=day))

    def current(self) -> JurisdictionQuerySet:
        return self.filter(valid_to__isnull=True)


class Jurisdiction(Bilingual, NameSorted, TrackedModel):
    """A division code valid over [valid_from, valid_to): the same code may reappear in another period,
    and a code since abolished names its successor, so old records still resolve."""

    code = models.CharField(_("code"), max_length=12, db_index=True)
    name = models.CharField(_("name"), max_length=100)
    name_en = models.CharField(_("English name"), max_length=100, blank=True)
    level = models.CharField(_("level"), max_length=12, choices=JurisdictionLevel.choices)
    kind = models.CharField(_("kind"), max_length=12, choices=JurisdictionKind.choices)
    parent = models.ForeignKey(
        "self",
        verbose_name=_("parent"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="children",
    )
    # Materialised path of codes ("320000/320100/320111/") so a subtree is one indexed prefix filter.
    path = models.CharField(_("path"), max_length=80, db_index=True, editable=False)
    valid_from = models.DateField(_("valid from"))
    valid_from_precision = models.CharField(
        _("precision of the start"), max_length=8, choices=DatePrecision.choices, default=DatePrecision.DAY
    )
    valid_to = models.DateField(_("valid to (exclusive)"), null=True, blank=True)
    valid_to_precision = models.CharField(
        _("precision of the end"),
        max_length=8,
        blank=True,
        default="",
        choices=[c for c in DatePrecision.choices if c[0] != DatePrecision.UNKNOWN],
    )
    successor = models.ForeignKey(
        "self", verbose_name=_("successor"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    lon = models.DecimalField(_("longitude"), max_digits=9, decimal_places=6, null=True, blank=True)
    lat = models.DecimalField(_("latitude"), max_digits=9, decimal_places=6, null=True, blank=True)
    note = models.TextField(_("note"), blank=True)
    note_en = models.TextField(_("English note"), blank=True)
    # Pinyin of the name, full and initials (core/pinyin.py), so that "pk" finds 浦口区: kept in step with
    # the name on every save, filled for existing rows by migration 0008.
    search_key = models.CharField(
        _("pinyin search key"), max_length=KEY_MAX_LENGTH, blank=True, editable=False, db_index=True
    )

    objects = JurisdictionQuerySet.as_manager()

    class Meta:
        ordering = ["code", "valid_from"]
        verbose_name = _("jurisdiction")
        verbose_name_plural = _("jurisdictions")
        constraints = [
            models.UniqueConstraint(fields=["code", "valid_from"], name="jurisdiction_code_from_uniq")
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.code})"

    def save(self, *args, **kwargs):
        self.search_key = search_key(self.name)
        update_fields = kwargs.get("update_fields")
        if update_fields is not None and "name" in update_fields:
            kwargs["update_fields"] = {*update_fields, "search_key"}
        super().save(*args, **kwargs)

    @property
    def is_current(self) -> bool:
        return self.valid_to is None

    def valid_at(self, day: dt.date) -> bool:
        return self.valid_from <= day and (self.valid_to is None or day < self.valid_to)

    def display_name(self, language: str = "zh-hans") -> str:
        return self.name_en if language.startswith("en") and self.name_en else self.name

    @property
    def start_known(self) -> bool:
        return self.valid_from_precision != DatePrecision.UNKNOWN

    @property
    def known_valid_from(self) -> dt.date | None:
        """The start as the sources give it; None when it is unknown (never the 1980 floor)."""
        return self.valid_from if self.start_known else None


class MetroArea(Bilingual, TrackedModel):
    """A metropolitan area (都市圈) whose integration office runs Tongcheng; members are cities."""

    code = models.SlugField(_("code"), max_length=40, unique=True)
    name = models.CharField(_("name"), max_length=100)
    name_en = models.CharField(_("English name"), max_length=100, blank=True)
    approved = models.DateField(_("approved"), null=True, blank=True)
    core_area_km2 = models.DecimalField(
        _("core area (km²)"), max_digits=10, decimal_places=2, null=True, blank=True
    )
    planning_area_km2 = models.DecimalField(
        _("planning area (km²)"), max_digits=10, decimal_places=2, null=True, blank=True
    )
    description = models.TextField(_("description"), blank=True)
    description_en = models.TextField(_("English description"), blank=True)
    sources = models.JSONField(_("sources"), default=list, blank=True)

    objects = ScopedQuerySet.as_manager()

    class Meta:
        ordering = ["code"]
        verbose_name = _("metropolitan area")
        verbose_name_plural = _("metropolitan areas")

    def __str__(self) -> str:
        return self.name


class MetroMember(models.Model):
    """A member city of a metropolitan area, and whether it lies in the core area."""

    metro = models.ForeignKey(MetroArea, on_delete=models.CASCADE, related_name="members")
    jurisdiction = models.ForeignKey(Jurisdiction, on_delete=models.PROTECT, related_name="metro_memberships")
    core = models.BooleanField(_("in the core area"), default=False)

    objects = ScopedQuerySet.as_manager()

    class Meta:
        ordering = ["metro", "jurisdiction__code"]
        constraints = [models.UniqueConstraint(fields=["metro", "jurisdiction"], name="metro_member_uniq")]

    def __str__(self) -> str:
        return f"{self.metro_id}:{self.jurisdiction_id}"
