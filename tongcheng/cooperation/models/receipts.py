"""High-volume rows imported from the tax and statistics systems: receipts (税收入库明细), statistical
indicators (统计指标). Head-office apportionment factors (总分机构分配因素) are imported into the records'
``ApportionmentFactor`` (records.py) through the records' services.

These rows have no per-row history (``TimestampedModel`` only): a zone holds millions of receipts, and what
changed is recorded per import (one audit entry naming the file, the counts and the importer). Each row has
a stable key within its zone, so re-importing an edited export updates rows instead of duplicating them:

- a receipt: ``receipt_id`` (the tax system's 电子税票号 and line, as exported);
- an indicator: (enterprise, period, indicator).

Keys of other records are natural strings, not foreign keys: the enterprise is its 18-character 统一社会信用代码
and the collecting treasury its 6-digit GB/T 2260 code. The engine reads exactly these strings; a code keeps
meaning the treasury of its time even when the registry later dates the code out; an import of a million
rows resolves nothing per row and checks no foreign key per insert; and the national code list
(engine/divisions.py) is wider than the registry's jurisdictions of the metropolitan area, so a head office's
receipts collected in Shanghai are still stored. Scoping by jurisdiction uses the code against the registry's
materialised paths in one subquery (sharing/rules.py).

Months are stored as integers ``YYYYMM`` (202601): readable in SQL, ordered, filtered by range and turned
into the engine's month numbers with integer arithmetic on whole columns."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from tongcheng.kit.models import TimestampedModel
from tongcheng.kit.querysets import ScopedQuerySet

__all__ = ["IndicatorValue", "Receipt", "ReceiptSum", "INDICATOR_CHOICES", "format_yyyymm"]

RECEIPT_ID_MAX = 64
PROJECT_MAX = 100


def format_yyyymm(value: int | None) -> str:
    """202601 -> "2026-01" (empty for None)."""
    if value is None:
        return ""
    return f"{value // 100:04d}-{value % 100:02d}"


class Receipt(TimestampedModel):
    """Tax actually collected (实际入库) from one enterprise, in one month, by one treasury."""

    zone = models.ForeignKey(
        "core.AdjacentZone", verbose_name=_("zone"), on_delete=models.PROTECT, related_name="+"
    )
    receipt_id = models.CharField(_("receipt number"), max_length=RECEIPT_ID_MAX)
    enterprise = models.CharField(_("credit code"), max_length=18)
    jurisdiction = models.CharField(_("collecting jurisdiction"), max_length=6)
    period = models.PositiveIntegerField(_("month collected"))  # YYYYMM
    tax_type = models.CharField(_("tax type"), max_length=20)
    amount_fen = models.BigIntegerField(_("amount (fen)"))  # refunds negative
    project = models.CharField(_("project"), max_length=PROJECT_MAX, blank=True)
    # Written by the demo loader; an import that touches the row makes it the user's (never reset by a reload).
    synthetic = models.BooleanField(_("synthetic (demo)"), default=False)

    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("receipt")
        verbose_name_plural = _("receipts")
        constraints = [
            models.UniqueConstraint(fields=["zone", "receipt_id"], name="coop_receipt_zone_id_uniq")
        ]
        indexes = [
            models.Index(fields=["zone", "period"], name="coop_receipt_zone_period"),
            models.Index(fields=["jurisdiction", "period"], name="coop_receipt_jur_period"),
        ]

    def __str__(self) -> str:
        return self.receipt_id

    @property
    def period_text(self) -> str:
        return format_yyyymm(self.period)


class ReceiptSum(models.Model):
    """Receipts summed per settlement group (zone, month, enterprise, treasury, tax type, project): what the
    engine reads (the sums give it the same result to the fen as the single rows). Derived data, refreshed
    for the months an import or the demo loader wrote (``sharing.loader.refresh_receipt_sums``), so that a
    settlement or a what-if preview reads thousands of sums rather than millions of rows."""

    zone = models.ForeignKey(
        "core.AdjacentZone", verbose_name=_("zone"), on_delete=models.CASCADE, related_name="+"
    )
    period = models.PositiveIntegerField(_("month collected"))  # YYYYMM
    enterprise = models.CharField(_("credit code"), max_length=18)
    jurisdiction = models.CharField(_("collecting jurisdiction"), max_length=6)
    tax_type = models.CharField(_("tax type"), max_length=20)
    project = models.CharField(_("project"), max_length=PROJECT_MAX, blank=True)
    amount_fen = models.BigIntegerField(_("amount (fen)"))
    rows = models.PositiveIntegerField(_("rows"))

    class Meta:
        verbose_name = _("receipt sum")
        verbose_name_plural = _("receipt sums")
        indexes = [models.Index(fields=["zone", "period"], name="coop_receiptsum_zone_period")]

    def __str__(self) -> str:
        return f"{self.enterprise} {format_yyyymm(self.period)} {self.tax_type}"


INDICATOR_CHOICES = [
    ("gdp", _("GDP / value added")),
    ("industrial_output", _("Gross industrial output")),
    ("fixed_asset_investment", _("Fixed-asset investment")),
    ("revenue", _("Business revenue")),
]


class IndicatorValue(TimestampedModel):
    """A statistical indicator of an enterprise in a month (统计分算, S-B3), in any integer unit (e.g. 元)."""

    zone = models.ForeignKey(
        "core.AdjacentZone", verbose_name=_("zone"), on_delete=models.PROTECT, related_name="+"
    )
    enterprise = models.CharField(_("credit code"), max_length=18)
    period = models.PositiveIntegerField(_("month"))  # YYYYMM
    indicator = models.CharField(_("indicator"), max_length=30, choices=INDICATOR_CHOICES)
    value = models.BigIntegerField(_("value"))
    synthetic = models.BooleanField(_("synthetic (demo)"), default=False)

    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("statistical indicator")
        verbose_name_plural = _("statistical indicators")
        constraints = [
            models.UniqueConstraint(
                fields=["zone", "enterprise", "period", "indicator"], name="coop_indicator_key_uniq"
            )
        ]
        indexes = [models.Index(fields=["zone", "period"], name="coop_indicator_zone_period")]
