"""Adjacent zones (毗邻区, S-Z1/S-A1) and their member jurisdictions."""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _

from tongcheng.kit.querysets import ScopedQuerySet

from .. import limits
from ..bilingual import Bilingual
from ..validators import InvalidValue
from .base import NameSorted, TrackedModel
from .jurisdictions import Jurisdiction, MetroArea

__all__ = ["AdjacentZone", "ZoneKind", "ZoneMember", "ZoneStatus", "MemberRole"]


class ZoneKind(models.TextChoices):
    CROSS_BORDER_DEMO_ZONE = "cross_border_demo_zone", _("Cross-border integration demonstration zone")
    SPECIAL_COOPERATION_ZONE = "special_cooperation_zone", _("Special cooperation zone")
    NEW_FUNCTIONAL_ZONE = "new_functional_zone", _("Provincial-border new functional zone")
    COOPERATION_PARK = "cooperation_park", _("Co-built cooperation park")
    # Two cities' standing cooperation (e.g. 宁淮): the record their joint bodies and co-built parks belong to.
    CITY_COOPERATION = "city_cooperation", _("City-level cooperation")


class ZoneStatus(models.TextChoices):
    # A zone that reaches beyond its proposer's territory waits for the metropolitan-area office; until
    # then it gives nobody access to anything (see core.access).
    ACTIVE = "active", _("Active")
    PROPOSED = "proposed", _("Proposed")
    REJECTED = "rejected", _("Rejected")


class AdjacentZone(Bilingual, NameSorted, TrackedModel):
    """A strip where jurisdictions of different provinces or cities touch, run jointly as one city."""

    metro = models.ForeignKey(
        MetroArea, verbose_name=_("metropolitan area"), on_delete=models.PROTECT, related_name="zones"
    )
    code = models.SlugField(_("code"), max_length=60, unique=True)
    name = models.CharField(_("name"), max_length=100)
    name_en = models.CharField(_("English name"), max_length=150, blank=True)
    kind = models.CharField(_("kind"), max_length=32, choices=ZoneKind.choices)
    parent = models.ForeignKey(
        "self",
        verbose_name=_("part of"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="children",
    )
    established = models.DateField(_("established"))
    established_precision = models.CharField(
        _("precision of the date"),
        max_length=5,
        default="day",
        choices=[("day", _("day")), ("month", _("month")), ("year", _("year"))],
    )
    # What the establishment date rests on (a signed agreement, a plaque …), as the sources say it.
    established_basis = models.TextField(_("basis of the date"), blank=True)
    established_basis_en = models.TextField(_("basis of the date (English)"), blank=True)
    ended = models.DateField(_("ended"), null=True, blank=True)
    planning_area_km2 = models.DecimalField(
        _("planning area (km²)"), max_digits=10, decimal_places=2, null=True, blank=True
    )
    start_area_km2 = models.DecimalField(
        _("start area (km²)"), max_digits=10, decimal_places=2, null=True, blank=True
    )
    # The same TextRule as the API schemas and the forms: one limit and one message for every way in.
    description = models.TextField(
        _("description"),
        blank=True,
        max_length=limits.ZONE_DESCRIPTION_MAX,
        validators=[limits.TextRule(limits.ZONE_DESCRIPTION_MAX, multiline=True, blank=True)],
    )
    description_en = models.TextField(
        _("English description"),
        blank=True,
        max_length=limits.ZONE_DESCRIPTION_MAX,
        validators=[limits.TextRule(limits.ZONE_DESCRIPTION_MAX, multiline=True, blank=True)],
    )
    sources = models.JSONField(_("sources"), default=list, blank=True)
    status = models.CharField(
        _("status"), max_length=10, choices=ZoneStatus.choices, default=ZoneStatus.ACTIVE, db_index=True
    )
    proposed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("proposed by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    decision_note = models.TextField(
        _("decision note"),
        blank=True,
        max_length=limits.ZONE_DECISION_NOTE_MAX,
        validators=[limits.TextRule(limits.ZONE_DECISION_NOTE_MAX, multiline=True, blank=True)],
    )

    objects = ScopedQuerySet.as_manager()

    class Meta:
        ordering = ["established", "code"]
        verbose_name = _("adjacent zone")
        verbose_name_plural = _("adjacent zones")

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        super().clean()
        try:
            limits.check_zone_period(self.established, self.ended)
        except InvalidValue as exc:
            raise ValidationError({"ended": exc}) from exc


class MemberRole(models.TextChoices):
    HOST = "host", _("Host")
    PARTNER = "partner", _("Partner")
    ORIGIN = "origin", _("Origin")


class ZoneMember(models.Model):
    """A jurisdiction taking part in a zone, on the side of a party (the city it acts for)."""

    zone = models.ForeignKey(AdjacentZone, on_delete=models.CASCADE, related_name="members")
    jurisdiction = models.ForeignKey(
        Jurisdiction, verbose_name=_("member"), on_delete=models.PROTECT, related_name="zone_memberships"
    )
    party = models.ForeignKey(
        Jurisdiction, verbose_name=_("party"), on_delete=models.PROTECT, related_name="+"
    )
    side = models.CharField(_("side"), max_length=40)
    role = models.CharField(_("role"), max_length=12, choices=MemberRole.choices, default=MemberRole.PARTNER)
    since = models.DateField(_("since"), null=True, blank=True)

    objects = ScopedQuerySet.as_manager()

    class Meta:
        ordering = ["zone", "side", "jurisdiction__code"]
        verbose_name = _("zone member")
        verbose_name_plural = _("zone members")
        constraints = [models.UniqueConstraint(fields=["zone", "jurisdiction"], name="zone_member_uniq")]

    def __str__(self) -> str:
        return f"{self.zone} · {self.jurisdiction}"
