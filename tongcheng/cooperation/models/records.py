"""The records of the cooperation system (S-Z3, S-Z4, S-B4): co-built parks, enterprises and their
establishments, cooperation projects, the parks' yearly results, the 57号 apportionment factors of each
establishment, and each province's rule for head offices whose branches stay inside the province.

Every row lies somewhere (its scope anchor, cooperation/rules.py): a park, a project and a park's figures in
a zone; an enterprise in its registered jurisdiction and, optionally, the zone whose office keeps it; an
establishment and its factors with their enterprise. Money is integer fen, areas whole square metres."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from tongcheng.core.bilingual import Bilingual
from tongcheng.core.limits import TextRule
from tongcheng.core.models import AdjacentZone, Jurisdiction, Organisation
from tongcheng.core.models.base import NameSorted
from tongcheng.core.pinyin import KEY_MAX_LENGTH, search_key
from tongcheng.core.validators import check_uscc
from tongcheng.kit.models import TrackedModel
from tongcheng.kit.querysets import ScopedQuerySet

from .. import limits
from ..industries import INDUSTRY_MAX, check_industry, industry_name

__all__ = [
    "ApportionmentFactor",
    "CooperationMode",
    "Enterprise",
    "Establishment",
    "EstablishmentKind",
    "Park",
    "ParkYear",
    "Project",
    "ProjectStatus",
    "ProvinceRule",
    "Searchable",
    "area_km2",
]

NAME_RULE = TextRule(limits.NAME_MAX)
NAME_EN_RULE = TextRule(limits.NAME_EN_MAX, blank=True)
NAME_OPTIONAL_RULE = TextRule(limits.NAME_MAX, blank=True)
NOTE_RULE = TextRule(limits.NOTE_MAX, multiline=True, blank=True)
YEAR_VALIDATORS = [MinValueValidator(limits.YEAR_MIN), MaxValueValidator(limits.YEAR_MAX)]
NOT_NEGATIVE = [MinValueValidator(0)]


def area_km2(area_m2: int | None) -> Decimal | None:
    """Square metres as km², exact (34,130,000 m² → 34.13)."""
    if area_m2 is None:
        return None
    return (Decimal(area_m2) / Decimal(1_000_000)).normalize() if area_m2 else Decimal(0)


class Searchable(NameSorted):
    """A record with a Chinese ``name``: its pinyin sort key (``name_sort``) and search key (``search_key``,
    " huanuobandaoti hnbdt"), kept in step with the name on every save, so lists sort in pinyin order and a
    search for "hn" finds 华诺. Batch writers that bypass ``save`` call ``fill_keys``."""

    search_key = models.CharField(
        _("pinyin search key"), max_length=KEY_MAX_LENGTH, blank=True, default="", editable=False
    )

    class Meta:
        abstract = True

    def fill_keys(self) -> None:
        from tongcheng.core.pinyin import sort_key

        self.name_sort = sort_key(self.name)
        self.search_key = search_key(self.name)

    def save(self, *args: Any, **kwargs: Any) -> None:
        self.search_key = search_key(getattr(self, "name", ""))
        update_fields = kwargs.get("update_fields")
        if update_fields is not None:
            kwargs["update_fields"] = {*update_fields, "search_key"}
        super().save(*args, **kwargs)

    save.alters_data = True  # type: ignore[attr-defined]


class Demo(models.Model):
    """A note in both languages and whether the row is invented demo data (labelled so in the note)."""

    note = models.TextField(_("note"), blank=True, max_length=limits.NOTE_MAX, validators=[NOTE_RULE])
    note_en = models.TextField(
        _("English note"), blank=True, max_length=limits.NOTE_MAX, validators=[NOTE_RULE]
    )
    synthetic = models.BooleanField(_("synthetic (demo)"), default=False)

    class Meta:
        abstract = True


class CooperationMode(models.TextChoices):
    """The three cooperation modes of S-B4."""

    INDUSTRIAL_PARK = "industrial_park", _("Industrial cooperation park")
    HEADQUARTERS = "headquarters", _("Headquarters economy")
    CROSS_REGION = "cross_region", _("Cross-region project")


class ProjectStatus(models.TextChoices):
    """Declared as a workflow (services/projects.py): signed → under construction → in production."""

    SIGNED = "signed", _("Signed")
    UNDER_CONSTRUCTION = "under_construction", _("Under construction")
    IN_PRODUCTION = "in_production", _("In production")


class EstablishmentKind(models.TextChoices):
    HEAD_OFFICE = "head_office", _("Head office")
    BRANCH = "branch", _("Branch")
    PRODUCTION_BASE = "production_base", _("Production base")


class Park(Bilingual, Searchable, Demo, TrackedModel):
    """A co-built cooperation park (共建合作园区) of a zone: where it lies (its host), who runs it, which
    jurisdictions build it with the host, its area and its dates."""

    code = models.SlugField(_("code"), max_length=limits.CODE_MAX, unique=True)
    name = models.CharField(_("name"), max_length=limits.NAME_MAX, validators=[NAME_RULE])
    name_en = models.CharField(
        _("English name"), max_length=limits.NAME_EN_MAX, blank=True, validators=[NAME_EN_RULE]
    )
    zone = models.ForeignKey(AdjacentZone, verbose_name=_("zone"), on_delete=models.PROTECT, related_name="+")
    host = models.ForeignKey(
        Jurisdiction, verbose_name=_("host jurisdiction"), on_delete=models.PROTECT, related_name="+"
    )
    managing_organisation = models.ForeignKey(
        Organisation,
        verbose_name=_("managing organisation"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    partners = models.ManyToManyField(
        Jurisdiction, verbose_name=_("partner jurisdictions"), blank=True, related_name="+"
    )
    # Whole square metres (1 km² = 1,000,000 m²): exact, no decimal field. Empty when no source gives it.
    area_m2 = models.PositiveBigIntegerField(
        _("area (m²)"), null=True, blank=True, validators=[MaxValueValidator(limits.AREA_M2_MAX)]
    )
    established = models.DateField(_("established"), null=True, blank=True)
    closed = models.DateField(_("closed"), null=True, blank=True)

    objects = ScopedQuerySet.as_manager()

    class Meta:
        ordering = ["name_sort", "pk"]
        verbose_name = _("park")
        verbose_name_plural = _("parks")

    def __str__(self) -> str:
        return self.name

    @property
    def area_km2(self) -> Decimal | None:
        return area_km2(self.area_m2)

    def clean(self) -> None:
        super().clean()
        if self.established and self.closed and self.closed < self.established:
            raise ValidationError({"closed": _("A park cannot close before it is established.")})


class ParkYear(Demo, TrackedModel):
    """A park's results in one calendar year, as its statistics and finance bureaus report them (在地统计):
    business revenue (营业收入 / 业务总收入 of the enterprises in the park) and general public budget
    revenue (一般公共预算收入 collected from it). They belong to the park, not to projects: the bureaus
    report them per park, budget revenue includes what no project owns (land, non-tax revenue), and a
    project's share of it is nowhere published. The overview's totals add these rows up."""

    park = models.ForeignKey(Park, verbose_name=_("park"), on_delete=models.PROTECT, related_name="years")
    year = models.PositiveSmallIntegerField(_("year"), validators=YEAR_VALIDATORS)
    business_revenue_fen = models.BigIntegerField(
        _("business revenue (fen)"), default=0, validators=NOT_NEGATIVE
    )
    budget_revenue_fen = models.BigIntegerField(
        _("general public budget revenue (fen)"), default=0, validators=NOT_NEGATIVE
    )

    objects = ScopedQuerySet.as_manager()

    class Meta:
        ordering = ["park", "year"]
        verbose_name = _("park year")
        verbose_name_plural = _("park years")
        constraints = [models.UniqueConstraint(fields=["park", "year"], name="coop_park_year_uniq")]

    def __str__(self) -> str:
        return f"{self.park} {self.year}"


class Enterprise(Bilingual, Searchable, Demo, TrackedModel):
    """An enterprise taking part in the cooperation, by its 统一社会信用代码 (GB 32100, check character
    verified), its industry (GB/T 4754) and where it is registered. ``zone`` names the zone whose office
    keeps the record (an enterprise registered outside every zone, investing in one, is kept by it)."""

    credit_code = models.CharField(
        _("unified social credit code"), max_length=18, unique=True, validators=[check_uscc]
    )
    name = models.CharField(_("name"), max_length=limits.NAME_MAX, validators=[NAME_RULE])
    name_en = models.CharField(
        _("English name"), max_length=limits.NAME_EN_MAX, blank=True, validators=[NAME_EN_RULE]
    )
    industry = models.CharField(
        _("industry (GB/T 4754)"), max_length=INDUSTRY_MAX, validators=[check_industry]
    )
    jurisdiction = models.ForeignKey(
        Jurisdiction, verbose_name=_("registered jurisdiction"), on_delete=models.PROTECT, related_name="+"
    )
    zone = models.ForeignKey(
        AdjacentZone,
        verbose_name=_("kept by the zone"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )

    objects = ScopedQuerySet.as_manager()

    class Meta:
        ordering = ["name_sort", "pk"]
        verbose_name = _("enterprise")
        verbose_name_plural = _("enterprises")

    def __str__(self) -> str:
        return self.name

    @property
    def industry_text(self) -> str:
        from tongcheng.core.bilingual import is_english

        return f"{self.industry} {industry_name(self.industry, is_english())}"


class Establishment(Demo, TrackedModel):
    """A place where an enterprise operates: its head office, a branch (二级分支机构) or a production base,
    in a jurisdiction and possibly in a park, with its dates and whether it is an internal support unit that
    pays no VAT where it is (57号 art. 5(1): it does not share the apportioned tax)."""

    enterprise = models.ForeignKey(
        Enterprise, verbose_name=_("enterprise"), on_delete=models.PROTECT, related_name="establishments"
    )
    kind = models.CharField(_("kind"), max_length=20, choices=EstablishmentKind.choices)
    name = models.CharField(
        _("name"), max_length=limits.NAME_MAX, blank=True, validators=[NAME_OPTIONAL_RULE]
    )
    name_en = models.CharField(
        _("English name"), max_length=limits.NAME_EN_MAX, blank=True, validators=[NAME_EN_RULE]
    )
    jurisdiction = models.ForeignKey(
        Jurisdiction, verbose_name=_("jurisdiction"), on_delete=models.PROTECT, related_name="+"
    )
    park = models.ForeignKey(
        Park, verbose_name=_("park"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    opened = models.DateField(_("opened"), null=True, blank=True)
    closed = models.DateField(_("closed"), null=True, blank=True)
    support_unit = models.BooleanField(_("internal support unit"), default=False)

    objects = ScopedQuerySet.as_manager()

    class Meta:
        ordering = ["enterprise", "kind", "pk"]
        verbose_name = _("establishment")
        verbose_name_plural = _("establishments")
        constraints = [
            # One head office per enterprise (57号: the head office is the one unit called "HQ").
            models.UniqueConstraint(
                fields=["enterprise"],
                condition=models.Q(kind="head_office"),
                name="coop_one_head_office",
            )
        ]

    def __str__(self) -> str:
        return self.name or f"{self.enterprise} · {self.get_kind_display()}"

    def clean(self) -> None:
        super().clean()
        if self.opened and self.closed and self.closed < self.opened:
            raise ValidationError({"closed": _("An establishment cannot close before it opens.")})


class Project(Bilingual, Searchable, Demo, TrackedModel):
    """A cooperation project of a zone (S-Z4, S-B4): its mode, the investment agreed in fen, where it is
    (park) and whose it is (enterprise), its status (a workflow: signed → under construction → in
    production) and the jurisdictions that attracted it jointly."""

    code = models.SlugField(_("code"), max_length=limits.CODE_MAX, unique=True)
    name = models.CharField(_("name"), max_length=limits.NAME_MAX, validators=[NAME_RULE])
    name_en = models.CharField(
        _("English name"), max_length=limits.NAME_EN_MAX, blank=True, validators=[NAME_EN_RULE]
    )
    zone = models.ForeignKey(AdjacentZone, verbose_name=_("zone"), on_delete=models.PROTECT, related_name="+")
    park = models.ForeignKey(
        Park, verbose_name=_("park"), null=True, blank=True, on_delete=models.PROTECT, related_name="projects"
    )
    enterprise = models.ForeignKey(
        Enterprise,
        verbose_name=_("enterprise"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="projects",
    )
    mode = models.CharField(_("cooperation mode"), max_length=20, choices=CooperationMode.choices)
    investment_fen = models.BigIntegerField(_("investment (fen)"), default=0, validators=NOT_NEGATIVE)
    status = models.CharField(
        _("status"), max_length=20, choices=ProjectStatus.choices, default=ProjectStatus.SIGNED
    )
    signed_on = models.DateField(_("signed on"), null=True, blank=True)
    attracted_by = models.ManyToManyField(
        Jurisdiction, verbose_name=_("attracted jointly by"), blank=True, related_name="+"
    )
    support_measures = models.TextField(
        _("support measures"), blank=True, max_length=limits.NOTE_MAX, validators=[NOTE_RULE]
    )
    support_measures_en = models.TextField(
        _("English support measures"), blank=True, max_length=limits.NOTE_MAX, validators=[NOTE_RULE]
    )

    objects = ScopedQuerySet.as_manager()

    class Meta:
        ordering = ["name_sort", "pk"]
        verbose_name = _("project")
        verbose_name_plural = _("projects")
        indexes = [models.Index(fields=["zone", "mode"]), models.Index(fields=["zone", "status"])]

    def __str__(self) -> str:
        return self.name


class ApportionmentFactor(Demo, TrackedModel):
    """An establishment's 57号 factors of one year (fiscal.md §2): revenue (营业收入), payroll (职工薪酬)
        and assets (资产总额 at 31 December), in fen. A branch's ratio in year Y+1 weighs these of year Y
        0.35 / 0.35 / 0.30 (engine/headquarters.py). Recorded one by one (``services.records.save_factors``) or
    imported from the tax system's file (sharing/imports.py, through ``services.batch``: the file's "year
    applied" Y is stored as the figures' year Y-1); ``sharing.loader.factors_for_engine`` gives them to the
    engine, only for enterprises whose establishments lie in more than one province."""

    establishment = models.ForeignKey(
        Establishment, verbose_name=_("establishment"), on_delete=models.PROTECT, related_name="factors"
    )
    year = models.PositiveSmallIntegerField(_("year"), validators=YEAR_VALIDATORS)
    revenue_fen = models.BigIntegerField(_("revenue (fen)"), default=0, validators=NOT_NEGATIVE)
    payroll_fen = models.BigIntegerField(_("payroll (fen)"), default=0, validators=NOT_NEGATIVE)
    assets_fen = models.BigIntegerField(_("assets (fen)"), default=0, validators=NOT_NEGATIVE)
    # The enterprise was certified 小型微利企业 in this year (57号 art. 5(2): none of its branches shares the
    # next year's tax); true on any of its establishments' rows of the year makes it true for all.
    small_low_profit = models.BooleanField(_("small low-profit enterprise"), default=False)

    objects = ScopedQuerySet.as_manager()

    class Meta:
        ordering = ["establishment", "year"]
        verbose_name = _("apportionment factor")
        verbose_name_plural = _("apportionment factors")
        constraints = [
            models.UniqueConstraint(fields=["establishment", "year"], name="coop_factor_establishment_year")
        ]

    def __str__(self) -> str:
        return f"{self.establishment} {self.year}"


class ProvinceRule(Bilingual, Demo, TrackedModel):
    """How a province shares the income tax of a head office whose branches all lie inside it (fiscal.md
    §2: such an enterprise is outside 57号 and follows its province's own rule). By default it is not
    apportioned across cities (the tax stays where the head office pays it); the note says what the rule
    rests on, or that it was not found."""

    province = models.OneToOneField(
        Jurisdiction, verbose_name=_("province"), on_delete=models.PROTECT, related_name="+"
    )
    apportioned_across_cities = models.BooleanField(_("apportioned across cities"), default=False)
    rule = models.TextField(_("rule"), blank=True, max_length=limits.NOTE_MAX, validators=[NOTE_RULE])
    rule_en = models.TextField(
        _("English rule"), blank=True, max_length=limits.NOTE_MAX, validators=[NOTE_RULE]
    )

    objects = ScopedQuerySet.as_manager()

    class Meta:
        ordering = ["province__code"]
        verbose_name = _("province rule")
        verbose_name_plural = _("province rules")

    def __str__(self) -> str:
        return str(self.province.name)
