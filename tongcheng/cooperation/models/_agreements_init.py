"""The models of agreements and imported rows (coop_agreements); folded into models/__init__.py."""

from .agreements import Agreement, AgreementVersion, VersionStatus
from .receipts import INDICATOR_CHOICES, ImportedFactor, IndicatorValue, Receipt, ReceiptSum, format_yyyymm

__all__ = [
    "Agreement",
    "AgreementVersion",
    "VersionStatus",
    "INDICATOR_CHOICES",
    "ImportedFactor",
    "IndicatorValue",
    "Receipt",
    "ReceiptSum",
    "format_yyyymm",
]
