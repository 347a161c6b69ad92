"""Organisations (decision bodies, offices, companies, departments, windows …) and people (S-Z2, S-A2..A4)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from tongcheng.kit.querysets import ScopedQuerySet

from ..bilingual import Bilingual
from ..validators import check_id_number, check_phone
from .base import NameSorted, TrackedModel
from .jurisdictions import Jurisdiction
from .zones import AdjacentZone

__all__ = ["Organisation", "OrganisationKind", "Person"]


class OrganisationKind(models.TextChoices):
    DECISION_BODY = "decision_body", _("Decision body")
    SAME_CITY_OFFICE = "same_city_office", _("Same-city office")
    WORKING_GROUP = "working_group", _("Working group / command headquarters")
    PLATFORM_COMPANY = "platform_company", _("Platform or investment company")
    GOVERNMENT_DEPARTMENT = "government_department", _("Government department")
    FINANCE_BUREAU = "finance_bureau", _("Finance bureau")
    SERVICE_WINDOW = "service_window", _("Service window")
    SOCIAL_ORGANISATION = "social_organisation", _("Social organisation / intermediary")


class Organisation(Bilingual, NameSorted, TrackedModel):
    """An institution; it belongs to a jurisdiction and may belong to a zone."""

    key = models.SlugField(_("key"), max_length=80, unique=True)
    name = models.CharField(_("name"), max_length=150)
    name_en = models.CharField(_("English name"), max_length=200, blank=True)
    kind = models.CharField(_("kind"), max_length=32, choices=OrganisationKind.choices)
    jurisdiction = models.ForeignKey(
        Jurisdiction, verbose_name=_("jurisdiction"), on_delete=models.PROTECT, related_name="organisations"
    )
    zone = models.ForeignKey(
        AdjacentZone,
        verbose_name=_("zone"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="organisations",
    )
    parent = models.ForeignKey(
        "self",
        verbose_name=_("parent organisation"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="children",
    )
    established = models.DateField(_("established"), null=True, blank=True)
    description = models.TextField(_("description"), blank=True)
    description_en = models.TextField(_("English description"), blank=True)
    sources = models.JSONField(_("sources"), default=list, blank=True)
    synthetic = models.BooleanField(_("synthetic (demo)"), default=False)

    objects = ScopedQuerySet.as_manager()

    class Meta:
        ordering = ["name_sort", "pk"]
        verbose_name = _("organisation")
        verbose_name_plural = _("organisations")

    def __str__(self) -> str:
        return self.name


class Person(NameSorted, TrackedModel):
    """A person working for an organisation. The ID number is stored whole and shown masked;
    each unmasking is recorded in the audit log."""

    name = models.CharField(_("name"), max_length=60)
    organisation = models.ForeignKey(
        Organisation, verbose_name=_("organisation"), on_delete=models.PROTECT, related_name="people"
    )
    position = models.CharField(_("position"), max_length=100, blank=True)
    phone = models.CharField(_("phone"), max_length=40, blank=True, validators=[check_phone])
    id_number = models.CharField(_("ID number"), max_length=18, blank=True, validators=[check_id_number])
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        verbose_name=_("user account"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="person",
    )
    synthetic = models.BooleanField(_("synthetic (demo)"), default=False)

    objects = ScopedQuerySet.as_manager()

    class Meta:
        ordering = ["organisation__name_sort", "name_sort", "pk"]
        verbose_name = _("person")
        verbose_name_plural = _("people")

    def __str__(self) -> str:
        return self.name
