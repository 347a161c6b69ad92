"""The investment development fund of a zone (投资开发基金, S-B1): what each party commits per year, what
it contributes (cash, land at an agreed value, in kind), and what the fund pays out to infrastructure and
public-service projects on a resolution of the zone's decision body. Arrears and cost shares are computed
from these rows (services/fund.py), never stored.

A party is a jurisdiction that is a member of the zone or contains one (江宁区 for its 横溪街道). Every row
lies in its zone; the zone's office keeps them, and the finance bureaus of the parties read them."""

from __future__ import annotations

from django.core.validators import MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from tongcheng.core.bilingual import Bilingual
from tongcheng.core.limits import TextRule
from tongcheng.core.models import AdjacentZone, Jurisdiction
from tongcheng.kit.models import TrackedModel
from tongcheng.kit.querysets import ScopedQuerySet

from .. import limits
from .records import NAME_EN_RULE, NAME_RULE, YEAR_VALIDATORS, Demo

__all__ = [
    "ContributionKind",
    "DisbursementPurpose",
    "FundCommitment",
    "FundContribution",
    "FundDisbursement",
]

REFERENCE_RULE = TextRule(limits.REFERENCE_MAX)
REFERENCE_OPTIONAL_RULE = TextRule(limits.REFERENCE_MAX, blank=True)
POSITIVE = [MinValueValidator(1)]


class ContributionKind(models.TextChoices):
    CASH = "cash", _("Cash")
    LAND = "land", _("Land at an agreed value")
    IN_KIND = "in_kind", _("In kind")


class DisbursementPurpose(models.TextChoices):
    INFRASTRUCTURE = "infrastructure", _("Infrastructure")
    PUBLIC_SERVICE = "public_service", _("Public service")


class FundCommitment(Demo, TrackedModel):
    """What a party undertook to pay into the zone's fund for one year. A year's commitment falls due at the
    end of that year (services/fund.py)."""

    zone = models.ForeignKey(AdjacentZone, verbose_name=_("zone"), on_delete=models.PROTECT, related_name="+")
    party = models.ForeignKey(
        Jurisdiction, verbose_name=_("party"), on_delete=models.PROTECT, related_name="+"
    )
    year = models.PositiveSmallIntegerField(_("year"), validators=YEAR_VALIDATORS)
    amount_fen = models.BigIntegerField(_("amount (fen)"), validators=[MinValueValidator(0)])
    reference = models.CharField(
        _("reference"), max_length=limits.REFERENCE_MAX, blank=True, validators=[REFERENCE_OPTIONAL_RULE]
    )

    objects = ScopedQuerySet.as_manager()

    class Meta:
        ordering = ["zone", "year", "party__code"]
        verbose_name = _("fund commitment")
        verbose_name_plural = _("fund commitments")
        constraints = [
            models.UniqueConstraint(fields=["zone", "party", "year"], name="coop_commitment_party_year")
        ]

    def __str__(self) -> str:
        return f"{self.party.name} {self.year}"


class FundContribution(Demo, TrackedModel):
    """A payment into the fund: cash, land at the value the parties agreed, or a contribution in kind at its
    agreed value; dated, with its voucher or agreement reference."""

    zone = models.ForeignKey(AdjacentZone, verbose_name=_("zone"), on_delete=models.PROTECT, related_name="+")
    party = models.ForeignKey(
        Jurisdiction, verbose_name=_("party"), on_delete=models.PROTECT, related_name="+"
    )
    kind = models.CharField(_("kind"), max_length=10, choices=ContributionKind.choices)
    amount_fen = models.BigIntegerField(_("amount or agreed value (fen)"), validators=POSITIVE)
    date = models.DateField(_("date"))
    reference = models.CharField(_("reference"), max_length=limits.REFERENCE_MAX, validators=[REFERENCE_RULE])
    description = models.CharField(
        _("description"),
        max_length=limits.NAME_MAX,
        blank=True,
        validators=[TextRule(limits.NAME_MAX, blank=True)],
    )

    objects = ScopedQuerySet.as_manager()

    class Meta:
        ordering = ["zone", "date", "pk"]
        verbose_name = _("fund contribution")
        verbose_name_plural = _("fund contributions")

    def __str__(self) -> str:
        return f"{self.party.name} {self.date} {self.reference}"


class FundDisbursement(Bilingual, Demo, TrackedModel):
    """A payment out of the fund to an infrastructure or public-service project, approved by a resolution
    (决议) of the zone's decision body, whose reference it carries."""

    zone = models.ForeignKey(AdjacentZone, verbose_name=_("zone"), on_delete=models.PROTECT, related_name="+")
    purpose = models.CharField(_("purpose"), max_length=20, choices=DisbursementPurpose.choices)
    name = models.CharField(_("project"), max_length=limits.NAME_MAX, validators=[NAME_RULE])
    name_en = models.CharField(
        _("project (English)"), max_length=limits.NAME_EN_MAX, blank=True, validators=[NAME_EN_RULE]
    )
    amount_fen = models.BigIntegerField(_("amount (fen)"), validators=POSITIVE)
    date = models.DateField(_("date"))
    resolution = models.CharField(
        _("approving resolution"), max_length=limits.REFERENCE_MAX, validators=[REFERENCE_RULE]
    )

    objects = ScopedQuerySet.as_manager()

    class Meta:
        ordering = ["zone", "date", "pk"]
        verbose_name = _("fund disbursement")
        verbose_name_plural = _("fund disbursements")

    def __str__(self) -> str:
        return f"{self.name} {self.date}"
