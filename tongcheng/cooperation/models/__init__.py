"""Models of the cooperation system (合作体系)."""

from ._agreements_init import (
    INDICATOR_CHOICES,
    Agreement,
    AgreementVersion,
    ImportedFactor,
    IndicatorValue,
    Receipt,
    ReceiptSum,
    VersionStatus,
    format_yyyymm,
)

__all__ = [
    "INDICATOR_CHOICES",
    "Agreement",
    "AgreementVersion",
    "ImportedFactor",
    "IndicatorValue",
    "Receipt",
    "ReceiptSum",
    "VersionStatus",
    "format_yyyymm",
]
