"""LedgerEntry: one record of a named, hash-chained, append-only ledger."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from tongcheng.kit.models import HashChainedModel

__all__ = ["LedgerEntry"]


class LedgerEntry(HashChainedModel):
    """A ledger line. ``chain`` names the ledger, e.g. ``settlement:pukou-nanqiao:2027``; each ledger is its
    own chain, verified on its own. Add lines with ``LedgerEntry.append(chain, payload)``."""

    class Meta(HashChainedModel.Meta):
        ordering = ["chain", "sequence"]
        verbose_name = _("ledger entry")
        verbose_name_plural = _("ledger entries")

    def __str__(self) -> str:
        return f"{self.chain} #{self.sequence}"
