"""Settlements (结算, S-B5): the engine's division of a zone's receipts of a range of months between the
parties of its agreements, confirmed by every party's finance bureau and then final.

- ``Settlement``: number (gapless per zone and year), zone, months, state draft → submitted → final, the
  fingerprint of the engine input it was computed from, and — once final — its place in the zone's hash
  chain (``kit.ledger``). A final settlement is immutable below the view layer: the ORM refuses to save or
  delete it, and database triggers (migration 0003) refuse any UPDATE or DELETE of its row.
- ``SettlementParty``: the jurisdictions (treasuries) that must confirm it.
- ``SettlementLine``: high-volume, append-only rows in integer fen: a share per agreement × party × tax type,
  a transfer between two parties, or an adjustment of an earlier final settlement. Each computation of a
  draft appends its lines under a new ``run`` number; the settlement names its current run."""

from __future__ import annotations

from typing import Any

from django.db import models
from django.utils.translation import gettext_lazy as _

from tongcheng.kit.models import AppendOnlyModel, AppendOnlyQuerySet, TrackedModel
from tongcheng.kit.querysets import ScopedQuerySet

__all__ = [
    "LineKind",
    "Settlement",
    "SettlementError",
    "SettlementLine",
    "SettlementParty",
    "SettlementStatus",
]


class SettlementError(Exception):
    """An update or delete of a final settlement through the ORM."""


class SettlementStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    SUBMITTED = "submitted", _("Submitted")
    FINAL = "final", _("Final")


class Settlement(TrackedModel):
    zone = models.ForeignKey(
        "core.AdjacentZone", verbose_name=_("zone"), on_delete=models.PROTECT, related_name="+"
    )
    number = models.CharField(_("number"), max_length=40, unique=True)
    year = models.PositiveIntegerField(_("year"))
    first = models.PositiveIntegerField(_("first month"))  # YYYYMM
    last = models.PositiveIntegerField(_("last month"))  # YYYYMM
    status = models.CharField(
        _("status"), max_length=12, choices=SettlementStatus.choices, default=SettlementStatus.DRAFT
    )
    run = models.PositiveIntegerField(_("computation"), default=0)  # 0: not computed yet
    computing = models.BooleanField(_("being computed"), default=False)
    computed_at = models.DateTimeField(_("computed at"), null=True, blank=True)
    fingerprint = models.CharField(_("input fingerprint"), max_length=64, blank=True)
    total_fen = models.BigIntegerField(_("total shared (fen)"), default=0)
    error = models.TextField(_("computation error"), blank=True, max_length=5000)
    note = models.TextField(_("note"), blank=True, max_length=5000)
    finalised_at = models.DateTimeField(_("finalised at"), null=True, blank=True)
    ledger_chain = models.CharField(_("ledger chain"), max_length=100, blank=True)
    ledger_sequence = models.PositiveBigIntegerField(_("ledger sequence"), null=True, blank=True)
    ledger_hash = models.CharField(_("ledger hash"), max_length=64, blank=True)

    objects = ScopedQuerySet.as_manager()

    class Meta:
        ordering = ["-year", "-number"]
        verbose_name = _("settlement")
        verbose_name_plural = _("settlements")
        indexes = [models.Index(fields=["zone", "status"], name="coop_settlement_zone_status")]

    def __str__(self) -> str:
        return self.number

    def get_absolute_url(self) -> str:
        from django.urls import reverse

        return reverse("settlement_detail", args=[self.number])

    @property
    def period_label(self) -> str:
        return f"{self.first // 100:04d}-{self.first % 100:02d}..{self.last // 100:04d}-{self.last % 100:02d}"

    def _stored_final(self) -> bool:
        if self.pk is None:
            return False
        return type(self)._base_manager.filter(pk=self.pk, status=SettlementStatus.FINAL).exists()

    def save(self, *args: Any, **kwargs: Any) -> None:
        if self._stored_final():
            raise SettlementError(f"settlement {self.number} is final and cannot be changed")
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> Any:
        if self._stored_final():
            raise SettlementError(f"settlement {self.number} is final and cannot be deleted")
        return super().delete(*args, **kwargs)


class SettlementParty(models.Model):
    settlement = models.ForeignKey(Settlement, on_delete=models.CASCADE, related_name="parties")
    jurisdiction = models.CharField(_("jurisdiction"), max_length=6)

    class Meta:
        ordering = ["settlement", "jurisdiction"]
        constraints = [
            models.UniqueConstraint(fields=["settlement", "jurisdiction"], name="coop_settlement_party_uniq")
        ]

    def __str__(self) -> str:
        return self.jurisdiction


class LineKind(models.TextChoices):
    SHARE = "share", _("Share")
    TRANSFER = "transfer", _("Transfer")
    ADJUSTMENT = "adjustment", _("Adjustment")


class SettlementLine(AppendOnlyModel):
    settlement = models.ForeignKey(Settlement, on_delete=models.PROTECT, related_name="lines")
    run = models.PositiveIntegerField(_("computation"))
    kind = models.CharField(_("kind"), max_length=12, choices=LineKind.choices)
    agreement = models.CharField(_("agreement"), max_length=60, blank=True)
    jurisdiction = models.CharField(_("party"), max_length=6)  # the party (a transfer: the payer)
    payee = models.CharField(_("payee"), max_length=6, blank=True)  # transfers only
    tax_type = models.CharField(_("tax type"), max_length=20, blank=True)
    base_fen = models.BigIntegerField(_("base (fen)"), default=0)
    amount_fen = models.BigIntegerField(_("amount (fen)"))
    corrects = models.CharField(_("corrects"), max_length=40, blank=True)  # number of the settlement
    corrects_kind = models.CharField(_("kind corrected"), max_length=12, blank=True)
    corrects_period = models.CharField(_("period corrected"), max_length=20, blank=True)

    objects = AppendOnlyQuerySet.as_manager()

    class Meta:
        ordering = ["settlement", "run", "kind", "agreement", "jurisdiction", "tax_type", "id"]
        verbose_name = _("settlement line")
        verbose_name_plural = _("settlement lines")
        indexes = [models.Index(fields=["settlement", "run"], name="coop_settlement_line_run")]
